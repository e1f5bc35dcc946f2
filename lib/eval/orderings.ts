/**
 * Does the paper's ordering hold in our numbers? (Printed under each table.) For each claim
 * "a beats b on metric m", the verdict is computed from the measurements: the mean difference
 * in the better direction and its bootstrap confidence interval (paired over items and seeds
 * when both methods were scored on the same items), over the seeds both methods have, so that a
 * method run at one seed is not set against another's mean over other seeds. The paper's own
 * numbers are checked too.
 */
import { Rng } from "../core/rng";
import { paperValue } from "./paper-numbers";
import { bootstrapDiffCi, groupedMean, Interval } from "./stats";
import type { TableSpec } from "./table-specs";
import { groupBySeed, Measurement } from "./tables";

export type Verdict = "holds" | "holds, not significant" | "reversed" | "reversed, not significant" | "tie" | "not measured";

export interface OrderingVerdict {
  text: string;
  metric: string;
  better: "higher" | "lower";
  a: string;
  b: string;
  /** The paper's values (in [0, 1] units) and whether they follow the claim; null when the paper has no such cell. */
  paper: { a: number; b: number; holds: boolean } | null;
  /** Our means over the seeds both have, the difference in the better direction (positive = a better) and its CI. */
  ours: { a: number; b: number; diff: number; ci: Interval; paired: boolean; seeds: number[] } | null;
  verdict: Verdict;
}

/** The verdict on "a beats b" from the difference in the better direction and its CI (same direction). */
export function verdictFromCi(diff: number, ci: Interval): Verdict {
  if (!Number.isFinite(diff)) return "not measured";
  return diff > 0 ? (ci.lo > 0 ? "holds" : "holds, not significant") : diff < 0 ? (ci.hi < 0 ? "reversed" : "reversed, not significant") : "tie";
}

/** Verdicts of every adjacent pair of every claim of the table. */
export function checkOrderings(spec: TableSpec, ms: readonly Measurement[], rng: Rng, resamples = 1000, level = 0.95): OrderingVerdict[] {
  const out: OrderingVerdict[] = [];
  for (const claim of spec.claims) {
    const metric = spec.metrics.find((m) => m.ours === claim.metric);
    if (!metric) throw new Error(`checkOrderings: claim '${claim.text}' uses metric '${claim.metric}', which Table ${spec.table} does not have`);
    const sign = metric.better === "higher" ? 1 : -1;
    for (let i = 0; i + 1 < claim.chain.length; i++) {
      const a = claim.chain[i];
      const b = claim.chain[i + 1];
      const pa = metric.paper ? paperValue(spec.table, a, metric.paper.column, metric.paper.dataset) : null;
      const pb = metric.paper ? paperValue(spec.table, b, metric.paper.column, metric.paper.dataset) : null;
      const paper = pa !== null && pb !== null ? { a: pa, b: pb, holds: sign * (pa - pb) > 0 } : null;
      const sa = groupBySeed(ms, a, claim.metric);
      const sb = groupBySeed(ms, b, claim.metric);
      const seeds = sa.seeds.filter((s) => sb.seeds.includes(s));
      const ga = sa.groups.filter((_, i) => seeds.includes(sa.seeds[i]));
      const gb = sb.groups.filter((_, i) => seeds.includes(sb.seeds[i]));
      let ours: OrderingVerdict["ours"] = null;
      let verdict: Verdict = "not measured";
      if (ga.length > 0 && gb.length > 0) {
        const ma = groupedMean(ga);
        const mb = groupedMean(gb);
        const ci = bootstrapDiffCi(ga, gb, rng.fork(`${claim.metric}|${a}|${b}`), resamples, level);
        const diff = sign * (ma - mb);
        const lo = sign > 0 ? ci.lo : -ci.hi;
        const hi = sign > 0 ? ci.hi : -ci.lo;
        ours = { a: ma, b: mb, diff, ci: { lo, hi }, paired: ci.paired, seeds };
        verdict = verdictFromCi(diff, { lo, hi });
      }
      out.push({ text: claim.text, metric: claim.metric, better: metric.better, a, b, paper, ours, verdict });
    }
  }
  return out;
}

const f = (x: number) => x.toFixed(3);

/** One line per verdict, for printing under the table. */
export function formatVerdicts(vs: readonly OrderingVerdict[]): string {
  return vs
    .map((v) => {
      const paper = v.paper ? `paper ${f(v.paper.a)} vs ${f(v.paper.b)} (${v.paper.holds ? "holds" : "does not hold"})` : "paper: no such cell";
      const ours = v.ours ? `ours ${f(v.ours.a)} vs ${f(v.ours.b)}, difference ${f(v.ours.diff)} [95% CI ${f(v.ours.ci.lo)}, ${f(v.ours.ci.hi)}${v.ours.paired ? ", paired" : ""}; seeds ${v.ours.seeds.join(", ")}]` : "ours: not measured";
      return `${v.a} > ${v.b} on ${v.metric} (${v.better} is better): ${v.verdict.toUpperCase()} — ${ours}; ${paper}`;
    })
    .join("\n");
}

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;

/**
 * Which of the paper's claims reproduced, computed from the verdicts of each table (markdown): a
 * claim check reproduces when our interval excludes 0 in the paper's direction, is contradicted
 * when it excludes 0 the other way, is not established when it includes 0, and is not measured
 * when there is no seed at which both methods have the metric (a method not finished at a common
 * seed, or a metric its evaluation does not compute). Only checks where the paper's own
 * numbers follow the claim (or the paper has no such cell) are claims of the paper.
 */
export function claimsReport(tables: readonly { table: string; verdicts: readonly OrderingVerdict[] }[]): string {
  const rows = tables.flatMap((t) => t.verdicts.filter((v) => v.paper === null || v.paper.holds).map((v) => ({ table: t.table, v })));
  const line = ({ table, v }: (typeof rows)[number]) =>
    `- Table ${table}, ${v.metric}: ${v.a} > ${v.b}` + (v.ours ? `: ${signed(v.ours.diff)} [${signed(v.ours.ci.lo)}, ${signed(v.ours.ci.hi)}], seeds ${v.ours.seeds.join(", ")}` : "");
  const groups: [string, (v: OrderingVerdict) => boolean][] = [
    ["Reproduced (our 95% interval excludes 0 in the paper's direction)", (v) => v.verdict === "holds"],
    ["Contradicted (our interval excludes 0 in the other direction)", (v) => v.verdict === "reversed"],
    ["Not established (our interval includes 0)", (v) => v.verdict === "holds, not significant" || v.verdict === "reversed, not significant" || v.verdict === "tie"],
    ["Not measured (no seed at which both methods have this metric)", (v) => v.verdict === "not measured"],
  ];
  const parts = groups.map(([title, keep]) => [title, rows.filter((r) => keep(r.v))] as const);
  const count = (i: number) => parts[i][1].length;
  const head = `Of ${rows.length} checks of the paper's claims: ${count(0)} reproduced, ${count(1)} contradicted, ${count(2)} not established, ${count(3)} not measured.`;
  return [head, ...parts.filter(([, rs]) => rs.length > 0).flatMap(([title, rs]) => ["", `**${title}**`, ...rs.map(line)])].join("\n");
}
