/**
 * The pipeline option `shapeCheck` (ours): the object choice weighed by the shape the editor's language condition says the
 * changed object has. The condition repeats the instruction's reference in its own words ("the large yellow cylinder, which
 * is the smallest cylinder, is now cyan"); the first shape its "which is ..." clause names is the changed object's shape
 * (right for 207 of the 209 SpatialEval-mini conditions whose clause names one; a scratch check). The object head's scores
 * are then added the shape reader's log-probability of that shape for each object (shape-reader.ts):
 *   choice = argmax_r  score_r + log P_r(said shape)
 * the product of the two as probabilities; an item whose condition names no shape keeps the head's choice.
 */
import { canonicalise } from "../../data/paraphrase";
import { SHAPES, type Shape } from "../../world/types";
import { shapeLogProbs, type ShapeReader } from "./shape-reader";

/** The shape a word names, singular or plural, in the engine's words or the paraphrase grammar's ("ball", "block"), or null. */
function shapeOfWord(w: string): Shape | null {
  for (const x of w.endsWith("s") ? [w, w.slice(0, -1)] : [w]) {
    const c = canonicalise(x);
    if ((SHAPES as readonly string[]).includes(c)) return c as Shape;
  }
  return null;
}

/** The first shape the "which is ..." clause of a language condition names (up to its next comma), or null. */
export function saidShape(condition: string): Shape | null {
  const text = condition.toLowerCase();
  const at = text.indexOf("which is ");
  if (at < 0) return null;
  for (const w of text.slice(at + 9).split(",")[0].split(/[^a-z]+/)) {
    const shape = w === "" ? null : shapeOfWord(w);
    if (shape !== null) return shape;
  }
  return null;
}

/**
 * Per item, the index of the object the shape check chooses: among its valid objects (`scores[b][r]` finite and above
 * -1e8, the head's padding rows sit at -1e9), the best of score + logProbs[b][r][said shape]; with no said shape (null) the
 * best score. -1 for an item with no valid object.
 */
export function shapeCheckedChoices(scores: readonly (readonly number[])[], logProbs: readonly (readonly (readonly number[])[])[], said: readonly (Shape | null)[]): number[] {
  if (logProbs.length !== scores.length || said.length !== scores.length) throw new Error(`shapeCheckedChoices: ${scores.length} items of scores, ${logProbs.length} of shape log-probabilities and ${said.length} said shapes`);
  return scores.map((row, b) => {
    const s = said[b] === null ? -1 : SHAPES.indexOf(said[b]!);
    let [best, bestValue] = [-1, -Infinity];
    row.forEach((v, r) => {
      if (!(v > -1e8)) return;
      if (s >= 0 && logProbs[b][r] === undefined) throw new Error(`shapeCheckedChoices: item ${b} has a score for object ${r} but no shape log-probabilities for it`);
      const value = v + (s >= 0 ? logProbs[b][r][s] : 0);
      if (value > bestValue) [best, bestValue] = [r, value];
    });
    return best;
  });
}

/**
 * The shape check of a batch: shapeCheckedChoices of the object head's `scores` [B][R], the shape each item's language
 * condition says (`conditions`, saidShape) and the reader's log-probabilities of each object (`masks[b]`, over `images[b]`,
 * [S * S * 3] at the masks' size). What the pipeline option shapeCheck and the choice probe choose with.
 */
export function chooseBySaidShape(reader: ShapeReader, scores: readonly (readonly number[])[], images: readonly ArrayLike<number>[], masks: readonly (readonly ArrayLike<number>[])[], conditions: readonly string[]): number[] {
  if (images.length !== scores.length || masks.length !== scores.length || conditions.length !== scores.length) throw new Error(`chooseBySaidShape: ${scores.length} items of scores, ${images.length} images, ${masks.length} mask lists and ${conditions.length} conditions`);
  return shapeCheckedChoices(scores, images.map((x, b) => shapeLogProbs(reader, x, masks[b])), conditions.map(saidShape));
}
