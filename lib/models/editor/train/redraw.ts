/**
 * Fits the drawer (../redraw.ts) on drawer examples (requests and the truth's images): Adam on the mean squared error over
 * each example's crop, batches drawn with the seed; every `checkEvery` steps (and before training) the held-out
 * examples' crop error is measured, and the drawer ends with the weights of the lowest (the first of equals).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../core/rng";
import { cloneParams, disposeParams, type Params } from "../../../nn/layers";
import { trainStep } from "../../../train/adam";
import { FusedAdam } from "../../../train/fused-adam";
import { readSafetensors, writeSafetensors } from "../../../train/safetensors";
import { checkRedrawConfig, cropOf, initRedraw, redrawInputs, redrawLoss, type RedrawConfig, type RedrawRequest } from "../redraw";
import type { Drawer } from "../redraw-decode";

export interface RedrawExampleLike {
  request: RedrawRequest;
  /** The truth's image [S * S * 3] in [-1, 1]. */
  target: Float32Array;
}

export interface RedrawFitConfig {
  steps: number;
  batch: number;
  lr: number;
  checkEvery: number;
  seed: number;
}

export interface RedrawCheck {
  step: number;
  /** Mean squared error over the held-out crops ([0, 1] RGB). */
  heldOut: number;
  /** Mean training loss since the last check (NaN at step 0). */
  train: number;
}

/** The inputs and the target crops of examples. */
function batchOf(c: RedrawConfig, xs: readonly RedrawExampleLike[]) {
  const inp = redrawInputs(c, xs.map((x) => x.request));
  const C = c.crop;
  const targets = new Float32Array(xs.length * C * C * 3);
  xs.forEach((x, b) => targets.set(cropOf(x.target, inp.S, C, inp.corners[b]), b * C * C * 3));
  return { inp, targets };
}

/** The drawer's mean squared crop error on `xs` (in batches). */
export function redrawError(p: Params, c: RedrawConfig, xs: readonly RedrawExampleLike[], batch = 256): number {
  if (xs.length === 0) throw new Error("redrawError: no examples");
  let sum = 0;
  for (let i = 0; i < xs.length; i += batch) {
    const part = xs.slice(i, i + batch);
    const { inp, targets } = batchOf(c, part);
    sum += tf.tidy(() => redrawLoss(p, c, inp, targets).dataSync()[0]) * part.length;
  }
  return sum / xs.length;
}

/** Fits `p` in place (see the file comment); returns the checks. `onCheck` after each. */
export function fitRedraw(p: Params, c: RedrawConfig, train: readonly RedrawExampleLike[], held: readonly RedrawExampleLike[], f: RedrawFitConfig, onCheck?: (k: RedrawCheck) => void): RedrawCheck[] {
  if (train.length === 0 || held.length === 0) throw new Error(`fitRedraw: needs training and held-out examples, got ${train.length} and ${held.length}`);
  for (const k of ["steps", "batch", "checkEvery"] as const) if (!Number.isInteger(f[k]) || f[k] < 1) throw new Error(`fitRedraw: ${k} must be a positive integer, got ${f[k]}`);
  if (!(f.lr > 0)) throw new Error(`fitRedraw: lr must be > 0, got ${f.lr}`);
  const rng = new Rng(f.seed);
  const opt = new FusedAdam(f.lr);
  const checks: RedrawCheck[] = [];
  let best = cloneParams(p);
  let bestError = Infinity;
  let [sum, k] = [0, 0];
  const check = (step: number) => {
    const heldOut = redrawError(p, c, held);
    const row = { step, heldOut, train: k === 0 ? NaN : sum / k };
    [sum, k] = [0, 0];
    checks.push(row);
    if (heldOut < bestError) {
      disposeParams(best);
      [best, bestError] = [cloneParams(p), heldOut];
    }
    onCheck?.(row);
  };
  try {
    check(0);
    for (let step = 1; step <= f.steps; step++) {
      const xs = Array.from({ length: f.batch }, () => train[rng.int(0, train.length)]);
      const { inp, targets } = batchOf(c, xs);
      sum += trainStep(opt, () => redrawLoss(p, c, inp, targets), p);
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

/** Writes a fitted drawer to `file` (safetensors; its config in the metadata). */
export function saveDrawer(file: string, p: Params, c: RedrawConfig): void {
  writeSafetensors(file, Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { dtype: "F32" as const, shape: v.shape, data: v.dataSync() as Float32Array }])), { config: JSON.stringify(c) });
}

/** Reads a drawer saveDrawer wrote; a file without the drawer's weights is an error naming it. */
export function loadDrawer(file: string): Drawer {
  const st = readSafetensors(file);
  if (st.metadata.config === undefined) throw new Error(`loadDrawer: ${file} has no drawer config in its metadata`);
  const config = checkRedrawConfig(JSON.parse(st.metadata.config) as RedrawConfig);
  const want = initRedraw(config, 0);
  try {
    for (const [k, v] of Object.entries(want)) {
      const t = st.tensors[k];
      if (t === undefined || t.shape.join(",") !== v.shape.join(",")) throw new Error(`loadDrawer: ${file} lacks '${k}' [${v.shape.join(", ")}]${t === undefined ? "" : `; it holds [${t.shape.join(", ")}]`}`);
    }
  } finally {
    disposeParams(want);
  }
  const params = Object.fromEntries(
    Object.entries(st.tensors).map(([k, t]) => {
      const value = tf.tensor(t.data as Float32Array, t.shape);
      const v = tf.variable(value, false, k);
      value.dispose();
      return [k, v];
    }),
  );
  return { params, config };
}
