/**
 * Trainable additions to a frozen model (§4.2; Lester et al. prompt tuning, Li & Liang prefix
 * tuning, Hu et al. LoRA): soft prompt tokens at the input, prefix tokens per layer, and LoRA
 * factors of chosen block matrices of chosen layers. All are plain variables; the tuning mode
 * (tuning.ts) decides which of them, and which model weights, the optimizer sees.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { type Params } from "./layers";
import { matrixName, type BlockMatrix } from "./transformer";

function variable(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
}

/** Soft prompt: [n, d] vectors N(0, std^2) drawn from `rng` (Lester et al. 2021; the paper's soft prompt). */
export function createSoftPrompt(rng: Rng, n: number, d: number, std = 0.02): tf.Variable {
  if (!Number.isInteger(n) || n < 1) throw new Error(`createSoftPrompt: need at least one prompt token, got ${n}`);
  return variable(rng.normalArray(n * d, 0, std), [n, d]);
}

/** Prefix tokens: one [n, d] block per layer, layer l from `rng.fork(l)`. */
export function createPrefixTokens(rng: Rng, nLayers: number, n: number, d: number, std = 0.02): tf.Variable[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`createPrefixTokens: need at least one prefix token, got ${n}`);
  return Array.from({ length: nLayers }, (_, l) => variable(rng.fork(l).normalArray(n * d, 0, std), [n, d]));
}

export interface LoraSpec {
  rank: number;
  /** Which block matrices get factors. */
  targets: readonly BlockMatrix[];
  /** Which layers (indices into the stack). */
  layers: readonly number[];
  /** Rng fork label of layer l's factor for matrix m (default `${l}.${m}`). */
  label?: (l: number, m: BlockMatrix) => string;
}

/**
 * LoRA factors for `spec.targets` of `spec.layers` of the stack `stack` in `params`:
 * A [in, r] ~ N(0, 1/in), B [r, out] = 0, so the adapted model starts equal to the base.
 * Names: `${stack}.${l}.attn.q.lora.A` etc. (what `adaptedWeight` looks up).
 */
export function createLora(rng: Rng, params: Params, stack: string, spec: LoraSpec): Params {
  if (!Number.isInteger(spec.rank) || spec.rank < 1) throw new Error(`createLora: rank must be a positive integer, got ${spec.rank}`);
  const out: Params = {};
  for (const l of spec.layers) {
    for (const m of spec.targets) {
      const name = `${stack}.${l}.${matrixName(m)}`;
      const w = params[`${name}.w`];
      if (w === undefined) throw new Error(`createLora: the model has no matrix '${name}.w'`);
      const [din, dout] = w.shape;
      const label = spec.label ? spec.label(l, m) : `${l}.${m}`;
      out[`${name}.lora.A`] = variable(rng.fork(label).normalArray(din * spec.rank, 0, 1 / Math.sqrt(din)), [din, spec.rank]);
      out[`${name}.lora.B`] = variable(new Float32Array(spec.rank * dout), [spec.rank, dout]);
    }
  }
  return out;
}
