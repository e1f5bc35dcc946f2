/**
 * The two dataset tables (paper Table 3, Appendix H: share of spatial instructions per corpus;
 * Table 4, Appendix I: data quality), ours beside the paper's.
 *   Table 3 takes rows {corpus, n, spatialShare, ci} from any source (our generators' data now;
 *   a frozen set of real instructions when it exists) and the classifier's accuracy, which is
 *   shown beside every share (a share is only as good as the classifier that counts it).
 *   Table 4 takes the data-quality rows of data-quality.ts; each column names its function.
 */
import type { Figure } from "../core/plot";
import type { Row } from "../core/table";
import { QUALITY_FUNCTIONS, QualityRow } from "./data-quality";
import { paperRows, paperValue } from "./paper-numbers";
import type { Interval } from "./stats";

export interface CorpusShare {
  /** Our corpus name, e.g. "engine data (quick)". */
  corpus: string;
  /** The paper's row it stands beside (IPr2Pr, MagicBrush, MA5K, Seed-X, SpatialEdit), if any. */
  paperRow?: string;
  n: number;
  spatialShare: number;
  ci: Interval;
  /** Where the instructions come from. */
  source: string;
}

export interface ClassifierAccuracy {
  accuracy: number;
  n: number;
  /** True only when the labelled cases were not used to write the classifier. */
  heldOut: boolean;
  source: string;
}

const r6 = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 1e6) / 1e6);

/** Table 3 rows: measured corpora (with the classifier's accuracy beside), then paper-only rows. */
export function buildTable3(shares: readonly CorpusShare[], classifier: ClassifierAccuracy): { rows: Row[]; caption: string } {
  if (!(classifier.accuracy >= 0 && classifier.accuracy <= 1)) throw new Error(`buildTable3: classifier accuracy must be in [0, 1], got ${classifier.accuracy}`);
  const known = paperRows("3");
  for (const s of shares) {
    if (s.paperRow !== undefined && !known.includes(s.paperRow)) throw new Error(`buildTable3: unknown paper row '${s.paperRow}'; known: ${known.join(", ")}`);
    if (!(s.spatialShare >= 0 && s.spatialShare <= 1) || !Number.isInteger(s.n) || s.n < 1) throw new Error(`buildTable3: '${s.corpus}' needs n >= 1 and a share in [0, 1], got n=${s.n}, share=${s.spatialShare}`);
  }
  const acc = `${classifier.heldOut ? "held-out" : "NOT held-out"} accuracy ${(classifier.accuracy * 100).toFixed(1)}% on ${classifier.n} labelled instructions (${classifier.source})`;
  const rows: Row[] = shares.map((s) => ({
    corpus: s.corpus,
    rows: s.paperRow ? "ours + paper" : "ours",
    n: s.n,
    "spatial share (ours)": r6(s.spatialShare),
    "CI lo": r6(s.ci.lo),
    "CI hi": r6(s.ci.hi),
    "paper row": s.paperRow ?? null,
    "paper spatial share": s.paperRow ? paperValue("3", s.paperRow, "Spatial Instruction") : null,
    "classifier accuracy": r6(classifier.accuracy),
    source: s.source,
  }));
  for (const p of known.filter((p) => !shares.some((s) => s.paperRow === p))) {
    rows.push({ corpus: p, rows: "paper only", n: null, "spatial share (ours)": null, "CI lo": null, "CI hi": null, "paper row": p, "paper spatial share": paperValue("3", p, "Spatial Instruction"), "classifier accuracy": null, source: "paper (3 human annotators, 100 samples)" });
  }
  return { rows, caption: `Table 3: share of spatial instructions; classifier: isSpatialInstruction, ${acc}` };
}

/** Table 4 rows: our quality rows (each beside its paper row), then paper-only rows. */
export function buildTable4(quality: readonly (QualityRow & { paperRow?: string })[]): { rows: Row[]; caption: string } {
  const known = paperRows("4");
  const col = (q: QualityRow["groundTruthExact"], name: string) => ({ [`${name} (ours)`]: r6(q.share), [`${name} CI lo`]: r6(q.ci.lo), [`${name} CI hi`]: r6(q.ci.hi) });
  const paper = (p: string | undefined) => ({
    "paper Helpfulness": p ? paperValue("4", p, "Helpfulness") : null,
    "paper Reasonable": p ? paperValue("4", p, "Reasonable") : null,
    "paper Spatial": p ? paperValue("4", p, "Spatial") : null,
    "paper Quality (no measure of ours)": p ? paperValue("4", p, "Quality") : null,
  });
  const rows: Row[] = quality.map((q) => {
    if (q.paperRow !== undefined && !known.includes(q.paperRow)) throw new Error(`buildTable4: unknown paper row '${q.paperRow}'; known: ${known.join(", ")}`);
    return { dataset: q.dataset, rows: q.paperRow ? `ours beside ${q.paperRow}` : "ours", records: q.records, ...col(q.groundTruthExact, "ground truth exact"), ...col(q.parsesToOneReferent, "parses to one referent"), ...col(q.spatial, "spatial"), ...paper(q.paperRow) };
  });
  for (const p of known.filter((p) => !quality.some((q) => q.paperRow === p))) rows.push({ dataset: p, rows: "paper only", records: null, ...paper(p) });
  const fns = Object.entries(QUALITY_FUNCTIONS).map(([k, v]) => `${k} = ${v}`).join("; ");
  return { rows, caption: `Table 4 analogue: data quality measured by functions (the paper: 5 human raters, scores / 100). ${fns}. Ours beside: Helpfulness ~ ground truth exact, Reasonable ~ parses to one referent, Spatial ~ spatial.` };
}

/** Bars with CIs for Table 3 or 4 rows: our column beside the paper's. */
export function shareFigure(rows: readonly Row[], label: string, pairs: { ours: string; paper: string }[], title: string): Figure {
  const x = rows.map((r) => String(r[label]));
  const data: Record<string, unknown>[] = [];
  for (const p of pairs) {
    const y = rows.map((r) => r[`${p.ours} (ours)`] ?? r[p.ours] ?? null) as (number | null)[];
    const lo = rows.map((r) => (r[`${p.ours} CI lo`] ?? r["CI lo"] ?? null) as number | null);
    const hi = rows.map((r) => (r[`${p.ours} CI hi`] ?? r["CI hi"] ?? null) as number | null);
    data.push({
      type: "bar",
      name: `ours: ${p.ours}`,
      x,
      y,
      error_y: { type: "data", symmetric: false, array: y.map((v, i) => (v === null || hi[i] === null ? null : (hi[i] as number) - v)), arrayminus: y.map((v, i) => (v === null || lo[i] === null ? null : v - (lo[i] as number))) },
      hovertemplate: `%{x}<br>${p.ours}: %{y:.3f}<extra>ours</extra>`,
    });
    data.push({ type: "bar", name: p.paper, x, y: rows.map((r) => r[p.paper] ?? null), marker: { opacity: 0.4, pattern: { shape: "/" } }, hovertemplate: `%{x}<br>${p.paper}: %{y:.3f}<extra>paper</extra>` });
  }
  return { data, layout: { title: { text: title }, barmode: "group", yaxis: { title: { text: "share" }, range: [0, 1.05] }, xaxis: { tickangle: 30 }, legend: { orientation: "v", x: 1.02, y: 1, xanchor: "left", yanchor: "top" } } };
}
