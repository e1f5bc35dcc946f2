import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { engineConfig, extractSpatialInfo } from "../../lib/engine";
import { renderScene, sampleScene, worldConfig } from "../../lib/world";
import {
  checkRender,
  colourWord,
  detectionRows,
  frameAsRender,
  withBoxes,
  describeObject,
  detectorBoxes,
  loadCenterNet,
  loadOnnxDepth,
  loadOnnxSegmenter,
  loadPhoto,
  motionOfClass,
  perceptionConfig,
  photoSource,
  renderAgreement,
  renderBoxes,
  renderPerceptionConfig,
  threePeoplePhoto,
  withPhotoDescriptions,
} from "../../lib/perception";
import type { CenterNetDetector } from "../../lib/perception";
import { meanDepthModel, meanSamModels } from "./onnx-writer";


const cfg = perceptionConfig("tiny");
const world = worldConfig("tiny");

describe("descriptions (the stand-in for the LLaVA step)", () => {
  const words: [number, number, number, string][] = [
    [10, 10, 10, "black"],
    [250, 250, 250, "white"],
    [128, 128, 128, "gray"],
    [200, 30, 30, "red"],
    [240, 150, 30, "orange"],
    [120, 70, 20, "brown"],
    [240, 230, 40, "yellow"],
    [30, 160, 40, "green"],
    [40, 200, 210, "cyan"],
    [40, 70, 220, "blue"],
    [130, 40, 190, "purple"],
    [230, 60, 170, "pink"],
    [240, 160, 160, "pink"],
  ];
  for (const [r, g, b, w] of words) it(`rgb(${r}, ${g}, ${b}) is ${w}`, () => expect(colourWord(r, g, b)).toBe(w));

  it("dominant colours, size word and motion from the class", () => {
    const rgb = new Uint8Array(10 * 3);
    for (let i = 0; i < 10; i++) rgb.set(i < 7 ? [10, 10, 10] : [250, 250, 250], i * 3);
    const d = describeObject(rgb, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 100, "person", cfg.describe);
    expect(d).toEqual({
      colours: [
        { name: "black", share: 0.7 },
        { name: "white", share: expect.closeTo(0.3, 12) },
      ],
      size: "medium",
      areaShare: 0.1,
      motion: "mobile",
      text: "medium black and white person (can move)",
    });
    expect(describeObject(rgb, [0], 1000, "bench", cfg.describe).text).toBe("small black bench");
    expect([motionOfClass("dog"), motionOfClass("chair"), motionOfClass("cube")]).toEqual(["mobile", "static", "static"]);
  });
});

describe("photo source on SpatialWorld renders (detector excluded: truth boxes)", () => {
  it("runs the unchanged engine; pairs agree with the oracle on left/right and depth order", async () => {
    const a = await renderAgreement(cfg, world);
    expect(a.scenes).toBe(4);
    expect(a.pairs).toBeGreaterThan(5);
    expect(a.leftRightAgreement).toBe(1);
    expect(a.depthAgreement).toBeGreaterThanOrEqual(0.9);
    expect(a.meanMaskIoU).toBeGreaterThan(0.9);
    expect(a.depthAbsRelGround).toBeLessThan(0.1);
  });

  it("one scene: frame shapes, ids map back to the scene, descriptions replace the engine's", async () => {
    const scene = sampleScene(new Rng(4), world);
    const render = renderScene(scene, { width: 64, height: 64 });
    const rcfg = renderPerceptionConfig(cfg, world, 64);
    const p = await photoSource({ config: rcfg, boxes: renderBoxes() }).perceiveDetailed({ image: { width: 64, height: 64, data: render.rgb }, render });
    expect(p.frame.source).toBe("photo");
    expect([p.frame.depth.length, p.frame.mask.length, p.frame.rgb.length]).toEqual([4096, 4096, 12288]);
    expect(p.boxes.map((b) => b.sourceId)).toEqual(render.objects.filter((o) => render.visiblePixels[o.id] > 0).map((o) => o.id));
    expect(p.depth.method).toBe("ground-plane");
    const ex = withPhotoDescriptions(extractSpatialInfo(p.frame, engineConfig("tiny")), p);
    for (const o of ex.objects) expect(o.description).toBe(p.descriptions[o.id]!.text);
    const c = await checkRender(scene, render, rcfg);
    expect(c.maskIoU).toHaveLength(p.boxes.length);
    // notebook helpers: boxes drawn on a figure, rows per box, the frame as a render with far depth cut
    const fig = withBoxes({ data: [], layout: { annotations: [{ text: "panel" }] } }, p);
    expect((fig.layout!.shapes as unknown[]).length).toBe(p.boxes.length);
    const anns = fig.layout!.annotations as { text: string }[];
    expect(anns.length).toBeGreaterThan(1);
    expect(anns.length).toBeLessThanOrEqual(1 + p.boxes.length);
    // labels that would sit on each other are left out: two boxes with nearly the same corner get one label
    const near = withBoxes({ data: [], layout: {} }, {
      frame: { width: 100, height: 100 },
      boxes: [{ box: [10, 10, 50, 50], label: "person", score: 0.5 }, { box: [12, 11, 60, 60], label: "person", score: 0.4 }, { box: [70, 10, 90, 40], label: "cup", score: 0.3 }],
      descriptions: [null, null, null],
    } as unknown as Parameters<typeof withBoxes>[1]);
    expect((near.layout!.annotations as { text: string; hovertext: string }[]).map((a) => [a.text, a.hovertext])).toEqual([["0", "0: person 0.50"], ["2", "2: cup 0.30"]]);
    expect((near.layout!.shapes as unknown[]).length).toBe(3);
    const rows = detectionRows(p, [p.boxes[0].box]);
    expect(rows[0]).toMatchObject({ id: 0, label: p.boxes[0].label, best_iou_with_hand_boxes: 1, left_out: "" });
    const view = frameAsRender(p, world.cameraHeight, 6);
    expect(view.depth.every((d) => Number.isNaN(d) || d <= 6)).toBe(true);
    expect(view.camera.position.z).toBe(world.cameraHeight);
  });

  it("with the user's ONNX models (made by the test): SAM-style masks and ONNX depth, end to end", async () => {
    const { encoder, decoder } = meanSamModels(16, -10); // every logit positive: the mask is the box
    const segmenter = await loadOnnxSegmenter(encoder, decoder, { boxMargin: 0 });
    const depthModel = await loadOnnxDepth(meanDepthModel({ size: [16, 16] }));
    const render = renderScene(sampleScene(new Rng(6), world), { width: 64, height: 64 });
    const rcfg = renderPerceptionConfig(cfg, world, 64);
    const p = await photoSource({ config: rcfg, boxes: renderBoxes(), segmenter, depthModel }).perceiveDetailed({ image: { width: 64, height: 64, data: render.rgb }, render });
    expect(p.depth.method).toBe("onnx");
    expect(p.depth.scaling).toBe("reference-fit");
    // the nearest box (lowest bottom edge) owns its whole box
    const nearest = p.boxes.reduce((best, b, i) => (b.box[3] > p.boxes[best].box[3] ? i : best), 0);
    const [u0, v0, u1, v1] = p.boxes[nearest].box;
    for (let v = v0; v < v1; v++) for (let u = u0; u < u1; u++) expect(p.frame.mask[v * 64 + u]).toBe(nearest);
    const ex = extractSpatialInfo(p.frame, engineConfig("tiny"));
    expect(ex.objects.length + ex.refusals.length).toBeGreaterThan(0);
    await segmenter.release();
    await depthModel.release();
  });
});

describe("photo source: objects without ground under them (ground-plane depth)", () => {
  it("a box above a level horizon is left out with the reason; the frame stays complete", async () => {
    const W = 32;
    const img = { width: W, height: W, data: new Uint8Array(W * W * 3).fill(90) };
    for (let v = 4; v < 10; v++) for (let u = 10; u < 20; u++) img.data.set([220, 30, 30], (v * W + u) * 3);
    for (let v = 22; v < 30; v++) for (let u = 4; u < 12; u++) img.data.set([30, 30, 220], (v * W + u) * 3);
    const boxes = async () => [
      { box: [8, 2, 22, 12] as [number, number, number, number], score: 0.9, classId: 0, label: "kite" },
      { box: [2, 20, 14, 31] as [number, number, number, number], score: 0.9, classId: 0, label: "bench" },
    ];
    const p = await photoSource({ config: perceptionConfig("tiny", { groundDepth: { horizon: "level" } }), boxes }).perceiveDetailed({ image: img });
    expect(p.leftOut).toEqual([{ id: 0, label: "kite", reason: "no depth: its lowest pixel (row 9) is at or above the horizon (row 16.0): no ground there" }]);
    expect(p.frame.detections.map((d) => d.id)).toEqual([1]);
    expect(p.descriptions[1]!.text).toBe("medium blue bench");
  });
});

describe("photo source on a real photo (detector)", () => {
  let det: CenterNetDetector;
  beforeAll(async () => {
    await initBackend();
    det = await loadCenterNet();
  });
  afterAll(() => det?.dispose());

  it("people become engine objects with descriptions; no tensors leak", async () => {
    const photo = await loadPhoto(await threePeoplePhoto(), cfg.photo);
    const source = photoSource({ config: cfg, boxes: detectorBoxes(det, cfg) });
    await source.perceive({ image: photo.image }); // warm
    const before = tf.memory().numTensors;
    const p = await source.perceiveDetailed({ image: photo.image });
    expect(tf.memory().numTensors).toBe(before);
    const ex = withPhotoDescriptions(extractSpatialInfo(p.frame, engineConfig("tiny")), p);
    const people = ex.objects.filter((o) => o.object === "person");
    expect(people.length).toBeGreaterThanOrEqual(3);
    for (const o of people) expect(o.description).toMatch(/ person \(can move\)$/);
    expect(p.emptyReason).toBeNull();
  });

  it("no detections: an empty frame with a reason, and the engine refuses it as an empty scene", async () => {
    const blank = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(200) };
    const p = await photoSource({ config: cfg, boxes: detectorBoxes(det, cfg) }).perceiveDetailed({ image: blank });
    expect(p.boxes).toEqual([]);
    expect(p.emptyReason).toBe("the detector found no object above its score threshold");
    const ex = extractSpatialInfo(p.frame, engineConfig("tiny"));
    expect(ex.objects).toEqual([]);
    expect(ex.refusals).toEqual([{ id: null, reason: "empty-scene", detail: "no objects detected" }]);
  });

  it("a 1 x 1 photo runs through without a crash", async () => {
    const p = await photoSource({ config: cfg, boxes: detectorBoxes(det, cfg) }).perceiveDetailed({ image: { width: 1, height: 1, data: Uint8Array.from([5, 5, 5]) } });
    expect(p.frame.mask.length).toBe(1);
    expect(extractSpatialInfo(p.frame, engineConfig("tiny")).objects).toEqual([]);
  });

  it("bad input to perceive is a clear error", async () => {
    const source = photoSource({ config: cfg, boxes: detectorBoxes(det, cfg) });
    await expect(source.perceive({} as never)).rejects.toThrow("photo perception needs an image: call perceive({ image }) with an RgbImage (loadPhoto(...).image)");
    await expect(source.perceive({ image: { width: 2, height: 2, data: new Uint8Array(3) } })).rejects.toThrow("photo perception: image data has 3 bytes, expected 2x2x3 = 12 (8-bit RGB)");
    await expect(photoSource({ config: cfg, boxes: renderBoxes() }).perceive({ image: { width: 1, height: 1, data: new Uint8Array(3) } })).rejects.toThrow(
      "renderBoxes: the input has no render; call perceive({ image, render })",
    );
  });
});
