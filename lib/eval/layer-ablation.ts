/**
 * The per-layer attention ablation (paper Appendix O): attention tuning restricted to the shallow,
 * middle or deep third of the MLLM's layers (Stage I and Stage II alike) against all layers
 * (SpatialEdit). The paper reads its maps as "shallow layers localise the object, middle layers
 * handle the background, deep layers apply the edit". Each reading is tested here on a number:
 *   R1 shallow layers localise the object: in SpatialEdit (all layers tuned), the share of the
 *      spatial word's image attention on the instructed object is higher in the shallow third
 *      than in the middle and deep thirds (paired over instructions);
 *   R2 middle layers handle the background: of the three restricted variants, tuning the middle
 *      third gives the lowest error on the background (L1 outside the edited objects);
 *   R3 deep layers apply the edit: of the three, tuning the deep third gives the lowest error on
 *      the edited region (L1 on the edited objects).
 * Each verdict is computed from paired bootstrap intervals and can fall either way.
 */
import { Rng } from "../core/rng";
import { selectLayers } from "../nn/tuning";
import { toSigned } from "../models/editor/train/data";
import { renderScene } from "../world/render";
import type { BenchmarkItem } from "./benchmark-io";
import type { RegionItem } from "./word-attention";
import { verdictFromCi, type Verdict } from "./orderings";
import { bootstrapDiffCi, groupedMean, type Grouped, type Interval } from "./stats";

/** The variants of the ablation: grid ids of their final node, Stage I node and evaluation node. */
export const LAYER_VARIANTS = [
  { part: "shallow", name: "shallow layers", trained: "shallow", stage1: "stage1-shallow", evalNode: "eval-shallow" },
  { part: "middle", name: "middle layers", trained: "middle", stage1: "stage1-middle", evalNode: "eval-middle" },
  { part: "deep", name: "deep layers", trained: "deep", stage1: "stage1-deep", evalNode: "eval-deep" },
  { part: "all", name: "all layers (SpatialEdit)", trained: "spatialedit", stage1: "stage1", evalNode: "eval-spatialedit" },
] as const;

/** Layer indices of each third of an L-layer stack (the tuning modes' own split, lib/nn `selectLayers`). */
export function layerThirds(L: number): Record<"shallow" | "middle" | "deep", number[]> {
  return { shallow: selectLayers("shallow", L), middle: selectLayers("middle", L), deep: selectLayers("deep", L) };
}

/** SpatialEval-mini items as region items: the source image, the instruction, its target objects and the source's instance mask. */
export function benchmarkRegionItems(items: readonly BenchmarkItem[]): RegionItem[] {
  return items
    .filter((it) => it.targets.length > 0)
    .map((it) => ({
      image: toSigned(it.source.data),
      question: it.instruction,
      objects: it.targets,
      mask: renderScene(it.sourceScene, { width: it.source.width, height: it.source.height }).mask,
    }));
}

export interface ReadingCheck {
  reading: "R1" | "R2" | "R3";
  text: string;
  /** The comparisons the reading needs (each "a beats b"): it holds only if all hold. */
  parts: { a: string; b: string; diff: number; ci: Interval; verdict: Verdict }[];
  verdict: Verdict;
}

function combine(parts: ReadingCheck["parts"]): Verdict {
  const vs = parts.map((p) => p.verdict);
  if (vs.some((v) => v === "not measured")) return "not measured";
  if (vs.every((v) => v === "holds")) return "holds";
  if (vs.some((v) => v === "reversed")) return "reversed";
  if (vs.every((v) => v.startsWith("holds"))) return "holds, not significant";
  return vs.some((v) => v.startsWith("reversed")) ? "reversed, not significant" : "tie";
}

/** "a beats b" on paired per-item values (higher better unless `lower`). */
function pairedPart(a: string, b: string, va: readonly number[], vb: readonly number[], lower: boolean, rng: Rng, resamples: number): ReadingCheck["parts"][number] {
  if (va.length === 0 || va.length !== vb.length) return { a, b, diff: NaN, ci: { lo: NaN, hi: NaN }, verdict: "not measured" };
  const sign = lower ? -1 : 1;
  const ga: Grouped = [va];
  const gb: Grouped = [vb];
  const diff = sign * (groupedMean(ga) - groupedMean(gb));
  const ci = bootstrapDiffCi(ga, gb, rng.fork(`${a}|${b}`), resamples);
  const dir = sign > 0 ? { lo: ci.lo, hi: ci.hi } : { lo: -ci.hi, hi: -ci.lo };
  return { a, b, diff, ci: dir, verdict: verdictFromCi(diff, dir) };
}

/**
 * R1 from SpatialEdit's per-instruction, per-layer region mass (`regionMassStudy` rows' perItem).
 */
export function checkShallowLocalises(perItem: readonly (readonly number[])[], rng: Rng, resamples = 1000): ReadingCheck {
  const L = perItem[0]?.length ?? 0;
  const text = "shallow layers localise the object: SpatialEdit's spatial word puts more image attention on the object in the shallow third than in the middle and deep thirds";
  if (perItem.length === 0) return { reading: "R1", text, parts: [], verdict: "not measured" };
  const t = layerThirds(L);
  const meanOf = (layers: number[]) => perItem.map((row) => layers.reduce((s, l) => s + row[l], 0) / layers.length);
  const parts = [pairedPart("shallow third", "middle third", meanOf(t.shallow), meanOf(t.middle), false, rng, resamples), pairedPart("shallow third", "deep third", meanOf(t.shallow), meanOf(t.deep), false, rng, resamples)];
  return { reading: "R1", text, parts, verdict: combine(parts) };
}

/** Per-item values of a metric for each restricted variant (the same items in the same order). */
export type VariantItems = Record<"shallow" | "middle" | "deep", readonly number[]>;

/** One evaluation's per-item scores at one seed (an `EvalRun`, or an evaluation of the grid's report). */
export interface SeededItems {
  seed: number;
  items: readonly { item: string; metrics: Record<string, number> }[];
}

/**
 * Per-item values of `metric` for the three restricted variants, paired: an item enters (keyed by
 * seed and item) only where every variant has a finite value for it, in the shallow variant's order.
 */
export function alignedVariantItems(runs: Record<"shallow" | "middle" | "deep", readonly SeededItems[]>, metric: string): VariantItems {
  const perItem = (rs: readonly SeededItems[]) => new Map(rs.flatMap((r) => r.items.filter((it) => Number.isFinite(it.metrics[metric])).map((it) => [`${r.seed}|${it.item}`, it.metrics[metric]] as [string, number])));
  const maps = { shallow: perItem(runs.shallow), middle: perItem(runs.middle), deep: perItem(runs.deep) };
  const keys = [...maps.shallow.keys()].filter((k) => maps.middle.has(k) && maps.deep.has(k));
  return { shallow: keys.map((k) => maps.shallow.get(k)!), middle: keys.map((k) => maps.middle.get(k)!), deep: keys.map((k) => maps.deep.get(k)!) };
}

/** R2 (background error, lower is better, middle should win) and R3 (edit-region error, deep should win). */
export function checkRegionReadings(background: VariantItems, region: VariantItems, rng: Rng, resamples = 1000): ReadingCheck[] {
  const r2 = [pairedPart("middle", "shallow", background.middle, background.shallow, true, rng.fork("R2"), resamples), pairedPart("middle", "deep", background.middle, background.deep, true, rng.fork("R2"), resamples)];
  const r3 = [pairedPart("deep", "shallow", region.deep, region.shallow, true, rng.fork("R3"), resamples), pairedPart("deep", "middle", region.deep, region.middle, true, rng.fork("R3"), resamples)];
  return [
    { reading: "R2", text: "middle layers handle the background: tuning the middle third gives the lowest background error (L1 outside the edited objects)", parts: r2, verdict: combine(r2) },
    { reading: "R3", text: "deep layers apply the edit: tuning the deep third gives the lowest error on the edited objects (L1 on the edit region)", parts: r3, verdict: combine(r3) },
  ];
}

/** The readings in words, each with its numbers. */
export function readingsConclusion(checks: readonly ReadingCheck[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "n/a");
  return checks
    .map((c) => {
      const parts = c.parts.map((p) => `${p.a} vs ${p.b}: ${f(p.diff)} [${f(p.ci.lo)}, ${f(p.ci.hi)}] ${p.verdict}`).join("; ");
      const status = c.verdict === "holds" ? "reproduces" : c.verdict === "reversed" ? "is contradicted" : c.verdict === "not measured" ? "was not measured" : `is not established (${c.verdict})`;
      return `- **${c.reading}** (${c.text}) ${status}${parts ? `: ${parts} (difference in the claimed direction, 95% CI)` : ""}.`;
    })
    .join("\n");
}

/** A variant's mean of each metric (the per-layer notebook's score table). */
export interface VariantMeans {
  variant: string;
  m: Record<string, number>;
}

/**
 * The best variant on `metric` (the lowest value when `lower`, else the highest) with its value,
 * every variant that ties at it, "all variants tie at ..." when none stands out, and "not
 * measured" when no variant has a finite value (variants without one are left out).
 */
export function bestVariantText(means: readonly VariantMeans[], metric: string, lower: boolean): string {
  const measured = means.filter((r) => Number.isFinite(r.m[metric]));
  if (measured.length === 0) return "not measured";
  const vals = measured.map((r) => r.m[metric]);
  const top = lower ? Math.min(...vals) : Math.max(...vals);
  const who = measured.filter((r) => r.m[metric] === top).map((r) => r.variant);
  return who.length === means.length ? `all variants tie at ${top.toFixed(4)}` : `${who.join(" and ")} (${top.toFixed(4)})`;
}

/** One SpatialEval-mini or general evaluation of the grid's report (editor-grid.ts `EditorGridReport["evaluations"]`). */
export interface LayerEvaluation extends SeededItems {
  id: string;
  benchmark: string;
  metrics: Record<string, { mean: number; n: number }>;
}

/** The metrics of the per-layer summary's means (judge: higher is better; L1: lower is better). */
export const LAYER_SUMMARY_METRICS = ["object judge", "L1 (edit region)", "L1 (background)"] as const;

/** The per-layer ablation (Appendix O) as far as the evaluations alone can test it: R2 and R3 over every seed with all three restricted variants. */
export interface LayerGridSummary {
  /** Seeds at which the shallow, middle and deep variants were all evaluated on SpatialEval-mini. */
  seeds: number[];
  /** Each variant's mean over those seeds (all layers = SpatialEdit, where evaluated at them). */
  means: VariantMeans[];
  /** Paired (seed, item) values behind R2 and R3. */
  items: number;
  readings: ReadingCheck[];
  text: string;
}

/**
 * Appendix O's R2 (middle layers keep the background) and R3 (deep layers apply the edit) from the
 * grid's per-layer evaluations, paired over (seed, item) at every seed that has all three restricted
 * variants; null when no seed has. R1 needs the trained weights (the attention maps), so it stays
 * with notebook 07. The verdicts are computed from the per-item L1 and fall either way.
 */
export function layerGridSummary(evaluations: readonly LayerEvaluation[], resamples = 1000): LayerGridSummary | null {
  const spatial = evaluations.filter((e) => e.benchmark === "spatialeval");
  const at = (node: string) => spatial.filter((e) => e.id.replace(/@s\d+$/, "") === node);
  const parts = ["shallow", "middle", "deep"] as const;
  const variant = (part: string) => LAYER_VARIANTS.find((v) => v.part === part)!;
  const seedSets = parts.map((p) => new Set(at(variant(p).evalNode).map((e) => e.seed)));
  const seeds = [...seedSets[0]].filter((s) => seedSets.every((set) => set.has(s))).sort((a, b) => a - b);
  if (seeds.length === 0) return null;
  const runsOf = (node: string) => at(node).filter((e) => seeds.includes(e.seed));
  for (const e of parts.flatMap((p) => runsOf(variant(p).evalNode))) if (e.items.length === 0) throw new Error(`layerGridSummary: evaluation '${e.id}' has no per-item scores`);
  const runs = { shallow: runsOf(variant("shallow").evalNode), middle: runsOf(variant("middle").evalNode), deep: runsOf(variant("deep").evalNode) };
  const background = alignedVariantItems(runs, "L1 (background)");
  const readings = checkRegionReadings(background, alignedVariantItems(runs, "L1 (edit region)"), new Rng(0).fork("layers-summary"), resamples);
  const means: VariantMeans[] = LAYER_VARIANTS.map((v) => ({ v, rs: runsOf(v.evalNode) }))
    .filter(({ rs }) => rs.length > 0)
    .map(({ v, rs }) => ({ variant: `${v.name}${rs.length < seeds.length ? ` (seeds ${rs.map((r) => r.seed).join(", ")})` : ""}`, m: Object.fromEntries(LAYER_SUMMARY_METRICS.map((m) => [m, rs.reduce((a, r) => a + (r.metrics[m]?.mean ?? NaN), 0) / rs.length])) }));
  const items = background.shallow.length;
  const text = [
    `Appendix O from the evaluations at seeds ${seeds.join(", ")} (${items} paired items; R1 needs the trained weights: notebook 07):`,
    readingsConclusion(readings),
    `- Highest object judge: ${bestVariantText(means, "object judge", false)}; lowest background L1: ${bestVariantText(means, "L1 (background)", true)}; lowest edit-region L1: ${bestVariantText(means, "L1 (edit region)", true)}.`,
  ].join("\n");
  return { seeds, means, items, readings, text };
}
