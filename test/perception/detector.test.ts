import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { boxIoU, decodeCenterNet, loadCenterNet, loadPhoto, nonMaxSuppression, perceptionConfig, humanModelsDir, cocoName, COCO_CLASSES } from "../../lib/perception";
import type { BoxDetection, CenterNetDetector } from "../../lib/perception";
import { THREE_PEOPLE_BOXES, threePeoplePhoto } from "../../lib/perception";

const cfg = perceptionConfig("tiny");
let det: CenterNetDetector;

beforeAll(async () => {
  await initBackend();
  det = await loadCenterNet();
});
afterAll(() => det?.dispose());

describe("CenterNet COCO detector from @vladmandic/human", () => {
  it("finds the three people of a real photo shipped in the npm package (IoU >= 0.6 with hand-drawn boxes)", async () => {
    const photo = await loadPhoto(await threePeoplePhoto(), cfg.photo, "three-people.png");
    expect([photo.image.width, photo.image.height]).toEqual([141, 157]);
    const boxes = await det.detect(photo.image, cfg.detector);
    const people = boxes.filter((b) => b.label === "person");
    for (const truth of THREE_PEOPLE_BOXES) {
      const best = Math.max(...people.map((p) => boxIoU(truth, p.box)));
      expect(best).toBeGreaterThanOrEqual(0.6);
    }
    // the best-scoring detection is a person
    expect(boxes[0].label).toBe("person");
  });

  it("our decoding of the heat map and box heads gives the graph's own top boxes", async () => {
    const photo = await loadPhoto(await threePeoplePhoto(), cfg.photo);
    const ours = await det.detect(photo.image, { ...cfg.detector, iouThreshold: 1, minScore: 0.2 }); // no suppression
    const graph = (await det.graphDetections(photo.image)).filter((r) => r[4] >= 0.2);
    expect(ours.length).toBe(graph.length);
    const sx = 141 / 512;
    const sy = 157 / 512;
    graph.forEach((r, i) => {
      expect(ours[i].classId).toBe(r[5]);
      expect(ours[i].score).toBeCloseTo(r[4], 5);
      // clipped to the image by us, not by the graph
      expect(ours[i].box[0]).toBeCloseTo(Math.max(0, r[0] * sx), 3);
      expect(ours[i].box[1]).toBeCloseTo(Math.max(0, r[1] * sy), 3);
      expect(ours[i].box[2]).toBeCloseTo(Math.min(141, r[2] * sx), 3);
      expect(ours[i].box[3]).toBeCloseTo(Math.min(157, r[3] * sy), 3);
    });
  });

  it("a blank image gives no detections (an empty list, not an error)", async () => {
    const blank = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) };
    expect(await det.detect(blank, cfg.detector)).toEqual([]);
  });

  it("leaks no tensors", async () => {
    const photo = await loadPhoto(await threePeoplePhoto(), cfg.photo);
    await det.detect(photo.image, cfg.detector); // warm
    const before = tf.memory().numTensors;
    await det.detect(photo.image, cfg.detector);
    await det.graphDetections(photo.image);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses a wrong input size, a bad image and use after dispose", async () => {
    const img = { width: 4, height: 4, data: new Uint8Array(48) };
    await expect(det.detect(img, { ...cfg.detector, inputSize: 320 })).rejects.toThrow("detect: config.inputSize is 320 but the graph takes 512x512");
    await expect(det.detect({ width: 4, height: 4, data: new Uint8Array(5) }, cfg.detector)).rejects.toThrow("detect: image data has 5 bytes, expected 4x4x3 = 48 (8-bit RGB)");
    const other = await loadCenterNet(humanModelsDir());
    other.dispose();
    await expect(other.detect(img, cfg.detector)).rejects.toThrow("CenterNetDetector: used after dispose()");
    await expect(loadCenterNet("/nonexistent")).rejects.toThrow("loadCenterNet: no centernet.json in /nonexistent");
  });

  it("damaged model files are clear errors: bad JSON, not a graph, a missing or short weights file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "centernet-"));
    try {
      const json = path.join(dir, "centernet.json");
      fs.writeFileSync(json, "{ not json");
      await expect(loadCenterNet(dir)).rejects.toThrow(`loadCenterNet: ${json} is not valid JSON (a damaged or partial install? npm ci restores it)`);
      fs.writeFileSync(json, JSON.stringify({ format: "layers-model" }));
      await expect(loadCenterNet(dir)).rejects.toThrow(`loadCenterNet: ${json} is not a TF.js graph model (it needs modelTopology and weightsManifest)`);
      const real = fs.readFileSync(path.join(humanModelsDir(), "centernet.json"), "utf8");
      fs.writeFileSync(json, real);
      await expect(loadCenterNet(dir)).rejects.toThrow(`loadCenterNet: ${json} names the weights file centernet.bin, which is missing from ${dir}`);
      fs.writeFileSync(path.join(dir, "centernet.bin"), Buffer.alloc(1000));
      await expect(loadCenterNet(dir)).rejects.toThrow(`loadCenterNet: the graph in ${dir} does not load (weights of the wrong size for their manifest?)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CenterNet decoding and NMS (pure)", () => {
  it("a 3x3 peak becomes one box from the l, t, r, b distances (stride 4); neighbours are not peaks", () => {
    const G = 4;
    const C = 2;
    const heat = new Float32Array(G * G * C);
    const wh = new Float32Array(G * G * 4);
    heat[(1 * G + 2) * C + 1] = 0.9; // y 1, x 2, class 1
    heat[(1 * G + 1) * C + 1] = 0.5; // its neighbour: not a peak
    heat[(3 * G + 0) * C + 0] = 0.3; // y 3, x 0, class 0: a peak
    wh.set([1, 2, 3, 4], (1 * G + 2) * 4);
    wh.set([0, 0, 8, 8], (3 * G + 0) * 4);
    const out = decodeCenterNet(heat, wh, G, C, { minScore: 0.2, topK: 10 });
    expect(out).toEqual([
      { box: [7, 2, 11, 8], score: expect.closeTo(0.9, 6), classId: 1, label: "bicycle" },
      { box: [0, 12, 8, 20], score: expect.closeTo(0.3, 6), classId: 0, label: "person" },
    ]);
    expect(decodeCenterNet(heat, wh, G, C, { minScore: 0.2, topK: 1 })).toHaveLength(1);
    expect(() => decodeCenterNet(heat, wh, 5, C, { minScore: 0.2, topK: 1 })).toThrow("decodeCenterNet: heat map has 32 values, expected 5x5x2");
  });

  it("NMS drops same-class overlaps above the threshold, keeps other classes, caps the count", () => {
    const d = (box: [number, number, number, number], score: number, classId: number): BoxDetection => ({ box, score, classId, label: cocoName(classId) });
    const a = d([0, 0, 10, 10], 0.9, 0);
    const b = d([1, 0, 11, 10], 0.8, 0); // IoU 9/11 with a
    const c = d([1, 0, 11, 10], 0.7, 2); // other class
    const e = d([20, 20, 30, 30], 0.6, 0);
    expect(nonMaxSuppression([b, a, c, e], 0.5, 10)).toEqual([a, c, e]);
    expect(nonMaxSuppression([b, a, c, e], 0.9, 10)).toEqual([a, b, c, e]);
    expect(nonMaxSuppression([b, a, c, e], 0.5, 2)).toEqual([a, c]);
    expect(boxIoU([0, 0, 10, 10], [1, 0, 11, 10])).toBeCloseTo(9 / 11, 12);
    expect(boxIoU([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
  });

  it("COCO names: 80 classes, index errors are clear", () => {
    expect(COCO_CLASSES).toHaveLength(80);
    expect([cocoName(0), cocoName(2), cocoName(79)]).toEqual(["person", "car", "toothbrush"]);
    expect(() => cocoName(80)).toThrow("cocoName: class index must be an integer in 0..79, got 80");
  });
});
