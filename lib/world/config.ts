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

/**
 * Throws a clear error naming the field when a sampler config cannot make scenes (negative
 * camera height, a probability above 1, a fractional count...). `who` prefixes the message.
 */
export function checkWorldConfig(c: WorldConfig, who = "world"): WorldConfig {
  const num = (k: keyof WorldConfig, ok: (v: number) => boolean, want: string) => {
    const v = c[k] as unknown as number;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) throw new Error(`${who}: ${k} must be ${want}, got ${v}`);
  };
  if (!Number.isInteger(c.minObjects) || !Number.isInteger(c.maxObjects) || c.minObjects < 0 || c.maxObjects < c.minObjects) {
    throw new Error(`${who}: need integers 0 <= minObjects <= maxObjects, got ${c.minObjects}..${c.maxObjects}`);
  }
  if (c.maxObjects > 12) throw new Error(`${who}: maxObjects must be <= 12 (the view holds few objects), got ${c.maxObjects}`);
  num("trendProbability", (v) => v >= 0 && v <= 1, "a probability in [0, 1]");
  num("minGap", (v) => v >= 0, "a distance >= 0 (world units)");
  num("borderMargin", (v) => v >= 0 && v < 0.5, "a fraction in [0, 0.5)");
  num("cameraHeight", (v) => v > 0, "a positive height above the ground (world units)");
  num("cameraPitchDeg", (v) => v > 0 && v < 90, "a downward tilt in (0, 90) degrees");
  num("cameraJitterDeg", (v) => v >= 0 && v < 90, "an angle in [0, 90) degrees");
  num("focalRatio", (v) => v > 0, "a positive number (fx = focalRatio * width)");
  num("maxPlacementTries", (v) => Number.isInteger(v) && v >= 1, "an integer >= 1");
  if (c.cameraPitchDeg - c.cameraJitterDeg <= 0 || c.cameraPitchDeg + c.cameraJitterDeg >= 90) {
    throw new Error(`${who}: cameraPitchDeg +/- cameraJitterDeg must stay inside (0, 90) degrees, got ${c.cameraPitchDeg} +/- ${c.cameraJitterDeg}`);
  }
  if (typeof c.requireInView !== "boolean") throw new Error(`${who}: requireInView must be true or false, got ${c.requireInView}`);
  return c;
}

/** The sampler config of `profile` (default: the current profile) with optional overrides. */
export function worldConfig(profile?: string, overrides?: DeepPartial<WorldConfig>): WorldConfig {
  return checkWorldConfig(resolveConfig(WORLD_PRESETS, "world", profile, overrides));
}
