/**
 * User-supplied ONNX models (the paper's Depth Anything and SAM, which cannot ship offline)
 * behind two functions, as transformers.js does: open a session that checks the model's
 * inputs and outputs against what the caller will feed and read, and run it. A wrong model
 * (missing name, wrong element type, wrong rank or fixed size) is a clear error that lists what
 * the model has, before any inference.
 */
import * as fs from "fs";
import * as ort from "onnxruntime-node";
import { bilinearResize } from "../engine/resize";

/** What the caller needs of one input or output. `dims`: a number = that size, null = any. */
export interface TensorSpec {
  name: string;
  type: "float32" | "int64" | "int32";
  dims: (number | null)[];
  /** Optional inputs are fed only when the model declares them (e.g. SAM's `mask_input`). */
  optional?: boolean;
}

export interface ModelSpec {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** An open, checked ONNX session and the shapes the model declares (symbolic sizes as strings). */
export interface OnnxModel {
  file: string;
  session: ort.InferenceSession;
  inputs: Record<string, (number | string)[]>;
  outputs: Record<string, (number | string)[]>;
}

function describeMeta(list: readonly ort.InferenceSession.ValueMetadata[]): string {
  return list.map((m) => (m.isTensor ? `${m.name} (${m.type} [${m.shape.join(", ")}])` : `${m.name} (not a tensor)`)).join(", ") || "none";
}

function checkSide(what: string, file: string, side: "input" | "output", specs: TensorSpec[], meta: readonly ort.InferenceSession.ValueMetadata[]): Record<string, (number | string)[]> {
  const out: Record<string, (number | string)[]> = {};
  for (const s of specs) {
    const m = meta.find((x) => x.name === s.name);
    const want = `${s.type} [${s.dims.map((d) => (d === null ? "?" : d)).join(", ")}]`;
    if (m === undefined) {
      if (s.optional) continue;
      throw new Error(`${what}: ${file} has no ${side} '${s.name}' (expected ${want}); the model's ${side}s: ${describeMeta(meta)}`);
    }
    if (!m.isTensor) throw new Error(`${what}: ${file} ${side} '${s.name}' is not a tensor (expected ${want})`);
    if (m.type !== s.type) throw new Error(`${what}: ${file} ${side} '${s.name}' is ${m.type}, expected ${want}`);
    // an empty shape means "not declared": accept it and let the run check
    if (m.shape.length > 0) {
      if (m.shape.length !== s.dims.length) throw new Error(`${what}: ${file} ${side} '${s.name}' has rank ${m.shape.length} [${m.shape.join(", ")}], expected ${want}`);
      s.dims.forEach((d, i) => {
        const got = m.shape[i];
        if (d !== null && typeof got === "number" && got !== d) {
          throw new Error(`${what}: ${file} ${side} '${s.name}' has size ${got} in dimension ${i} [${m.shape.join(", ")}], expected ${want}`);
        }
      });
    }
    out[s.name] = [...m.shape];
  }
  return out;
}

/** Throws when `options` has a key that `defaults` does not (a misspelt option must not be ignored). */
export function checkOptionKeys(options: object, defaults: object, what: string): void {
  for (const k of Object.keys(options)) {
    if (!(k in defaults)) throw new Error(`${what}: unknown option '${k}'; known options: ${Object.keys(defaults).join(", ")}`);
  }
}

/** Opens an ONNX file (or bytes) and checks it against `spec`. `what` names the caller in errors. */
export async function openOnnxModel(source: string | Uint8Array, spec: ModelSpec, what: string): Promise<OnnxModel> {
  const file = typeof source === "string" ? source : "(bytes)";
  if (typeof source === "string" && !fs.existsSync(source)) throw new Error(`${what}: no such ONNX file ${source}`);
  let session: ort.InferenceSession;
  try {
    session = typeof source === "string" ? await ort.InferenceSession.create(source, { intraOpNumThreads: 1 }) : await ort.InferenceSession.create(source, { intraOpNumThreads: 1 });
  } catch (e) {
    throw new Error(`${what}: ${file} is not a loadable ONNX model: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    const inputs = checkSide(what, file, "input", spec.inputs, session.inputMetadata);
    const outputs = checkSide(what, file, "output", spec.outputs, session.outputMetadata);
    return { file, session, inputs, outputs };
  } catch (e) {
    await session.release();
    throw e;
  }
}

/**
 * Runs the model and returns the named float32 outputs with their dims. A model that loads but
 * fails when run (e.g. it only works at one input size) is an error that names the caller
 * (`what`), the model and the shapes fed, with onnxruntime's first line.
 */
export async function runOnnx(model: OnnxModel, feeds: Record<string, ort.Tensor>, outputs: string[], what = "runOnnx"): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  let res: ort.InferenceSession.OnnxValueMapType;
  try {
    res = await model.session.run(feeds, outputs);
  } catch (e) {
    const fed = Object.entries(feeds).map(([name, t]) => `${name} ${t.type} [${t.dims.join(", ")}]`).join(", ");
    throw new Error(`${what}: ${model.file} failed to run on ${fed}: ${(e as Error).message.split("\n")[0]}`);
  }
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const name of outputs) {
    const t = res[name];
    if (t === undefined || t.type !== "float32") throw new Error(`${what}: ${model.file} gave no float32 output '${name}'`);
    out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
  }
  return out;
}

/** A float32 ONNX tensor. */
export function floatTensor(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

/**
 * Bilinear resize of an RGB image to [3, th, tw] planes (channel-first), normalised per channel:
 * (value / 255 - mean) / std. Pixel centres are aligned (half-pixel convention).
 */
export function rgbToPlanes(rgb: Uint8Array, W: number, H: number, tw: number, th: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const out = new Float32Array(3 * tw * th); // [3, th, tw]
  const plane = new Float32Array(W * H);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < W * H; i++) plane[i] = rgb[i * 3 + c];
    const resized = resizeMap(plane, W, H, tw, th);
    for (let i = 0; i < tw * th; i++) out[c * tw * th + i] = (resized[i] / 255 - mean[c]) / std[c];
  }
  return out;
}

/** Bilinear resize of a single-channel map [sh, sw] to [th, tw] (half-pixel convention). */
export function resizeMap(src: Float32Array, sw: number, sh: number, tw: number, th: number): Float32Array {
  return bilinearResize(src, sw, sh, 1, tw, th, new Float32Array(tw * th));
}
