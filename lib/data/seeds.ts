/**
 * Which seeds make training data and which make the benchmarks (paper §5.3: SpatialEval is a
 * test set only, "there is no training set"). Declared here, once.
 *
 * Convention for everything that trains (the data engine's VQA and edit data, the generic
 * IPr2Pr-like data, the editor's Stage I/II data): the base seed passed to the generator is in
 * `SEED_RANGES.training` (the profiles use 1234). Benchmarks use base seeds in
 * `SEED_RANGES.heldOut` only, and in addition fork their scene streams under their own labels
 * ("spatialeval-scene-k", "general-scene-k" instead of the training generators' "scene-k" and
 * "generic-k"). A training script should call `checkTrainingSeed(seed)` on its data seed.
 */

export interface SeedRange {
  /** First seed of the range (inclusive). */
  from: number;
  /** Last seed of the range (inclusive). */
  to: number;
}

export const SEED_RANGES: Readonly<Record<"training" | "heldOut", SeedRange>> = {
  training: { from: 0, to: 999_999 },
  heldOut: { from: 2_000_000_000, to: 2_000_999_999 },
};

/**
 * The base seeds of the benchmarks (inside `SEED_RANGES.heldOut`): SpatialEval-mini, general editing, held-out spatial VQA,
 * a validation set made like SpatialEval-mini from other scenes, for choosing a setting (a loss weight) without
 * looking at the test items, and the scenes of the encoder probe (lib/eval/encoder-probe.ts: what the frozen
 * encoder's patch tokens carry).
 */
export const BENCHMARK_SEEDS = { spatialEval: 2_000_000_001, generalEdit: 2_000_000_002, spatialVqa: 2_000_000_003, spatialEvalValidation: 2_000_000_004, encoderProbe: 2_000_000_005 } as const;

export function inRange(seed: number, r: SeedRange): boolean {
  return Number.isInteger(seed) && seed >= r.from && seed <= r.to;
}

/** True when two ranges share no seed. */
export function rangesDisjoint(a: SeedRange, b: SeedRange): boolean {
  return a.to < b.from || b.to < a.from;
}

/** Throws unless `seed` may make training data (it must lie in `SEED_RANGES.training`). */
export function checkTrainingSeed(seed: number): number {
  if (!inRange(seed, SEED_RANGES.training)) {
    throw new Error(`checkTrainingSeed: training data seed ${seed} is outside ${SEED_RANGES.training.from}..${SEED_RANGES.training.to}; seeds ${SEED_RANGES.heldOut.from}..${SEED_RANGES.heldOut.to} are held out for the benchmarks`);
  }
  return seed;
}

/** Throws unless `seed` is a held-out (benchmark) seed. */
export function checkHeldOutSeed(seed: number): number {
  if (!inRange(seed, SEED_RANGES.heldOut)) {
    throw new Error(`checkHeldOutSeed: benchmark seed ${seed} is outside the held-out range ${SEED_RANGES.heldOut.from}..${SEED_RANGES.heldOut.to}`);
  }
  return seed;
}
