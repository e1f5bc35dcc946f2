/**
 * Feature similarities standing in for the paper's DINO, CLIP-I and LPIPS columns (Table 2,
 * Table 5 / Appendix Q): the cosine of two images' features under a frozen network. None of
 * those networks is available offline, so the tables name what was used instead:
 *   "feature sim (ours)"         the editor's own frozen image encoder (plugged in by the
 *                                editor code through `tfFeatureExtractor`);
 *   "feature sim (MobileNetV2)"  an independent ImageNet-style CNN whose weights ship inside
 *                                the `nsfwjs` npm package (mobilenet-features.ts);
 *   "feature sim (ONNX: <file>)" any network a user has as an ONNX file, e.g. the real DINO
 *                                (onnx-features.ts): the same code path as the real metric.
 */
import * as tf from "@tensorflow/tfjs";
import type { AnyImage } from "./image";
import { checkImage, toUnit } from "./image";

export interface FeatureExtractor {
  /** The column name in tables, e.g. "feature sim (MobileNetV2)". */
  readonly name: string;
  /** Feature length. */
  readonly dim: number;
  /** One feature vector per image. */
  extract(images: readonly AnyImage[]): Promise<Float32Array[]>;
  /** Releases the network (tensors, sessions). */
  dispose(): void;
}

/** Cosine similarity of two feature vectors (NaN when one is all zeros). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: vectors differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new Error("cosine: empty vectors");
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 || bb === 0 ? NaN : ab / Math.sqrt(aa * bb);
}

/** Cosine of features per pair (results[i] against truths[i]), as DINO/CLIP-I are computed. */
export async function featureSimilarity(fx: FeatureExtractor, results: readonly AnyImage[], truths: readonly AnyImage[]): Promise<number[]> {
  if (results.length !== truths.length) throw new Error(`featureSimilarity: ${results.length} results but ${truths.length} ground truths`);
  const a = await fx.extract(results);
  const b = await fx.extract(truths);
  return a.map((f, i) => cosine(f, b[i]));
}

/** A batch of images as one float tensor [B, H, W, 3] in [0, 1] (all images must share a size). */
export function imagesToTensor(images: readonly AnyImage[], what: string): tf.Tensor4D {
  if (images.length === 0) throw new Error(`${what}: no images`);
  const { width: W, height: H } = images[0];
  const data = new Float32Array(images.length * H * W * 3);
  images.forEach((im, i) => {
    checkImage(im, `${what} (image ${i})`);
    if (im.width !== W || im.height !== H) throw new Error(`${what}: image ${i} is ${im.width}x${im.height}, image 0 is ${W}x${H}; one batch needs one size`);
    data.set(toUnit(im), i * H * W * 3);
  });
  return tf.tensor4d(data, [images.length, H, W, 3]); // [B, H, W, 3]
}

export interface TfFeatureOptions {
  name: string;
  dim: number;
  /** Images per forward pass. */
  batchSize?: number;
  /** Called by `dispose` (release the network's weights). */
  release?: () => void;
}

/**
 * Wraps any TF.js network as a FeatureExtractor: `forward` maps images [B, H, W, 3] in [0, 1]
 * to features [B, D] and runs inside `tf.tidy` (it must be synchronous). This is how the
 * editor's frozen encoder plugs in ("feature sim (ours)").
 */
export function tfFeatureExtractor(forward: (x: tf.Tensor4D) => tf.Tensor2D, options: TfFeatureOptions): FeatureExtractor {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`tfFeatureExtractor: batchSize must be an integer >= 1, got ${batchSize}`);
  let disposed = false;
  return {
    name: options.name,
    dim: options.dim,
    async extract(images: readonly AnyImage[]): Promise<Float32Array[]> {
      if (disposed) throw new Error(`${options.name}: the extractor was disposed`);
      const out: Float32Array[] = [];
      for (let s = 0; s < images.length; s += batchSize) {
        const y = tf.tidy(() => {
          const x = imagesToTensor(images.slice(s, s + batchSize), options.name);
          const f = forward(x);
          if (f.rank !== 2 || f.shape[0] !== x.shape[0] || f.shape[1] !== options.dim) throw new Error(`${options.name}: features have shape [${f.shape.join(", ")}], expected [${x.shape[0]}, ${options.dim}]`);
          return f;
        });
        const data = (await y.data()) as Float32Array;
        y.dispose();
        for (let i = 0; i < y.shape[0]; i++) out.push(data.slice(i * options.dim, (i + 1) * options.dim));
      }
      return out;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      options.release?.();
    },
  };
}
