/**
 * Monocular depth from a user-supplied ONNX model (the paper's Depth Anything, §5.1.1).
 * Numbered steps of `estimate`:
 *   1. resize the RGB image to the model's input (its fixed size, or `inputSize` when symbolic)
 *      and normalise each channel: (x / 255 - mean) / std (ImageNet values, as Depth Anything);
 *   2. run; the output is [1, h, w] or [1, 1, h, w];
 *   3. resize the output bilinearly back to the image;
 *   4. "metric": the output is depth in world units (times `metricScale`); "relative": it is an
 *      affine-invariant disparity (Depth Anything's relative models), turned into depth by
 *      fitting 1/z = a * d + b to a reference depth on background pixels (the ground-plane
 *      fallback's), or, without a reference, by mapping the disparity range to [1, 10] units.
 */
import type { RgbImage } from "../engine/types";
import { checkRgb } from "../engine/image-io";
import { checkOptionKeys, floatTensor, openOnnxModel, resizeMap, rgbToPlanes, runOnnx } from "./onnx-model";
import type { OnnxModel } from "./onnx-model";

export interface OnnxDepthOptions {
  inputName: string;
  outputName: string;
  /** Used when the model's input height/width are symbolic (Depth Anything: 518, a multiple of 14). */
  inputSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  kind: "relative" | "metric";
  /** Metric outputs are multiplied by this (e.g. 0.001 for millimetres). */
  metricScale: number;
}

export const DEPTH_ANYTHING_DEFAULTS: OnnxDepthOptions = {
  inputName: "pixel_values",
  outputName: "predicted_depth",
  inputSize: 518,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  kind: "relative",
  metricScale: 1,
};

export interface DepthEstimate {
  depth: Float32Array;
  /** The raw model output resized to the image (disparity for "relative", depth for "metric"). */
  raw: Float32Array;
  /** How relative output became depth: "reference-fit" (a, b), "range" or "metric". */
  scaling: { method: "reference-fit"; a: number; b: number; pixels: number } | { method: "range" } | { method: "metric" };
}

export interface OnnxDepthModel {
  readonly name: "onnx-depth";
  readonly model: OnnxModel;
  readonly options: OnnxDepthOptions;
  /** Depth per pixel of `image`; `reference` (optional: a depth map and the instance mask) fixes the scale of relative output. */
  estimate(image: RgbImage, reference?: { depth: Float32Array; mask: Int32Array }): Promise<DepthEstimate>;
  release(): Promise<void>;
}

/** Opens and checks a depth model: input float32 [1, 3, H, W], output float32 [1, H', W'] or [1, 1, H', W']. */
export async function loadOnnxDepth(source: string | Uint8Array, options: Partial<OnnxDepthOptions> = {}): Promise<OnnxDepthModel> {
  checkOptionKeys(options, DEPTH_ANYTHING_DEFAULTS, "loadOnnxDepth");
  const o: OnnxDepthOptions = { ...DEPTH_ANYTHING_DEFAULTS, ...options };
  if (o.kind !== "relative" && o.kind !== "metric") throw new Error(`loadOnnxDepth: kind must be "relative" or "metric", got ${JSON.stringify(o.kind)}`);
  // the output's rank may be 3 or 4: check the input strictly, the output's name and type
  const model = await openOnnxModel(source, { inputs: [{ name: o.inputName, type: "float32", dims: [null, 3, null, null] }], outputs: [] }, "loadOnnxDepth");
  const outMeta = model.session.outputMetadata.find((m) => m.name === o.outputName);
  const names = model.session.outputMetadata.map((m) => m.name).join(", ");
  if (outMeta === undefined || !outMeta.isTensor) {
    await model.session.release();
    throw new Error(`loadOnnxDepth: ${model.file} has no output '${o.outputName}' (expected float32 [1, H, W] or [1, 1, H, W]); the model's outputs: ${names}`);
  }
  if (outMeta.type !== "float32" || (outMeta.shape.length !== 0 && outMeta.shape.length !== 3 && outMeta.shape.length !== 4)) {
    await model.session.release();
    throw new Error(`loadOnnxDepth: ${model.file} output '${o.outputName}' is ${outMeta.type} [${outMeta.shape.join(", ")}], expected float32 [1, H, W] or [1, 1, H, W]`);
  }
  const inShape = model.inputs[o.inputName];
  const th = typeof inShape[2] === "number" ? inShape[2] : o.inputSize;
  const tw = typeof inShape[3] === "number" ? inShape[3] : o.inputSize;
  return {
    name: "onnx-depth",
    model,
    options: o,
    async estimate(image, reference) {
      checkRgb(image, "OnnxDepthModel.estimate");
      const W = image.width;
      const H = image.height;
      // 1-2. normalise and run
      const planes = rgbToPlanes(image.data, W, H, tw, th, o.mean, o.std); // [3, th, tw]
      const out = (await runOnnx(model, { [o.inputName]: floatTensor(planes, [1, 3, th, tw]) }, [o.outputName], "OnnxDepthModel.estimate"))[o.outputName];
      const d = out.dims;
      const oh = d[d.length - 2];
      const ow = d[d.length - 1];
      if (!((d.length === 3 || (d.length === 4 && d[1] === 1)) && d[0] === 1)) throw new Error(`OnnxDepthModel.estimate: output '${o.outputName}' has shape [${d.join(", ")}], expected [1, H, W] or [1, 1, H, W]`);
      // 3. back to the image
      const raw = resizeMap(out.data, ow, oh, W, H);
      const depth = new Float32Array(W * H);
      // 4. to depth
      if (o.kind === "metric") {
        for (let i = 0; i < raw.length; i++) depth[i] = raw[i] > 0 ? raw[i] * o.metricScale : NaN;
        return { depth, raw, scaling: { method: "metric" } };
      }
      const fit = reference ? fitInverseDepth(raw, reference.depth, reference.mask) : null;
      if (fit !== null) {
        for (let i = 0; i < raw.length; i++) {
          const inv = fit.a * raw[i] + fit.b;
          depth[i] = inv > 1e-6 ? 1 / inv : NaN;
        }
        return { depth, raw, scaling: { method: "reference-fit", ...fit } };
      }
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of raw) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const span = hi - lo || 1;
      // largest disparity -> 1 unit, smallest -> 10 units (inverse-linear in between)
      for (let i = 0; i < raw.length; i++) depth[i] = 1 / (0.1 + (0.9 * (raw[i] - lo)) / span);
      return { depth, raw, scaling: { method: "range" } };
    },
    async release() {
      await model.session.release();
    },
  };
}

/**
 * Least-squares fit of 1/z_ref = a * d + b over background pixels (mask < 0) with a finite,
 * positive reference depth. Null when fewer than 16 pixels qualify or the disparity is flat.
 */
export function fitInverseDepth(disparity: Float32Array, refDepth: Float32Array, mask: Int32Array): { a: number; b: number; pixels: number } | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < disparity.length; i++) {
    const z = refDepth[i];
    if (mask[i] >= 0 || !(z > 0) || !Number.isFinite(z)) continue;
    const x = disparity[i];
    const y = 1 / z;
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const den = n * sxx - sx * sx;
  if (n < 16 || Math.abs(den) < 1e-12 * Math.max(1, n * sxx)) return null;
  const a = (n * sxy - sx * sy) / den;
  return { a, b: (sy - a * sx) / n, pixels: n };
}
