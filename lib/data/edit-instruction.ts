/**
 * The scene-free half of the spatial edit templates (paper §5.1.3, Appendix K.1): from an
 * `ExtractionResult` alone, choose WHICH object by the family's spatial property and write WHAT
 * happens to it (instruction, language condition and the edit's parameters). No 3-D scene is
 * needed, so the same templates run on a real photo's extraction (notebook 08), where the 2-D
 * edits (`edit2d.ts`) apply the result; `makeEdit` (instructions.ts) calls this function and only
 * adds the exact scene edit.
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
 * Ambiguous referents (names that are not unique, ranks that fall on a tie, an incomplete
 * extraction) are refused with `Refused` and its reason, exactly as the scene path refuses them.
 * The text is canonical; the paraphrase grammar (`paraphrase.ts`) rewrites it afterwards, as the
 * dataset writer does.
 */
import { Rng } from "../core/rng";
import type { ExtractionResult, ObjectInfo, RankKey } from "../engine/types";
import { COLOURS, MATERIALS, SHAPES, SIZES } from "../world/types";
import type { ColourName, Material, SizeName } from "../world/types";
import { checkComplete, compareOn, fullSpec, ItemSpec, itemPhrase, matching, ordinalWord, pickByRank, Refused, uniqueName } from "./select";
import { checkSteps } from "./config";

export const EDIT_FAMILIES = ["direction", "depth", "volume", "contour", "rank", "movement"] as const;
export type EditFamily = (typeof EDIT_FAMILIES)[number];
export const EDIT_KINDS = ["recolour", "remove", "resize", "move", "replace"] as const;
export type EditKind = (typeof EDIT_KINDS)[number];

/** Directions of the "move" kind, as written in the instruction. */
export const MOVE_DIRECTIONS = ["to the left", "to the right", "closer to the camera", "farther from the camera"] as const;
export type MoveDirection = (typeof MOVE_DIRECTIONS)[number];

/** One edit instruction of the templates, without the edited scene. */
export interface EditInstruction {
  family: EditFamily;
  kind: EditKind;
  /** Template form: "extreme", "relative", "rank-items", "rank-whole", "trend", "directional". */
  form: string;
  /** Ids of the edited objects (extraction ids: the scene object ids or the photo's mask values). */
  targets: number[];
  /** The rank fact that picked the referent (extreme and rank forms), for checking against the truth. */
  referent?: { key: RankKey; dir: "asc" | "desc"; k: number; group: number[] };
  /** Canonical instruction text (paraphrased later). */
  instruction: string;
  /** Expected result in words (§5.1.3 language condition). */
  condition: string;
  /**
   * Parameters of the edit (JSON): recolour { colour } or { material }, resize { size },
   * replace { shape, colour }, move { direction: MoveDirection, distance }, trend { distance, moving }.
   */
  params: Record<string, string | number>;
}

/** What an object is now, as the recolour / resize / replace kinds must avoid repeating it. */
export interface CurrentAttributes {
  shape: string;
  colour: ColourName;
  /** Null when unknown (a photo): any material may then be chosen. */
  material: Material | null;
  /** Null when unknown: any size may then be chosen, and the condition does not say the old one. */
  size: SizeName | null;
}

export interface EditInstructionOptions {
  /** World units moved by "a little" (a lot = twice). */
  moveStep: number;
  /** World units an object with a trend moves "at the next moment". */
  trendStep: number;
  /**
   * Whether a recolour may change the material instead of the colour (default true, as on
   * SpatialWorld; false for the 2-D path, whose recolour changes colour only). The random draw
   * that chooses between them is made either way, so the rest of the draws do not shift.
   */
  textures?: boolean;
  /**
   * The current attributes of an extracted object when the caller knows them better than the
   * extraction (makeEdit passes the scene's); default: the extraction's own words.
   */
  current?: (o: ObjectInfo) => CurrentAttributes;
}

interface Referent {
  object: ObjectInfo;
  /** Noun phrase that picks it, e.g. "the leftmost cube". */
  phrase: string;
  /** Prefix of the sentence ("for their real volume, "). */
  prefix: string;
  form: string;
  fact?: EditInstruction["referent"];
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

/** The extraction's own words for what an object is now. */
function extractedAttributes(o: ObjectInfo): CurrentAttributes {
  return { shape: o.object, colour: o.colour, material: o.material, size: o.sizeClass };
}

/** A random value other than `current` (any value when `current` is unknown). */
function otherThan<T>(rng: Rng, items: readonly T[], current: T | null): T {
  return rng.choice(items.filter((x) => x !== current));
}

/** Writes edit `kind` on the referent: instruction, condition and parameters. */
function applyKind(ref: Referent, kind: EditKind, rng: Rng, opts: EditInstructionOptions): Omit<EditInstruction, "family"> {
  const o = ref.object;
  const now = (opts.current ?? extractedAttributes)(o);
  const full = `the ${itemPhrase(fullSpec(o))}, which is ${ref.phrase},`;
  const base = { kind, form: ref.form, targets: [o.id], ...(ref.fact ? { referent: ref.fact } : {}) };
  switch (kind) {
    case "recolour": {
      if (rng.bool(0.7) || opts.textures === false) {
        const colour = otherThan(rng, COLOURS, now.colour);
        return { ...base, instruction: `${ref.prefix}turn ${ref.phrase} into ${colour}`, condition: `${full} is now ${colour}`, params: { colour } };
      }
      const material = otherThan(rng, MATERIALS, now.material);
      return { ...base, instruction: `${ref.prefix}turn ${ref.phrase} into ${material}`, condition: `${full} now has a ${material} surface`, params: { material } };
    }
    case "remove":
      return { ...base, instruction: `${ref.prefix}remove ${ref.phrase}`, condition: `${full} is removed and the ground behind it is visible`, params: {} };
    case "resize": {
      const size = otherThan(rng, SIZES, now.size);
      const was = now.size === null ? "" : ` instead of ${now.size}`;
      return { ...base, instruction: `${ref.prefix}resize ${ref.phrase} to ${size}`, condition: `${full} is now ${size}${was}`, params: { size } };
    }
    case "replace": {
      const shape = otherThan(rng, SHAPES, now.shape);
      const colour = rng.choice(COLOURS);
      return { ...base, instruction: `${ref.prefix}turn ${ref.phrase} into a ${colour} ${shape}`, condition: `${full} is replaced with a ${colour} ${shape}`, params: { shape, colour } };
    }
    case "move": {
      const where = rng.choice(MOVE_DIRECTIONS);
      const lot = rng.bool();
      const distance = opts.moveStep * (lot ? 2 : 1);
      const mag = lot ? "a lot" : "a little";
      return { ...base, instruction: `${ref.prefix}move ${ref.phrase} ${mag} ${where}`, condition: `${full} has moved ${mag} ${where}`, params: { direction: where, distance } };
    }
  }
}

/** K.1 movement, first template: every moving object advances along its trend. */
function trendInstruction(ex: ExtractionResult, opts: EditInstructionOptions): Omit<EditInstruction, "family"> {
  const moving = ex.objects.filter((o) => o.trend !== "none");
  if (moving.length === 0) throw new Refused("no_moving_object", "no object in the scene has a trend");
  const one = moving.length === 1;
  const names = moving.map((o) => `the ${itemPhrase(fullSpec(o))} moving ${o.trend}`);
  return {
    kind: "move",
    form: "trend",
    instruction: one
      ? "is the object in the image moving? if so, move it to the position it will be at the next moment"
      : "are the objects in the image moving? if so, move them to the positions they will be at the next moment",
    condition: `${names.join(" and ")} ${one ? "has" : "have"} moved on to where ${one ? "it is" : "they are"} at the next moment`,
    targets: moving.map((o) => o.id),
    params: { distance: opts.trendStep, moving: moving.length },
  };
}

/**
 * One edit instruction of `family` and `kind` from an extraction alone (movement family: always
 * a move). Throws `Refused` when the referent is ambiguous; `who` names the caller in errors.
 */
export function makeEditInstruction(ex: ExtractionResult, rng: Rng, family: EditFamily, kind: EditKind, opts: EditInstructionOptions, who = "makeEditInstruction"): EditInstruction {
  if (!(EDIT_FAMILIES as readonly string[]).includes(family)) throw new Error(`${who}: unknown family '${family}'; known: ${EDIT_FAMILIES.join(", ")}`);
  if (!(EDIT_KINDS as readonly string[]).includes(kind)) throw new Error(`${who}: unknown edit kind '${kind}'; known: ${EDIT_KINDS.join(", ")}`);
  checkSteps(opts, who);
  checkComplete(ex);
  if (ex.objects.length === 0) throw new Refused("too_few_objects", "the scene has no usable objects");
  switch (family) {
    case "direction": {
      const ref = rng.bool(0.6) ? extremeReferent(ex, rng, "direction") : relativeReferent(ex, rng);
      return { family, ...applyKind(ref, kind, rng, opts) };
    }
    case "depth":
    case "volume":
    case "contour":
      return { family, ...applyKind(extremeReferent(ex, rng, family), kind, rng, opts) };
    case "rank":
      return { family, ...applyKind(rankReferent(ex, rng), kind, rng, opts) };
    case "movement": {
      if (rng.bool()) return { family, ...trendInstruction(ex, opts) };
      const ref = extremeReferent(ex, rng, rng.choice(["direction", "depth", "volume", "contour"] as const));
      return { family, ...applyKind({ ...ref, form: "directional" }, "move", rng, opts) };
    }
  }
}
