import { renderScene } from "../../lib/world/render";
import { defaultCamera } from "../../lib/world/sampler";
import type { RenderResult, Scene, SceneObject } from "../../lib/world/types";
import { oracleSource } from "../../lib/engine/perception";
import type { PerceptionFrame } from "../../lib/engine/types";

export function obj(id: number, x: number, y: number, extra: Partial<SceneObject> = {}): SceneObject {
  return { id, shape: "cube", colour: "red", material: "matte", size: "medium", rotation: 0, trend: "none", position: { x, y, z: 0 }, ...extra };
}

export function scene(objects: SceneObject[]): Scene {
  return { objects, camera: defaultCamera(), seed: null };
}

export function oracleFrame(s: Scene, size = 64): { render: RenderResult; frame: PerceptionFrame } {
  const render = renderScene(s, { width: size, height: size });
  const frame = oracleSource().perceive({ image: { width: size, height: size, data: render.rgb }, render });
  return { render, frame };
}
