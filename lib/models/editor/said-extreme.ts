/**
 * The pipeline option `saidExtremes` (ours): an object the language condition refers to by one extreme ("the large cyan
 * cone, which is the leftmost cone, is now red") is chosen by that extreme among the perceived objects the clause's shape
 * and colour fit, measured on their pixels, in place of the object head's choice. Of the object head's wrong choices on
 * SpatialEval-mini (with the shape check), most take an object of the right shape but not the extreme one among them, while
 * the condition's clause names the extreme right (a scratch check); the extreme itself is plain geometry of the masks:
 *   leftmost / rightmost  the centre's column, smallest / largest first
 *   nearest / farthest    the lowest row (the camera looks down on the ground: a lower contact row is nearer)
 *   smallest / biggest    the pixel count (the engine's contour is the mask's area; its real volume is not measured here)
 * The candidates are the objects whose shape the shape reader reads as the said one (shape-reader.ts) and, where the clause
 * names a colour, whose pixels show it (redraw-decode.ts shownColour). An item whose clause is not one plain extreme ("the
 * second leftmost ...", "the cube left of ..."), or with no candidate, keeps the head's choice; of candidates that tie, the
 * head's choice if it is one, else the first.
 */
import { COLOURS, SHAPES, type ColourName, type Shape } from "../../world/types";
import { lowestRow } from "./paste-move";
import { shownColour } from "./redraw-decode";

export const EXTREMES = ["leftmost", "rightmost", "nearest", "farthest", "smallest", "biggest"] as const;
export type Extreme = (typeof EXTREMES)[number];

/** A plain extreme a condition's clause says: which, and the shape and colour it narrows to (null: any). */
export interface SaidExtreme {
  extreme: Extreme;
  shape: Shape | null;
  colour: ColourName | null;
}

const CLAUSE = new RegExp(`which is the (${EXTREMES.join("|")}) (?:(${COLOURS.join("|")}) )?(object|${SHAPES.join("|")}),`);

/** The condition's "which is the <extreme> [<colour>] <shape or object>," clause as a SaidExtreme, or null for any other clause. */
export function saidExtreme(condition: string): SaidExtreme | null {
  const m = CLAUSE.exec(condition.toLowerCase());
  if (m === null) return null;
  return { extreme: m[1] as Extreme, colour: (m[2] as ColourName | undefined) ?? null, shape: m[3] === "object" ? null : (m[3] as Shape) };
}

/** An object's value for an extreme from its mask [S * S] (larger first for rightmost, nearest and biggest). */
function extremeValue(extreme: Extreme, mask: ArrayLike<number>, S: number): number {
  if (extreme === "nearest" || extreme === "farthest") return lowestRow(mask, S);
  let [k, sx] = [0, 0];
  for (let p = 0; p < S * S; p++) if (mask[p] === 1) [k, sx] = [k + 1, sx + (p % S) + 0.5];
  return extreme === "leftmost" || extreme === "rightmost" ? sx / Math.max(1, k) : k;
}

/**
 * The object the said extreme chooses among an item's objects (`masks` [S * S] each), given each one's read shape and
 * colour (null: unknown), or -1 when no object fits the clause; ties keep `pick` (the head's choice) where it is one.
 */
export function extremeChoice(said: SaidExtreme, masks: readonly ArrayLike<number>[], shapes: readonly (Shape | null)[], colours: readonly (ColourName | null)[], pick: number): number {
  if (shapes.length !== masks.length || colours.length !== masks.length) throw new Error(`extremeChoice: ${masks.length} masks, ${shapes.length} shapes and ${colours.length} colours`);
  const S = Math.round(Math.sqrt(masks[0]?.length ?? 0));
  const larger = said.extreme === "rightmost" || said.extreme === "nearest" || said.extreme === "biggest";
  const fits = masks.map((m, r) => Array.prototype.some.call(m, (v: number) => v === 1) && (said.shape === null || shapes[r] === said.shape) && (said.colour === null || colours[r] === said.colour));
  const values = masks.map((m, r) => (fits[r] ? (larger ? 1 : -1) * extremeValue(said.extreme, m, S) : -Infinity));
  const best = Math.max(...values);
  if (best === -Infinity) return -1;
  return pick >= 0 && values[pick] === best ? pick : values.indexOf(best);
}

/**
 * The saidExtremes choice of a batch: per item, extremeChoice of its condition's said extreme (saidExtreme) among its objects
 * (`masks[b]` over `images[b]`, [S * S * 3] in [-1, 1]; each object's shape the most likely of the shape reader's
 * `logProbs[b][r]` (shape-reader.ts shapeLogProbs, SHAPES order), its colour the one its pixels show, redraw-decode.ts
 * shownColour), else the head's `picks[b]`.
 */
export function chooseBySaidExtreme(picks: readonly number[], images: readonly ArrayLike<number>[], masks: readonly (readonly Uint8Array[])[], conditions: readonly string[], logProbs: readonly (readonly (readonly number[])[])[]): number[] {
  if (images.length !== picks.length || masks.length !== picks.length || conditions.length !== picks.length || logProbs.length !== picks.length) throw new Error(`chooseBySaidExtreme: ${picks.length} choices, ${images.length} images, ${masks.length} mask lists, ${conditions.length} conditions and ${logProbs.length} lists of shape log-probabilities`);
  return picks.map((pick, b) => {
    const said = saidExtreme(conditions[b]);
    if (said === null || masks[b].length === 0) return pick;
    const shapes = logProbs[b].map((row) => SHAPES[row.indexOf(Math.max(...row))]);
    const colours = masks[b].map((m) => shownColour(images[b], m));
    const r = extremeChoice(said, masks[b], shapes, colours, pick);
    return r < 0 ? pick : r;
  });
}
