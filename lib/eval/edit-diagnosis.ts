/**
 * Where a trained editor fails on SpatialEval-mini: in the MLLM (it does not know which object the
 * instruction means) or after it (it knows, but the edit head and the denoiser do not render the
 * edit). Per item:
 * - `targetNamed`: the language condition H_lm writes (greedy, paper Eq. 2) names the target as
 *   the ground-truth condition does: the words before the first "," ("the small gray checkered
 *   cylinder"), i.e. size, colour, material and shape of the instructed object;
 * - `attributes`: which of the four it gets right (`attributeMatches`); colour and shape right
 *   (`targetFound`) is the proxy for "found the right object": in these scenes material and size
 *   are often hard to see at 32x32, colour and shape rarely are;
 * - the object judge and the L1 to the truth (edit region, background, whole image) of the
 *   edited image (lib/eval/evaluate.ts).
 * `diagnosisSummary` groups them by edit kind; `diagnosisText` reads the numbers.
 */
import type { Editor as ModelEditor } from "../models/editor/model";
import { answerQuestions } from "../models/editor/pipeline";
import type { Benchmark } from "./benchmark-io";
import { evaluate } from "./evaluate";
import { signedAtSize, trainedEditor } from "./trained-editor";

/** What a diagnosis measures, per item or as a mean over items. */
export interface DiagnosisScores {
  /** 1 when the generated condition names the target as the truth does, else 0. */
  targetNamed: number;
  /** 1 when its colour and shape match the truth's (the right object found), else 0. */
  targetFound: number;
  /** Per attribute of the target phrase: 1 right, 0 wrong, NaN when the true phrase is not "the <size> <colour> <material> <shape>". */
  attributes: Record<Attribute, number>;
  objectJudge: number;
  /** The judge's two factors: share of the instructed objects done, share of the other objects and the ground kept. */
  judgeDone: number;
  judgeKept: number;
  l1Region: number;
  /** L1 to the truth outside the edited objects, and over the whole image. */
  l1Background: number;
  l1: number;
}

export interface DiagnosisItem extends DiagnosisScores {
  item: string;
  kind: string;
  /** The generated and the true condition. */
  generated: string;
  truth: string;
}

/** The means of one edit kind (or "all") over its items. */
export interface DiagnosisRow extends DiagnosisScores {
  kind: string;
  n: number;
}

/** The target's description in a language condition: lower-cased words before the first comma. */
export function targetPhrase(condition: string): string {
  const words = condition.toLowerCase().replace(/,/g, " , ").split(/\s+/).filter((w) => w !== "");
  const cut = words.indexOf(",");
  return (cut < 0 ? words : words.slice(0, cut)).join(" ");
}

/** The four words of a target phrase "the <size> <colour> <material> <shape>" (the data engine's condition template). */
export const ATTRIBUTES = ["size", "colour", "material", "shape"] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/**
 * Which attributes of the true target phrase the generated one gets right, word by word; all NaN
 * when the true phrase does not have the template's five words. A generated phrase of another
 * length is compared on the words it has at those positions.
 */
export function attributeMatches(generated: string, truth: string): Record<Attribute, number> {
  const t = targetPhrase(truth).split(" ");
  const g = targetPhrase(generated).split(" ");
  const ok = t.length === 5 && t[0] === "the";
  return Object.fromEntries(ATTRIBUTES.map((a, i) => [a, ok ? (g[i + 1] === t[i + 1] ? 1 : 0) : Number.NaN])) as Record<Attribute, number>;
}

/**
 * Per item: whether the generated condition names the target, with the judge and region L1.
 * `textScale` / `imageScale`: the edit pipeline's guidance scales (default 1, 1: no guidance).
 */
export async function diagnoseEdits(model: ModelEditor, bench: Benchmark, o: { ddimSteps: number; seed: number; batch?: number; textScale?: number; imageScale?: number }): Promise<DiagnosisItem[]> {
  const items = bench.items.filter((x) => x.kind !== null);
  if (items.length === 0) throw new Error(`diagnoseEdits: benchmark ${bench.dir} has no spatial edit items`);
  const guidance = { textScale: o.textScale ?? 1, imageScale: o.imageScale ?? 1 };
  const run = await evaluate(trainedEditor("diagnosis", model, { steps: o.ddimSteps, seed: o.seed, ...guidance }), { ...bench, items }, { seed: o.seed });
  const size = model.config.image;
  const batch = o.batch ?? 32;
  const generated: string[] = [];
  for (let s = 0; s < items.length; s += batch) {
    const part = items.slice(s, s + batch);
    const images = part.map((x) => signedAtSize(x.source, size));
    generated.push(...answerQuestions(model, images, part.map((x) => x.instruction), model.config.maxCondition));
  }
  return items.map((x, i) => {
    const m = run.items[i].metrics;
    const attributes = attributeMatches(generated[i], x.condition);
    return {
      item: x.id,
      kind: x.kind!,
      targetNamed: targetPhrase(generated[i]) === targetPhrase(x.condition) ? 1 : 0,
      targetFound: Number.isNaN(attributes.colour) ? Number.NaN : attributes.colour * attributes.shape,
      attributes,
      objectJudge: m["object judge"] ?? Number.NaN,
      judgeDone: m["object judge: done"] ?? Number.NaN,
      judgeKept: m["object judge: kept"] ?? Number.NaN,
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
    targetFound: meanOf(xs.map((x) => x.targetFound)),
    attributes: Object.fromEntries(ATTRIBUTES.map((a) => [a, meanOf(xs.map((x) => x.attributes[a]))])) as Record<Attribute, number>,
    objectJudge: meanOf(xs.map((x) => x.objectJudge)),
    judgeDone: meanOf(xs.map((x) => x.judgeDone)),
    judgeKept: meanOf(xs.map((x) => x.judgeKept)),
    l1Region: meanOf(xs.map((x) => x.l1Region)),
    l1Background: meanOf(xs.map((x) => x.l1Background)),
    l1: meanOf(xs.map((x) => x.l1)),
  });
  const kinds = [...new Set(items.map((x) => x.kind))].sort();
  return [...kinds.map((k) => row(k, items.filter((x) => x.kind === k))), row("all", items)];
}

/**
 * The reading of a summary: the MLLM is the bottleneck when it finds the target (colour and shape
 * right) in fewer than `found` of the items; else the edit is when the judge passes less than half
 * as often as the target is found. Read it for Stage II models: a model whose H_lm never learned
 * to write edit conditions names nothing. When the other objects and the ground are kept in fewer
 * than half of the items, the text adds that the edits spread beyond the target.
 */
export function diagnosisText(rows: readonly DiagnosisRow[], found = 0.5): string {
  const all = rows.find((r) => r.kind === "all");
  if (!all) throw new Error("diagnosisText: the summary has no 'all' row");
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const head = `over ${all.n} items the MLLM's language condition finds the target (colour and shape right) in ${pct(all.targetFound)} and names it fully in ${pct(all.targetNamed)} (size ${pct(all.attributes.size)}, colour ${pct(all.attributes.colour)}, material ${pct(all.attributes.material)}, shape ${pct(all.attributes.shape)} right); the object judge passes ${pct(all.objectJudge)} (instructed objects done ${pct(all.judgeDone)}, other objects and the ground kept ${pct(all.judgeKept)})`;
  // an editor that changes most of what it should keep fails the judge whatever it does to the target
  const spread = all.judgeKept < 0.5 ? `; and it changes what it should keep in most items (kept ${pct(all.judgeKept)}): its edits spread beyond the target` : "";
  if (!(all.targetFound >= found)) return `${head}: the MLLM does not yet know which object is meant in most items, so the first bottleneck is localisation (Stage I / the conditioner), not rendering${spread}`;
  if (all.objectJudge < all.targetFound / 2) return `${head}: the MLLM mostly finds the target, but the edit head and the denoiser do not render the edit: the bottleneck is after the MLLM${spread}`;
  return `${head}: the edits pass in at least half of the items where the target is found${spread}`;
}
