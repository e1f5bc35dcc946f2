/**
 * Spatial editing instructions with their exact scene edits (paper §5.1.3, Appendix B.2, K.1, M):
 * template families that say WHICH object by a spatial property, times the five edit kinds that
 * say WHAT happens to it. The families, kinds and the text are written from the extraction alone by
 * `makeEditInstruction` (edit-instruction.ts, also used on real photos); `makeEdit` adds the exact
 * scene edit (lib/world/edit.ts) for SpatialWorld.
 *
 * Each spec carries the canonical instruction, the language condition (a sentence describing the
 * expected result, §5.1.3: "the dog with black fur, which is left of the golden dog, is replaced
 * with a brown tree trunk"), and the edited scene. Ambiguous referents, ties and edits that break
 * the scene are refused (`Refused`) and counted by the caller.
 */
import { Rng } from "../core/rng";
import type { ExtractionResult, ObjectInfo } from "../engine/types";
import { cameraAxes } from "../world/camera";
import { advanceAlongTrend, moveObjectBy, recolourObject, removeObject, replaceObject, resizeObject, retextureObject, sceneProblems } from "../world/edit";
import { objectsOutOfView } from "../world/sampler";
import type { ColourName, Material, Scene, SceneObject, Shape, SizeName } from "../world/types";
import { CurrentAttributes, EditFamily, EditInstruction, EditInstructionOptions, EditKind, makeEditInstruction, MoveDirection } from "./edit-instruction";
import { Refused } from "./select";

export { EDIT_FAMILIES, EDIT_KINDS } from "./edit-instruction";
export type { EditFamily, EditKind } from "./edit-instruction";

export interface EditSpec extends EditInstruction {
  /** The edited scene (exact ground truth once rendered). */
  edited: Scene;
}

export interface EditTemplateOptions extends EditInstructionOptions {
  /** Image size (for the in-view check of the edited scene). */
  width: number;
  height: number;
}

function sceneObject(scene: Scene, id: number): SceneObject {
  const so = scene.objects.find((o) => o.id === id);
  if (!so) throw new Error(`instructions: extracted object ${id} is not in the scene (ids ${scene.objects.map((o) => o.id).join(", ")})`);
  return so;
}

/** The scene's own attributes of an extracted object (what a recolour or resize must change). */
function sceneAttributes(scene: Scene): (o: ObjectInfo) => CurrentAttributes {
  return (o) => {
    const so = sceneObject(scene, o.id);
    return { shape: so.shape, colour: so.colour, material: so.material, size: so.size };
  };
}

function checkEdited(edited: Scene, targets: number[], opts: EditTemplateOptions): void {
  const problems = sceneProblems(edited);
  if (problems.length > 0) throw new Refused("edit_blocked", problems[0]);
  const out = objectsOutOfView(edited, opts.width, opts.height).filter((id) => targets.includes(id));
  if (out.length > 0) throw new Refused("edit_out_of_view", `object ${out[0]} would leave the view`);
}

/** Unit ground vectors of the image's right and of "closer to the camera". */
function groundDirections(scene: Scene): { right: { x: number; y: number }; closer: { x: number; y: number } } {
  const ax = cameraAxes(scene.camera);
  const r = Math.hypot(ax.right.x, ax.right.y) || 1;
  const f = Math.hypot(ax.forward.x, ax.forward.y) || 1;
  return { right: { x: ax.right.x / r, y: ax.right.y / r }, closer: { x: -ax.forward.x / f, y: -ax.forward.y / f } };
}

/** The exact scene edit of an instruction; refuses edits that overlap objects or leave the view. */
function editScene(scene: Scene, ins: EditInstruction, opts: EditTemplateOptions): Scene {
  const id = ins.targets[0];
  const p = ins.params;
  switch (ins.kind) {
    case "recolour":
      return p.colour !== undefined ? recolourObject(scene, id, p.colour as ColourName) : retextureObject(scene, id, p.material as Material);
    case "remove":
      return removeObject(scene, id);
    case "resize": {
      const edited = resizeObject(scene, id, p.size as SizeName);
      checkEdited(edited, ins.targets, opts);
      return edited;
    }
    case "replace": {
      const edited = replaceObject(scene, id, { shape: p.shape as Shape, colour: p.colour as ColourName });
      checkEdited(edited, ins.targets, opts);
      return edited;
    }
    case "move": {
      let edited = scene;
      if (ins.form === "trend") {
        for (const t of ins.targets) edited = advanceAlongTrend(edited, t, opts.trendStep);
      } else {
        const where = p.direction as MoveDirection;
        const dist = p.distance as number;
        const g = groundDirections(scene);
        const v = where === "to the left" ? { x: -g.right.x, y: -g.right.y } : where === "to the right" ? g.right : where === "closer to the camera" ? g.closer : { x: -g.closer.x, y: -g.closer.y };
        edited = moveObjectBy(scene, id, { dx: v.x * dist, dy: v.y * dist });
      }
      checkEdited(edited, ins.targets, opts);
      return edited;
    }
  }
}

/**
 * One edit spec of `family` and `kind` (movement family: always a move): the instruction from
 * `makeEditInstruction` on the extraction, plus the exact edited scene. Throws `Refused` when
 * the instruction would be ambiguous or the edit would break the scene.
 */
export function makeEdit(scene: Scene, ex: ExtractionResult, rng: Rng, family: EditFamily, kind: EditKind, opts: EditTemplateOptions): EditSpec {
  const ins = makeEditInstruction(ex, rng, family, kind, { ...opts, current: sceneAttributes(scene) }, "makeEdit");
  return { ...ins, edited: editScene(scene, ins, opts) };
}
