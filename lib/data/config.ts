/**
 * Presets of the data engine's dataset generators (paper §5.1, Appendix L: 62K VQA pairs from 10K
 * images and 25K edit records; the `paper` preset is that scale, in our miniature's resolution).
 */
import { resolveConfig } from "../core/profile";
import type { DeepPartial, Presets } from "../core/profile";

export interface DataEngineConfig {
  /** Scenes (one writer unit each). */
  scenes: number;
  /** Square image side in pixels (training images are 32x32). */
  resolution: number;
  /** VQA template fills tried per scene (refused ones are counted, not written). */
  vqaPerScene: number;
  /** Edit template fills tried per scene. */
  editsPerScene: number;
  /** Fills tried per record slot (same family) before the slot is given up; every refused fill is counted. */
  attemptsPerRecord: number;
  /** Perception source the templates are filled from: "oracle" | "noisy" | "noisy-labels" | "truth". */
  perception: string;
  /** Rewrite template text with the seeded paraphrase grammar (§5.1.2 "refining"). */
  paraphrase: boolean;
  /** Probability of swapping each canonical phrase for a synonym when paraphrasing. */
  pSwap: number;
  /** World units moved by "a little" ("a lot" = twice). */
  moveStep: number;
  /** World units a moving object advances "at the next moment". */
  trendStep: number;
}

const BASE: DataEngineConfig = {
  scenes: 40,
  resolution: 32,
  vqaPerScene: 6,
  editsPerScene: 3,
  attemptsPerRecord: 3,
  perception: "oracle",
  paraphrase: true,
  pSwap: 0.7,
  moveStep: 0.6,
  trendStep: 0.8,
};

export const DATA_ENGINE_PRESETS: Presets<DataEngineConfig> = {
  tiny: { ...BASE, scenes: 4 },
  quick: { ...BASE, scenes: 40 },
  paper: { ...BASE, scenes: 10000 }, // ~60K VQA tries, ~30K edit tries (the paper: 62K / 25K)
};

/**
 * A move of "a little" must go somewhere: a step <= 0 would write "move it left" while the
 * object moves right (or not at all). Throws with the field's name.
 */
export function checkSteps(c: { moveStep: number; trendStep: number }, who: string): void {
  for (const k of ["moveStep", "trendStep"] as const) {
    if (typeof c[k] !== "number" || !Number.isFinite(c[k]) || c[k] <= 0) {
      throw new Error(`${who}: ${k} must be a positive distance in world units (a step <= 0 would move the object against the instruction's direction), got ${c[k]}`);
    }
  }
}

export function dataEngineConfig(profile?: string, overrides?: DeepPartial<DataEngineConfig>): DataEngineConfig {
  const c = resolveConfig(DATA_ENGINE_PRESETS, "dataEngine", profile, overrides);
  if (!["oracle", "noisy", "noisy-labels", "truth"].includes(c.perception)) {
    throw new Error(`dataEngine: perception must be one of oracle, noisy, noisy-labels, truth, got '${c.perception}'`);
  }
  for (const k of ["vqaPerScene", "editsPerScene"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`dataEngine: ${k} must be an integer >= 0 (fills per scene), got ${c[k]}`);
  }
  if (!(c.pSwap >= 0 && c.pSwap <= 1)) throw new Error(`dataEngine: pSwap is a probability and must be in [0, 1], got ${c.pSwap}`);
  checkSteps(c, "dataEngine");
  if (!Number.isInteger(c.attemptsPerRecord) || c.attemptsPerRecord < 1) throw new Error(`dataEngine: attemptsPerRecord must be an integer >= 1, got ${c.attemptsPerRecord}`);
  if (!Number.isInteger(c.scenes) || c.scenes < 0) throw new Error(`dataEngine: scenes must be an integer >= 0, got ${c.scenes}`);
  if (!Number.isInteger(c.resolution) || c.resolution < 8 || c.resolution > 1024) throw new Error(`dataEngine: resolution must be an integer in [8, 1024], got ${c.resolution}`);
  return c;
}

/** Generic (IPr2Pr stand-in) editing data for pre-training: mostly non-spatial edits. */
export interface GenericConfig {
  /** Scenes (one writer unit each). */
  scenes: number;
  /** Edit records tried per scene. */
  editsPerScene: number;
  /** Square image side in pixels. */
  resolution: number;
  /** Share of spatial instructions (the paper measured 7.3% for IPr2Pr, Table 3). */
  spatialShare: number;
  /** Paraphrase the instructions. */
  paraphrase: boolean;
  moveStep: number;
  trendStep: number;
}

const GENERIC_BASE: GenericConfig = { scenes: 60, editsPerScene: 4, resolution: 32, spatialShare: 0.073, paraphrase: true, moveStep: 0.6, trendStep: 0.8 };

export const GENERIC_PRESETS: Presets<GenericConfig> = {
  tiny: { ...GENERIC_BASE, scenes: 6 },
  quick: { ...GENERIC_BASE, scenes: 60 },
  paper: { ...GENERIC_BASE, scenes: 20000 },
};

export function genericConfig(profile?: string, overrides?: DeepPartial<GenericConfig>): GenericConfig {
  const c = resolveConfig(GENERIC_PRESETS, "generic", profile, overrides);
  if (!(c.spatialShare >= 0 && c.spatialShare <= 1)) throw new Error(`generic: spatialShare must be in [0, 1], got ${c.spatialShare}`);
  for (const k of ["scenes", "editsPerScene"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`generic: ${k} must be an integer >= 0, got ${c[k]}`);
  }
  if (!Number.isInteger(c.resolution) || c.resolution < 8 || c.resolution > 1024) throw new Error(`generic: resolution must be an integer in [8, 1024], got ${c.resolution}`);
  checkSteps(c, "generic");
  return c;
}
