/**
 * Presets of the scene sampler per profile (lib/core/profile.ts). The scene distribution is
 * the same in every profile (so tests, notebooks and the paper-scale run see the same world);
 * only what costs time differs elsewhere (resolution and counts are chosen by the callers).
 */
import { resolveConfig } from "../core/profile";
import type { DeepPartial, Presets } from "../core/profile";
import type { WorldConfig } from "./types";

const BASE: WorldConfig = {
  minObjects: 2, // paper-free choice of the issue: 2..6 objects per scene
  maxObjects: 6,
  trendProbability: 0.5, // half of the objects move (left/right/forward/backward)
  minGap: 0.1, // world units between footprint circles
  borderMargin: 0.06, // fraction of the image kept free at each border for object centres
  requireInView: true, // every object's bounding box inside the image
  cameraHeight: 5.5, // world units above the ground
  cameraPitchDeg: 50, // downward tilt; the horizon stays out of view for |jitter| <= 20
  cameraJitterDeg: 4, // +/- random pitch jitter
  focalRatio: 1.5, // fx = fy = 1.5 * width, the engine's guess for unknown intrinsics
  maxPlacementTries: 60,
};

export const WORLD_PRESETS: Presets<WorldConfig> = {
  tiny: { ...BASE },
  quick: { ...BASE },
  paper: { ...BASE },
};

/** The sampler config of `profile` (default: the current profile) with optional overrides. */
export function worldConfig(profile?: string, overrides?: DeepPartial<WorldConfig>): WorldConfig {
  return resolveConfig(WORLD_PRESETS, "world", profile, overrides);
}
