/**
 * What the small models fitted apart from the editor share (the drawer, train/redraw.ts; the shape reader,
 * train/shape-reader.ts): Adam on batches drawn with the seed, a held-out measure every `checkEvery` steps (and before
 * training), ending with the weights of the best check (the first of equals); and their file, safetensors with the model's
 * config in the metadata, read back against the weights a fresh model of that config has.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../core/rng";
import { cloneParams, disposeParams, type Params } from "../../../nn/layers";
import { trainStep } from "../../../train/adam";
import { FusedAdam } from "../../../train/fused-adam";
import { readSafetensors, writeSafetensors } from "../../../train/safetensors";

export interface CheckedFitConfig {
  steps: number;
  batch: number;
  lr: number;
  checkEvery: number;
  seed: number;
}

/** One check: the held-out measure, and the mean training loss since the last check (NaN at step 0). */
export interface FitCheck {
  step: number;
  heldOut: number;
  train: number;
}

/**
 * Fits `p` in place on `train`: each step the loss `lossOf` makes of a batch drawn from `train` with the seed; `measure()` on
 * the held-out data at each check, the best (`higher`: the largest, else the smallest) kept. `who` names the fit in errors.
 */
export function fitKeepingBest<T>(who: string, p: Params, f: CheckedFitConfig, train: readonly T[], held: readonly T[], lossOf: (batch: T[]) => () => tf.Scalar, measure: () => number, higher: boolean, onCheck?: (k: FitCheck) => void): FitCheck[] {
  if (train.length === 0 || held.length === 0) throw new Error(`${who}: needs training and held-out examples, got ${train.length} and ${held.length}`);
  for (const k of ["steps", "batch", "checkEvery"] as const) if (!Number.isInteger(f[k]) || f[k] < 1) throw new Error(`${who}: ${k} must be a positive integer, got ${f[k]}`);
  if (!(f.lr > 0)) throw new Error(`${who}: lr must be > 0, got ${f.lr}`);
  const rng = new Rng(f.seed);
  const opt = new FusedAdam(f.lr);
  const checks: FitCheck[] = [];
  let best = cloneParams(p);
  let bestValue = higher ? -Infinity : Infinity;
  let [sum, k] = [0, 0];
  const check = (step: number) => {
    const heldOut = measure();
    const row = { step, heldOut, train: k === 0 ? NaN : sum / k };
    [sum, k] = [0, 0];
    checks.push(row);
    if (higher ? heldOut > bestValue : heldOut < bestValue) {
      disposeParams(best);
      [best, bestValue] = [cloneParams(p), heldOut];
    }
    onCheck?.(row);
  };
  try {
    check(0);
    for (let step = 1; step <= f.steps; step++) {
      sum += trainStep(opt, lossOf(Array.from({ length: f.batch }, () => train[rng.int(0, train.length)])), p);
      k++;
      if (step % f.checkEvery === 0 || step === f.steps) check(step);
    }
    for (const [name, v] of Object.entries(best)) p[name].assign(v);
  } finally {
    disposeParams(best);
    opt.dispose();
  }
  return checks;
}

/** Writes `p` to `file` (safetensors; `config` as JSON in the metadata). */
export function saveWithConfig(file: string, p: Params, config: object): void {
  writeSafetensors(file, Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { dtype: "F32" as const, shape: v.shape, data: v.dataSync() as Float32Array }])), { config: JSON.stringify(config) });
}

/**
 * Reads what saveWithConfig wrote: the config (`check`ed) and the weights, each of which `init(config)` must also make with the
 * same shape (else an error naming the file, the weight and both shapes). `who` names the model in errors.
 */
export function loadWithConfig<C>(file: string, who: string, check: (c: C) => C, init: (c: C) => Params): { params: Params; config: C } {
  const st = readSafetensors(file);
  if (st.metadata.config === undefined) throw new Error(`${who}: ${file} has no config in its metadata`);
  const config = check(JSON.parse(st.metadata.config) as C);
  const want = init(config);
  try {
    for (const [k, v] of Object.entries(want)) {
      const t = st.tensors[k];
      if (t === undefined || t.shape.join(",") !== v.shape.join(",")) throw new Error(`${who}: ${file} lacks '${k}' [${v.shape.join(", ")}]${t === undefined ? "" : `; it holds [${t.shape.join(", ")}]`}`);
    }
  } finally {
    disposeParams(want);
  }
  // unnamed variables: two models of one kind (a drawer and a retexturer) may be loaded at once
  const params = Object.fromEntries(Object.keys(st.tensors).map((k) => [k, tf.tidy(() => tf.variable(tf.tensor(st.tensors[k].data as Float32Array, st.tensors[k].shape), false))]));
  return { params, config };
}
