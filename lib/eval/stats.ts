/**
 * Spread and confidence intervals for the tables (mean and spread over seeds; bootstrap CIs for
 * the ordering checks). Seeded: every resampling takes an `Rng`.
 */
import { Rng } from "../core/rng";

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1); 0 for one value, NaN for none. */
export function sd(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  if (xs.length === 1) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Percentile (linear interpolation between order statistics), q in [0, 1]. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Groups of values: one array per seed (each seed's per-item values, or a single per-seed value). */
export type Grouped = readonly (readonly number[])[];

/** Mean of the per-group means (every seed weighs the same). */
export function groupedMean(g: Grouped): number {
  return mean(g.filter((x) => x.length > 0).map(mean));
}

/**
 * The grouped mean of one two-level resample (seeds, then items within each): the same draws, in the
 * same order, and the same sums as `groupedMean` of the resampled groups, without building them.
 * `groups` must be non-empty arrays.
 */
function resampledGroupedMean(groups: readonly (readonly number[])[], rng: Rng): number {
  const k = groups.length;
  let total = 0;
  for (let i = 0; i < k; i++) {
    const grp = groups[rng.int(0, k)];
    const n = grp.length;
    let s = 0;
    for (let j = 0; j < n; j++) s += grp[rng.int(0, n)];
    total += s / n;
  }
  return total / k;
}

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * Two-level percentile bootstrap of the grouped mean: resample seeds, then items within each
 * seed (with one seed this is the plain item bootstrap). `level` 0.95 gives the 2.5/97.5% points.
 */
export function bootstrapCi(g: Grouped, rng: Rng, resamples = 1000, level = 0.95): Interval {
  if (g.every((x) => x.length === 0)) return { lo: NaN, hi: NaN };
  const groups = g.filter((x) => x.length > 0);
  const stats: number[] = [];
  for (let b = 0; b < resamples; b++) stats.push(resampledGroupedMean(groups, rng));
  return { lo: quantile(stats, (1 - level) / 2), hi: quantile(stats, 1 - (1 - level) / 2) };
}

/**
 * Bootstrap CI of mean(a) - mean(b). When a and b are paired (the same items in the same
 * order per seed) the pairs are resampled together; otherwise each side on its own.
 */
export function bootstrapDiffCi(a: Grouped, b: Grouped, rng: Rng, resamples = 1000, level = 0.95): Interval & { paired: boolean } {
  const paired = a.length === b.length && a.every((x, i) => x.length === b[i].length);
  const nonEmpty = (g: Grouped) => g.filter((x) => x.length > 0);
  const diffs = paired ? nonEmpty(a.map((x, i) => x.map((v, j) => v - b[i][j]))) : [];
  const [ga, gb] = [nonEmpty(a), nonEmpty(b)];
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    if (paired) stats.push(resampledGroupedMean(diffs, rng));
    else stats.push(resampledGroupedMean(ga, rng) - resampledGroupedMean(gb, rng));
  }
  return { lo: quantile(stats, (1 - level) / 2), hi: quantile(stats, 1 - (1 - level) / 2), paired };
}

/** Wilson score interval of a share k / n (95% for z = 1.96). */
export function wilsonCi(k: number, n: number, z = 1.96): Interval {
  if (n === 0) return { lo: NaN, hi: NaN };
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { lo: Math.max(0, c - h), hi: Math.min(1, c + h) };
}
