/**
 * Presets of the two benchmarks (paper §5.3: SpatialEval has 90 images x 3 instructions; Table 2
 * is general, non-spatial editing). `paper` is the paper's size; `tiny` and `quick` are smaller
 * so that tests and CI stay fast.
 */
import { resolveConfig } from "../core/profile";
import type { DeepPartial, Presets } from "../core/profile";

export interface BenchmarkConfig {
  /** SpatialEval-mini scenes, each with one perception, one reasoning and one visualisation instruction (paper: 90). */
  spatialScenes: number;
  /** Scenes of the general-editing set (Table 2 analogue). */
  generalScenes: number;
  /** Non-spatial edits per general scene. */
  generalPerScene: number;
  /** Square image side in pixels (the editor's training resolution). */
  resolution: number;
  /** Template fills tried per instruction slot before the scene is skipped (every refusal is counted). */
  attemptsPerSlot: number;
  /** Scenes sampled at most per wanted scene before generation gives up with an error. */
  maxSceneFactor: number;
  /** Smallest mean |truth - source| (in [0, 1]) over the edited region; an edit below it is refused as invisible. */
  minVisibleChange: number;
  /** Rewrite template text with the data engine's paraphrase grammar (as its training data is). */
  paraphrase: boolean;
  /** Probability of a synonym swap per phrase when paraphrasing. */
  pSwap: number;
  /** World units moved by "a little" ("a lot" = twice), as the data engine. */
  moveStep: number;
  /** World units a moving object advances "at the next moment", as the data engine. */
  trendStep: number;
}

const BASE: BenchmarkConfig = {
  spatialScenes: 90,
  generalScenes: 90,
  generalPerScene: 3,
  resolution: 32,
  attemptsPerSlot: 8,
  maxSceneFactor: 6,
  minVisibleChange: 0.02,
  paraphrase: true,
  pSwap: 0.7,
  moveStep: 0.6,
  trendStep: 0.8,
};

export const BENCHMARK_PRESETS: Presets<BenchmarkConfig> = {
  tiny: { ...BASE, spatialScenes: 4, generalScenes: 4, generalPerScene: 2 },
  quick: { ...BASE, spatialScenes: 30, generalScenes: 30 },
  paper: { ...BASE },
};

export function benchmarkConfig(profile?: string, overrides?: DeepPartial<BenchmarkConfig>): BenchmarkConfig {
  const c = resolveConfig(BENCHMARK_PRESETS, "benchmark", profile, overrides);
  for (const k of ["spatialScenes", "generalScenes", "generalPerScene", "attemptsPerSlot", "maxSceneFactor"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`benchmark: ${k} must be an integer >= 1, got ${c[k]}`);
  }
  if (!Number.isInteger(c.resolution) || c.resolution < 16 || c.resolution > 1024) throw new Error(`benchmark: resolution must be an integer in [16, 1024], got ${c.resolution}`);
  if (!(c.minVisibleChange >= 0 && c.minVisibleChange < 1)) throw new Error(`benchmark: minVisibleChange must be in [0, 1), got ${c.minVisibleChange}`);
  return c;
}
