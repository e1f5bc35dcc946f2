/** Scenes built by hand for the data tests. */
import { defaultCamera } from "../../lib/world/sampler";
import type { Scene, SceneObject } from "../../lib/world/types";

export function obj(id: number, shape: SceneObject["shape"], colour: SceneObject["colour"], size: SceneObject["size"], x: number, y: number, extra: Partial<SceneObject> = {}): SceneObject {
  return { id, shape, colour, material: "matte", size, position: { x, y, z: 0 }, rotation: 0, trend: "none", ...extra };
}

/** A red medium cube left and near, a small green metal cone in the middle, a large blue sphere right and far. */
export function threeObjects(): Scene {
  return {
    seed: null,
    camera: defaultCamera(),
    objects: [
      obj(0, "cube", "red", "medium", -1.0, -0.3, { trend: "right" }),
      obj(1, "cone", "green", "small", 0, 0.5, { material: "metal" }),
      obj(2, "sphere", "blue", "large", 0.9, 1.3),
    ],
  };
}

/** Two identical red cubes side by side at the same depth (names and depth ranks are ambiguous). */
export function twins(): Scene {
  return { seed: null, camera: defaultCamera(), objects: [obj(0, "cube", "red", "medium", -1, 1), obj(1, "cube", "red", "medium", 1, 1)] };
}
