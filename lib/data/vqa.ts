/**
 * VQA data construction (paper §5.1.2, Appendix B.1, K.2): template families filled from the
 * extracted spatial information, with exact answers.
 *
 * Families (K.2 names in brackets) and their forms:
 *   height   (K.2 "depth": "What is the <rank> tallest?", "Is <item> taller/shorter than <item>?")
 *   volume   ("What is the <rank> biggest/smallest?", "Is <item> bigger/smaller than <item>?"), real volume
 *   contour  (the same questions about the contour size: the visible mask area)
 *   distance (depth from the camera, §5.1.2 "depth": nearest / farthest, nearer / farther than)
 *   direction ("describe the direction between <item> and <item>", "Is <item> <direction> to <item>?",
 *              and rank questions leftmost / rightmost)
 *   locate   ("Locate the <item> in image")
 *   trend    (motion trends, §5.1.2: which way is <item> moving)
 * K.2 writes the same questions for volume and contour; to keep them unambiguous our templates
 * say which size is meant, with the prefixes of K.1 ("for their real volume,", "for the size
 * of their contour,"). Every question names objects uniquely, and every rank or comparison that
 * falls on a tie is refused (`Refused`), never answered.
 */
import { Rng } from "../core/rng";
import type { ExtractionResult, ObjectInfo, RankKey } from "../engine/types";
import { checkComplete, compareOn, ordinalWord, pickByRank, Refused, uniqueName } from "./select";

export const VQA_FAMILIES = ["height", "volume", "contour", "distance", "direction", "locate", "trend"] as const;
export type VqaFamily = (typeof VQA_FAMILIES)[number];

export interface VqaPair {
  family: VqaFamily;
  /** Template form within the family, e.g. "rank", "compare", "describe", "relation", "locate", "trend". */
  form: string;
  /** Canonical template text (the paraphrase step rewrites it; `canonicalise` maps it back). */
  question: string;
  answer: string;
  /** Ids of the objects the question is about. */
  objects: number[];
  /**
   * The spatial fact the answer rests on, for checking against the truth: a rank pick
   * (key, direction, rank) or an order between objects[0] and objects[1] on a key.
   */
  fact?: { key: RankKey; dir?: "asc" | "desc"; k?: number; order?: "less" | "greater" }[];
}

interface RankWords {
  key: RankKey;
  /** superlative for descending / ascending order */
  desc: string;
  asc: string;
  /** comparative for "greater" / "less" */
  greater: string;
  less: string;
  prefix: string;
}

const RANK_WORDS: Record<"height" | "volume" | "contour" | "distance" | "direction", RankWords> = {
  height: { key: "height", desc: "tallest", asc: "shortest", greater: "taller than", less: "shorter than", prefix: "" },
  volume: { key: "volume", desc: "biggest", asc: "smallest", greater: "bigger than", less: "smaller than", prefix: "for their real volume, " },
  contour: { key: "contour", desc: "biggest", asc: "smallest", greater: "bigger than", less: "smaller than", prefix: "for the size of their contour, " },
  distance: { key: "depth", desc: "farthest", asc: "nearest", greater: "farther than", less: "nearer than", prefix: "" },
  direction: { key: "horizontal", desc: "rightmost", asc: "leftmost", greater: "right of", less: "left of", prefix: "" },
};

function needObjects(ex: ExtractionResult, n: number): void {
  if (ex.objects.length < n) throw new Refused("too_few_objects", `the question needs ${n} object(s), the scene has ${ex.objects.length}`);
}

function twoObjects(ex: ExtractionResult, rng: Rng): [ObjectInfo, ObjectInfo] {
  needObjects(ex, 2);
  const [a, b] = rng.shuffle(ex.objects).slice(0, 2);
  return [a, b];
}

/** "What is the <rank> tallest?" style: the answer is the unique name of the object at that rank. */
function rankQuestion(ex: ExtractionResult, rng: Rng, family: keyof typeof RANK_WORDS): VqaPair {
  needObjects(ex, 1);
  const w = RANK_WORDS[family];
  const k = rng.int(1, Math.min(3, ex.objects.length) + 1);
  const dir: "asc" | "desc" = rng.bool() ? "desc" : "asc";
  const o = pickByRank(ex, ex.objects, w.key, dir, k);
  const ord = ordinalWord(k);
  const question = `${w.prefix}what is the ${ord ? `${ord} ` : ""}${dir === "desc" ? w.desc : w.asc} object?`;
  return { family, form: "rank", question, answer: uniqueName(o, ex.objects), objects: [o.id], fact: [{ key: w.key, dir, k }] };
}

/** "Is <item> taller/shorter than <item>?": yes/no, balanced by asking either comparative. */
function compareQuestion(ex: ExtractionResult, rng: Rng, family: keyof typeof RANK_WORDS): VqaPair {
  const w = RANK_WORDS[family];
  const [a, b] = twoObjects(ex, rng);
  const c = compareOn(ex, a, b, w.key);
  if (c === "tie") throw new Refused("tied_comparison", `objects ${a.id} and ${b.id} tie on ${w.key}`);
  const askGreater = rng.bool();
  const yes = askGreater ? c === "greater" : c === "less";
  const question = `${w.prefix}is ${uniqueName(a, ex.objects)} ${askGreater ? w.greater : w.less} ${uniqueName(b, ex.objects)}?`;
  return { family, form: family === "direction" ? "relation" : "compare", question, answer: yes ? "yes" : "no", objects: [a.id, b.id], fact: [{ key: w.key, order: c }] };
}

/** "describe the direction between A and B": left/right and in front/behind, ties said as such. */
function describeQuestion(ex: ExtractionResult, rng: Rng): VqaPair {
  const [a, b] = twoObjects(ex, rng);
  const h = compareOn(ex, a, b, "horizontal");
  const d = compareOn(ex, a, b, "depth");
  if (h === "tie" && d === "tie") throw new Refused("tied_comparison", `objects ${a.id} and ${b.id} tie on both horizontal position and depth`);
  const na = uniqueName(a, ex.objects);
  const nb = uniqueName(b, ex.objects);
  const parts: string[] = [];
  if (h !== "tie") parts.push(h === "less" ? "left of" : "right of");
  if (d !== "tie") parts.push(d === "less" ? "in front of" : "behind");
  const fact: NonNullable<VqaPair["fact"]> = [];
  if (h !== "tie") fact.push({ key: "horizontal", order: h });
  if (d !== "tie") fact.push({ key: "depth", order: d });
  return { family: "direction", form: "describe", question: `describe the direction between ${na} and ${nb}`, answer: `${na} is ${parts.join(" and ")} ${nb}`, objects: [a.id, b.id], fact };
}

/** Region word of a normalised image position (3 x 3 grid). */
export function regionWord(x: number, y: number): string {
  const col = x < 1 / 3 ? "left" : x < 2 / 3 ? "centre" : "right";
  const row = y < 1 / 3 ? "top" : y < 2 / 3 ? "middle" : "bottom";
  if (row === "middle" && col === "centre") return "centre";
  return `${row} ${col}`;
}

/** "Locate the <item> in image": normalised centre (x right, y down) and a region word. */
function locateQuestion(ex: ExtractionResult, rng: Rng): VqaPair {
  needObjects(ex, 1);
  const o = rng.choice(ex.objects);
  const x = o.centroid2d.u / ex.width;
  const y = o.centroid2d.v / ex.height;
  const name = uniqueName(o, ex.objects);
  return { family: "locate", form: "locate", question: `locate ${name} in the image`, answer: `at (${x.toFixed(2)}, ${y.toFixed(2)}), ${regionWord(x, y)}`, objects: [o.id] };
}

const TREND_WORDS: Record<string, string> = {
  none: "it is not moving",
  left: "to the left",
  right: "to the right",
  forward: "away from the camera",
  backward: "towards the camera",
};

function trendQuestion(ex: ExtractionResult, rng: Rng): VqaPair {
  needObjects(ex, 1);
  const o = rng.choice(ex.objects);
  return { family: "trend", form: "trend", question: `which way is ${uniqueName(o, ex.objects)} moving?`, answer: TREND_WORDS[o.trend] ?? o.trend, objects: [o.id] };
}

/**
 * One VQA pair of `family` (random form within it) from an extraction. Throws `Refused` when
 * the question would be ambiguous (tie, no unique name, too few objects).
 */
export function makeVqa(ex: ExtractionResult, rng: Rng, family: VqaFamily): VqaPair {
  checkComplete(ex);
  switch (family) {
    case "height":
    case "volume":
    case "contour":
    case "distance":
      return rng.bool() ? rankQuestion(ex, rng, family) : compareQuestion(ex, rng, family);
    case "direction": {
      const f = rng.int(0, 3);
      return f === 0 ? describeQuestion(ex, rng) : f === 1 ? compareQuestion(ex, rng, "direction") : rankQuestion(ex, rng, "direction");
    }
    case "locate":
      return locateQuestion(ex, rng);
    case "trend":
      return trendQuestion(ex, rng);
    default:
      throw new Error(`makeVqa: unknown family '${family as string}'; known: ${VQA_FAMILIES.join(", ")}`);
  }
}
