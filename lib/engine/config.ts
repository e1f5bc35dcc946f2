/**
 * Presets of the spatial information extraction (paper §5.1.1) and of the noisy perception
 * source, per profile. Tolerances decide when two values are a tie (and an instruction that
 * needs their order must be refused): values within abs + rel * max(|a|, |b|) plus the two
 * objects' uncertainties are tied.
 */
import { resolveConfig } from "../core/profile";
import type { DeepPartial, Presets } from "../core/profile";
import { HEIGHT_FACTOR, SIZE_RADIUS } from "../world/conventions";
import type { RankKey, Tolerance } from "./types";

export interface EngineConfig {
  /** fx = fy = guessFocalRatio * width when the frame has no intrinsics (the guess). */
  guessFocalRatio: number;
  /** RANSAC hypotheses (3-point planes). */
  ransacIterations: number;
  /** RANSAC inlier distance, world units. */
  ransacThreshold: number;
  /** At most this many ground candidates score each hypothesis (random subset; speed at 512x512). */
  ransacMaxPoints: number;
  /** Seed of RANSAC's own stream (the fit is deterministic for a given frame). */
  ransacSeed: number;
  /** Object points lower than this above the fitted plane are treated as ground (world units). */
  groundEpsilon: number;
  /** Fewer object points than this: the object is refused ("too-few-points"). */
  minObjectPoints: number;
  /** The frame is refused when more than this fraction of pixels has invalid depth. */
  maxInvalidDepthFraction: number;
  /** Height slices of the convex-hull volume estimate (at most; fewer for small clouds). */
  hullSlices: number;
  /** Per-object measurement uncertainty in pixels (converted to world units at the object's depth). */
  pixelUncertainty: number;
  /** Relative uncertainty of a volume estimate: volumeUncertainty + volumePixelUncertainty / (object width in pixels). */
  volumeUncertainty: number;
  volumePixelUncertainty: number;
  /** Extra uncertainty of the horizontal position as a fraction of the image width (perspective bias). */
  horizontalUncertainty: number;
  /**
   * Size prior of the scene source, used to bound what a partly hidden object can hide: the
   * largest footprint width (SpatialWorld: a large cube's diagonal) and the largest height
   * (world units). A huge value makes partly hidden objects unrankable.
   */
  maxObjectWidth: number;
  maxObjectHeight: number;
  /** Tie tolerances per rank key (units of the key: pixels, world units, cubic units, pixels). */
  tolerances: Record<RankKey, Tolerance>;
}

export interface NoisyConfig {
  /** Multiplicative depth noise: depth *= 1 + N(0, depthNoise). */
  depthNoise: number;
  /** Probability that an object's mask is eroded by one pixel. */
  erodeProbability: number;
  /** Probability that an object's mask is dilated by one pixel (if not eroded). */
  dilateProbability: number;
  /** Probability that a detector misses an object (its pixels become background). */
  dropProbability: number;
  /** Probability that a kept detection gets a wrong class label (another shape). 0: labels are the truth. */
  wrongLabelProbability: number;
  /** Probability that each attribute hint (material, size class, trend) of a kept detection is dropped. */
  dropAttributeProbability: number;
}

const ENGINE_BASE: EngineConfig = {
  guessFocalRatio: 1.5,
  ransacIterations: 100,
  ransacThreshold: 0.03,
  ransacMaxPoints: 2000,
  ransacSeed: 17,
  groundEpsilon: 0.02,
  minObjectPoints: 3,
  maxInvalidDepthFraction: 0.5,
  hullSlices: 8,
  pixelUncertainty: 1.5,
  horizontalUncertainty: 0.005,
  volumeUncertainty: 0.1,
  volumePixelUncertainty: 3,
  maxObjectWidth: 2 * SIZE_RADIUS.large * Math.SQRT2,
  maxObjectHeight: HEIGHT_FACTOR.cone * SIZE_RADIUS.large,
  tolerances: {
    horizontal: { abs: 0.5, rel: 0 }, // pixels (plus 1.5 px uncertainty per object)
    depth: { abs: 0.05, rel: 0.02 }, // world units
    volume: { abs: 0.002, rel: 0 }, // cubic units (the relative part is in the per-object uncertainty)
    contour: { abs: 2, rel: 0.05 }, // pixels of mask area
    height: { abs: 0.03, rel: 0.05 }, // world units
  },
};

export const ENGINE_PRESETS: Presets<EngineConfig> = {
  tiny: { ...ENGINE_BASE },
  quick: { ...ENGINE_BASE },
  paper: { ...ENGINE_BASE, ransacIterations: 200, ransacMaxPoints: 5000 },
};

// geometric noise only: class labels and attribute hints pass through as the truth (see NOISY_LABEL_MODE)
const NOISY_BASE: NoisyConfig = { depthNoise: 0.01, erodeProbability: 0.2, dilateProbability: 0.2, dropProbability: 0.05, wrongLabelProbability: 0, dropAttributeProbability: 0 };

/** Overrides that make the noisy source corrupt the semantic step too: wrong classes and dropped attributes. */
export const NOISY_LABEL_MODE: Pick<NoisyConfig, "wrongLabelProbability" | "dropAttributeProbability"> = { wrongLabelProbability: 0.1, dropAttributeProbability: 0.2 };

export const NOISY_PRESETS: Presets<NoisyConfig> = { tiny: { ...NOISY_BASE }, quick: { ...NOISY_BASE }, paper: { ...NOISY_BASE } };

/** Throws a clear error naming the field when an extraction config cannot work (e.g. negative RANSAC iterations). */
export function checkEngineConfig(c: EngineConfig, who = "engine"): EngineConfig {
  const num = (k: keyof EngineConfig, ok: (v: number) => boolean, want: string) => {
    const v = c[k] as unknown as number;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) throw new Error(`${who}: ${k} must be ${want}, got ${v}`);
  };
  const int = (v: number) => Number.isInteger(v);
  num("guessFocalRatio", (v) => v > 0, "a positive number (fx = guessFocalRatio * width)");
  num("ransacIterations", (v) => int(v) && v >= 1, "an integer >= 1 (RANSAC hypotheses)");
  num("ransacThreshold", (v) => v > 0, "a positive inlier distance (world units)");
  num("ransacMaxPoints", (v) => int(v) && v >= 3, "an integer >= 3");
  num("ransacSeed", (v) => int(v), "an integer");
  num("groundEpsilon", (v) => v >= 0, "a distance >= 0 (world units)");
  num("minObjectPoints", (v) => int(v) && v >= 1, "an integer >= 1");
  num("maxInvalidDepthFraction", (v) => v >= 0 && v <= 1, "a fraction in [0, 1]");
  num("hullSlices", (v) => int(v) && v >= 1, "an integer >= 1");
  for (const k of ["pixelUncertainty", "horizontalUncertainty", "volumeUncertainty", "volumePixelUncertainty"] as const) num(k, (v) => v >= 0, "a number >= 0");
  num("maxObjectWidth", (v) => v > 0, "a positive size (world units)");
  num("maxObjectHeight", (v) => v > 0, "a positive size (world units)");
  for (const [key, t] of Object.entries(c.tolerances ?? {})) {
    if (!(Number.isFinite(t?.abs) && t.abs >= 0 && Number.isFinite(t?.rel) && t.rel >= 0)) {
      throw new Error(`${who}: tolerances.${key} needs abs >= 0 and rel >= 0, got ${JSON.stringify(t)}`);
    }
  }
  return c;
}

export function engineConfig(profile?: string, overrides?: DeepPartial<EngineConfig>): EngineConfig {
  return checkEngineConfig(resolveConfig(ENGINE_PRESETS, "engine", profile, overrides));
}

/** Throws when a noisy-source setting is not a probability (or a noise level >= 0). */
export function checkNoisyConfig(c: NoisyConfig, who = "noisy perception"): NoisyConfig {
  for (const [k, v] of Object.entries(c)) {
    if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new Error(`${who}: ${k} must be a finite number >= 0, got ${v}`);
    if (k.endsWith("Probability") && v > 1) throw new Error(`${who}: ${k} is a probability and must be in [0, 1], got ${v}`);
  }
  if (c.erodeProbability + c.dilateProbability > 1) {
    throw new Error(`${who}: erodeProbability + dilateProbability must be <= 1 (one morph per object), got ${c.erodeProbability} + ${c.dilateProbability}`);
  }
  return c;
}

export function noisyConfig(profile?: string, overrides?: DeepPartial<NoisyConfig>): NoisyConfig {
  return checkNoisyConfig(resolveConfig(NOISY_PRESETS, "noisy perception", profile, overrides));
}
