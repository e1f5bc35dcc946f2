/**
 * "feature sim (ONNX: <file>)": features from a network the user has as an ONNX file (the real
 * DINO or CLIP image tower, for instance), run with onnxruntime-node on the CPU. The same code
 * path as the paper's DINO / CLIP-I columns, given the model. Preprocessing is part of the
 * options (size, layout, mean/std), since each network expects its own.
 */
import * as fs from "fs";
import type { AnyImage } from "./image";
import { resizeBilinear } from "./image";
import type { FeatureExtractor } from "./features";

export interface OnnxFeatureOptions {
  /** Square input side the network expects (the image is resized bilinearly). */
  size: number;
  /** "nchw" (PyTorch exports: DINO, CLIP) or "nhwc". */
  layout: "nchw" | "nhwc";
  /** Per-channel mean and std subtracted/divided after scaling to [0, 1] (ImageNet: 0.485/0.456/0.406, 0.229/0.224/0.225). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Input and output names (default: the model's first). */
  inputName?: string;
  outputName?: string;
  /** How to reduce a [B, T, D] output: the first token (DINO's CLS) or the mean. */
  tokens: "first" | "mean";
  /** Column name in tables (default "feature sim (ONNX: <file name>)"). */
  name?: string;
}

export const IMAGENET_NORM = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

interface OrtTensor {
  dims: readonly number[];
  data: Float32Array;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** Loads an ONNX model file as a FeatureExtractor (the dimension is read from one probe run). */
export async function loadOnnxFeatures(file: string, options: OnnxFeatureOptions): Promise<FeatureExtractor> {
  if (!fs.existsSync(file)) throw new Error(`loadOnnxFeatures: no such file ${file}`);
  if (!Number.isInteger(options.size) || options.size < 1) throw new Error(`loadOnnxFeatures: size must be a positive integer, got ${options.size}`);
  if (options.layout !== "nchw" && options.layout !== "nhwc") throw new Error(`loadOnnxFeatures: layout must be "nchw" or "nhwc", got '${options.layout}'`);
  const ort = require("onnxruntime-node") as { InferenceSession: { create(path: string): Promise<OrtSession> }; Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown };
  const session = await ort.InferenceSession.create(file);
  const inputName = options.inputName ?? session.inputNames[0];
  const outputName = options.outputName ?? session.outputNames[0];
  if (!session.inputNames.includes(inputName)) throw new Error(`loadOnnxFeatures: ${file} has no input '${inputName}' (inputs: ${session.inputNames.join(", ")})`);
  if (!session.outputNames.includes(outputName)) throw new Error(`loadOnnxFeatures: ${file} has no output '${outputName}' (outputs: ${session.outputNames.join(", ")})`);
  const S = options.size;
  const toInput = (images: readonly AnyImage[]) => {
    const data = new Float32Array(images.length * 3 * S * S);
    images.forEach((im, b) => {
      const x = resizeBilinear(im, S, S).data; // [S, S, 3] in [0, 1]
      for (let p = 0; p < S * S; p++) {
        for (let c = 0; c < 3; c++) {
          const v = (x[p * 3 + c] - options.mean[c]) / options.std[c];
          if (options.layout === "nchw") data[((b * 3 + c) * S * S) + p] = v; // [B, 3, S, S]
          else data[(b * S * S + p) * 3 + c] = v; // [B, S, S, 3]
        }
      }
    });
    return new ort.Tensor("float32", data, options.layout === "nchw" ? [images.length, 3, S, S] : [images.length, S, S, 3]);
  };
  const run = async (images: readonly AnyImage[]): Promise<Float32Array[]> => {
    const out = (await session.run({ [inputName]: toInput(images) }))[outputName];
    const dims = out.dims;
    if (dims.length === 2) return images.map((_, b) => out.data.slice(b * dims[1], (b + 1) * dims[1]));
    if (dims.length === 3) {
      const [, T, D] = dims;
      return images.map((_, b) => {
        const f = new Float32Array(D);
        const nt = options.tokens === "first" ? 1 : T;
        for (let t = 0; t < nt; t++) for (let d = 0; d < D; d++) f[d] += out.data[(b * T + t) * D + d] / nt;
        return f;
      });
    }
    throw new Error(`loadOnnxFeatures: output '${outputName}' has shape [${dims.join(", ")}]; expected [B, D] or [B, T, D]`);
  };
  let disposed = false;
  const dim = (await run([{ width: S, height: S, data: new Uint8Array(S * S * 3) }]))[0].length;
  return {
    name: options.name ?? `feature sim (ONNX: ${file.split(/[\\/]/).pop()})`,
    dim,
    async extract(images: readonly AnyImage[]): Promise<Float32Array[]> {
      if (disposed) throw new Error("loadOnnxFeatures: the extractor was disposed");
      return images.length === 0 ? [] : run(images);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      void session.release();
    },
  };
}
