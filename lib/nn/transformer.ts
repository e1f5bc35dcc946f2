/**
 * A pre-LN transformer block (GPT-2 layout): x + Attn(LN1(x)), then x + MLP(LN2(x)), causal softmax
 * attention with `nHeads` heads (1 = the reference workload), ReLU MLP, biases on all linears.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { initLayerNorm, initLinear, layerNorm, linear, type Params } from "./layers";

export interface BlockConfig {
  /** Model width. */
  dModel: number;
  /** Hidden width of the MLP. */
  dFF: number;
  /** Attention heads (dModel must be divisible by it). */
  nHeads: number;
  /** Causal mask (decoder) or full attention (encoder). */
  causal: boolean;
}

export function initBlock(rng: Rng, cfg: BlockConfig, prefix: string): Params {
  if (cfg.dModel % cfg.nHeads !== 0) throw new Error(`transformer block: dModel ${cfg.dModel} is not divisible by nHeads ${cfg.nHeads}`);
  const d = cfg.dModel;
  return {
    ...initLayerNorm(d, `${prefix}.ln1`),
    ...initLinear(rng.fork("q"), d, d, `${prefix}.attn.q`),
    ...initLinear(rng.fork("k"), d, d, `${prefix}.attn.k`),
    ...initLinear(rng.fork("v"), d, d, `${prefix}.attn.v`),
    ...initLinear(rng.fork("o"), d, d, `${prefix}.attn.o`),
    ...initLayerNorm(d, `${prefix}.ln2`),
    ...initLinear(rng.fork("fc1"), d, cfg.dFF, `${prefix}.mlp.fc1`),
    ...initLinear(rng.fork("fc2"), cfg.dFF, d, `${prefix}.mlp.fc2`),
  };
}

const maskCache = new Map<number, tf.Tensor2D>();

/** Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above (kept for the process). */
export function causalMask(T: number): tf.Tensor2D {
  let m = maskCache.get(T);
  if (m === undefined || m.isDisposed) {
    const v = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) v[i * T + j] = -1e9;
    m = tf.keep(tf.tensor2d(v, [T, T]));
    maskCache.set(T, m);
  }
  return m;
}

/** Scaled dot-product attention over x [B, T, D] -> [B, T, D]. */
export function selfAttention(x: tf.Tensor3D, p: Params, prefix: string, cfg: BlockConfig): tf.Tensor3D {
  const [B, T, D] = x.shape;
  const H = cfg.nHeads;
  const hd = D / H;
  let q = linear(x, p, `${prefix}.q`); // [B, T, D]
  let k = linear(x, p, `${prefix}.k`);
  let v = linear(x, p, `${prefix}.v`);
  if (H > 1) {
    q = q.reshape([B, T, H, hd]).transpose([0, 2, 1, 3]); // [B, H, T, hd]
    k = k.reshape([B, T, H, hd]).transpose([0, 2, 1, 3]);
    v = v.reshape([B, T, H, hd]).transpose([0, 2, 1, 3]);
  }
  let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)); // [B, (H,) T, T]
  if (cfg.causal) scores = tf.add(scores, causalMask(T));
  const att = tf.softmax(scores, -1);
  let y = tf.matMul(att, v); // [B, (H,) T, hd]
  if (H > 1) y = y.transpose([0, 2, 1, 3]).reshape([B, T, D]); // [B, T, D]
  return linear(y, p, `${prefix}.o`) as tf.Tensor3D;
}

/** One pre-LN block: x [B, T, D] -> [B, T, D]. */
export function block(x: tf.Tensor3D, p: Params, prefix: string, cfg: BlockConfig): tf.Tensor3D {
  const h = tf.add(x, selfAttention(layerNorm(x, p, `${prefix}.ln1`) as tf.Tensor3D, p, `${prefix}.attn`, cfg)) as tf.Tensor3D;
  const m = linear(tf.relu(linear(layerNorm(h, p, `${prefix}.ln2`), p, `${prefix}.mlp.fc1`)), p, `${prefix}.mlp.fc2`);
  return tf.add(h, m) as tf.Tensor3D;
}
