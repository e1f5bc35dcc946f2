/**
 * Stage I (paper §4.2, §5.2.1) in numbers: held-out spatial VQA accuracy of the frozen base MLLM,
 * of Stage I with embedding tuning (soft prompt + adapter: MGIE's trainable set) and of Stage I
 * with attention tuning, per template family, over seeds; and the paper's claim checked from the
 * numbers: attention tuning teaches spatial VQA better than embedding tuning (and both beat the
 * base). Differences are paired over the same questions within each seed (bootstrap over seeds,
 * then questions).
 */
import type { Figure } from "../core/plot";
import { Rng } from "../core/rng";
import { VQA_FAMILIES } from "../data/vqa";
import { verdictFromCi, type Verdict } from "./orderings";
import { bootstrapCi, bootstrapDiffCi, groupedMean, type Grouped, type Interval } from "./stats";

/** One model's held-out VQA answers of one seed: 0/1 per question, with the question's family. */
export interface VqaRun {
  row: string;
  seed: number;
  correct: readonly number[];
  families: readonly string[];
}

export interface Stage1Cell {
  row: string;
  family: string;
  seeds: number[];
  /** Mean over seeds of each seed's accuracy. */
  acc: number;
  ci: Interval;
  n: number;
}

function checkRun(r: VqaRun): void {
  if (r.correct.length !== r.families.length) throw new Error(`stage1: run '${r.row}' seed ${r.seed} has ${r.correct.length} answers for ${r.families.length} questions`);
  if (r.correct.some((c) => c !== 0 && c !== 1)) throw new Error(`stage1: run '${r.row}' seed ${r.seed}: correct must be 0 or 1 per question`);
}

/** Per seed, the 0/1 values of `row` restricted to `family` ("all": every question). */
function grouped(runs: readonly VqaRun[], row: string, family: string): { seeds: number[]; groups: number[][] } {
  const mine = runs.filter((r) => r.row === row).sort((a, b) => a.seed - b.seed);
  return { seeds: mine.map((r) => r.seed), groups: mine.map((r) => r.correct.filter((_, i) => family === "all" || r.families[i] === family)) };
}

/** Rows in the given order; families in the data engine's order, then "all". */
export function stage1Cells(runs: readonly VqaRun[], rows: readonly string[], rng: Rng, resamples = 1000): Stage1Cell[] {
  runs.forEach(checkRun);
  const present = new Set(runs.flatMap((r) => r.families));
  const families = [...VQA_FAMILIES.filter((f) => present.has(f)), "all"];
  const out: Stage1Cell[] = [];
  for (const row of rows) {
    for (const family of families) {
      const g = grouped(runs, row, family);
      const n = g.groups.reduce((a, x) => a + x.length, 0);
      out.push({ row, family, seeds: g.seeds, n, acc: n === 0 ? NaN : groupedMean(g.groups), ci: n === 0 ? { lo: NaN, hi: NaN } : bootstrapCi(g.groups, rng.fork(`${row}|${family}`), resamples) });
    }
  }
  return out;
}

/** Wide rows for a table: one per model, "acc [lo, hi]" per family, the questions counted. */
export function stage1TableRows(cells: readonly Stage1Cell[]): Record<string, string | number>[] {
  const rows = [...new Set(cells.map((c) => c.row))];
  return rows.map((row) => {
    const mine = cells.filter((c) => c.row === row);
    const out: Record<string, string | number> = { model: row, seeds: mine[0]?.seeds.length ?? 0, questions: mine.find((c) => c.family === "all")?.n ?? 0 };
    for (const c of mine) out[c.family] = Number.isFinite(c.acc) ? `${c.acc.toFixed(3)} [${c.ci.lo.toFixed(2)}, ${c.ci.hi.toFixed(2)}]` : "n/a";
    return out;
  });
}

const COLOURS = ["#7f7f7f", "#ff7f0e", "#1f77b4", "#2ca02c"];

/** Grouped bars: accuracy per family, one bar per model, bootstrap CI as error bars, seeds in the hover. */
export function stage1Figure(cells: readonly Stage1Cell[], title: string): Figure {
  const rows = [...new Set(cells.map((c) => c.row))];
  const families = [...new Set(cells.map((c) => c.family))];
  return {
    data: rows.map((row, k) => {
      const cs = families.map((f) => cells.find((c) => c.row === row && c.family === f)!);
      return {
        type: "bar",
        name: row,
        x: families,
        y: cs.map((c) => (Number.isFinite(c.acc) ? c.acc : null)),
        marker: { color: COLOURS[k % COLOURS.length] },
        error_y: { type: "data", symmetric: false, array: cs.map((c) => (Number.isFinite(c.ci.hi) ? c.ci.hi - c.acc : null)), arrayminus: cs.map((c) => (Number.isFinite(c.ci.lo) ? c.acc - c.ci.lo : null)) },
        customdata: cs.map((c) => `${c.n} questions, seeds ${c.seeds.join(", ")}`),
        hovertemplate: `%{x}: %{y:.3f}<br>%{customdata}<extra>${row}</extra>`,
      };
    }),
    layout: {
      title: { text: title },
      barmode: "group",
      xaxis: { title: { text: "VQA template family (held-out scenes)" } },
      yaxis: { title: { text: "exact-match accuracy" }, range: [0, 1.05] },
      legend: { orientation: "h", y: -0.25 },
      margin: { b: 120 },
    },
  };
}

export interface Stage1Comparison {
  a: string;
  b: string;
  /** mean(a) - mean(b) over all questions, and its 95% bootstrap CI. */
  diff: number;
  ci: Interval;
  paired: boolean;
  verdict: Verdict;
}

/** "a beats b" for each pair, on all questions, paired over questions within each seed. */
export function stage1Comparisons(runs: readonly VqaRun[], pairs: readonly (readonly [string, string])[], rng: Rng, resamples = 1000): Stage1Comparison[] {
  runs.forEach(checkRun);
  return pairs.map(([a, b]) => {
    const ga: Grouped = grouped(runs, a, "all").groups;
    const gb: Grouped = grouped(runs, b, "all").groups;
    if (ga.length === 0 || gb.length === 0) return { a, b, diff: NaN, ci: { lo: NaN, hi: NaN }, paired: false, verdict: "not measured" as Verdict };
    const diff = groupedMean(ga) - groupedMean(gb);
    const ci = bootstrapDiffCi(ga, gb, rng.fork(`${a}|${b}`), resamples);
    return { a, b, diff, ci: { lo: ci.lo, hi: ci.hi }, paired: ci.paired, verdict: verdictFromCi(diff, ci) };
  });
}

/** One sentence per comparison, computed from the numbers, and the paper's claim's status. */
export function stage1Conclusion(cs: readonly Stage1Comparison[], claim: { a: string; b: string }): string {
  const f = (x: number) => x.toFixed(3);
  const lines = cs.map((c) =>
    c.verdict === "not measured"
      ? `- ${c.a} vs ${c.b}: not measured.`
      : `- ${c.a} vs ${c.b}: accuracy difference ${f(c.diff)} [95% CI ${f(c.ci.lo)}, ${f(c.ci.hi)}${c.paired ? ", paired over questions" : ""}]: **${c.verdict}**.`,
  );
  const main = cs.find((c) => c.a === claim.a && c.b === claim.b);
  const status =
    main === undefined || main.verdict === "not measured"
      ? "The paper's claim (attention tuning > embedding tuning on spatial VQA) was not measured here."
      : main.verdict === "holds"
        ? "The paper's claim reproduces here: attention tuning beats embedding tuning on held-out spatial VQA, and the 95% interval excludes no difference."
        : main.verdict === "reversed"
          ? "The paper's claim is reversed here: embedding tuning beats attention tuning on held-out spatial VQA, outside the 95% interval."
          : `The paper's claim is not established here (${main.verdict}): the 95% interval of the difference includes zero.`;
  return [...lines, "", status].join("\n");
}

/** What a region-mass study gives per model (lib/eval/word-attention.ts `regionMassStudy`). */
export interface RegionMassInput {
  model: string;
  /** Per question, per layer: share of the spatial word's image attention on the object. */
  perItem: readonly (readonly number[])[];
}

/**
 * "a puts more of the spatial word's image attention on the object than b", on the per-question
 * mean over layers, paired over the same questions.
 */
export function regionMassComparison(rows: readonly RegionMassInput[], a: string, b: string, rng: Rng, resamples = 1000): Stage1Comparison {
  const get = (m: string) => {
    const r = rows.find((x) => x.model === m);
    if (r === undefined) throw new Error(`regionMassComparison: no model '${m}'; have ${rows.map((x) => x.model).join(", ")}`);
    return r.perItem.map((layers) => layers.reduce((s, v) => s + v, 0) / layers.length);
  };
  const va = get(a);
  const vb = get(b);
  if (va.length === 0 || va.length !== vb.length) return { a, b, diff: NaN, ci: { lo: NaN, hi: NaN }, paired: false, verdict: "not measured" };
  const diff = groupedMean([va]) - groupedMean([vb]);
  const ci = bootstrapDiffCi([va], [vb], rng.fork(`region|${a}|${b}`), resamples);
  return { a, b, diff, ci: { lo: ci.lo, hi: ci.hi }, paired: ci.paired, verdict: verdictFromCi(diff, ci) };
}

/** The region-mass finding in words, computed from the comparison. */
export function regionMassConclusion(c: Stage1Comparison): string {
  const f = (x: number) => x.toFixed(3);
  if (c.verdict === "not measured") return `${c.a} vs ${c.b}: no question with a spatial word and a visible object; not measured.`;
  const what =
    c.verdict === "holds"
      ? `${c.a} puts more of the spatial word's image attention on the object than ${c.b}`
      : c.verdict === "reversed"
        ? `${c.b} puts more of the spatial word's image attention on the object than ${c.a}`
        : `no difference between ${c.a} and ${c.b} is established`;
  return `${what}: mean share difference ${f(c.diff)} [95% CI ${f(c.ci.lo)}, ${f(c.ci.hi)}, paired over questions] (**${c.verdict}**).`;
}
