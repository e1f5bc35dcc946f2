/**
 * The convergence criterion of the sort experiment (issue 11): a run has converged when the mean
 * training loss over the last `tail` fraction of its steps fell by less than `relTol` (relative)
 * from the window before it, or when that mean is below `lossFloor` (the task is solved: the
 * model puts more than exp(-lossFloor) of its probability on the right token on average, and the
 * relative change of a near-zero loss is noise). Pure: numbers in, a verdict out.
 */

export interface ConvergenceConfig {
  /** Window as a fraction of the steps (0.1 = compare the last tenth with the tenth before). */
  tail: number;
  /** Largest relative decrease of the windowed mean loss that still counts as a plateau. */
  relTol: number;
  /** A windowed mean loss below this counts as converged (solved). */
  lossFloor: number;
}

export interface Convergence {
  converged: boolean;
  /** Mean training loss over the last window (the "final loss" of the tables). */
  last: number;
  /** Mean over the window before it. */
  previous: number;
  /** (previous - last) / last: how much the loss still fell over the last window. */
  relChange: number;
  /** Steps per window. */
  window: number;
}

/** Checks `losses` (one per step) against the criterion. Needs at least two windows of one step. */
export function checkConvergence(losses: readonly number[], c: ConvergenceConfig): Convergence {
  if (!(c.tail > 0 && c.tail <= 0.5)) throw new Error(`checkConvergence: tail must be in (0, 0.5], got ${c.tail}`);
  const window = Math.max(1, Math.floor(losses.length * c.tail));
  if (losses.length < 2 * window || losses.length < 2) throw new Error(`checkConvergence: need at least 2 loss values, got ${losses.length}`);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const last = mean(losses.slice(losses.length - window));
  const previous = mean(losses.slice(losses.length - 2 * window, losses.length - window));
  const relChange = (previous - last) / Math.max(Math.abs(last), 1e-12);
  const converged = Number.isFinite(last) && (last < c.lossFloor || relChange < c.relTol);
  return { converged, last, previous, relChange, window };
}
