/**
 * Seeded scene sampler (docs/architecture.md §1): 2-6 objects with random shape, colour, material, size,
 * rotation and trend, placed on the ground without overlaps and (by default) fully in view of
 * a pinhole camera looking down at the ground. Same rng state -> same scene.
 */
import { footprintRadius, objectHeight } from "./conventions";
import { cameraIntrinsics, pixelToGround, projectWorld } from "./camera";
import { checkWorldConfig, worldConfig } from "./config";
import { COLOURS, MATERIALS, SHAPES, SIZES, TRENDS } from "./types";
import type { Camera, Scene, SceneObject, WorldConfig } from "./types";
import type { Rng } from "../core/rng";

/** The default camera: at height h, tilted down by pitch, looking at the world origin along +Y. */
export function defaultCamera(height = 5.5, pitchDeg = 50, focalRatio = 1.5): Camera {
  const pitch = (pitchDeg * Math.PI) / 180;
  return { position: { x: 0, y: -height / Math.tan(pitch), z: height }, yaw: 0, pitch, focalRatio };
}

/**
 * Ids of objects whose bounding box (footprint square of the circumscribed circle times the
 * height) does not project fully inside a width x height image. Empty = all in view.
 */
export function objectsOutOfView(scene: Scene, width: number, height: number): number[] {
  const k = cameraIntrinsics(scene.camera, width, height);
  const out: number[] = [];
  for (const o of scene.objects) {
    if (!boxInView(scene.camera, o, k.width, k.height, 0)) out.push(o.id);
  }
  return out;
}

function boxInView(camera: Camera, o: SceneObject, width: number, height: number, marginFrac: number): boolean {
  const k = cameraIntrinsics(camera, width, height);
  const R = footprintRadius(o);
  const h = objectHeight(o);
  const mu = marginFrac * width;
  const mv = marginFrac * height;
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) {
      for (const z of [0, h]) {
        const p = projectWorld(camera, k, { x: o.position.x + sx * R, y: o.position.y + sy * R, z });
        if (!(p.z > 0) || p.u < mu || p.u > width - mu || p.v < mv || p.v > height - mv) return false;
      }
    }
  }
  return true;
}

/**
 * Samples one scene. `config` defaults to `worldConfig()` of the current profile. The object
 * count is uniform in [minObjects, maxObjects]; placement retries up to `maxPlacementTries`
 * per object and the whole scene is resampled (up to 50 times) if the count cannot be met.
 */
export function sampleScene(rng: Rng, config: WorldConfig = worldConfig()): Scene {
  const c = checkWorldConfig(config, "sampleScene");
  const seed = rng.seed;
  for (let attempt = 0; attempt < 50; attempt++) {
    const pitchDeg = c.cameraPitchDeg + rng.range(-c.cameraJitterDeg, c.cameraJitterDeg);
    const camera = defaultCamera(c.cameraHeight, pitchDeg, c.focalRatio);
    // placement works on a unit-width square image: resolution independent
    const k = cameraIntrinsics(camera, 1, 1);
    const n = rng.int(c.minObjects, c.maxObjects + 1);
    const objects: SceneObject[] = [];
    for (let i = 0; i < n; i++) {
      const proto = {
        shape: rng.choice(SHAPES),
        colour: rng.choice(COLOURS),
        material: rng.choice(MATERIALS),
        size: rng.choice(SIZES),
        rotation: rng.range(0, Math.PI / 2),
        trend: rng.bool(c.trendProbability) ? rng.choice(TRENDS.slice(1)) : ("none" as const),
      };
      let placed: SceneObject | null = null;
      for (let tries = 0; tries < c.maxPlacementTries && placed === null; tries++) {
        const u = rng.range(c.borderMargin, 1 - c.borderMargin);
        const v = rng.range(c.borderMargin, 1 - c.borderMargin);
        const g = pixelToGround(camera, k, u, v);
        if (g === null) continue;
        const cand: SceneObject = { id: objects.length, ...proto, position: { x: g.x, y: g.y, z: 0 } };
        const R = footprintRadius(cand);
        let ok = true;
        for (const o of objects) {
          if (Math.hypot(o.position.x - g.x, o.position.y - g.y) < R + footprintRadius(o) + c.minGap) {
            ok = false;
            break;
          }
        }
        if (ok && c.requireInView && !boxInView(camera, cand, 1, 1, 0.005)) ok = false;
        if (ok) placed = cand;
      }
      if (placed !== null) objects.push(placed);
    }
    if (objects.length >= c.minObjects) return { objects, camera, seed };
  }
  throw new Error(`sampleScene: could not place ${c.minObjects} objects in 50 attempts; lower minObjects or minGap`);
}
