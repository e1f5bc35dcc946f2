/**
 * Layers written for speed on CPU backends: every projection folds the batch into rows (one 2-D matmul
 * per linear), images enter through patch-linear embeddings (ViT/DiT style, no conv), and token
 * embeddings are one-hot matmuls (train on every backend; `gatherEmbedding` needs UnsortedSegmentSum,
 * which the tuned wasm kernels provide). Parameters are plain `tf.Variable`s in named records, so that
 * tuning modes pick them by name (`varList`).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";

/** A named set of trainable variables. */
export type Params = Record<string, tf.Variable>;

/** A variable with values drawn from N(0, std^2) by the seeded Rng (never an unseeded source). */
export function normalVariable(rng: Rng, shape: number[], std: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.variable(tf.tensor(rng.normalArray(n, 0, std), shape, "float32"), true));
}

/** A variable filled with `value`. (TF.js names variables uniquely itself; the Params key is the name we use.) */
export function constVariable(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value, "float32"), true));
}

/** Disposes every variable of a parameter set. */
export function disposeParams(p: Params): void {
  for (const v of Object.values(p)) v.dispose();
}

/**
 * Weights of a linear layer: `w` [dIn, dOut] (std 1/sqrt(dIn) unless given) and, unless
 * `bias` is false, `b` [dOut] zeros.
 */
export function initLinear(rng: Rng, dIn: number, dOut: number, prefix: string, std = 1 / Math.sqrt(dIn), bias = true): Params {
  const p: Params = { [`${prefix}.w`]: normalVariable(rng, [dIn, dOut], std) };
  if (bias) p[`${prefix}.b`] = constVariable([dOut], 0);
  return p;
}

/** A linear layer's weight: `${prefix}.w` [dIn, dOut], or a clear error naming what is missing. */
export function linearWeight(p: Params, prefix: string): tf.Variable {
  const w = p[`${prefix}.w`];
  if (w === undefined) throw new Error(`linear: parameter '${prefix}.w' is missing`);
  return w;
}

/**
 * y = x @ W + b over the last axis (b only where `${prefix}.b` exists); the leading axes are
 * folded into rows, so every linear is one 2-D matmul. `W` may be passed in place of the stored
 * weight (a LoRA-adapted W + scale A B).
 */
export function linear(x: tf.Tensor, p: Params, prefix: string, W: tf.Tensor = linearWeight(p, prefix)): tf.Tensor {
  const b = p[`${prefix}.b`];
  const dIn = W.shape[0] as number;
  if (x.shape[x.rank - 1] !== dIn) throw new Error(`linear '${prefix}': input has ${x.shape[x.rank - 1]} features, the layer expects ${dIn}`);
  const lead = (x.shape as number[]).slice(0, -1);
  const xw = tf.matMul(x.reshape([-1, dIn]), W); // [N, dOut]
  const y = b === undefined ? xw : tf.add(xw, b);
  return x.rank === 2 ? y : y.reshape([...lead, W.shape[1] as number]);
}

/** Clones every variable of a parameter set (a frozen base stays untouched while a copy trains). */
export function cloneParams(p: Params): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(p)) out[k] = tf.tidy(() => tf.variable(v.clone() as tf.Tensor, v.trainable));
  return out;
}

/** Number of scalars in a list of variables. */
export function countParams(vars: readonly tf.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}

export function initLayerNorm(d: number, prefix: string): Params {
  return { [`${prefix}.g`]: constVariable([d], 1), [`${prefix}.b`]: constVariable([d], 0) };
}

/** Layer normalisation over the last axis (Ba et al. 2016), eps 1e-5 as in PyTorch: the project's only layer norm. */
export function layerNorm(x: tf.Tensor, p: Params, prefix: string, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(xhat, p[`${prefix}.g`]), p[`${prefix}.b`]);
}

/**
 * Patch-linear embedding: images [B, H, W, C] -> tokens [B, (H/p)(W/p), dOut] through one matmul over
 * flattened p x p x C patches (equivalent to a stride-p convolution, but trains fast on CPU backends).
 */
export function patchify(images: tf.Tensor4D, patch: number): tf.Tensor3D {
  const [B, H, W, C] = images.shape;
  if (H % patch !== 0 || W % patch !== 0) throw new Error(`patchify: image size ${H}x${W} is not divisible by the patch size ${patch}`);
  const gh = H / patch;
  const gw = W / patch;
  const x = images.reshape([B, gh, patch, gw, patch, C]); // [B, gh, p, gw, p, C]
  return x.transpose([0, 1, 3, 2, 4, 5]).reshape([B, gh * gw, patch * patch * C]) as tf.Tensor3D; // [B, gh*gw, p*p*C]
}

/** Inverse of `patchify`: tokens [B, (H/p)(W/p), p*p*C] -> images [B, H, W, C]. */
export function unpatchify(tokens: tf.Tensor3D, patch: number, H: number, W: number, C: number): tf.Tensor4D {
  const B = tokens.shape[0];
  const gh = H / patch;
  const gw = W / patch;
  const x = tokens.reshape([B, gh, gw, patch, patch, C]); // [B, gh, gw, p, p, C]
  return x.transpose([0, 1, 3, 2, 4, 5]).reshape([B, H, W, C]) as tf.Tensor4D;
}

export function initPatchLinear(rng: Rng, patch: number, channels: number, dOut: number, prefix: string): Params {
  return initLinear(rng, patch * patch * channels, dOut, prefix);
}

/** Patch embedding: patchify, then one linear layer. */
export function patchLinear(images: tf.Tensor4D, p: Params, prefix: string, patch: number): tf.Tensor3D {
  return linear(patchify(images, patch), p, prefix) as tf.Tensor3D;
}

export function initEmbedding(rng: Rng, vocab: number, d: number, prefix: string, std = 0.02): Params {
  return { [`${prefix}.e`]: normalVariable(rng, [vocab, d], std) };
}

/** Token embedding as a one-hot matmul: ids int32 [..] -> [.., d]. Trains on every backend. */
export function oneHotEmbedding(ids: tf.Tensor, p: Params, prefix: string): tf.Tensor {
  const e = p[`${prefix}.e`];
  const vocab = e.shape[0];
  const flat = ids.reshape([-1]).toInt();
  const y = tf.matMul(tf.oneHot(flat, vocab).toFloat(), e); // [N, d]
  return y.reshape([...(ids.shape as number[]), e.shape[1] as number]);
}

/** Token embedding as a gather (its gradient is UnsortedSegmentSum: on wasm it needs the tuned kernels). */
export function gatherEmbedding(ids: tf.Tensor, p: Params, prefix: string): tf.Tensor {
  const e = p[`${prefix}.e`];
  return tf.gather(e, ids.toInt());
}
