/** Tolerances of the programmatic judges that stand in for GPT-4V, GPT-3.5 and human raters (paper Table 1, Appendix N.2). */
import { resolveConfig } from "../core/profile";
import type { DeepPartial, Presets } from "../core/profile";

export interface JudgeConfig {
  /** Object judge: an instructed object is done when the result's mean |result - truth| over its region is at most this ([0, 1])... */
  objectTolerance: number;
  /** ...and at most this share of the source's own distance to the truth there (so doing nothing never passes). */
  changeShare: number;
  /** Object judge: every other object, and the ground, must stay within this mean |result - truth| ([0, 1]). */
  keepTolerance: number;
  /** Pixel agreement: a pixel agrees when every channel is within this of the truth ([0, 1]). */
  pixelTolerance: number;
  /** Perception judge: two perceived objects are the same when their colours are equal, centroids within this fraction of the image width... */
  positionTolerance: number;
  /** ...and their areas within this relative difference. */
  areaTolerance: number;
  /** Image perception: largest per-channel difference from the empty ground (0..255) that is still ground. */
  foreground: number;
  /** Image perception: smallest region in pixels. */
  minArea: number;
}

// The object-judge tolerances are the pass rule of the editor's first trials (0.1 on the target object, 0.03 on all other pixels).
const BASE: JudgeConfig = { objectTolerance: 0.1, changeShare: 0.5, keepTolerance: 0.03, pixelTolerance: 8 / 255, positionTolerance: 0.04, areaTolerance: 0.3, foreground: 24, minArea: 4 };

export const JUDGE_PRESETS: Presets<JudgeConfig> = { tiny: { ...BASE }, quick: { ...BASE }, paper: { ...BASE } };

export function judgeConfig(profile?: string, overrides?: DeepPartial<JudgeConfig>): JudgeConfig {
  const c = resolveConfig(JUDGE_PRESETS, "judge", profile, overrides);
  for (const k of ["objectTolerance", "changeShare", "keepTolerance", "pixelTolerance", "positionTolerance", "areaTolerance"] as const) {
    if (!(c[k] > 0 && c[k] <= 1)) throw new Error(`judge: ${k} must be in (0, 1], got ${c[k]}`);
  }
  return c;
}
