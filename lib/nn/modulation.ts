/**
 * Adaptive layer-norm modulation (DiT, Peebles & Xie 2023, "adaLN-Zero"): a conditioning vector
 * c [B, d] (timestep embedding) is mapped by one zero-initialised linear layer to per-channel
 * shifts, scales and gates, so that every modulated residual branch starts switched off
 * (gate = 0) and the block starts as the identity. Used by the editor's denoiser (paper §3.1 Eq. 3).
 */
import * as tf from "@tensorflow/tfjs";
import { constVariable, linear, type Params } from "./layers";

/** SiLU / swish, x * sigmoid(x) (the activation DiT uses before the modulation layer). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * A zero-initialised linear layer `${prefix}.{w,b}` [d, chunks * d]: its outputs (shifts, scales,
 * gates) are all 0 at initialisation (adaLN-Zero).
 */
export function initModulation(d: number, chunks: number, prefix: string): Params {
  if (!Number.isInteger(chunks) || chunks < 1) throw new Error(`initModulation: chunks must be a positive integer, got ${chunks}`);
  return { [`${prefix}.w`]: constVariable([d, chunks * d], 0), [`${prefix}.b`]: constVariable([chunks * d], 0) };
}

/** The modulation chunks of conditioning `c` [B, d]: `chunks` tensors [B, d] from linear(silu(c)). */
export function modulationChunks(c: tf.Tensor2D, p: Params, prefix: string, chunks: number): tf.Tensor2D[] {
  const m = linear(silu(c), p, prefix) as tf.Tensor2D; // [B, chunks*d]
  const width = m.shape[1] as number;
  if (width % chunks !== 0) throw new Error(`modulationChunks '${prefix}': width ${width} is not divisible into ${chunks} chunks`);
  return tf.split(m, chunks, 1) as tf.Tensor2D[]; // chunks x [B, d]
}

/** x * (1 + scale) + shift with per-item shift/scale [B, d] broadcast over the tokens of x [B, T, d]. */
export function modulate(x: tf.Tensor3D, shift: tf.Tensor2D, scale: tf.Tensor2D): tf.Tensor3D {
  return tf.add(tf.mul(x, tf.add(1, tf.expandDims(scale, 1))), tf.expandDims(shift, 1)) as tf.Tensor3D; // [B, T, d]
}

/** gate [B, d] times a residual branch y [B, T, d] (per item, per channel). */
export function gated(y: tf.Tensor3D, gate: tf.Tensor2D): tf.Tensor3D {
  return tf.mul(y, tf.expandDims(gate, 1)) as tf.Tensor3D; // [B, T, d]
}
