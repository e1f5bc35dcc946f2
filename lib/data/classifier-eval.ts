/**
 * Held-out measurement of a spatial-instruction classifier (paper Table 3, Appendix H) on the
 * frozen real-instruction set: accuracy, precision, recall and F1 for "spatial", per source and
 * overall, with Wilson 95% intervals for the proportions and a seeded bootstrap interval for F1.
 * Pure: takes predictions and labels, holds no model.
 */
import { Rng } from "../core/rng";

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface Interval {
  value: number;
  lo: number;
  hi: number;
  /** How many items the proportion is over (its denominator). */
  n: number;
}

export interface ClassifierScores {
  n: number;
  confusion: Confusion;
  accuracy: Interval;
  precision: Interval;
  recall: Interval;
  f1: Interval;
  /** Share predicted spatial, and share labelled spatial. */
  predictedShare: Interval;
  labelledShare: Interval;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * Wilson score interval for k successes out of n (95%). n = 0 gives value NaN and [0, 1]: no
 * data, nothing known. Throws on k outside [0, n] or non-integers.
 */
export function wilsonInterval(k: number, n: number, z = Z95): Interval {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new Error(`wilsonInterval: need integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
  if (n === 0) return { value: Number.NaN, lo: 0, hi: 1, n: 0 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { value: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half), n };
}

export function confusionOf(predicted: readonly boolean[], labels: readonly boolean[]): Confusion {
  if (predicted.length !== labels.length) throw new Error(`confusionOf: ${predicted.length} predictions for ${labels.length} labels`);
  const c: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < labels.length; i++) {
    if (predicted[i] && labels[i]) c.tp++;
    else if (predicted[i]) c.fp++;
    else if (labels[i]) c.fn++;
    else c.tn++;
  }
  return c;
}

/** F1 for the positive class; NaN when there is no positive, predicted or labelled. */
export function f1Of(c: Confusion): number {
  const denom = 2 * c.tp + c.fp + c.fn;
  return denom === 0 ? Number.NaN : (2 * c.tp) / denom;
}

/**
 * Scores with 95% intervals. F1's interval is a percentile bootstrap over items
 * (`bootstrap` resamples, seeded), NaN-free resamples only.
 */
export function scoreClassifier(predicted: readonly boolean[], labels: readonly boolean[], opts: { bootstrap?: number; seed?: number } = {}): ClassifierScores {
  const c = confusionOf(predicted, labels);
  const n = labels.length;
  const B = opts.bootstrap ?? 1000;
  if (!Number.isInteger(B) || B < 0) throw new Error(`scoreClassifier: bootstrap must be a non-negative integer, got ${B}`);
  const f1 = f1Of(c);
  let lo = Number.NaN;
  let hi = Number.NaN;
  if (B > 0 && n > 0) {
    const rng = new Rng(opts.seed ?? 0);
    const samples: number[] = [];
    for (let b = 0; b < B; b++) {
      const r: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
      for (let i = 0; i < n; i++) {
        const j = rng.int(0, n);
        if (predicted[j] && labels[j]) r.tp++;
        else if (predicted[j]) r.fp++;
        else if (labels[j]) r.fn++;
        else r.tn++;
      }
      const v = f1Of(r);
      if (!Number.isNaN(v)) samples.push(v);
    }
    samples.sort((a, b) => a - b);
    if (samples.length > 0) {
      lo = samples[Math.floor(0.025 * (samples.length - 1))];
      hi = samples[Math.ceil(0.975 * (samples.length - 1))];
    }
  }
  return {
    n,
    confusion: c,
    accuracy: wilsonInterval(c.tp + c.tn, n),
    precision: wilsonInterval(c.tp, c.tp + c.fp),
    recall: wilsonInterval(c.tp, c.tp + c.fn),
    f1: { value: f1, lo, hi, n },
    predictedShare: wilsonInterval(c.tp + c.fp, n),
    labelledShare: wilsonInterval(c.tp + c.fn, n),
  };
}

export interface LabelledText {
  text: string;
  spatial: boolean;
  source: string;
}

export interface HeldOutReport {
  overall: ClassifierScores;
  bySource: Record<string, ClassifierScores>;
  /** Items the classifier got wrong (text, label), for reading. */
  errors: { source: string; text: string; label: boolean }[];
}

/** Scores a classifier (text -> spatial?) on labelled items, overall and per source. */
export function evaluateOn(classify: (text: string) => boolean, items: readonly LabelledText[], opts: { bootstrap?: number; seed?: number } = {}): HeldOutReport {
  const predicted = items.map((it) => classify(it.text));
  const labels = items.map((it) => it.spatial);
  const sources = [...new Set(items.map((it) => it.source))].sort();
  const bySource: Record<string, ClassifierScores> = {};
  for (const s of sources) {
    const idx = items.map((it, i) => (it.source === s ? i : -1)).filter((i) => i >= 0);
    bySource[s] = scoreClassifier(
      idx.map((i) => predicted[i]),
      idx.map((i) => labels[i]),
      opts,
    );
  }
  const errors = items.filter((it, i) => predicted[i] !== it.spatial).map((it) => ({ source: it.source, text: it.text, label: it.spatial }));
  return { overall: scoreClassifier(predicted, labels, opts), bySource, errors };
}
