/**
 * The aligned edit map (ours, not in the paper; `config.editMap`): H_edit's condition tokens are
 * also placed on the denoiser's patch grid, so that "where" reaches Diff_edit aligned with its
 * patches instead of only through cross-attention. The oracle-render study
 * (lib/eval/oracle-render.ts) measured why: told the true edit, the denoiser rendered 59% of the
 * SpatialEval-mini items when "where" was added to its patch tokens, and 4% when the same
 * information came through cross-attention.
 *
 * Each condition token points at image patches by content, as an attention over the image:
 *   keys     K = U_enc Lin(Enc tokens) + U_img Lin(MLLM states at the image tokens)  [B, N, dMap]
 *   queries  Q = Lin(H_edit tokens)                                                 [B, Q, dMap]
 *   map      A = softmax over the N patches of Q K^T / sqrt(dMap)                   [B, Q, N]
 *   spatial  S = A^T Lin(H_edit tokens)                                             [B, N, dnD]
 * N is the denoiser's patch count; U_enc and U_img resample the encoder's grid and the MLLM's
 * image-token grid to the denoiser's (nearest cell, constant). The MLLM's image-token states come
 * before the instruction (causal), so "which object" arrives through the queries: the [IMG] states
 * that read the instruction. S is added to the denoiser's patch tokens (denoiser.ts `spatial`).
 *
 * `mapLoss` is an optional localisation loss on A (recipe `editMapLossWeight`): cross-entropy of
 * the queries' mean map against the patches the training edit changes.
 *
 * Parameter names (in the `edit` group, so every tuning mode trains them):
 * `edit.map.q.{w,b}` [dnD, dMap], `edit.map.kenc.{w,b}` [encD, dMap], `edit.map.kimg.{w,b}` [d, dMap],
 * `edit.map.v.{w,b}` [dnD, dnD] (dMap = dnD).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { initLinear, linear, type Params } from "../../nn/layers";
import type { EditorConfig } from "./config";
import { changedPixels } from "./losses";

export const EDIT_MAP_PREFIX = "edit.map.";

/** Whether a weight name belongs to the edit map (absent from editors made without it). */
export function isEditMapParam(name: string): boolean {
  return name.startsWith(EDIT_MAP_PREFIX);
}

export function initEditMap(rng: Rng, c: EditorConfig): Params {
  return {
    ...initLinear(rng.fork("q"), c.dnD, c.dnD, "edit.map.q"),
    ...initLinear(rng.fork("kenc"), c.encD, c.dnD, "edit.map.kenc"),
    ...initLinear(rng.fork("kimg"), c.d, c.dnD, "edit.map.kimg"),
    ...initLinear(rng.fork("v"), c.dnD, c.dnD, "edit.map.v"),
  };
}

/**
 * Nearest-cell resampling of a square grid of `from` x `from` cells to `to` x `to` (row-major):
 * a one-hot [to^2, from^2] matrix whose row for cell (i, j) picks the source cell containing its centre.
 */
export function gridResampleMatrix(from: number, to: number): Float32Array {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1) throw new Error(`gridResampleMatrix: grid sides must be positive integers, got ${from} and ${to}`);
  const m = new Float32Array(to * to * from * from);
  const src = (i: number) => Math.min(from - 1, Math.floor(((i + 0.5) * from) / to));
  for (let i = 0; i < to; i++) for (let j = 0; j < to; j++) m[(i * to + j) * from * from + src(i) * from + src(j)] = 1;
  return m;
}

/** Tokens [B, from^2, D] on a from x from grid -> [B, to^2, D] on a to x to grid (nearest cell). */
export function resampleTokens(x: tf.Tensor3D, to: number): tf.Tensor3D {
  const [B, n, D] = x.shape;
  const from = Math.round(Math.sqrt(n));
  if (from * from !== n) throw new Error(`edit map: ${n} tokens do not form a square grid`);
  if (from === to) return x;
  const u = tf.tensor2d(gridResampleMatrix(from, to), [to * to, n]); // [N, n]
  const xt = tf.transpose(x, [0, 2, 1]).reshape([B * D, n]); // [B*D, n]
  return tf.transpose(tf.matMul(xt, u, false, true).reshape([B, D, to * to]), [0, 2, 1]) as tf.Tensor3D; // [B, N, D]
}

export interface EditMapResult {
  /** Per condition token, its attention over the denoiser's patches [B, Q, N] (rows sum to 1). */
  map: tf.Tensor3D;
  /** The condition placed on the patches [B, N, dnD] (the denoiser's `spatial` input). */
  spatial: tf.Tensor3D;
}

/**
 * The edit map of condition tokens [B, Q, dnD] over an image described by its encoder tokens
 * [B, Ne, encD] and the MLLM's states at its image tokens [B, Ni, d]. Call inside tf.tidy.
 */
export function editMap(p: Params, c: EditorConfig, tokens: tf.Tensor3D, encTokens: tf.Tensor3D, imageStates: tf.Tensor3D): EditMapResult {
  const B = tokens.shape[0];
  if (tokens.shape[2] !== c.dnD) throw new Error(`edit map: condition tokens must be [B, Q, ${c.dnD}], got [${tokens.shape.join(", ")}]`);
  if (encTokens.shape[0] !== B || imageStates.shape[0] !== B) throw new Error(`edit map: ${B} condition rows but ${encTokens.shape[0]} encoder and ${imageStates.shape[0]} image-state rows`);
  const g = c.image / c.dnPatch; // the denoiser's grid side
  const keys = tf.add(resampleTokens(linear(encTokens, p, "edit.map.kenc") as tf.Tensor3D, g), resampleTokens(linear(imageStates, p, "edit.map.kimg") as tf.Tensor3D, g)); // [B, N, dnD]
  const q = linear(tokens, p, "edit.map.q") as tf.Tensor3D; // [B, Q, dnD]
  const map = tf.softmax(tf.mul(tf.matMul(q, keys, false, true), 1 / Math.sqrt(c.dnD))) as tf.Tensor3D; // [B, Q, N]
  const spatial = tf.matMul(map, linear(tokens, p, "edit.map.v") as tf.Tensor3D, true, false) as tf.Tensor3D; // [B, N, dnD]
  return { map, spatial };
}

/** Which denoiser patches an edit changes: 1 where some pixel of the patch changes (losses.ts changedPixels); r0 [B, H, W, C] -> [B, N]. */
export function changedPatches(r0: tf.Tensor4D, patch: number): tf.Tensor2D {
  // a patch changes when one of its pixels does (max over the patch of the 0/1 pixel mask)
  return perPatchChange(r0, patch, "max", "changedPatches");
}

/**
 * The 0/1 changed-pixel mask of r0 [B, H, W, C] (losses.ts changedPixels) reduced over each patch
 * x patch cell by max (does it change at all) or mean (which share changes): [B, N].
 */
export function perPatchChange(r0: tf.Tensor4D, patch: number, reduce: "max" | "mean", who: string): tf.Tensor2D {
  const [B, H, W] = r0.shape;
  if (H % patch !== 0 || W % patch !== 0) throw new Error(`${who}: image ${H}x${W} is not divisible by patch ${patch}`);
  return tf.tidy(() => {
    const cells = changedPixels(r0).reshape([B, H / patch, patch, W / patch, patch]);
    return (reduce === "max" ? tf.max(cells, [2, 4]) : tf.mean(cells, [2, 4])).reshape([B, -1]) as tf.Tensor2D; // [B, N]
  });
}

/**
 * Localisation loss of the map [B, Q, N] against the changed patches [B, N]: per item with some
 * change, the cross-entropy -sum_n q_n log(mean_Q A_n) of the changed patches' uniform distribution
 * q against the queries' mean map; averaged over those items (0 when no item changes anything).
 */
export function mapLoss(map: tf.Tensor3D, changed: tf.Tensor2D): tf.Scalar {
  const [B, , N] = map.shape;
  if (changed.shape[0] !== B || changed.shape[1] !== N) throw new Error(`mapLoss: changed patches [${changed.shape.join(", ")}] do not match the map [${map.shape.join(", ")}]`);
  const count = tf.sum(changed, 1); // [B]
  const has = tf.cast(tf.greater(count, 0), "float32"); // [B]
  const q = tf.div(changed, tf.maximum(count, 1).reshape([B, 1])); // [B, N]
  const logMean = tf.log(tf.add(tf.mean(map, 1), 1e-8)); // [B, N]
  const ce = tf.neg(tf.sum(tf.mul(q, logMean), 1)); // [B]
  return tf.div(tf.sum(tf.mul(ce, has)), tf.maximum(tf.sum(has), 1)) as tf.Scalar;
}
