/**
 * The paper's method tables beside ours (paper Tables 1, 2, 5; docs/architecture.md §5): measured values
 * per (method, metric, seed[, item]) in, a table out with the paper's number beside each of our
 * means, the spread over seeds and a bootstrap confidence interval. Rows the miniature cannot
 * have are "paper only"; rows it can have but has not measured yet say so.
 */
import { Rng } from "../core/rng";
import type { Row } from "../core/table";
import { paperEntry, paperValue } from "./paper-numbers";
import { bootstrapCi, groupedMean, Grouped, Interval, sd } from "./stats";
import { REFERENCE_METHODS, TableSpec } from "./table-specs";

export interface Measurement {
  method: string;
  metric: string;
  seed: number;
  /** Benchmark item id (per-item values); absent for one value per seed. */
  item?: string;
  value: number;
}

export interface CellSummary {
  method: string;
  metric: string;
  seeds: number[];
  /** Mean of each seed. */
  perSeed: number[];
  mean: number;
  /** Standard deviation over the seeds' means (0 with one seed). */
  sd: number;
  ci: Interval;
  items: number;
}

export interface BuildOptions {
  rng: Rng;
  resamples?: number;
  level?: number;
  /** Method names accepted besides the paper's rows and the reference editors (e.g. per-layer variants). */
  extraMethods?: string[];
}

export interface BuiltTable {
  spec: TableSpec;
  rows: Row[];
  cells: CellSummary[];
  /** Methods in row order. */
  methods: string[];
}

/** Per-seed value lists of one method and metric, items in id order (so two methods pair up). */
export function groupBySeed(ms: readonly Measurement[], method: string, metric: string): { seeds: number[]; groups: number[][] } {
  const bySeed = new Map<number, Measurement[]>();
  for (const m of ms) {
    if (m.method !== method || m.metric !== metric) continue;
    const list = bySeed.get(m.seed);
    if (list === undefined) bySeed.set(m.seed, [m]);
    else list.push(m);
  }
  const seeds = [...bySeed.keys()].sort((a, b) => a - b);
  const groups = seeds.map((s) => bySeed.get(s)!.sort((a, b) => (a.item ?? "").localeCompare(b.item ?? "")).map((m) => m.value));
  return { seeds, groups };
}

/** Checks measurements against a table spec: known metric, known method, finite value. */
export function checkMeasurements(spec: TableSpec, ms: readonly Measurement[], extraMethods: readonly string[] = []): void {
  const metrics = spec.metrics.map((m) => m.ours);
  const methods = [...spec.rows, ...REFERENCE_METHODS, ...extraMethods];
  for (const m of ms) {
    if (!metrics.includes(m.metric)) throw new Error(`Table ${spec.table}: unknown metric '${m.metric}'; known: ${metrics.join(", ")}`);
    if (!methods.includes(m.method)) throw new Error(`Table ${spec.table}: unknown method '${m.method}'; known: ${methods.join(", ")} (pass extraMethods for new variants)`);
    if (!Number.isFinite(m.value)) throw new Error(`Table ${spec.table}: ${m.method} / ${m.metric} / seed ${m.seed}${m.item ? ` / ${m.item}` : ""} is ${m.value}; leave out items a judge cannot score instead`);
    if (!Number.isInteger(m.seed)) throw new Error(`Table ${spec.table}: seed must be an integer, got ${m.seed}`);
  }
}

/** Summary of one cell (NaN mean when nothing was measured). */
export function summarise(ms: readonly Measurement[], method: string, metric: string, rng: Rng, resamples = 1000, level = 0.95): CellSummary {
  const { seeds, groups } = groupBySeed(ms, method, metric);
  const g: Grouped = groups;
  const perSeed = groups.map((x) => groupedMean([x]));
  return { method, metric, seeds, perSeed, mean: groupedMean(g), sd: sd(perSeed), ci: seeds.length === 0 ? { lo: NaN, hi: NaN } : bootstrapCi(g, rng, resamples, level), items: groups.reduce((s, x) => s + x.length, 0) };
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);

/** Builds the rows of a method table (see the file comment). */
export function buildTable(spec: TableSpec, ms: readonly Measurement[], options: BuildOptions): BuiltTable {
  checkMeasurements(spec, ms, options.extraMethods);
  const measured = new Set(ms.map((m) => m.method));
  const methods = [...spec.rows, ...[...measured].filter((m) => !spec.rows.includes(m))];
  const cells: CellSummary[] = [];
  const rows: Row[] = methods.map((method) => {
    const inPaper = spec.rows.includes(method);
    const entry = spec.metrics.map((m) => (m.paper ? paperEntry(spec.table, method, m.paper.column, m.paper.dataset) : null)).find((e) => e !== null);
    const miniature = entry?.miniature !== false;
    const status = !inPaper ? "ours only (reference)" : !miniature ? "paper only (not in the miniature)" : measured.has(method) ? "ours + paper" : "paper; ours not measured yet";
    const row: Row = { method, rows: status };
    let seeds = 0;
    for (const m of spec.metrics) {
      const c = summarise(ms, method, m.ours, options.rng.fork(`${method}|${m.ours}`), options.resamples, options.level);
      cells.push(c);
      seeds = Math.max(seeds, c.seeds.length);
      row[`${m.ours} (ours)`] = round(c.mean);
      row[`${m.ours} sd`] = round(c.sd);
      row[`${m.ours} CI lo`] = round(c.ci.lo);
      row[`${m.ours} CI hi`] = round(c.ci.hi);
      if (m.paper) row[`paper ${m.paper.dataset ? `${m.paper.dataset} ` : ""}${m.paper.column}`] = inPaper ? paperValue(spec.table, method, m.paper.column, m.paper.dataset) : null;
    }
    for (const x of spec.extraPaperColumns) row[`paper ${x.dataset ? `${x.dataset} ` : ""}${x.column} (no measure of ours)`] = inPaper ? paperValue(spec.table, method, x.column, x.dataset) : null;
    row.seeds = seeds;
    return row;
  });
  return { spec, rows, cells, methods };
}
