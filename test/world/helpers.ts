import { defaultCamera } from "../../lib/world/sampler";
import type { Camera, Scene, SceneObject } from "../../lib/world/types";

/** A hand-built object (defaults: medium red matte cube, no rotation, no trend). */
export function obj(id: number, x: number, y: number, extra: Partial<SceneObject> = {}): SceneObject {
  return { id, shape: "cube", colour: "red", material: "matte", size: "medium", rotation: 0, trend: "none", position: { x, y, z: 0 }, ...extra };
}

export function scene(objects: SceneObject[], camera: Camera = defaultCamera()): Scene {
  return { objects, camera, seed: null };
}

/** A camera straight above the origin looking down (pitch 90 degrees). */
export function topCamera(height = 5): Camera {
  return { position: { x: 0, y: 0, z: height }, yaw: 0, pitch: Math.PI / 2, focalRatio: 1.5 };
}

export function maskCentroid(mask: Int32Array, W: number, id: number): { u: number; v: number; n: number } {
  let su = 0;
  let sv = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== id) continue;
    su += (i % W) + 0.5;
    sv += Math.floor(i / W) + 0.5;
    n++;
  }
  return { u: su / n, v: sv / n, n };
}
