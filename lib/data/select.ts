/**
 * Referring to objects without ambiguity (paper §5.1.2-5.1.3; the rule "refuse an
 * instruction whose referent is not unique or whose rank is tied"): names that pick exactly one
 * object, ranks within any group of objects with the engine's tie tolerances, and comparisons.
 *
 * Ranks, values and ties are the engine's (lib/engine/ranks.ts): horizontal = image column of the
 * centre (ascending = leftmost first), depth = camera-frame z (ascending = nearest first),
 * volume = convex-hull volume estimate, contour = mask area, height = top above the ground;
 * two values tie when |a - b| <= abs + rel * max(|a|, |b|) + u_a + u_b.
 */
import { compareObjects, objectById, pickRank, rankValue } from "../engine/ranks";
import type { Comparison, ExtractionResult, ObjectInfo, RankKey } from "../engine/types";

/** Why the data engine refused to write a VQA pair or an edit record (counted in the manifest). */
export type DataRefusal =
  | "not_unique" // the referent (or the anchor of a relation) names more than one object
  | "no_referent" // the description matches no object
  | "rank_tied" // the requested rank falls on a tie
  | "rank_out_of_range" // fewer objects than the rank
  | "tied_comparison" // a comparison between two objects whose values tie
  | "unnamed" // an object has no unique name (identical twins)
  | "no_moving_object"
  | "several_moving_objects"
  | "edit_blocked" // the edited scene has overlapping objects
  | "edit_out_of_view" // the edited object leaves the view
  | "no_change" // the edit would change nothing
  | "too_few_objects"
  | "incomplete_extraction"; // the extraction refused some object, so ranks over the scene are unreliable

export class Refused extends Error {
  readonly reason: DataRefusal;
  constructor(reason: DataRefusal, detail: string) {
    super(`${reason}: ${detail}`);
    this.reason = reason;
    this.name = "Refused";
  }
}

/** The value an object is ranked by for a key (the engine's definition). */
export { rankValue };

export function checkComplete(ex: Pick<ExtractionResult, "complete" | "refusals">): void {
  if (!ex.complete) {
    const ids = ex.refusals.filter((r) => r.id !== null).map((r) => `${r.id} (${r.reason})`);
    throw new Refused("incomplete_extraction", `the extraction refused object(s) ${ids.join(", ")}; ranks and relations could be wrong`);
  }
}

/** Compares a with b on `key`: "less", "greater", or "tie" within the engine's tolerance. */
export function compareOn(ex: ExtractionResult, a: ObjectInfo, b: ObjectInfo, key: RankKey): Comparison {
  return compareObjects(ex, key, a.id, b.id);
}

/**
 * The object at 1-based rank `k` of `group` ordered by `key` ("asc" = smallest first), by the
 * engine's `pickRank`. Refuses when the extraction is incomplete, the group is too small or the
 * object at rank k is not strictly separated from every other (a tie).
 */
export function pickByRank(ex: ExtractionResult, group: readonly ObjectInfo[], key: RankKey, dir: "asc" | "desc", k: number): ObjectInfo {
  if (!Number.isInteger(k) || k < 1) throw new Error(`pickByRank: rank must be an integer >= 1, got ${k}`);
  checkComplete(ex);
  const pick = pickRank(ex, key, k, dir, group.map((o) => o.id));
  if (!pick.ok) {
    // explicit cast: tslab compiles without strictNullChecks, where `ok` does not narrow the union
    const bad = pick as { ok: false; reason: string; detail: string };
    const reason: DataRefusal = bad.reason === "tie" ? "rank_tied" : bad.reason === "out-of-range" ? "rank_out_of_range" : bad.reason === "empty" ? "no_referent" : "incomplete_extraction";
    throw new Refused(reason, `${key} rank ${k} (${dir}): ${bad.detail}`);
  }
  return objectById(ex, (pick as { ok: true; id: number }).id);
}

/** What a noun phrase says about an object: any subset of shape, colour, material, size. */
export interface ItemSpec {
  shape?: string;
  colour?: string;
  material?: string;
  size?: string;
}

/** Objects matching an item spec (an empty spec = every object: "object"). */
export function matching(objects: readonly ObjectInfo[], spec: ItemSpec): ObjectInfo[] {
  return objects.filter(
    (o) =>
      (spec.shape === undefined || o.object === spec.shape) &&
      (spec.colour === undefined || o.colour === spec.colour) &&
      (spec.material === undefined || o.material === spec.material) &&
      (spec.size === undefined || o.sizeClass === spec.size),
  );
}

/** The noun phrase of an item spec: "small red metal cube", "cube", "object". */
export function itemPhrase(spec: ItemSpec, plural = false): string {
  const noun = spec.shape ?? "object";
  const words = [spec.size, spec.colour, spec.material, plural ? `${noun}${noun.endsWith("s") ? "es" : "s"}` : noun].filter((w): w is string => !!w);
  return words.join(" ");
}

/** The full description of one object (all known attributes). */
export function fullSpec(o: ObjectInfo): ItemSpec {
  return { shape: o.object, colour: o.colour, material: o.material ?? undefined, size: o.sizeClass ?? undefined };
}

/**
 * The shortest spec that names `o` and nothing else, trying shape, colour + shape,
 * material + shape, size + shape, then longer combinations; null when even the full
 * description is shared (identical twins).
 */
export function uniqueSpec(o: ObjectInfo, all: readonly ObjectInfo[]): ItemSpec | null {
  const f = fullSpec(o);
  const tries: ItemSpec[] = [
    { shape: f.shape },
    { shape: f.shape, colour: f.colour },
    { shape: f.shape, material: f.material },
    { shape: f.shape, size: f.size },
    { shape: f.shape, colour: f.colour, material: f.material },
    { shape: f.shape, colour: f.colour, size: f.size },
    { shape: f.shape, size: f.size, material: f.material },
    f,
  ];
  for (const t of tries) {
    if (Object.values(t).some((v) => v === undefined) && t !== f) continue;
    if (matching(all, t).length === 1) return t;
  }
  return null;
}

/** "the red cube": the unique name of `o`, or a `Refused("unnamed")`. */
export function uniqueName(o: ObjectInfo, all: readonly ObjectInfo[]): string {
  const s = uniqueSpec(o, all);
  if (s === null) throw new Refused("unnamed", `object ${o.id} (${itemPhrase(fullSpec(o))}) has an identical twin`);
  return `the ${itemPhrase(s)}`;
}

/** Ordinal words for ranks 1..5 (rank 1 writes no ordinal: "the leftmost"). */
export const ORDINALS = ["", "second", "third", "fourth", "fifth"] as const;

export function ordinalWord(k: number): string {
  if (!Number.isInteger(k) || k < 1 || k > ORDINALS.length) throw new Error(`ordinalWord: rank must be 1..${ORDINALS.length}, got ${k}`);
  return ORDINALS[k - 1];
}
