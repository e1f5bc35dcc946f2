/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017; the paper's Eq. 11 with tau = 1):
 * the project's only attention. Self- or cross-attention, causal or not, with the adaptation
 * hooks that §4.2 compares: prefix hidden states or prefix keys/values put in front of the keys
 * (prefix tuning), LoRA updates of the projections, and a read-out of the attention
 * probabilities [B, H, T, S] of every call for plots.
 *
 * Parameters live in a named record: `${prefix}.{q,k,v,o}.w` [d, d] (x @ W) and, when the
 * config asks for biases, `${prefix}.{q,k,v,o}.b` [d].
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { initLinear, linear, linearWeight, type Params } from "./layers";

export const PROJECTIONS = ["q", "k", "v", "o"] as const;
export type Projection = (typeof PROJECTIONS)[number];

export interface AttentionConfig {
  /** Model width (queries, keys, values and output all have this width). */
  dModel: number;
  /** Heads (dModel must be divisible by it). */
  nHeads: number;
  /** Causal mask over the sequence (decoder); false = every token sees every token. */
  causal: boolean;
  /** Biases on the four projections (default true). */
  bias?: boolean;
}

/** How each projection is initialised: std (default 1/sqrt(dModel)) and the Rng fork label (default its name). */
export type ProjectionInit = Partial<Record<Projection, { std?: number; label?: string }>>;

export function checkAttentionConfig(cfg: AttentionConfig, what = "attention"): void {
  if (!Number.isInteger(cfg.dModel) || cfg.dModel < 1) throw new Error(`${what}: dModel must be a positive integer, got ${cfg.dModel}`);
  if (!Number.isInteger(cfg.nHeads) || cfg.nHeads < 1) throw new Error(`${what}: nHeads must be a positive integer, got ${cfg.nHeads}`);
  if (cfg.dModel % cfg.nHeads !== 0) throw new Error(`${what}: dModel ${cfg.dModel} is not divisible by nHeads ${cfg.nHeads}`);
}

/** The four projections of one attention layer, each from `rng.fork(label)`. */
export function initAttention(rng: Rng, cfg: AttentionConfig, prefix: string, init: ProjectionInit = {}): Params {
  checkAttentionConfig(cfg);
  const d = cfg.dModel;
  let p: Params = {};
  for (const name of PROJECTIONS) {
    const o = init[name] ?? {};
    p = { ...p, ...initLinear(rng.fork(o.label ?? name), d, d, `${prefix}.${name}`, o.std ?? 1 / Math.sqrt(d), cfg.bias ?? true) };
  }
  return p;
}

/**
 * LoRA (Hu et al. 2021): W' = W + scale A B with A [in, r], B [r, out] stored in `lora` as
 * `${name}.lora.A` / `${name}.lora.B`. Returns the stored W when `lora` has no factors for it.
 */
export function adaptedWeight(p: Params, name: string, lora?: Params, scale = 1): tf.Tensor2D {
  const w = linearWeight(p, name) as tf.Tensor2D;
  const A = lora?.[`${name}.lora.A`];
  const B = lora?.[`${name}.lora.B`];
  if (A === undefined || B === undefined) return w;
  return tf.add(w, tf.mul(tf.matMul(A, B), scale)) as tf.Tensor2D; // [in, out]
}

/**
 * Additive mask [T, nExtra + T]: 0 where key j is visible to query i, -1e9 elsewhere; the
 * first nExtra keys (prefix) are visible to every query. A new tensor each call (owned by the
 * caller's tidy): a process-wide cache would hold one kept tensor per shape seen.
 */
export function causalMask(T: number, nExtra = 0): tf.Tensor2D {
  const S = nExtra + T;
  const v = new Float32Array(T * S);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) v[i * S + nExtra + j] = -1e9;
  return tf.tensor2d(v, [T, S]);
}

/** Scaled scores q k^T / sqrt(d_k) (Eq. 11 with tau = 1): q [.., T, dk], k [.., S, dk] -> [.., T, S]. */
export function attentionScores(q: tf.Tensor, k: tf.Tensor, scale = 1 / Math.sqrt(q.shape[q.rank - 1] as number)): tf.Tensor {
  return tf.mul(tf.matMul(q, k, false, true), scale);
}

export interface AttentionExtras {
  /** Keys/values come from this sequence [B, S, d] (cross-attention); default: the input itself. */
  context?: tf.Tensor3D;
  /** Prefix hidden states [n, d] put in front of the keys/values input and projected by W_K, W_V. */
  prefixHidden?: tf.Tensor2D;
  /** Prefix keys and values [n, d] used as they are (Li & Liang's prefix tuning). */
  prefixKV?: { k: tf.Tensor2D; v: tf.Tensor2D };
  /** LoRA factors (`${prefix}.{q,k,v,o}.lora.{A,B}`) and their scale. */
  lora?: Params;
  loraScale?: number;
  /** Receives the attention probabilities [B, H, T, S] and the number of prefix keys in front. */
  onAttention?: (probs: tf.Tensor4D, extra: number) => void;
  /**
   * An additive mask [B, 1, T, S] (0: visible, -1e9: hidden; per item, shared by the heads) used
   * instead of the causal one (self- or cross-attention, without prefix). Absent: the config's mask, as before.
   */
  mask?: tf.Tensor4D;
}

/** [B, L, d] -> [B, H, L, hd] */
function toHeads(t: tf.Tensor, B: number, L: number, H: number, hd: number): tf.Tensor {
  return H === 1 ? t : t.reshape([B, L, H, hd]).transpose([0, 2, 1, 3]); // [B, H, L, hd]
}

/**
 * Multi-head attention of `x` [B, T, d] -> [B, T, d]. Keys/values: optional prefix, then the
 * context (cross-attention) or x. The causal mask applies to self-attention only; prefix keys
 * are visible to every query.
 */
export function attention(x: tf.Tensor3D, p: Params, prefix: string, cfg: AttentionConfig, ex: AttentionExtras = {}): tf.Tensor3D {
  const [B, T, D] = x.shape;
  const H = cfg.nHeads;
  if (D !== cfg.dModel) throw new Error(`attention '${prefix}': input width ${D} differs from dModel ${cfg.dModel}`);
  if (ex.prefixHidden && ex.prefixKV) throw new Error(`attention '${prefix}': give prefix hidden states or prefix keys/values, not both`);
  if (ex.context && cfg.causal) throw new Error(`attention '${prefix}': a causal mask needs self-attention (no context)`);
  const hd = D / H;
  const scale = ex.loraScale ?? 1;
  const W = (name: Projection) => adaptedWeight(p, `${prefix}.${name}`, ex.lora, scale);
  const src = ex.context ?? x; // [B, S0, d]
  let kvIn: tf.Tensor3D = src;
  let nExtra = 0;
  if (ex.prefixHidden) {
    nExtra = ex.prefixHidden.shape[0];
    const pb = tf.tile(tf.expandDims(ex.prefixHidden, 0), [B, 1, 1]); // [B, n, d]
    kvIn = tf.concat([pb, src], 1) as tf.Tensor3D; // [B, n+S0, d]
  }
  let k = linear(kvIn, p, `${prefix}.k`, W("k")); // [B, S0, d]
  let v = linear(kvIn, p, `${prefix}.v`, W("v"));
  if (ex.prefixKV) {
    nExtra = ex.prefixKV.k.shape[0];
    k = tf.concat([tf.tile(tf.expandDims(ex.prefixKV.k, 0), [B, 1, 1]), k], 1); // [B, n+S0, d]
    v = tf.concat([tf.tile(tf.expandDims(ex.prefixKV.v, 0), [B, 1, 1]), v], 1);
  }
  const S = k.shape[1] as number;
  const q = toHeads(linear(x, p, `${prefix}.q`, W("q")), B, T, H, hd); // [B, H, T, hd]
  const kh = toHeads(k, B, S, H, hd); // [B, H, S, hd]
  const vh = toHeads(v, B, S, H, hd);
  let scores = attentionScores(q, kh, 1 / Math.sqrt(hd)); // [B, H, T, S]
  if (ex.mask !== undefined) {
    if (nExtra > 0) throw new Error(`attention '${prefix}': a per-item mask needs attention without prefix`);
    const m = ex.mask.shape;
    if (m[0] !== B || m[1] !== 1 || m[2] !== T || m[3] !== S) throw new Error(`attention '${prefix}': the mask must be [${B}, 1, ${T}, ${S}], got [${m.join(", ")}]`);
    scores = tf.add(scores, ex.mask);
  } else if (cfg.causal) scores = tf.add(scores, causalMask(T, S - T));
  const probs = tf.softmax(scores, -1); // stable: tf.softmax subtracts the row max
  if (ex.onAttention) ex.onAttention((H === 1 ? probs.reshape([B, 1, T, S]) : probs) as tf.Tensor4D, nExtra);
  let y = tf.matMul(probs, vh); // [B, H, T, hd]
  if (H > 1) y = y.transpose([0, 2, 1, 3]).reshape([B, T, D]); // [B, T, D]
  return linear(y, p, `${prefix}.o`, W("o")) as tf.Tensor3D;
}
