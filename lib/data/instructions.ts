/**
 * Spatial editing instructions (paper §5.1.3, Appendix B.2, K.1, M): template families that say
 * WHICH object by a spatial property, times the five edit kinds that say WHAT happens to it.
 *
 * Families (K.1):
 *   direction  "turn the leftmost/rightmost <item> into ...", "turn the <item> left of <item> into ..."
 *   depth      "turn the nearest/farthest <item> into ..."
 *   volume     "for their real volume, turn the biggest/smallest <item> into ..."
 *   contour    "for the size of their contour, turn the biggest/smallest <item> into ..."
 *   rank       "turn the <rank> leftmost/nearest/biggest <item> among the <items> into ...",
 *              "turn the <item> that is the <rank> leftmost/... object in the whole image into ..."
 *   movement   "is the object in the image moving? if so, move it to the position it will be at the next
 *               moment", "move the <direction> <item> <magnitude> to the <direction>"
 * Edit kinds (§5.1.3): recolour (colour or texture), remove, resize, move, replace.
 *
 * Each spec carries the canonical instruction, the language condition (a sentence describing the
 * expected result, §5.1.3: "the dog with black fur, which is left of the golden dog, is replaced
 * with a brown tree trunk"), and the exact scene edit (lib/world/edit.ts). Ambiguous referents,
 * ties and edits that break the scene are refused (`Refused`) and counted by the caller.
 */
import { Rng } from "../core/rng";
import type { ExtractionResult, ObjectInfo, RankKey } from "../engine/types";
import { cameraAxes } from "../world/camera";
import { advanceAlongTrend, moveObjectBy, recolourObject, removeObject, replaceObject, resizeObject, retextureObject, sceneProblems } from "../world/edit";
import { objectsOutOfView } from "../world/sampler";
import { COLOURS, MATERIALS, SHAPES, SIZES } from "../world/types";
import type { Scene, SceneObject } from "../world/types";
import { checkComplete, compareOn, fullSpec, ItemSpec, itemPhrase, matching, ordinalWord, pickByRank, Refused, uniqueName } from "./select";
import { checkSteps } from "./config";

export const EDIT_FAMILIES = ["direction", "depth", "volume", "contour", "rank", "movement"] as const;
export type EditFamily = (typeof EDIT_FAMILIES)[number];
export const EDIT_KINDS = ["recolour", "remove", "resize", "move", "replace"] as const;
export type EditKind = (typeof EDIT_KINDS)[number];

export interface EditSpec {
  family: EditFamily;
  kind: EditKind;
  /** Template form: "extreme", "relative", "rank-items", "rank-whole", "trend", "directional". */
  form: string;
  /** Canonical instruction text (paraphrased later). */
  instruction: string;
  /** Expected result in words (§5.1.3 language condition). */
  condition: string;
  /** Ids of the edited objects. */
  targets: number[];
  /** The rank fact that picked the referent (extreme and rank forms), for checking against the truth. */
  referent?: { key: RankKey; dir: "asc" | "desc"; k: number; group: number[] };
  /** Parameters of the edit (JSON), e.g. { colour: "blue" }. */
  params: Record<string, string | number>;
  /** The edited scene (exact ground truth once rendered). */
  edited: Scene;
}

export interface EditTemplateOptions {
  /** World units moved by "a little" (a lot = twice). */
  moveStep: number;
  /** World units an object with a trend moves "at the next moment". */
  trendStep: number;
  /** Image size (for the in-view check of the edited scene). */
  width: number;
  height: number;
}

interface Referent {
  object: ObjectInfo;
  /** Noun phrase that picks it, e.g. "the leftmost cube". */
  phrase: string;
  /** Prefix of the sentence ("for their real volume, "). */
  prefix: string;
  form: string;
  fact?: EditSpec["referent"];
}

interface RankWords {
  key: RankKey;
  desc: string;
  asc: string;
  prefix: string;
}

const FAMILY_WORDS: Record<"direction" | "depth" | "volume" | "contour", RankWords> = {
  direction: { key: "horizontal", desc: "rightmost", asc: "leftmost", prefix: "" },
  depth: { key: "depth", desc: "farthest", asc: "nearest", prefix: "" },
  volume: { key: "volume", desc: "biggest", asc: "smallest", prefix: "for their real volume, " },
  contour: { key: "contour", desc: "biggest", asc: "smallest", prefix: "for the size of their contour, " },
};

/** A random item spec naming a group that contains `o` ("object", its shape, or colour + shape). */
function groupSpecFor(o: ObjectInfo, rng: Rng): ItemSpec {
  const r = rng.int(0, 3);
  return r === 0 ? {} : r === 1 ? { shape: o.object } : { shape: o.object, colour: o.colour };
}

function extremeReferent(ex: ExtractionResult, rng: Rng, family: keyof typeof FAMILY_WORDS): Referent {
  if (ex.objects.length === 0) throw new Refused("too_few_objects", "the scene has no objects");
  const w = FAMILY_WORDS[family];
  const dir: "asc" | "desc" = rng.bool() ? "desc" : "asc";
  const spec = groupSpecFor(rng.choice(ex.objects), rng);
  const group = matching(ex.objects, spec);
  const o = pickByRank(ex, group, w.key, dir, 1);
  const fact = { key: w.key, dir, k: 1, group: group.map((g) => g.id) };
  return { object: o, phrase: `the ${dir === "desc" ? w.desc : w.asc} ${itemPhrase(spec)}`, prefix: w.prefix, form: "extreme", fact };
}

/** "the cube left of the red sphere": exactly one object of the group on that side of the anchor. */
function relativeReferent(ex: ExtractionResult, rng: Rng): Referent {
  if (ex.objects.length < 2) throw new Refused("too_few_objects", "a relation needs two objects");
  const anchor = rng.choice(ex.objects);
  const anchorName = uniqueName(anchor, ex.objects);
  const left = rng.bool();
  const others = ex.objects.filter((o) => o.id !== anchor.id);
  const spec = rng.bool() ? {} : { shape: rng.choice(others).object };
  const group = matching(others, spec);
  const rel = group.map((o) => compareOn(ex, o, anchor, "horizontal"));
  if (rel.includes("tie")) throw new Refused("rank_tied", `an object of the group is level with the anchor ${anchor.id}`);
  const hits = group.filter((_, i) => rel[i] === (left ? "less" : "greater"));
  if (hits.length === 0) throw new Refused("no_referent", `no ${itemPhrase(spec)} ${left ? "left" : "right"} of ${anchorName}`);
  if (hits.length > 1) throw new Refused("not_unique", `${hits.length} ${itemPhrase(spec, true)} ${left ? "left" : "right"} of ${anchorName}`);
  return { object: hits[0], phrase: `the ${itemPhrase(spec)} ${left ? "left of" : "right of"} ${anchorName}`, prefix: "", form: "relative" };
}

/** "the second leftmost cube among the cubes" / "the third biggest cone in the whole image". */
function rankReferent(ex: ExtractionResult, rng: Rng): Referent {
  const fam = rng.choice(["direction", "depth", "volume", "contour"] as const);
  const w = FAMILY_WORDS[fam];
  const dir: "asc" | "desc" = rng.bool() ? "desc" : "asc";
  const k = rng.int(2, 4);
  const sup = dir === "desc" ? w.desc : w.asc;
  if (rng.bool()) {
    const spec = groupSpecFor(rng.choice(ex.objects), rng);
    const group = matching(ex.objects, spec);
    const o = pickByRank(ex, group, w.key, dir, k);
    const fact = { key: w.key, dir, k, group: group.map((g) => g.id) };
    const among = spec.shape === undefined ? "in the whole image" : `among the ${itemPhrase(spec, true)}`;
    return { object: o, phrase: `the ${ordinalWord(k)} ${sup} ${itemPhrase(spec)} ${among}`, prefix: w.prefix, form: "rank-items", fact };
  }
  const o = pickByRank(ex, ex.objects, w.key, dir, k);
  const fact = { key: w.key, dir, k, group: ex.objects.map((g) => g.id) };
  return { object: o, fact, phrase: `the ${o.object} that is the ${ordinalWord(k)} ${sup} object in the whole image`, prefix: w.prefix, form: "rank-whole" };
}

function sceneObject(scene: Scene, id: number): SceneObject {
  const so = scene.objects.find((o) => o.id === id);
  if (!so) throw new Error(`instructions: extracted object ${id} is not in the scene (ids ${scene.objects.map((o) => o.id).join(", ")})`);
  return so;
}

function checkEdited(edited: Scene, targets: number[], opts: EditTemplateOptions): void {
  const problems = sceneProblems(edited);
  if (problems.length > 0) throw new Refused("edit_blocked", problems[0]);
  const out = objectsOutOfView(edited, opts.width, opts.height).filter((id) => targets.includes(id));
  if (out.length > 0) throw new Refused("edit_out_of_view", `object ${out[0]} would leave the view`);
}

function otherThan<T>(rng: Rng, items: readonly T[], current: T): T {
  return rng.choice(items.filter((x) => x !== current));
}

/** Unit ground vectors of the image's right and of "closer to the camera". */
function groundDirections(scene: Scene): { right: { x: number; y: number }; closer: { x: number; y: number } } {
  const ax = cameraAxes(scene.camera);
  const r = Math.hypot(ax.right.x, ax.right.y) || 1;
  const f = Math.hypot(ax.forward.x, ax.forward.y) || 1;
  return { right: { x: ax.right.x / r, y: ax.right.y / r }, closer: { x: -ax.forward.x / f, y: -ax.forward.y / f } };
}

const MOVE_DIRECTIONS = ["to the left", "to the right", "closer to the camera", "farther from the camera"] as const;

/** Applies edit `kind` to the referent; builds instruction, condition and edited scene. */
function applyKind(scene: Scene, ex: ExtractionResult, ref: Referent, kind: EditKind, rng: Rng, opts: EditTemplateOptions): Omit<EditSpec, "family"> {
  const o = ref.object;
  const so = sceneObject(scene, o.id);
  const full = `the ${itemPhrase(fullSpec(o))}, which is ${ref.phrase},`;
  const base = { kind, form: ref.form, targets: [o.id], ...(ref.fact ? { referent: ref.fact } : {}) };
  switch (kind) {
    case "recolour": {
      if (rng.bool(0.7)) {
        const colour = otherThan(rng, COLOURS, so.colour);
        return { ...base, instruction: `${ref.prefix}turn ${ref.phrase} into ${colour}`, condition: `${full} is now ${colour}`, params: { colour }, edited: recolourObject(scene, o.id, colour) };
      }
      const material = otherThan(rng, MATERIALS, so.material);
      return {
        ...base,
        instruction: `${ref.prefix}turn ${ref.phrase} into ${material}`,
        condition: `${full} now has a ${material} surface`,
        params: { material },
        edited: retextureObject(scene, o.id, material),
      };
    }
    case "remove":
      return { ...base, instruction: `${ref.prefix}remove ${ref.phrase}`, condition: `${full} is removed and the ground behind it is visible`, params: {}, edited: removeObject(scene, o.id) };
    case "resize": {
      const size = otherThan(rng, SIZES, so.size);
      const edited = resizeObject(scene, o.id, size);
      checkEdited(edited, [o.id], opts);
      return { ...base, instruction: `${ref.prefix}resize ${ref.phrase} to ${size}`, condition: `${full} is now ${size} instead of ${so.size}`, params: { size }, edited };
    }
    case "replace": {
      const shape = otherThan(rng, SHAPES, so.shape);
      const colour = rng.choice(COLOURS);
      const edited = replaceObject(scene, o.id, { shape, colour });
      checkEdited(edited, [o.id], opts);
      return { ...base, instruction: `${ref.prefix}turn ${ref.phrase} into a ${colour} ${shape}`, condition: `${full} is replaced with a ${colour} ${shape}`, params: { shape, colour }, edited };
    }
    case "move": {
      const where = rng.choice(MOVE_DIRECTIONS);
      const lot = rng.bool();
      const dist = opts.moveStep * (lot ? 2 : 1);
      const g = groundDirections(scene);
      const v = where === "to the left" ? { x: -g.right.x, y: -g.right.y } : where === "to the right" ? g.right : where === "closer to the camera" ? g.closer : { x: -g.closer.x, y: -g.closer.y };
      const edited = moveObjectBy(scene, o.id, { dx: v.x * dist, dy: v.y * dist });
      checkEdited(edited, [o.id], opts);
      const mag = lot ? "a lot" : "a little";
      return {
        ...base,
        instruction: `${ref.prefix}move ${ref.phrase} ${mag} ${where}`,
        condition: `${full} has moved ${mag} ${where}`,
        params: { direction: where, distance: dist },
        edited,
      };
    }
  }
}

/** K.1 movement, first template: every moving object advances along its trend. */
function trendEdit(scene: Scene, ex: ExtractionResult, opts: EditTemplateOptions): Omit<EditSpec, "family"> {
  const moving = ex.objects.filter((o) => o.trend !== "none");
  if (moving.length === 0) throw new Refused("no_moving_object", "no object in the scene has a trend");
  let edited = scene;
  for (const o of moving) edited = advanceAlongTrend(edited, o.id, opts.trendStep);
  const ids = moving.map((o) => o.id);
  checkEdited(edited, ids, opts);
  const one = moving.length === 1;
  const names = moving.map((o) => `the ${itemPhrase(fullSpec(o))} moving ${o.trend}`);
  return {
    kind: "move",
    form: "trend",
    instruction: one
      ? "is the object in the image moving? if so, move it to the position it will be at the next moment"
      : "are the objects in the image moving? if so, move them to the positions they will be at the next moment",
    condition: `${names.join(" and ")} ${one ? "has" : "have"} moved on to where ${one ? "it is" : "they are"} at the next moment`,
    targets: ids,
    params: { distance: opts.trendStep, moving: moving.length },
    edited,
  };
}

/**
 * One edit spec of `family` and `kind` (movement family: always a move). Throws `Refused` when
 * the instruction would be ambiguous or the edit would break the scene.
 */
export function makeEdit(scene: Scene, ex: ExtractionResult, rng: Rng, family: EditFamily, kind: EditKind, opts: EditTemplateOptions): EditSpec {
  if (!(EDIT_FAMILIES as readonly string[]).includes(family)) throw new Error(`makeEdit: unknown family '${family}'; known: ${EDIT_FAMILIES.join(", ")}`);
  if (!(EDIT_KINDS as readonly string[]).includes(kind)) throw new Error(`makeEdit: unknown edit kind '${kind}'; known: ${EDIT_KINDS.join(", ")}`);
  checkSteps(opts, "makeEdit");
  checkComplete(ex);
  if (ex.objects.length === 0) throw new Refused("too_few_objects", "the scene has no usable objects");
  switch (family) {
    case "direction": {
      const ref = rng.bool(0.6) ? extremeReferent(ex, rng, "direction") : relativeReferent(ex, rng);
      return { family, ...applyKind(scene, ex, ref, kind, rng, opts) };
    }
    case "depth":
    case "volume":
    case "contour":
      return { family, ...applyKind(scene, ex, extremeReferent(ex, rng, family), kind, rng, opts) };
    case "rank":
      return { family, ...applyKind(scene, ex, rankReferent(ex, rng), kind, rng, opts) };
    case "movement": {
      if (rng.bool()) return { family, ...trendEdit(scene, ex, opts) };
      const ref = extremeReferent(ex, rng, rng.choice(["direction", "depth", "volume", "contour"] as const));
      return { family, ...applyKind(scene, ex, { ...ref, form: "directional" }, "move", rng, opts) };
    }
  }
}
