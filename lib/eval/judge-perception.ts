/**
 * The perception judge: the paper's GPT-3.5 method without the LLM (Appendix N.2). The data
 * engine's extraction (§5.1.1, here on the picture alone: image-perception.ts) turns the source,
 * the exact ground truth and the result into object lists [colour, position, contour area, ...].
 * The instruction's meaning at the level of these lists is the difference source -> truth:
 *   expected new   objects of the truth's list with no equal in the source's (recoloured, moved,
 *                  resized, replaced: their new state);
 *   expected gone  objects of the source's list with no equal in the truth's (their old state,
 *                  and removed objects);
 *   unchanged      objects of the truth's list that have an equal in the source's.
 * The result's list must contain every expected-new object, none of the expected-gone ones,
 * every unchanged one, and nothing else. score = (share of expected-new/gone checks met) x
 * (share of unchanged objects found, each spurious object counting as one more miss).
 * "Equal" = same colour name, centroids within positionTolerance x width, areas within
 * areaTolerance. An edit the lists cannot see (e.g. matte -> metal of the same colour) is not
 * judgeable (score NaN), as it would not be for an LLM reading the lists.
 */
import type { ObjectInfo } from "../engine/types";
import type { BenchmarkItem } from "./benchmark-io";
import type { JudgeConfig } from "./judge-config";
import { AnyImage, toRgb } from "./image";
import { perceiveImage } from "./image-perception";
import { atTruthSize } from "./judges";

/** The list entry the judge compares (what the paper's lists hold, minus what we cannot see). */
export interface Perceived {
  colour: string;
  u: number;
  v: number;
  area: number;
}

export interface PerceptionVerdict {
  /** False when the source and truth lists are equal (the change is invisible to the lists): score NaN. */
  applicable: boolean;
  score: number;
  done: number;
  kept: number;
  source: Perceived[];
  truth: Perceived[];
  result: Perceived[];
  expectedNew: number;
  expectedGone: number;
  spurious: number;
}

const toList = (objects: ObjectInfo[]): Perceived[] => objects.map((o) => ({ colour: o.colour, u: o.centroid2d.u, v: o.centroid2d.v, area: o.area }));

/** Are two perceived objects the same object in the same state? */
export function samePerceived(a: Perceived, b: Perceived, width: number, cfg: Pick<JudgeConfig, "positionTolerance" | "areaTolerance">): boolean {
  return a.colour === b.colour && Math.hypot(a.u - b.u, a.v - b.v) <= cfg.positionTolerance * width && Math.abs(a.area - b.area) <= cfg.areaTolerance * Math.max(a.area, b.area);
}

/** The object list the judge sees for an image of an item's scene. */
export function perceivedList(item: BenchmarkItem, image: AnyImage, cfg: JudgeConfig): Perceived[] {
  return toList(perceiveImage(toRgb(image), item.sourceScene.camera, { foreground: cfg.foreground, minArea: cfg.minArea }).objects);
}

/** Compares already perceived lists (pure; the perception judge's decision rule). */
export function comparePerceived(source: Perceived[], truth: Perceived[], result: Perceived[], width: number, cfg: JudgeConfig): PerceptionVerdict {
  const has = (list: Perceived[], x: Perceived) => list.some((y) => samePerceived(x, y, width, cfg));
  const expectedNew = truth.filter((t) => !has(source, t));
  const expectedGone = source.filter((s) => !has(truth, s));
  const unchanged = truth.filter((t) => has(source, t));
  const base = { source, truth, result, expectedNew: expectedNew.length, expectedGone: expectedGone.length };
  const spurious = result.filter((x) => !has(truth, x)).length;
  if (expectedNew.length + expectedGone.length === 0) return { ...base, applicable: false, score: NaN, done: NaN, kept: NaN, spurious };
  const met = expectedNew.filter((t) => has(result, t)).length + expectedGone.filter((s) => !has(result, s)).length;
  const done = met / (expectedNew.length + expectedGone.length);
  const keptN = unchanged.filter((t) => has(result, t)).length;
  const denom = unchanged.length + spurious;
  const kept = denom === 0 ? 1 : keptN / denom;
  return { ...base, applicable: true, score: done * kept, done, kept, spurious };
}

/** The perception judge (see the file comment). */
export function perceptionJudge(item: BenchmarkItem, result: AnyImage, cfg: JudgeConfig): PerceptionVerdict {
  const r = atTruthSize(result, item.truth, "perceptionJudge");
  return comparePerceived(perceivedList(item, item.source, cfg), perceivedList(item, item.truth, cfg), perceivedList(item, r, cfg), item.truth.width, cfg);
}
