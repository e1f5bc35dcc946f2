/**
 * Pure scene edits for exact ground-truth images (paper §5.1.3, Appendix M): each returns a
 * NEW scene (deep copy) and never changes its input. Render the result with `renderScene`.
 * Unknown ids, colours, materials, sizes and non-finite positions throw with a clear message.
 * Geometric validity of the result (overlaps, out of view) is checked by `checkSceneEdit`,
 * not here, so the caller decides whether to refuse.
 */
import { footprintRadius, TREND_VECTOR } from "./conventions";
import { COLOURS, MATERIALS, SHAPES, SIZES } from "./types";
import type { ColourName, Material, Scene, SceneObject, Shape, SizeName } from "./types";

function cloneScene(scene: Scene): Scene {
  return {
    seed: scene.seed,
    camera: { ...scene.camera, position: { ...scene.camera.position } },
    objects: scene.objects.map((o) => ({ ...o, position: { ...o.position } })),
  };
}

function findIndex(scene: Scene, id: number, what: string): number {
  const i = scene.objects.findIndex((o) => o.id === id);
  if (i < 0) {
    throw new Error(`${what}: no object with id ${id} in the scene (ids: ${scene.objects.map((o) => o.id).join(", ") || "none"})`);
  }
  return i;
}

function checkMember<T extends string>(value: string, allowed: readonly T[], what: string, kind: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${what}: unknown ${kind} '${value}'; known: ${allowed.join(", ")}`);
  }
  return value as T;
}

function update(scene: Scene, id: number, what: string, change: (o: SceneObject) => void): Scene {
  const out = cloneScene(scene);
  change(out.objects[findIndex(out, id, what)]);
  return out;
}

/** Recolour: the object keeps everything but its colour. */
export function recolourObject(scene: Scene, id: number, colour: ColourName): Scene {
  const c = checkMember(colour, COLOURS, "recolourObject", "colour");
  return update(scene, id, "recolourObject", (o) => (o.colour = c));
}

/** Retexture: the object keeps everything but its material/texture. */
export function retextureObject(scene: Scene, id: number, material: Material): Scene {
  const m = checkMember(material, MATERIALS, "retextureObject", "material");
  return update(scene, id, "retextureObject", (o) => (o.material = m));
}

/** Remove the object; the others keep their ids. */
export function removeObject(scene: Scene, id: number): Scene {
  const out = cloneScene(scene);
  out.objects.splice(findIndex(out, id, "removeObject"), 1);
  return out;
}

/** Resize to another size class; the footprint centre stays where it was. */
export function resizeObject(scene: Scene, id: number, size: SizeName): Scene {
  const s = checkMember(size, SIZES, "resizeObject", "size");
  return update(scene, id, "resizeObject", (o) => (o.size = s));
}

function checkFinite(x: number, name: string, what: string): void {
  if (!Number.isFinite(x)) throw new Error(`${what}: ${name} must be a finite number, got ${x}`);
}

/** Move the object's footprint centre to ground position (x, y) (world units). */
export function moveObject(scene: Scene, id: number, to: { x: number; y: number }): Scene {
  checkFinite(to.x, "x", "moveObject");
  checkFinite(to.y, "y", "moveObject");
  return update(scene, id, "moveObject", (o) => (o.position = { x: to.x, y: to.y, z: 0 }));
}

/** Move the object by a ground offset (dx, dy) (world units). */
export function moveObjectBy(scene: Scene, id: number, by: { dx: number; dy: number }): Scene {
  checkFinite(by.dx, "dx", "moveObjectBy");
  checkFinite(by.dy, "dy", "moveObjectBy");
  return update(scene, id, "moveObjectBy", (o) => (o.position = { x: o.position.x + by.dx, y: o.position.y + by.dy, z: 0 }));
}

/**
 * "Where it will be at the next moment" (Appendix M, movement): moves the object `distance`
 * units along its trend. Throws for an object whose trend is "none".
 */
export function advanceAlongTrend(scene: Scene, id: number, distance: number): Scene {
  const o = scene.objects[findIndex(scene, id, "advanceAlongTrend")];
  if (o.trend === "none") throw new Error(`advanceAlongTrend: object ${id} has no trend (trend 'none'); pick a moving object`);
  checkFinite(distance, "distance", "advanceAlongTrend");
  const v = TREND_VECTOR[o.trend];
  return moveObjectBy(scene, id, { dx: v.x * distance, dy: v.y * distance });
}

/** Replace the object with another one at the same place (any of shape/colour/material/size). */
export function replaceObject(
  scene: Scene,
  id: number,
  with_: { shape?: Shape; colour?: ColourName; material?: Material; size?: SizeName },
): Scene {
  const shape = with_.shape === undefined ? undefined : checkMember(with_.shape, SHAPES, "replaceObject", "shape");
  const colour = with_.colour === undefined ? undefined : checkMember(with_.colour, COLOURS, "replaceObject", "colour");
  const material = with_.material === undefined ? undefined : checkMember(with_.material, MATERIALS, "replaceObject", "material");
  const size = with_.size === undefined ? undefined : checkMember(with_.size, SIZES, "replaceObject", "size");
  return update(scene, id, "replaceObject", (o) => {
    if (shape !== undefined) o.shape = shape;
    if (colour !== undefined) o.colour = colour;
    if (material !== undefined) o.material = material;
    if (size !== undefined) o.size = size;
  });
}

/** Problems of a (possibly edited) scene: overlapping footprints, duplicate ids. Empty = valid. */
export function sceneProblems(scene: Scene, minGap = 0): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const o of scene.objects) {
    if (seen.has(o.id)) problems.push(`duplicate object id ${o.id}`);
    seen.add(o.id);
  }
  for (let i = 0; i < scene.objects.length; i++) {
    for (let j = i + 1; j < scene.objects.length; j++) {
      const a = scene.objects[i];
      const b = scene.objects[j];
      const dist = Math.hypot(a.position.x - b.position.x, a.position.y - b.position.y);
      if (dist < footprintRadius(a) + footprintRadius(b) + minGap) {
        problems.push(`objects ${a.id} and ${b.id} overlap (centres ${dist.toFixed(3)} apart)`);
      }
    }
  }
  return problems;
}
