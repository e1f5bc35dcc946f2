/**
 * Classifier-free guidance chosen on held-out data: a trained editor is scored with each pair of guidance scales
 * (text s_T, image s_I; the InstructPix2Pix formula, lib/diffusion) on the validation benchmark, the best pair is
 * scored on the test benchmark, and its object judge is paired with the same editor without guidance (1 x 1).
 * Asks whether the condition dropout Stage II trains for guidance pays for itself where we score. The scales are
 * never chosen on the items they are reported on.
 */
import { Rng } from "../core/rng";
import type { Benchmark } from "./benchmark-io";
import type { Editor } from "./editor";
import { scoreEditorPoint, type PointScores } from "./learning-curve";
import { bootstrapDiffCi } from "./stats";

/** A pair of guidance scales; 1 x 1 is no guidance. */
export interface GuidancePair {
  textScale: number;
  imageScale: number;
}

export const NO_GUIDANCE: GuidancePair = { textScale: 1, imageScale: 1 };

export interface GuidanceSweep {
  /** Each pair's object judge on the validation benchmark, in the order tried (1 x 1 first). */
  validation: (GuidancePair & { objectJudge: number })[];
  chosen: GuidancePair;
  /** The chosen pair on the test benchmark, and the same editor without guidance there. */
  scores: PointScores;
  none: PointScores;
  /** scores minus none, paired over the test items (95% bootstrap interval). */
  gain: { diff: number; lo: number; hi: number };
}

/** "s_T x s_I" pairs, comma-separated, e.g. "1x1,2.5x1.5"; each scale a finite number >= 1 (1 is no guidance). */
export function parseGuidancePairs(spec: string): GuidancePair[] {
  const pairs = spec.split(",").filter((x) => x !== "").map((p) => {
    const m = /^([0-9]+(?:\.[0-9]+)?)x([0-9]+(?:\.[0-9]+)?)$/.exec(p);
    if (m === null) throw new Error(`guidance: '${p}' is not <text scale>x<image scale> (e.g. 2.5x1.5)`);
    const [textScale, imageScale] = [Number(m[1]), Number(m[2])];
    if (textScale < 1 || imageScale < 1) throw new Error(`guidance: scales below 1 ('${p}') reverse the condition; use scales >= 1`);
    return { textScale, imageScale };
  });
  if (pairs.length === 0) throw new Error("guidance: no scale pairs given");
  return pairs;
}

const same = (a: GuidancePair, b: GuidancePair) => a.textScale === b.textScale && a.imageScale === b.imageScale;

/**
 * Scores `editorAt(pair)` for 1 x 1 and each of `pairs` on `validation`, chooses the best (the first of equals, so no
 * guidance wins a tie), and scores it and 1 x 1 on `test`. `log` gets one line per scored pair.
 */
export async function guidanceSweep(editorAt: (g: GuidancePair) => Editor, validation: Benchmark, test: Benchmark, pairs: readonly GuidancePair[], seed: number, log: (line: string) => void = () => {}): Promise<GuidanceSweep> {
  if (validation.contentHash === test.contentHash) throw new Error("guidanceSweep: the validation and test benchmarks are the same items; the scales must be chosen on held-out ones");
  const tried = [NO_GUIDANCE, ...pairs].filter((p, i, all) => all.findIndex((q) => same(p, q)) === i); // 1 x 1 first, each pair once
  const scored: GuidanceSweep["validation"] = [];
  for (const g of tried) {
    const s = await scoreEditorPoint(editorAt(g), validation, seed);
    scored.push({ ...g, objectJudge: s.objectJudge });
    log(`guidance ${g.textScale} x ${g.imageScale}: object judge ${s.objectJudge.toFixed(3)} on the validation benchmark`);
  }
  const best = scored.reduce((b, x) => (x.objectJudge > b.objectJudge ? x : b));
  const chosen = { textScale: best.textScale, imageScale: best.imageScale };
  const none = await scoreEditorPoint(editorAt(NO_GUIDANCE), test, seed);
  const scores = same(chosen, NO_GUIDANCE) ? none : await scoreEditorPoint(editorAt(chosen), test, seed);
  const ci = bootstrapDiffCi([scores.items], [none.items], new Rng(seed).fork("guidance"), 2000);
  return { validation: scored, chosen, scores, none, gain: { diff: scores.objectJudge - none.objectJudge, lo: ci.lo, hi: ci.hi } };
}
