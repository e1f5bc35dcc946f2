/**
 * Fits the drawer (../redraw.ts) on drawer examples (requests and the truth's images): Adam on the mean squared error over
 * each example's crop, batches drawn with the seed; every `checkEvery` steps (and before training) the held-out
 * examples' crop error is measured, and the drawer ends with the weights of the lowest (the first of equals).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../../core/rng";
import type { Params } from "../../../nn/layers";
import { fitKeepingBest, loadWithConfig, saveWithConfig, type CheckedFitConfig, type FitCheck } from "./checked-fit";
import { checkRedrawConfig, cropOf, initRedraw, redrawInputs, redrawLoss, type RedrawConfig, type RedrawRequest } from "../redraw";
import type { Drawer } from "../redraw-decode";

export interface RedrawExampleLike {
  request: RedrawRequest;
  /** The truth's image [S * S * 3] in [-1, 1]. */
  target: Float32Array;
}

export type RedrawFitConfig = CheckedFitConfig;

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
  const row = (k: FitCheck): RedrawCheck => ({ step: k.step, heldOut: k.measured, train: k.train });
  const batchLoss = (rng: Rng) => {
    const { inp, targets } = batchOf(c, Array.from({ length: f.batch }, () => train[rng.int(0, train.length)]));
    return () => redrawLoss(p, c, inp, targets);
  };
  return fitKeepingBest("fitRedraw", p, f, batchLoss, () => redrawError(p, c, held), false, (k) => onCheck?.(row(k))).map(row);
}

/** Writes a fitted drawer to `file` (safetensors; its config in the metadata). */
export function saveDrawer(file: string, p: Params, c: RedrawConfig): void {
  saveWithConfig(file, p, c);
}

/** Reads a drawer saveDrawer wrote; a file without the drawer's weights is an error naming it. */
export function loadDrawer(file: string): Drawer {
  return loadWithConfig(file, "loadDrawer", checkRedrawConfig, (c) => initRedraw(c, 0));
}
