/**
 * Where a trained editor fails on SpatialEval-mini: in the MLLM (it does not know which object the
 * instruction means) or after it (it knows, but the edit head and the denoiser do not render the
 * edit). Per item:
 * - `targetNamed`: the language condition H_lm writes (greedy, paper Eq. 2) names the target as
 *   the ground-truth condition does: the words before the first "," ("the small gray checkered
 *   cylinder"), i.e. size, colour, material and shape of the instructed object;
 * - the object judge and the L1 to the truth (edit region, background, whole image) of the
 *   edited image (lib/eval/evaluate.ts).
 * `diagnosisSummary` groups them by edit kind; `diagnosisText` reads the numbers.
 */
import type { Editor as ModelEditor } from "../models/editor/model";
import { answerQuestions } from "../models/editor/pipeline";
import { toSigned } from "../models/editor/train/data";
import type { Benchmark } from "./benchmark-io";
import { evaluate } from "./evaluate";
import { resizeBilinear, toRgb } from "./image";
import { trainedEditor } from "./trained-editor";

export interface DiagnosisItem {
  item: string;
  kind: string;
  /** 1 when the generated condition names the target as the truth does, else 0. */
  targetNamed: number;
  objectJudge: number;
  l1Region: number;
  /** L1 to the truth outside the edited objects, and over the whole image. */
  l1Background: number;
  l1: number;
  /** The generated and the true condition. */
  generated: string;
  truth: string;
}

export interface DiagnosisRow {
  kind: string;
  n: number;
  targetNamed: number;
  objectJudge: number;
  l1Region: number;
  l1Background: number;
  l1: number;
}

/** The target's description in a language condition: lower-cased words before the first comma. */
export function targetPhrase(condition: string): string {
  const words = condition.toLowerCase().replace(/,/g, " , ").split(/\s+/).filter((w) => w !== "");
  const cut = words.indexOf(",");
  return (cut < 0 ? words : words.slice(0, cut)).join(" ");
}

/** Per item: whether the generated condition names the target, with the judge and region L1. */
export async function diagnoseEdits(model: ModelEditor, bench: Benchmark, o: { ddimSteps: number; seed: number; batch?: number }): Promise<DiagnosisItem[]> {
  const items = bench.items.filter((x) => x.kind !== null);
  if (items.length === 0) throw new Error(`diagnoseEdits: benchmark ${bench.dir} has no spatial edit items`);
  const run = await evaluate(trainedEditor("diagnosis", model, { steps: o.ddimSteps, seed: o.seed }), { ...bench, items }, { seed: o.seed });
  const size = model.config.image;
  const batch = o.batch ?? 32;
  const generated: string[] = [];
  for (let s = 0; s < items.length; s += batch) {
    const part = items.slice(s, s + batch);
    const images = part.map((x) => toSigned((x.source.width === size && x.source.height === size ? x.source : toRgb(resizeBilinear(x.source, size, size))).data));
    generated.push(...answerQuestions(model, images, part.map((x) => x.instruction), model.config.maxCondition));
  }
  return items.map((x, i) => {
    const m = run.items[i].metrics;
    return {
      item: x.id,
      kind: x.kind!,
      targetNamed: targetPhrase(generated[i]) === targetPhrase(x.condition) ? 1 : 0,
      objectJudge: m["object judge"] ?? Number.NaN,
      l1Region: m["L1 (edit region)"] ?? Number.NaN,
      l1Background: m["L1 (background)"] ?? Number.NaN,
      l1: m.L1 ?? Number.NaN,
      generated: generated[i],
      truth: x.condition,
    };
  });
}

function meanOf(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length;
}

/** One row per edit kind (sorted by name), then "all". */
export function diagnosisSummary(items: readonly DiagnosisItem[]): DiagnosisRow[] {
  if (items.length === 0) throw new Error("diagnosisSummary: no items");
  const row = (kind: string, xs: readonly DiagnosisItem[]): DiagnosisRow => ({
    kind,
    n: xs.length,
    targetNamed: meanOf(xs.map((x) => x.targetNamed)),
    objectJudge: meanOf(xs.map((x) => x.objectJudge)),
    l1Region: meanOf(xs.map((x) => x.l1Region)),
    l1Background: meanOf(xs.map((x) => x.l1Background)),
    l1: meanOf(xs.map((x) => x.l1)),
  });
  const kinds = [...new Set(items.map((x) => x.kind))].sort();
  return [...kinds.map((k) => row(k, items.filter((x) => x.kind === k))), row("all", items)];
}

/**
 * The reading of a summary: the MLLM is the bottleneck when it names the target in fewer than
 * `named` of the items; else the edit is (it names the target but the judge passes less than half
 * as often as it names it).
 */
export function diagnosisText(rows: readonly DiagnosisRow[], named = 0.5): string {
  const all = rows.find((r) => r.kind === "all");
  if (!all) throw new Error("diagnosisText: the summary has no 'all' row");
  const head = `the MLLM's language condition names the target in ${(100 * all.targetNamed).toFixed(1)}% of ${all.n} items; the object judge passes ${(100 * all.objectJudge).toFixed(1)}%`;
  if (all.targetNamed < named) return `${head}: the MLLM does not yet know which object is meant in most items, so the first bottleneck is localisation (Stage I / the conditioner), not rendering`;
  if (all.objectJudge < all.targetNamed / 2) return `${head}: the MLLM mostly knows the target, but the edit head and the denoiser do not render the edit: the bottleneck is after the MLLM`;
  return `${head}: the edits pass in at least half of the items where the target is named`;
}
