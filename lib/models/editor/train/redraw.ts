/**
 * Fits the drawer (../redraw.ts) on drawer examples (requests and the truth's images): Adam on the mean squared error over
 * each example's crop, batches drawn with the seed; every `checkEvery` steps (and before training) the held-out
 * examples' crop error is measured, and the drawer ends with the weights of the lowest (the first of equals).
 */
import * as tf from "@tensorflow/tfjs";
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

/** A check: the held-out crops' mean squared error (`heldOut`, [0, 1] RGB) and the mean training loss since the last (NaN at step 0). */
export type RedrawCheck = FitCheck;

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
  const lossOf = (xs: RedrawExampleLike[]) => {
    const { inp, targets } = batchOf(c, xs);
    return () => redrawLoss(p, c, inp, targets);
  };
  return fitKeepingBest("fitRedraw", p, f, train, held, lossOf, () => redrawError(p, c, held), false, onCheck);
}

/** Writes a fitted drawer to `file` (safetensors; its config in the metadata). */
export function saveDrawer(file: string, p: Params, c: RedrawConfig): void {
  saveWithConfig(file, p, c);
}

/** Reads a drawer saveDrawer wrote; a file without the drawer's weights is an error naming it. */
export function loadDrawer(file: string): Drawer {
  return loadWithConfig(file, "loadDrawer", checkRedrawConfig, (c) => initRedraw(c, 0));
}
