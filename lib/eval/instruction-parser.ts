/**
 * Reading an editing instruction back (Table 4 analogue, paper Appendix I: "reasonableness of
 * the instructions" and "editing effect", there judged by 5 human raters). The instruction text
 * a model reads is canonicalised (the paraphrase grammar's inverse), its referent is resolved on
 * the scene's exact truth with the engine's ranks, and its action is executed on the scene:
 *   referents   "the <sup> <item>", "the <item> left/right of <name>", "the <k>th <sup> <item>
 *               among the <items> / in the whole image", "the <shape> that is the <k>th <sup>
 *               object in the whole image", "the <item>" (a name), "every <shape>" / "every object";
 *   actions     turn into <colour> | <material> | a <colour> <shape>; replace with a <colour>
 *               <shape>; remove; resize to <size>; move a little/a lot <direction>; the trend
 *               question (every moving object advances); make every object <colour>; make the
 *               picture darker/brighter; make it black and white.
 * The grammar is the data engine's (Appendix K.1 templates, lib/data/instructions.ts, generic.ts);
 * anything else is reported as unparsed, never guessed.
 */
import type { ExtractionResult, ObjectInfo, RankKey } from "../engine/types";
import { canonicalise } from "../data/paraphrase";
import { compareOn, ItemSpec, matching, ORDINALS, pickByRank, Refused } from "../data/select";
import { cameraAxes } from "../world/camera";
import { advanceAlongTrend, moveObjectBy, recolourObject, removeObject, replaceObject, resizeObject, retextureObject } from "../world/edit";
import { COLOURS, MATERIALS, SHAPES, SIZES } from "../world/types";
import type { ColourName, Material, Scene, Shape, SizeName } from "../world/types";

export type ParsedEdit = { ok: true; targets: number[]; edited: Scene | null; pixelOp: "darker" | "brighter" | "grayscale" | null } | { ok: false; reason: "unparsed" | "no_referent" | "ambiguous"; detail: string };

export interface ExecuteOptions {
  /** World units of "a little" ("a lot" = twice), as the generator's. */
  moveStep: number;
  /** World units of "the next moment". */
  trendStep: number;
}

const SUPERLATIVES: Record<string, { key: RankKey | "size"; dir: "asc" | "desc" }> = {
  leftmost: { key: "horizontal", dir: "asc" },
  rightmost: { key: "horizontal", dir: "desc" },
  nearest: { key: "depth", dir: "asc" },
  farthest: { key: "depth", dir: "desc" },
  smallest: { key: "size", dir: "asc" },
  biggest: { key: "size", dir: "desc" },
};
const SUP = Object.keys(SUPERLATIVES).join("|");
const ORD = ORDINALS.filter((o) => o !== "").join("|");
const WORD = (list: readonly string[]) => list.join("|");
const ITEM = `(?:(?:${WORD(SIZES)}) )?(?:(?:${WORD(COLOURS)}) )?(?:(?:${WORD(MATERIALS)}) )?(?:${WORD(SHAPES)}|object)`;

class Fail extends Error {
  constructor(readonly reason: "unparsed" | "no_referent" | "ambiguous", detail: string) {
    super(detail);
  }
}

/** "small red metal cube" / "cubes" / "object" -> an item spec. */
export function parseItem(phrase: string): ItemSpec {
  const spec: ItemSpec = {};
  for (const w of phrase.trim().split(/\s+/)) {
    const singular = w.endsWith("es") && SHAPES.includes(w.slice(0, -2) as Shape) ? w.slice(0, -2) : w.endsWith("s") && (SHAPES as readonly string[]).concat("object").includes(w.slice(0, -1)) ? w.slice(0, -1) : w;
    if ((SIZES as readonly string[]).includes(singular)) spec.size = singular;
    else if ((COLOURS as readonly string[]).includes(singular)) spec.colour = singular;
    else if ((MATERIALS as readonly string[]).includes(singular)) spec.material = singular;
    else if ((SHAPES as readonly string[]).includes(singular)) spec.shape = singular;
    else if (singular !== "object") throw new Fail("unparsed", `'${w}' is not an attribute or a shape`);
  }
  return spec;
}

function pick(ex: ExtractionResult, group: ObjectInfo[], sup: string, k: number, sizeKey: RankKey): number {
  const s = SUPERLATIVES[sup];
  try {
    return pickByRank(ex, group, s.key === "size" ? sizeKey : s.key, s.dir, k).id;
  } catch (e) {
    if (e instanceof Refused) throw new Fail(e.reason === "rank_tied" ? "ambiguous" : "no_referent", e.message);
    throw e;
  }
}

function named(ex: ExtractionResult, phrase: string, among = ex.objects): ObjectInfo {
  const hits = matching(among, parseItem(phrase));
  if (hits.length === 0) throw new Fail("no_referent", `no ${phrase}`);
  if (hits.length > 1) throw new Fail("ambiguous", `${hits.length} objects are '${phrase}'`);
  return hits[0];
}

/** The object ids a referent phrase picks on the truth `ex`; `sizeKey` is what "biggest" ranks by. */
export function resolveReferent(ref: string, ex: ExtractionResult, sizeKey: RankKey = "contour"): number[] {
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^the (${WORD(SHAPES)}) that is the (${ORD}) (${SUP}) object in the whole image$`).exec(ref))) {
    const id = pick(ex, ex.objects, m[3], ORDINALS.indexOf(m[2] as never) + 1, sizeKey);
    if (ex.objects.find((o) => o.id === id)!.object !== m[1]) throw new Fail("no_referent", `the ${m[2]} ${m[3]} object is not a ${m[1]}`);
    return [id];
  }
  if ((m = new RegExp(`^the (?:(${ORD}) )?(${SUP}) (${ITEM})(?: (?:among the [a-z ]+|in the whole image))?$`).exec(ref))) {
    return [pick(ex, matching(ex.objects, parseItem(m[3])), m[2], m[1] ? ORDINALS.indexOf(m[1] as never) + 1 : 1, sizeKey)];
  }
  if ((m = new RegExp(`^the (${ITEM}) (left|right) of the (${ITEM})$`).exec(ref))) {
    const anchor = named(ex, m[3]);
    const group = matching(ex.objects.filter((o) => o.id !== anchor.id), parseItem(m[1]));
    const rel = group.map((o) => compareOn(ex, o, anchor, "horizontal"));
    if (rel.includes("tie")) throw new Fail("ambiguous", `an object is level with the anchor`);
    const hits = group.filter((_, i) => rel[i] === (m![2] === "left" ? "less" : "greater"));
    if (hits.length !== 1) throw new Fail(hits.length === 0 ? "no_referent" : "ambiguous", `${hits.length} objects ${m[2]} of the ${m[3]}`);
    return [hits[0].id];
  }
  if ((m = new RegExp(`^every (${WORD(SHAPES)}|object)$`).exec(ref))) {
    const ids = ex.objects.filter((o) => m![1] === "object" || o.object === m![1]).map((o) => o.id);
    if (ids.length === 0) throw new Fail("no_referent", `no ${m[1]}`);
    return ids;
  }
  if ((m = new RegExp(`^the (${ITEM})$`).exec(ref))) return [named(ex, m[1]).id];
  throw new Fail("unparsed", `referent '${ref}'`);
}

function moveVector(scene: Scene, where: string, dist: number): { dx: number; dy: number } {
  const ax = cameraAxes(scene.camera);
  const r = Math.hypot(ax.right.x, ax.right.y) || 1;
  const f = Math.hypot(ax.forward.x, ax.forward.y) || 1;
  const right = { x: ax.right.x / r, y: ax.right.y / r };
  const away = { x: ax.forward.x / f, y: ax.forward.y / f };
  const v = where === "to the left" ? { x: -right.x, y: -right.y } : where === "to the right" ? right : where === "closer to the camera" ? { x: -away.x, y: -away.y } : away;
  return { dx: v.x * dist, dy: v.y * dist };
}

const each = (scene: Scene, ids: number[], f: (s: Scene, id: number) => Scene) => ids.reduce(f, scene);

/**
 * Parses `instruction` (as the model reads it) and executes it on `scene`, whose exact truth is
 * `ex`. Returns the referred objects and the edited scene (or the pixel operation), or why not.
 */
export function executeInstruction(instruction: string, scene: Scene, ex: ExtractionResult, opts: ExecuteOptions): ParsedEdit {
  let t = canonicalise(instruction).replace(/[.!?]+$/, "").trim();
  let sizeKey: RankKey = "contour";
  if (t.startsWith("for their real volume, ")) [t, sizeKey] = [t.slice("for their real volume, ".length), "volume"];
  else if (t.startsWith("for the size of their contour, ")) t = t.slice("for the size of their contour, ".length);
  try {
    let m: RegExpExecArray | null;
    if (/^(is the object|are the objects) in the image moving\b/.test(t)) {
      const ids = ex.objects.filter((o) => o.trend !== "none").map((o) => o.id);
      if (ids.length === 0) throw new Fail("no_referent", "nothing moves");
      return { ok: true, targets: ids, edited: each(scene, ids, (s, id) => advanceAlongTrend(s, id, opts.trendStep)), pixelOp: null };
    }
    if ((m = /^make the picture (darker|brighter)$/.exec(t))) return { ok: true, targets: [], edited: null, pixelOp: m[1] as "darker" | "brighter" };
    if (t === "make it black and white") return { ok: true, targets: [], edited: null, pixelOp: "grayscale" };
    if ((m = new RegExp(`^make every object (${WORD(COLOURS)})$`).exec(t))) {
      const ids = scene.objects.map((o) => o.id);
      return { ok: true, targets: ids, edited: each(scene, ids, (s, id) => recolourObject(s, id, m![1] as ColourName)), pixelOp: null };
    }
    if ((m = new RegExp(`^(?:turn (.+) into a|replace (.+) with a) (${WORD(COLOURS)}) (${WORD(SHAPES)})$`).exec(t))) {
      const ids = resolveReferent(m[1] ?? m[2], ex, sizeKey);
      return { ok: true, targets: ids, edited: each(scene, ids, (s, id) => replaceObject(s, id, { shape: m![4] as Shape, colour: m![3] as ColourName })), pixelOp: null };
    }
    if ((m = new RegExp(`^turn (.+) into (${WORD(COLOURS)}|${WORD(MATERIALS)})$`).exec(t))) {
      const ids = resolveReferent(m[1], ex, sizeKey);
      const isColour = (COLOURS as readonly string[]).includes(m[2]);
      return { ok: true, targets: ids, edited: each(scene, ids, (s, id) => (isColour ? recolourObject(s, id, m![2] as ColourName) : retextureObject(s, id, m![2] as Material))), pixelOp: null };
    }
    if ((m = /^remove (.+)$/.exec(t))) {
      const ids = resolveReferent(m[1], ex, sizeKey);
      return { ok: true, targets: ids, edited: each(scene, ids, (s, id) => removeObject(s, id)), pixelOp: null };
    }
    if ((m = new RegExp(`^resize (.+) to (${WORD(SIZES)})$`).exec(t))) {
      const ids = resolveReferent(m[1], ex, sizeKey);
      return { ok: true, targets: ids, edited: each(scene, ids, (s, id) => resizeObject(s, id, m![2] as SizeName)), pixelOp: null };
    }
    if ((m = /^move (.+) (a little|a lot) (to the left|to the right|closer to the camera|farther from the camera)$/.exec(t))) {
      const ids = resolveReferent(m[1], ex, sizeKey);
      const v = moveVector(scene, m[3], opts.moveStep * (m[2] === "a lot" ? 2 : 1));
      return { ok: true, targets: ids, edited: each(scene, ids, (s, id) => moveObjectBy(s, id, v)), pixelOp: null };
    }
    throw new Fail("unparsed", `no action pattern matches '${t}'`);
  } catch (e) {
    if (e instanceof Fail) return { ok: false, reason: e.reason, detail: e.message };
    throw e;
  }
}
