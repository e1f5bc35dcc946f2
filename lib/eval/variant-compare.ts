/**
 * Which editor variant scored best, and does its lead exceed the standard error of the
 * difference? A conclusion computed from the numbers (notebook 05): the variants are ranked by
 * their mean score (highest first, or lowest first for measures like L1); the best is compared
 * with the runner-up on the items both were scored on, by the paired differences (mean lead, and
 * its standard error sd(d) / sqrt(n)).
 */
import { mean, sd } from "./stats";

/** One variant's per-item scores (e.g. object-judge scores on SpatialEval-mini items). */
export interface VariantScores {
  name: string;
  scores: { item: string; score: number }[];
}

export interface VariantMean {
  name: string;
  mean: number;
  n: number;
  /** Standard error of the mean, sd / sqrt(n) (0 for one item). */
  se: number;
}

export interface VariantComparison {
  /** What was compared (e.g. "object judge on 90 SpatialEval-mini items"). */
  measure: string;
  better: "higher" | "lower";
  /** Every variant, best first. */
  ranking: VariantMean[];
  best: string;
  runnerUp: string;
  /** Items both were scored on (the paired differences). */
  pairedItems: number;
  /** Mean lead of the best over the runner-up on the paired items (best - runner-up; runner-up - best when lower is better). */
  diff: number;
  /** Standard error of that mean (NaN with fewer than two paired items). */
  se: number;
  /** diff > se (and diff > 0): the lead is larger than its standard error. */
  exceedsSe: boolean;
  /** The two means are equal (no variant leads). */
  tie: boolean;
  text: string;
}

/** Three decimals, or two significant digits for small non-zero numbers (an SE of 0.0004 is not "0.000"). */
const f3 = (x: number) => (x !== 0 && Math.abs(x) < 0.01 ? x.toPrecision(2) : x.toFixed(3));

/**
 * Ranks `variants` by mean score and compares the best with the runner-up (see the module
 * comment). Non-finite scores (items a judge does not apply to) are left out.
 */
export function compareVariants(variants: readonly VariantScores[], measure = "score", better: "higher" | "lower" = "higher"): VariantComparison {
  if (better !== "higher" && better !== "lower") throw new Error(`compareVariants: better must be 'higher' or 'lower', got '${String(better)}'`);
  const sign = better === "higher" ? 1 : -1;
  if (!Array.isArray(variants) || variants.length < 2) throw new Error(`compareVariants: needs at least two variants, got ${Array.isArray(variants) ? variants.length : typeof variants}`);
  const names = new Set<string>();
  const byName = new Map<string, Map<string, number>>();
  for (const v of variants) {
    if (typeof v?.name !== "string" || v.name === "") throw new Error("compareVariants: every variant needs a name");
    if (names.has(v.name)) throw new Error(`compareVariants: two variants are named '${v.name}'`);
    names.add(v.name);
    const m = new Map<string, number>();
    for (const s of v.scores) {
      if (m.has(s.item)) throw new Error(`compareVariants: variant '${v.name}' has item '${s.item}' twice`);
      if (Number.isFinite(s.score)) m.set(s.item, s.score);
    }
    if (m.size === 0) throw new Error(`compareVariants: variant '${v.name}' has no finite scores`);
    byName.set(v.name, m);
  }
  const ranking: VariantMean[] = variants
    .map((v) => {
      const xs = [...byName.get(v.name)!.values()];
      return { name: v.name, mean: mean(xs), n: xs.length, se: xs.length > 1 ? sd(xs) / Math.sqrt(xs.length) : 0 };
    })
    .sort((a, b) => sign * (b.mean - a.mean)); // stable: equal means keep the input order
  const [best, second] = ranking;
  const a = byName.get(best.name)!;
  const b = byName.get(second.name)!;
  const d = [...a.keys()].filter((k) => b.has(k)).map((k) => sign * (a.get(k)! - b.get(k)!));
  const diff = d.length === 0 ? NaN : mean(d);
  const se = d.length < 2 ? NaN : sd(d) / Math.sqrt(d.length);
  const tie = best.mean === second.mean;
  const exceedsSe = !tie && d.length >= 2 && diff > 0 && diff > se;
  let text: string;
  if (tie) {
    const tied = ranking.filter((r) => r.mean === best.mean).map((r) => r.name);
    const names = tied.length === ranking.length && tied.length > 2 ? `all ${tied.length} variants (${tied.join(", ")})` : `${tied.slice(0, -1).join(", ")} and ${tied[tied.length - 1]}`;
    text = `${names} score the same on the ${measure} (mean ${f3(best.mean)}): no variant leads`;
  } else {
    const lead = `${best.name} scored ${better === "higher" ? "highest" : "lowest (lower is better)"} on the ${measure} (mean ${f3(best.mean)} over ${best.n} items); runner-up ${second.name} (${f3(second.mean)})`;
    if (d.length < 2) text = `${lead}; they share ${d.length} scored item${d.length === 1 ? "" : "s"}, too few for a standard error of the difference: no conclusion`;
    else {
      const ratio = se > 0 ? ` = ${(diff / se).toFixed(1)} standard errors` : "";
      text = `${lead}; the paired difference over ${d.length} items is ${f3(diff)} (SE ${f3(se)})${ratio}: ${exceedsSe ? "larger than its standard error" : "not larger than its standard error, so these items do not separate the two"}`;
    }
  }
  return { measure, better, ranking, best: best.name, runnerUp: second.name, pairedItems: d.length, diff, se, exceedsSe, tie, text };
}
