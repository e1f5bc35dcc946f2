/**
 * A head fitted alone on a finished editor, compared before and after (npm run plan-head, scale-head): on each side the
 * head's own measure on held-out edits and the editor's decoding chosen on the validation benchmark (decode-choice.ts),
 * scored on SpatialEval-mini; between them the fit; then after - before paired over the benchmark's items, overall and per
 * kind. The two sides differ only in the head's weights.
 */
import { Rng } from "../core/rng";
import type { GateDecode } from "../models/editor/gate-decode";
import type { Editor } from "../models/editor/model";
import type { CheckedFit } from "../models/editor/train/finished";
import type { Benchmark } from "./benchmark-io";
import { chooseDecoding } from "./decode-choice";
import { benchmarkKindMeans, type KindMeanRow } from "./kind-means";
import { bootstrapDiffCi } from "./stats";

export interface HeadFitSide<M> {
  measure: M;
  decoded: Awaited<ReturnType<typeof chooseDecoding>>;
}

export interface HeadFitComparison<M> {
  before: HeadFitSide<M>;
  /** The fit's losses (every tenth and the last), checks and kept step. */
  fit: CheckedFit;
  after: HeadFitSide<M>;
  gain: { diff: number; lo: number; hi: number };
  kinds: KindMeanRow<"before" | "after">[];
}

/**
 * Before, `fit()`, after: `measure(label)` (the head's error on held-out edits, logged by the caller) and the decoding of `e`
 * among `rules` chosen on `validation` and scored on `bench` on each side; `stream` names the interval's random stream and
 * the per-kind table. `log` gets each line.
 */
export async function compareHeadFit<M>(o: { e: Editor; rules: readonly GateDecode[]; validation: Benchmark; bench: Benchmark; ddim: number; seed: number; stream: string; measure: (label: string) => M; fit: () => CheckedFit; log: (line: string) => void }): Promise<HeadFitComparison<M>> {
  const side = async (label: string): Promise<HeadFitSide<M>> => ({ measure: o.measure(label), decoded: await chooseDecoding(o.e, o.rules, o.validation, o.bench, o.ddim, o.seed, (line) => o.log(`${label}: ${line}`)) });
  const before = await side("before");
  const fit = o.fit();
  o.log(`the check scores: ${fit.checks.map((x) => `step ${x.step} ${x.score.toFixed(4)}`).join(", ")}; kept step ${fit.kept}`);
  const after = await side("after");
  const ci = bootstrapDiffCi([after.decoded.scores.items], [before.decoded.scores.items], new Rng(o.seed).fork(o.stream), 2000);
  const gain = { diff: after.decoded.scores.objectJudge - before.decoded.scores.objectJudge, lo: ci.lo, hi: ci.hi };
  const kinds = benchmarkKindMeans(o.bench.items, { before: before.decoded.scores.items, after: after.decoded.scores.items }, o.stream);
  o.log(`after minus before on SpatialEval-mini: ${gain.diff.toFixed(3)} [95% CI ${gain.lo.toFixed(3)}, ${gain.hi.toFixed(3)}, paired over items]; per kind ${kinds.map((k) => `${k.kind} (${k.n}) ${k.before.toFixed(3)} / ${k.after.toFixed(3)}`).join(", ")}`);
  return { before, fit: thinned(fit), after, gain, kinds };
}

/** compareHeadFit without the decodings: before, `fit()`, after by the head's own `measure(label)` only (the fit's worth on held-out edits, at the cost of the fit alone). */
export function measureHeadFit<M>(o: { measure: (label: string) => M; fit: () => CheckedFit; log: (line: string) => void }): { before: { measure: M }; fit: CheckedFit; after: { measure: M } } {
  const before = { measure: o.measure("before") };
  const fit = o.fit();
  o.log(`the check scores: ${fit.checks.map((x) => `step ${x.step} ${x.score.toFixed(4)}`).join(", ")}; kept step ${fit.kept}`);
  return { before, fit: thinned(fit), after: { measure: o.measure("after") } };
}

/** A fit as the results files keep it: every tenth loss and the last. */
function thinned(fit: CheckedFit): CheckedFit {
  return { ...fit, losses: fit.losses.filter((_, i) => i % 10 === 9 || i === fit.losses.length - 1) };
}
