import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { cosine, featureSimilarity, loadMobileNetV2Features, loadOnnxFeatures, mobileNetModelDir, tfFeatureExtractor } from "../../lib/eval";
import { image, randomPair } from "./images";
import { flattenMatMulModel } from "./onnx-writer";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eval-features-"));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("cosine", () => {
  it("known values and errors", () => {
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 2], [-1, -2])).toBeCloseTo(-1, 12);
    expect(cosine([3, 4], [4, 3])).toBeCloseTo(24 / 25, 12);
    expect(cosine([0, 0], [1, 1])).toBeNaN();
    expect(() => cosine([1], [1, 2])).toThrow("cosine: vectors differ in length (1 vs 2)");
    expect(() => cosine([], [])).toThrow("cosine: empty vectors");
  });
});

describe("tfFeatureExtractor (how the editor's frozen encoder plugs in)", () => {
  const channelMeans = () => tfFeatureExtractor((x) => x.mean([1, 2]) as tf.Tensor2D, { name: "feature sim (test)", dim: 3, batchSize: 2 });
  it("computes the forward pass batch by batch and keeps no tensor", async () => {
    const fx = channelMeans();
    const imgs = [image(4, 4, () => 0), image(4, 4, (u, v, c) => (c === 0 ? 255 : 51)), image(4, 4, () => 255)];
    const before = tf.memory().numTensors;
    const f = await fx.extract(imgs);
    expect(tf.memory().numTensors).toBe(before);
    expect(f.map((x) => Array.from(x))).toEqual([[0, 0, 0], [1, 0.2, 0.2], [1, 1, 1]].map((r) => r.map((v) => expect.closeTo(v, 6))));
    expect(await featureSimilarity(fx, [imgs[1]], [imgs[1]])).toEqual([expect.closeTo(1, 6)]);
  });
  it("bad input: wrong feature shape, mixed sizes, disposed, mismatched lists", async () => {
    const bad = tfFeatureExtractor((x) => x.mean([1, 2]) as tf.Tensor2D, { name: "feature sim (bad)", dim: 4 });
    const before = tf.memory().numTensors;
    await expect(bad.extract([image(4, 4, () => 0)])).rejects.toThrow("feature sim (bad): features have shape [1, 3], expected [1, 4]");
    expect(tf.memory().numTensors).toBe(before);
    const fx = channelMeans();
    await expect(fx.extract([image(4, 4, () => 0), image(5, 4, () => 0)])).rejects.toThrow("feature sim (test): image 1 is 5x4, image 0 is 4x4; one batch needs one size");
    await expect(featureSimilarity(fx, [image(4, 4, () => 0)], [])).rejects.toThrow("featureSimilarity: 1 results but 0 ground truths");
    fx.dispose();
    await expect(fx.extract([image(4, 4, () => 0)])).rejects.toThrow("feature sim (test): the extractor was disposed");
  });
});

describe("MobileNetV2 from the nsfwjs package", () => {
  it("identical images give 1, different ones less; no tensor survives dispose", async () => {
    const before = tf.memory().numTensors;
    const fx = await loadMobileNetV2Features({ inputSize: 64 });
    expect(fx.name).toBe("feature sim (MobileNetV2)");
    expect(fx.dim).toBe(1280);
    const [a, b] = randomPair();
    const flat = image(32, 32, () => 128);
    const [same, diff, far] = await featureSimilarity(fx, [a, a, a], [a, b, flat]);
    expect(same).toBeCloseTo(1, 5);
    expect(diff).toBeLessThan(1);
    expect(far).toBeLessThan(diff);
    fx.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it("at 224 x 224 the feature is the original model's pooled layer (flatten_1)", async () => {
    const dir = mobileNetModelDir();
    const json = require(path.join(dir, "model.min.js"));
    const w = Buffer.from(require(path.join(dir, "group1-shard1of1.min.js")) as string, "base64");
    const full = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.length) }));
    const [a] = randomPair();
    const ref = tf.tidy(() => {
      const sub = tf.model({ inputs: full.inputs, outputs: full.getLayer("flatten_1").output as tf.SymbolicTensor });
      const x = tf.tensor4d(Float32Array.from(a.data, (v) => v / 255), [1, 32, 32, 3]);
      return Array.from((sub.predict(tf.image.resizeBilinear(x, [224, 224], true)) as tf.Tensor).dataSync());
    });
    full.dispose();
    const fx = await loadMobileNetV2Features();
    const [f] = await fx.extract([a]);
    fx.dispose();
    let maxDiff = 0;
    for (let i = 0; i < f.length; i++) maxDiff = Math.max(maxDiff, Math.abs(f[i] - ref[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });
  it("bad input size", async () => {
    await expect(loadMobileNetV2Features({ inputSize: 100 })).rejects.toThrow("loadMobileNetV2Features: inputSize must be a multiple of 32 (224 as trained), got 100");
  });
});

describe("ONNX features (a tiny model written by the test)", () => {
  const W = Float32Array.from({ length: 48 * 2 }, (_, i) => ((i * 7) % 11) / 10 - 0.5);
  const file = path.join(tmp, "tiny.onnx");
  fs.writeFileSync(file, flattenMatMulModel([3, 4, 4], W, 2)); // NCHW input
  const fileNhwc = path.join(tmp, "tiny-nhwc.onnx");
  fs.writeFileSync(fileNhwc, flattenMatMulModel([4, 4, 3], W, 2));
  const img = { width: 4, height: 4, data: Uint8Array.from({ length: 48 }, (_, i) => i * 5) };
  const expected = (order: "nchw" | "nhwc") => {
    const x = new Float64Array(48);
    for (let p = 0; p < 16; p++) for (let c = 0; c < 3; c++) x[order === "nchw" ? c * 16 + p : p * 3 + c] = (img.data[p * 3 + c] / 255 - 0.5) / 0.25;
    return [0, 1].map((d) => x.reduce((s, xi, i) => s + xi * W[i * 2 + d], 0));
  };
  it("runs the model on preprocessed images (NCHW and NHWC) and names the column by the file", async () => {
    for (const layout of ["nchw", "nhwc"] as const) {
      const fx = await loadOnnxFeatures(layout === "nchw" ? file : fileNhwc, { size: 4, layout, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], tokens: "first" });
      expect(fx.name).toBe(`feature sim (ONNX: ${layout === "nchw" ? "tiny.onnx" : "tiny-nhwc.onnx"})`);
      expect(fx.dim).toBe(2);
      const [f, g] = await fx.extract([img, img]);
      expect(Array.from(f)).toEqual(expected(layout).map((v) => expect.closeTo(v, 5)));
      expect(Array.from(g)).toEqual(Array.from(f));
      expect(await featureSimilarity(fx, [img], [img])).toEqual([expect.closeTo(1, 6)]);
      fx.dispose();
    }
  });
  it("bad input: missing file, unknown input name", async () => {
    const o = { size: 4, layout: "nchw" as const, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number], tokens: "first" as const };
    await expect(loadOnnxFeatures(path.join(tmp, "none.onnx"), o)).rejects.toThrow(`loadOnnxFeatures: no such file ${path.join(tmp, "none.onnx")}`);
    await expect(loadOnnxFeatures(file, { ...o, inputName: "pixels" })).rejects.toThrow(`loadOnnxFeatures: ${file} has no input 'pixels' (inputs: X)`);
  });
});
