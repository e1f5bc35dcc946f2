/**
 * Ranking statistics for attention rows (paper §4.2: "the rank of the importance of x_j to x_i
 * is unaltered"). Pure functions on plain arrays; no tensors.
 */

/** Throws unless `a` and `b` are non-empty arrays of the same length. */
function checkPair(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: rows must have the same length, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new Error(`${what}: rows must not be empty`);
}

/**
 * Kendall's tau-b between two rows (ties handled as in tau-b). 1 = same order, -1 = reversed.
 * A row of length 1, or a row that is all ties, has no order: returns 1 when both rows are
 * all ties (nothing can be reordered) and 0 otherwise.
 */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b, "kendallTau");
  const n = a.length;
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const da = Math.sign(a[i] - a[j]);
      const db = Math.sign(b[i] - b[j]);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const n0 = concordant + discordant;
  const denom = Math.sqrt((n0 + tiesA) * (n0 + tiesB));
  if (denom === 0) return tiesA === 0 && tiesB === 0 ? 1 : 0;
  return (concordant - discordant) / denom;
}

/** Index of the largest entry (first one on ties). */
export function argmax(a: ArrayLike<number>): number {
  if (a.length === 0) throw new Error("argmax: row must not be empty");
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Indices sorted by decreasing value; ties broken by index (a total order). */
export function argsortDesc(a: ArrayLike<number>): number[] {
  const idx = Array.from({ length: a.length }, (_, i) => i);
  return idx.sort((i, j) => (a[j] - a[i]) || i - j);
}

/**
 * True when the order of `before` is kept by `after`: for every pair, before_j > before_k
 * implies after_j >= after_k (weak monotonicity: float32 may merge two values into a tie,
 * e.g. when both underflow to 0, but may never reverse them), and equal entries stay equal.
 * With `relTol` > 0, only pairs with before_j > before_k (1 + relTol) must keep their order
 * (near-ties within rounding error may swap) and ties are not checked.
 */
export function orderPreserved(before: ArrayLike<number>, after: ArrayLike<number>, relTol = 0): boolean {
  checkPair(before, after, "orderPreserved");
  const n = before.length;
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < n; k++) {
      if (before[j] > before[k] * (1 + relTol) && after[j] < after[k]) return false;
      if (relTol === 0 && before[j] === before[k] && after[j] !== after[k]) return false;
    }
  }
  return true;
}

/** Summary of how rankings moved between two attention tensors, row by row. */
export interface RankShift {
  /** Mean Kendall tau over rows. */
  meanTau: number;
  /** Smallest Kendall tau over rows. */
  minTau: number;
  /** Share of rows whose argmax is the same. */
  top1Agreement: number;
  /** Share of rows whose order is preserved (orderPreserved). */
  orderKept: number;
  rows: number;
}

/**
 * Compares rows of `before` and `after` (both lists of rows of equal length), e.g. the
 * attention over the original tokens before and after tuning.
 */
export function rankShift(before: ArrayLike<number>[], after: ArrayLike<number>[]): RankShift {
  if (before.length !== after.length) throw new Error(`rankShift: need the same number of rows, got ${before.length} and ${after.length}`);
  if (before.length === 0) throw new Error("rankShift: no rows to compare");
  let sumTau = 0;
  let minTau = Infinity;
  let top1 = 0;
  let kept = 0;
  for (let r = 0; r < before.length; r++) {
    const t = kendallTau(before[r], after[r]);
    sumTau += t;
    minTau = Math.min(minTau, t);
    if (argmax(before[r]) === argmax(after[r])) top1++;
    if (orderPreserved(before[r], after[r])) kept++;
  }
  const n = before.length;
  return { meanTau: sumTau / n, minTau, top1Agreement: top1 / n, orderKept: kept / n, rows: n };
}

/** Per-layer comparison of attention maps with the frozen base's (see `compareMapsToBase`). */
export interface LayerComparison {
  layer: number;
  /** max over entries of |Ã_ij - A_ij| / A_ij, Ã = tuned attention renormalised over the originals (entries with A_ij >= 1e-6). */
  maxRelDiff: number;
  /** Mean over rows of the attention mass left on the original tokens (the per-row scale of Eq. 7). */
  meanScale: number;
  /** Mean over rows of the total-variation distance 0.5 Σ_j |Ã_ij - A_ij| (0 = same distribution, 1 = disjoint). */
  meanTV: number;
  shift: RankShift;
}

/**
 * Compares tuned attention maps `maps` [layer][head][q][extra + T] (extra = prompt/prefix key
 * columns in front) with the base maps `base` [layer][head][q][T]: per layer, how far the
 * attention over the original tokens is from "base times one scalar per row" (Eq. 7;
 * Petrov et al.: A^pt_ij = A_ij (1 - A^pt_i0)), and how the rankings moved.
 */
export function compareMapsToBase(base: number[][][][], maps: number[][][][], extra: number[]): LayerComparison[] {
  if (base.length !== maps.length || extra.length !== maps.length) throw new Error(`compareMapsToBase: need the same number of layers, got ${base.length}, ${maps.length} and ${extra.length} extra counts`);
  return base.map((bl, l) => {
    const before: number[][] = [];
    const after: number[][] = [];
    let maxRel = 0;
    let scaleSum = 0;
    let tvSum = 0;
    bl.forEach((bh, h) => bh.forEach((row, q) => {
      const full = maps[l][h][q];
      const orig = full.slice(extra[l]);
      if (orig.length !== row.length) throw new Error(`compareMapsToBase: layer ${l} has ${orig.length} original keys after ${extra[l]} extra ones, the base has ${row.length}`);
      const s = orig.reduce((a, v) => a + v, 0);
      scaleSum += s;
      const renorm = orig.map((v) => v / s);
      row.forEach((a, j) => {
        if (a >= 1e-6) maxRel = Math.max(maxRel, Math.abs(renorm[j] - a) / a);
        tvSum += 0.5 * Math.abs(renorm[j] - a);
      });
      before.push(row);
      after.push(renorm);
    }));
    return { layer: l, maxRelDiff: maxRel, meanScale: scaleSum / before.length, meanTV: tvSum / before.length, shift: rankShift(before, after) };
  });
}
