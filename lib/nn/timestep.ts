/**
 * Timestep conditioning of a diffusion denoiser (DDPM, Ho et al. 2020; DiT's TimestepEmbedder):
 * a sinusoidal embedding of the (integer or real) timestep t, then a two-layer MLP with SiLU.
 * Used by the editor's denoiser (paper §3.1 Eq. 3, Diff_edit).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { initLinear, linear, type Params } from "./layers";
import { silu } from "./modulation";

/** Timesteps as given by callers: one per item, integers or reals in [0, T). */
export type Timesteps = number[] | Int32Array | Float32Array | tf.Tensor1D;

/** Timesteps as a float tensor [B] (a new tensor; the caller's tensor is cast, not disposed). */
export function timestepTensor(t: Timesteps, batch: number, what = "timesteps"): tf.Tensor1D {
  const n = t instanceof tf.Tensor ? t.shape[0] : t.length;
  if (t instanceof tf.Tensor && t.rank !== 1) throw new Error(`${what}: expected a 1-D tensor of timesteps, got rank ${t.rank}`);
  if (n !== batch) throw new Error(`${what}: got ${n} timesteps for a batch of ${batch}; give one timestep per item`);
  if (t instanceof tf.Tensor) return t.toFloat();
  for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i])) throw new Error(`${what}: timestep ${i} is ${t[i]}; timesteps must be finite numbers`);
  return tf.tensor1d(Float32Array.from(t), "float32");
}

/**
 * Sinusoidal embedding [B, dim] of timesteps t [B]: [cos(t f_i), sin(t f_i)] with frequencies
 * f_i = maxPeriod^(-i / (dim/2)), i = 0 .. dim/2 - 1 (the order DiT and diffusers use with flip_sin_to_cos).
 */
export function sinusoidalEmbedding(t: tf.Tensor1D, dim: number, maxPeriod = 10000): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) throw new Error(`sinusoidalEmbedding: dim must be an even integer >= 2, got ${dim}`);
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(maxPeriod) * i) / half);
  return tf.tidy(() => {
    const args = tf.mul(tf.expandDims(t, 1), tf.tensor2d(freqs, [1, half])); // [B, half]
    return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D; // [B, dim]
  });
}

/** The timestep MLP `${prefix}.fc1` [freqDim, d], `${prefix}.fc2` [d, d] (std 0.02 as DiT). */
export function initTimestepMlp(rng: Rng, freqDim: number, d: number, prefix: string): Params {
  return { ...initLinear(rng.fork("fc1"), freqDim, d, `${prefix}.fc1`, 0.02), ...initLinear(rng.fork("fc2"), d, d, `${prefix}.fc2`, 0.02) };
}

/** Timestep conditioning c [B, d] = fc2(silu(fc1(sinusoid(t)))). */
export function timestepMlp(t: tf.Tensor1D, p: Params, prefix: string, freqDim: number): tf.Tensor2D {
  const e = sinusoidalEmbedding(t, freqDim); // [B, freqDim]
  return linear(silu(linear(e, p, `${prefix}.fc1`)), p, `${prefix}.fc2`) as tf.Tensor2D; // [B, d]
}
