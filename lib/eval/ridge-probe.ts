/**
 * Linear probes in closed form: ridge regression from features to targets, to ask what a
 * representation carries (encoder-probe.ts). Pure functions on row-major typed arrays; no tensors,
 * no randomness.
 * - Features are standardised with the training rows' mean and standard deviation (a constant
 *   column becomes 0), targets centred on their training mean, so the intercept is not penalised:
 *   W = (Zᵀ Z / n + λ I)⁻¹ Zᵀ (Y - ȳ) / n, solved by Cholesky (lib/math).
 * - λ is chosen on validation rows, never on the test rows: the largest R² for a regression, the
 *   largest argmax accuracy for a one-vs-all classification on one-hot targets (the first best in
 *   the order given). The model fitted on the training rows with that λ is scored on the test rows.
 * - Baselines: R² scores against the test rows' own mean (a constant guess scores <= 0); the
 *   majority-class accuracy is that of always answering the training rows' most common class.
 */
import { backSolve, cholesky, forwardSolve } from "../math/linalg";
import { mat } from "../math/matrix";

/** Rows of a data set (indices into the feature rows) used to fit, choose λ and score. */
export interface ProbeSplit {
  train: readonly number[];
  val: readonly number[];
  test: readonly number[];
}

/** Sufficient statistics of the training rows for ridge at any λ. */
export interface RidgeStats {
  d: number;
  k: number;
  n: number;
  mean: Float64Array;
  /** 1 / standard deviation per feature (0 for a constant feature). */
  scale: Float64Array;
  yMean: Float64Array;
  /** Zᵀ Z / n [d x d]. */
  gram: Float64Array;
  /** Zᵀ (Y - ȳ) / n [d x k]. */
  cross: Float64Array;
}

export interface RidgeModel {
  d: number;
  k: number;
  lambda: number;
  mean: Float64Array;
  scale: Float64Array;
  yMean: Float64Array;
  /** Weights on the standardised features [d x k]. */
  w: Float64Array;
}

function checkRows(rows: readonly number[], total: number, what: string): void {
  if (rows.length === 0) throw new Error(`${what}: no rows`);
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= total) throw new Error(`${what}: row ${r} is outside 0..${total - 1}`);
  }
}

function checkShape(x: ArrayLike<number>, d: number, what: string): number {
  if (!Number.isInteger(d) || d < 1) throw new Error(`${what}: the feature width d must be a positive integer, got ${d}`);
  if (x.length % d !== 0) throw new Error(`${what}: ${x.length} feature values are not rows of width ${d}`);
  return x.length / d;
}

/** The statistics of `rows` of features x [rows * d] and targets y [rows * k]. */
export function ridgeStats(x: ArrayLike<number>, d: number, y: ArrayLike<number>, k: number, rows: readonly number[]): RidgeStats {
  const total = checkShape(x, d, "ridgeStats");
  if (!Number.isInteger(k) || k < 1 || y.length !== total * k) throw new Error(`ridgeStats: targets must be [${total} x k] for ${total} feature rows, got ${y.length} values with k = ${k}`);
  checkRows(rows, total, "ridgeStats");
  const n = rows.length;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  const yMean = new Float64Array(k);
  for (const r of rows) {
    for (let j = 0; j < d; j++) mean[j] += x[r * d + j];
    for (let c = 0; c < k; c++) yMean[c] += y[r * k + c];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let c = 0; c < k; c++) yMean[c] /= n;
  for (const r of rows) for (let j = 0; j < d; j++) sq[j] += (x[r * d + j] - mean[j]) ** 2;
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(sq[j] / n);
    scale[j] = sd > 1e-8 * (1 + Math.abs(mean[j])) ? 1 / sd : 0;
  }
  const gram = new Float64Array(d * d);
  const cross = new Float64Array(d * k);
  const z = new Float64Array(d);
  const t = new Float64Array(k);
  for (const r of rows) {
    for (let j = 0; j < d; j++) z[j] = (x[r * d + j] - mean[j]) * scale[j];
    for (let c = 0; c < k; c++) t[c] = y[r * k + c] - yMean[c];
    for (let i = 0; i < d; i++) {
      const zi = z[i];
      if (zi === 0) continue;
      const row = i * d;
      for (let j = i; j < d; j++) gram[row + j] += zi * z[j];
      for (let c = 0; c < k; c++) cross[i * k + c] += zi * t[c];
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      gram[i * d + j] /= n;
      gram[j * d + i] = gram[i * d + j];
    }
    for (let c = 0; c < k; c++) cross[i * k + c] /= n;
  }
  return { d, k, n, mean, scale, yMean, gram, cross };
}

/** The ridge solution at `lambda` (> 0) from the statistics. */
export function ridgeSolve(s: RidgeStats, lambda: number): RidgeModel {
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new Error(`ridgeSolve: lambda must be a positive number, got ${lambda}`);
  const { d, k } = s;
  const a = mat(d, d, s.gram);
  for (let i = 0; i < d; i++) a.data[i * d + i] += lambda;
  const l = cholesky(a, "ridgeSolve");
  const w = new Float64Array(d * k);
  const col = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < d; i++) col[i] = s.cross[i * k + c];
    const sol = backSolve(l, forwardSolve(l, col));
    for (let i = 0; i < d; i++) w[i * k + c] = sol[i];
  }
  return { d, k, lambda, mean: s.mean, scale: s.scale, yMean: s.yMean, w };
}

/** Predictions [rows.length * k] of the model for `rows` of x. */
export function ridgePredict(m: RidgeModel, x: ArrayLike<number>, rows: readonly number[]): Float64Array {
  const total = checkShape(x, m.d, "ridgePredict");
  checkRows(rows, total, "ridgePredict");
  const { d, k } = m;
  const out = new Float64Array(rows.length * k);
  const z = new Float64Array(d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) z[j] = (x[r * d + j] - m.mean[j]) * m.scale[j];
    for (let c = 0; c < k; c++) {
      let v = m.yMean[c];
      for (let j = 0; j < d; j++) v += z[j] * m.w[j * k + c];
      out[i * k + c] = v;
    }
  });
  return out;
}

/** 1 - SS_res / SS_tot (SS_tot around the truth's own mean); NaN when the truth is constant. */
export function rSquared(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  if (truth.length !== pred.length) throw new Error(`rSquared: ${truth.length} true values but ${pred.length} predictions`);
  if (truth.length === 0) throw new Error("rSquared: no values");
  let m = 0;
  for (let i = 0; i < truth.length; i++) m += truth[i];
  m /= truth.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < truth.length; i++) {
    res += (truth[i] - pred[i]) ** 2;
    tot += (truth[i] - m) ** 2;
  }
  return tot === 0 ? NaN : 1 - res / tot;
}

/** Share of rows whose largest score [n * k] is at the true label (ties: the lowest class). */
export function argmaxAccuracy(labels: ArrayLike<number>, scores: ArrayLike<number>, k: number): number {
  const n = labels.length;
  if (n === 0) throw new Error("argmaxAccuracy: no labels");
  if (scores.length !== n * k) throw new Error(`argmaxAccuracy: ${scores.length} scores for ${n} labels x ${k} classes`);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[i * k + c] > scores[i * k + best]) best = c;
    if (best === labels[i]) hits++;
  }
  return hits / n;
}

/** One-hot rows [labels.length * k] for `rows` (other rows stay 0): every label there must be a class in 0..k-1. */
export function oneHotRows(labels: ArrayLike<number>, k: number, rows: readonly number[]): Float64Array {
  const out = new Float64Array(labels.length * k);
  for (const r of rows) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= k) throw new Error(`oneHotRows: label ${y} at row ${r} is not a class in 0..${k - 1}`);
    out[r * k + y] = 1;
  }
  return out;
}

/** The most common label of `rows` (ties: the lowest class). */
export function majorityClass(labels: ArrayLike<number>, rows: readonly number[], k: number): number {
  const counts = new Array<number>(k).fill(0);
  for (const r of rows) counts[labels[r]]++;
  return counts.indexOf(Math.max(...counts));
}

export interface RegressionProbe {
  lambda: number;
  /** Validation R² per λ (in the order given). */
  valByLambda: number[];
  valR2: number;
  testR2: number;
  n: { train: number; val: number; test: number };
}

export interface ClassProbe {
  lambda: number;
  /** Validation accuracy per λ (in the order given). */
  valByLambda: number[];
  valAcc: number;
  testAcc: number;
  /** Test accuracy of always answering the training rows' most common class. */
  majority: number;
  majorityClass: number;
  classes: number;
  n: { train: number; val: number; test: number };
}

function checkLambdas(lambdas: readonly number[], what: string): void {
  if (lambdas.length === 0) throw new Error(`${what}: give at least one lambda`);
}

function pick(vals: readonly number[]): number {
  let best = 0;
  vals.forEach((v, i) => {
    if (v > vals[best] || (Number.isNaN(vals[best]) && !Number.isNaN(v))) best = i;
  });
  return best;
}

function counts(split: ProbeSplit): { train: number; val: number; test: number } {
  return { train: split.train.length, val: split.val.length, test: split.test.length };
}

/** Ridge from x [rows * d] to one target y [rows]; λ chosen by validation R², scored by test R². */
export function regressionProbe(x: ArrayLike<number>, d: number, y: ArrayLike<number>, split: ProbeSplit, lambdas: readonly number[]): RegressionProbe {
  checkLambdas(lambdas, "regressionProbe");
  const stats = ridgeStats(x, d, y, 1, split.train);
  const truth = (rows: readonly number[]) => rows.map((r) => y[r]);
  const valTruth = truth(split.val);
  const models = lambdas.map((l) => ridgeSolve(stats, l));
  const valByLambda = models.map((m) => rSquared(valTruth, ridgePredict(m, x, split.val)));
  const best = pick(valByLambda);
  return { lambda: lambdas[best], valByLambda, valR2: valByLambda[best], testR2: rSquared(truth(split.test), ridgePredict(models[best], x, split.test)), n: counts(split) };
}

/**
 * One-vs-all ridge from x [rows * d] to labels in 0..k-1 (one-hot targets, argmax); λ chosen by
 * validation accuracy. Rows outside the split may carry any label (e.g. -1: not a sample).
 */
export function classificationProbe(x: ArrayLike<number>, d: number, labels: ArrayLike<number>, k: number, split: ProbeSplit, lambdas: readonly number[]): ClassProbe {
  checkLambdas(lambdas, "classificationProbe");
  if (!Number.isInteger(k) || k < 2) throw new Error(`classificationProbe: need at least 2 classes, got ${k}`);
  oneHotRows(labels, k, [...split.val, ...split.test]); // checks their labels
  const stats = ridgeStats(x, d, oneHotRows(labels, k, split.train), k, split.train);
  const truth = (rows: readonly number[]) => rows.map((r) => labels[r]);
  const models = lambdas.map((l) => ridgeSolve(stats, l));
  const valByLambda = models.map((m) => argmaxAccuracy(truth(split.val), ridgePredict(m, x, split.val), k));
  const best = pick(valByLambda);
  const majority = majorityClass(labels, split.train, k);
  const testTruth = truth(split.test);
  return {
    lambda: lambdas[best],
    valByLambda,
    valAcc: valByLambda[best],
    testAcc: argmaxAccuracy(testTruth, ridgePredict(models[best], x, split.test), k),
    majority: testTruth.filter((c) => c === majority).length / testTruth.length,
    majorityClass: majority,
    classes: k,
    n: counts(split),
  };
}
