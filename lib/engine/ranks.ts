/**
 * Rank orders with tie detection (paper §5.1.1 / Appendix K: leftmost, 2nd from the right,
 * nearest, deepest, biggest, tallest, ...). Two values a, b of objects with uncertainties
 * ua, ub are TIED when |a - b| <= tol.abs + tol.rel * max(|a|, |b|) + ua + ub; an instruction
 * that needs the order of tied objects must be refused. Ties are not transitive, so a rank
 * is decided only when the object is strictly separated from every object on both sides.
 */
import { RANK_KEYS } from "./types";
import type { Comparison, ExtractionResult, ObjectInfo, ObjectRank, RankDirection, RankKey, RankPick, Tolerance } from "./types";

/** The value an object is ranked by for each key (see RankKey in types.ts). */
export function rankValue(o: ObjectInfo, key: RankKey): number {
  switch (key) {
    case "horizontal":
      return o.centreU;
    case "depth":
      return o.depth;
    case "volume":
      return o.volumeShape ?? o.volumeHull;
    case "contour":
      return o.area;
    case "height":
      return o.height;
  }
}

export interface RankItem {
  id: number;
  value: number;
  uncertainty: number;
}

/** Compares two items under a tolerance: "less" (a < b, decided), "greater", or "tie". */
export function compareItems(a: RankItem, b: RankItem, tol: Tolerance): Comparison {
  const gap = tol.abs + tol.rel * Math.max(Math.abs(a.value), Math.abs(b.value)) + a.uncertainty + b.uncertainty;
  if (!(Math.abs(a.value - b.value) > gap)) return "tie"; // also NaN / Infinity uncertainty -> tie
  return a.value < b.value ? "less" : "greater";
}

/**
 * The item at 1-based rank `k` in direction `dir` ("asc": smallest first), or why there is
 * none: "empty", "out-of-range", or "tie" (the k-th item is not strictly separated from all
 * items before and after it).
 */
export function pickByRank(items: readonly RankItem[], k: number, dir: RankDirection, tol: Tolerance): RankPick {
  if (items.length === 0) return { ok: false, reason: "empty", detail: "no objects to rank" };
  if (!Number.isInteger(k) || k < 1 || k > items.length) {
    return { ok: false, reason: "out-of-range", detail: `rank ${k} of ${items.length} object(s)` };
  }
  const sorted = items.slice().sort((a, b) => (dir === "asc" ? a.value - b.value : b.value - a.value) || a.id - b.id);
  const target = sorted[k - 1];
  const before: Comparison = dir === "asc" ? "less" : "greater";
  for (let j = 0; j < sorted.length; j++) {
    if (j === k - 1) continue;
    const c = compareItems(sorted[j], target, tol);
    const want: Comparison = j < k - 1 ? before : before === "less" ? "greater" : "less";
    if (c !== want) {
      return { ok: false, reason: "tie", detail: `object ${target.id} and object ${sorted[j].id} are tied (values ${target.value.toPrecision(4)} and ${sorted[j].value.toPrecision(4)})` };
    }
  }
  return { ok: true, id: target.id, value: target.value };
}

/** Rank items of `objects` (default: all objects of the result) for `key`. */
export function rankItems(result: ExtractionResult, key: RankKey, ids?: readonly number[]): RankItem[] {
  const objs = ids === undefined ? result.objects : ids.map((id) => objectById(result, id));
  return objs.map((o) => ({ id: o.id, value: rankValue(o, key), uncertainty: o.uncertainty[key] }));
}

export function objectById(result: ExtractionResult, id: number): ObjectInfo {
  const o = result.objects.find((x) => x.id === id);
  if (o === undefined) throw new Error(`no extracted object with id ${id} (ids: ${result.objects.map((x) => x.id).join(", ") || "none"})`);
  return o;
}

/**
 * Picks the object at rank k on `key` among `ids` (default: the whole scene). Over the whole
 * scene the result must be complete (no refused object), else the pick is "unreliable".
 * E.g. leftmost = pickRank(r, "horizontal", 1, "asc"); 2nd from the right = (…, 2, "desc");
 * nearest = ("depth", 1, "asc"); deepest = ("depth", 1, "desc"); biggest = ("volume", 1, "desc").
 */
export function pickRank(result: ExtractionResult, key: RankKey, k: number, dir: RankDirection, ids?: readonly number[]): RankPick {
  if (ids === undefined && !result.complete) {
    const refused = result.refusals.filter((r) => r.id !== null).map((r) => `${r.id} (${r.reason})`);
    return { ok: false, reason: "unreliable", detail: `ranks over the whole scene need every object; refused: ${refused.join(", ")}` };
  }
  return pickByRank(rankItems(result, key, ids), k, dir, result.tolerances[key]);
}

/** Compares objects a and b on `key`: "less" means a's value is smaller (a is left of / nearer than / smaller than b). */
export function compareObjects(result: ExtractionResult, key: RankKey, a: number, b: number): Comparison {
  const [ia, ib] = rankItems(result, key, [a, b]);
  return compareItems(ia, ib, result.tolerances[key]);
}

/** Fills `ranks` of every object: its decided 1-based ranks (null when tied) and the ids it is tied with. */
export function computeRanks(objects: ObjectInfo[], tolerances: Record<RankKey, Tolerance>, complete: boolean): void {
  for (const key of RANK_KEYS) {
    const items = objects.map((o) => ({ id: o.id, value: rankValue(o, key), uncertainty: o.uncertainty[key] }));
    for (const o of objects) {
      const me = items.find((x) => x.id === o.id)!;
      const tiedWith = items.filter((x) => x.id !== o.id && compareItems(x, me, tolerances[key]) === "tie").map((x) => x.id);
      let asc: number | null = null;
      let desc: number | null = null;
      if (complete && tiedWith.length === 0) {
        asc = 1 + items.filter((x) => x.value < me.value && x.id !== o.id).length;
        desc = objects.length + 1 - asc;
      }
      o.ranks[key] = { asc, desc, tiedWith } as ObjectRank;
    }
  }
}
