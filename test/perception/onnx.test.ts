import { describe, expect, it } from "vitest";
import { fitInverseDepth, loadOnnxDepth, loadOnnxSegmenter, rgbToPlanes, resizeMap, DEPTH_ANYTHING_DEFAULTS } from "../../lib/perception";
import { meanDepthModel, meanSamModels, onnxModel, ONNX_FLOAT, ONNX_INT64 } from "./onnx-writer";

function solid(W: number, H: number, rgb: [number, number, number]) {
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) data.set(rgb, i * 3);
  return { width: W, height: H, data };
}

/** Channel mean of Depth Anything's normalisation of one colour, plus the test model's offset 5. */
function expectedDepth(rgb: [number, number, number]): number {
  const { mean, std } = DEPTH_ANYTHING_DEFAULTS;
  return (rgb[0] / 255 - mean[0]) / std[0] / 3 + (rgb[1] / 255 - mean[1]) / std[1] / 3 + (rgb[2] / 255 - mean[2]) / std[2] / 3 + 5;
}

describe("ONNX depth path (a model the test writes)", () => {
  it("metric output: normalised, run, resized back to the image; known values", async () => {
    const model = await loadOnnxDepth(meanDepthModel(), { kind: "metric" });
    const est = await model.estimate(solid(16, 12, [200, 100, 50]));
    expect(est.depth.length).toBe(16 * 12);
    expect(est.scaling).toEqual({ method: "metric" });
    for (const v of est.depth) expect(v).toBeCloseTo(expectedDepth([200, 100, 50]), 5);
    await model.release();
  });

  it("symbolic input sizes use inputSize; metricScale multiplies", async () => {
    const model = await loadOnnxDepth(meanDepthModel({ size: ["height", "width"] }), { kind: "metric", inputSize: 14, metricScale: 0.5 });
    const est = await model.estimate(solid(5, 7, [10, 20, 30]));
    expect(est.depth[0]).toBeCloseTo(0.5 * expectedDepth([10, 20, 30]), 5);
    await model.release();
  });

  it("relative output is fitted to a reference depth on background pixels: 1/z = a d + b recovered", async () => {
    // a horizontal grey ramp: the model's output (disparity) varies along u
    const W = 8;
    const H = 8;
    const img = solid(W, H, [0, 0, 0]);
    for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) img.data.fill(30 * u, (v * W + u) * 3, (v * W + u) * 3 + 3);
    const model = await loadOnnxDepth(meanDepthModel());
    const plain = await model.estimate(img);
    expect(plain.scaling).toEqual({ method: "range" });
    const refDepth = Float32Array.from(plain.raw, (d) => 1 / (0.25 * d + 0.5));
    const mask = new Int32Array(W * H).fill(-1);
    mask[0] = 0; // an object pixel: not used by the fit
    const est = await model.estimate(img, { depth: refDepth, mask });
    expect(est.scaling.method).toBe("reference-fit");
    if (est.scaling.method === "reference-fit") {
      expect(est.scaling.a).toBeCloseTo(0.25, 4);
      expect(est.scaling.b).toBeCloseTo(0.5, 4);
      expect(est.scaling.pixels).toBe(W * H - 1);
    }
    for (let i = 0; i < W * H; i++) expect(est.depth[i]).toBeCloseTo(refDepth[i], 4);
    await model.release();
  });

  it("fitInverseDepth refuses too few pixels and flat disparity", () => {
    const n = 20;
    expect(fitInverseDepth(new Float32Array(n).fill(1), new Float32Array(n).fill(2), new Int32Array(n).fill(-1))).toBeNull();
    expect(fitInverseDepth(Float32Array.from({ length: 8 }, (_, i) => i), new Float32Array(8).fill(2), new Int32Array(8).fill(-1))).toBeNull();
  });

  it("rgbToPlanes and resizeMap: identity at the same size, golden values", () => {
    const img = solid(2, 1, [255, 0, 0]);
    img.data.set([0, 255, 0], 3);
    expect(Array.from(rgbToPlanes(img.data, 2, 1, 2, 1, [0, 0, 0], [1, 1, 1]))).toEqual([1, 0, 0, 1, 0, 0]);
    expect(Array.from(resizeMap(Float32Array.from([0, 4]), 2, 1, 4, 1))).toEqual([0, 1, 3, 4]);
  });
});

describe("ONNX SAM-style segmenter path (models the test writes)", () => {
  it("box prompt -> mask of the bright pixels inside the box (image = encoder size)", async () => {
    const { encoder, decoder } = meanSamModels(16);
    const seg = await loadOnnxSegmenter(encoder, decoder, { boxMargin: 0 });
    const img = solid(16, 16, [0, 0, 0]);
    for (let v = 0; v < 16; v++) for (let u = 0; u < 8; u++) img.data.fill(255, (v * 16 + u) * 3, (v * 16 + u) * 3 + 3);
    const [m] = await seg.segment(img, [[2, 2, 14, 14]]);
    const want: number[] = [];
    for (let v = 2; v < 14; v++) for (let u = 2; u < 8; u++) want.push(v * 16 + u);
    expect(Array.from(m.pixels)).toEqual(want);
    expect(m.emptyReason).toBeNull();
    await seg.release();
  });

  it("a low-resolution mask covering the padded square frame maps back to the image", async () => {
    const { encoder, decoder } = meanSamModels(16);
    const seg = await loadOnnxSegmenter(encoder, decoder, { boxMargin: 0 });
    const img = solid(32, 24, [0, 0, 0]);
    for (let v = 0; v < 24; v++) for (let u = 0; u < 16; u++) img.data.fill(255, (v * 32 + u) * 3, (v * 32 + u) * 3 + 3);
    const [m, dark] = await seg.segment(img, [
      [0, 0, 32, 24],
      [20, 4, 30, 20],
    ]);
    expect(m.pixels.length).toBe(16 * 24);
    expect(m.pixels.every((p) => p % 32 < 16)).toBe(true);
    expect(dark.pixels.length).toBe(0);
    expect(dark.emptyReason).toBe("the segmenter's best mask has no positive logit inside the box");
    await seg.release();
  });
});

describe("ONNX loader: a wrong model is a clear error before any inference", () => {
  const cases: { name: string; load: () => Promise<unknown>; error: string }[] = [
    { name: "missing file", load: () => loadOnnxDepth("/nonexistent/depth.onnx"), error: "loadOnnxDepth: no such ONNX file /nonexistent/depth.onnx" },
    { name: "not ONNX at all", load: () => loadOnnxDepth(Buffer.from("this is not a protobuf model")), error: "loadOnnxDepth: (bytes) is not a loadable ONNX model: " },
    {
      name: "wrong input name",
      load: () => loadOnnxDepth(meanDepthModel({ inputName: "image" })),
      error: "loadOnnxDepth: (bytes) has no input 'pixel_values' (expected float32 [?, 3, ?, ?]); the model's inputs: image (float32 [1, 3, 8, 8])",
    },
    {
      name: "wrong input type",
      load: () => loadOnnxDepth(meanDepthModel({ elemType: ONNX_INT64 })),
      error: "loadOnnxDepth: (bytes) input 'pixel_values' is int64, expected float32 [?, 3, ?, ?]",
    },
    {
      name: "wrong channel count",
      load: () => loadOnnxDepth(meanDepthModel({ channels: 4 })),
      error: "loadOnnxDepth: (bytes) input 'pixel_values' has size 4 in dimension 1 [1, 4, 8, 8], expected float32 [?, 3, ?, ?]",
    },
    {
      name: "wrong output name",
      load: () => loadOnnxDepth(meanDepthModel({ outputName: "depth" })),
      error: "loadOnnxDepth: (bytes) has no output 'predicted_depth' (expected float32 [1, H, W] or [1, 1, H, W]); the model's outputs: depth",
    },
    {
      name: "a depth model given as the SAM encoder",
      load: () => loadOnnxSegmenter(meanDepthModel(), meanSamModels().decoder),
      error: "loadOnnxSegmenter (encoder): (bytes) has no input 'image' (expected float32 [1, 3, ?, ?]); the model's inputs: pixel_values (float32 [1, 3, 8, 8])",
    },
    {
      name: "the encoder given as the SAM decoder",
      load: () => loadOnnxSegmenter(meanSamModels().encoder, meanSamModels().encoder),
      error: "loadOnnxSegmenter (decoder): (bytes) has no input 'image_embeddings' (expected float32 [1, ?, ?, ?]); the model's inputs: image (float32 [1, 3, 16, 16])",
    },
    {
      name: "a misspelt option",
      load: () => loadOnnxDepth(meanDepthModel(), { inputSise: 14 } as never),
      error: "loadOnnxDepth: unknown option 'inputSise'; known options: inputName, outputName, inputSize, mean, std, kind, metricScale",
    },
    {
      name: "a misspelt segmenter option",
      load: () => loadOnnxSegmenter(meanSamModels().encoder, meanSamModels().decoder, { margin: 0 } as never),
      error: "loadOnnxSegmenter: unknown option 'margin'; known options: encoderInput,",
    },
    { name: "an unknown depth kind", load: () => loadOnnxDepth(meanDepthModel(), { kind: "inverse" as never }), error: 'loadOnnxDepth: kind must be "relative" or "metric", got "inverse"' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await expect(c.load()).rejects.toThrow(c.error);
    });
  }
});

describe("ONNX models that load but go wrong when run: clear errors", () => {
  const image = { width: 4, height: 4, data: new Uint8Array(48) };

  it("a depth model that only works at 8 x 8, run at its symbolic size 14: the error names the call, the model and the shapes fed", async () => {
    // declares [1, 3, h, w] but adds a fixed [1, 8, 8] bias: any other size fails inside onnxruntime
    const fixedBias = onnxModel({
      nodes: [
        { op: "ReduceMean", inputs: ["pixel_values"], outputs: ["m"], attrs: [{ name: "axes", ints: [1] }, { name: "keepdims", int: 0 }] },
        { op: "Add", inputs: ["m", "bias"], outputs: ["predicted_depth"] },
      ],
      initializers: [{ name: "bias", dims: [1, 8, 8], values: new Array(64).fill(0) }],
      inputs: [{ name: "pixel_values", elemType: ONNX_FLOAT, dims: [1, 3, "h", "w"] }],
      outputs: [{ name: "predicted_depth", elemType: ONNX_FLOAT, dims: [1, "h", "w"] }],
    });
    const model = await loadOnnxDepth(fixedBias, { inputSize: 14 });
    await expect(model.estimate(image)).rejects.toThrow("OnnxDepthModel.estimate: (bytes) failed to run on pixel_values float32 [1, 3, 14, 14]: Non-zero status code returned while running Add node");
    await model.release();
  });

  it("a depth model whose undeclared output turns out to have the wrong rank", async () => {
    const flat = onnxModel({
      nodes: [{ op: "ReduceMean", inputs: ["pixel_values"], outputs: ["predicted_depth"], attrs: [{ name: "axes", ints: [0, 1] }, { name: "keepdims", int: 0 }] }],
      inputs: [{ name: "pixel_values", elemType: ONNX_FLOAT, dims: [1, 3, 8, 8] }],
      outputs: [{ name: "predicted_depth", elemType: ONNX_FLOAT, dims: [] }],
    });
    const model = await loadOnnxDepth(flat);
    await expect(model.estimate(image)).rejects.toThrow("OnnxDepthModel.estimate: output 'predicted_depth' has shape [8, 8], expected [1, H, W] or [1, 1, H, W]");
    await model.release();
  });
});
