/**
 * The pipeline option `shapeCheck` (ours): the object choice weighed by the shape the editor's language condition says the
 * changed object has. The condition repeats the instruction's reference in its own words ("the large yellow cylinder, which
 * is the smallest cylinder, is now cyan"); the first shape its "which is ..." clause names is the changed object's shape
 * (right for 207 of the 209 SpatialEval-mini conditions whose clause names one; a scratch check). The object head's scores
 * are then added the shape reader's log-probability of that shape for each object (shape-reader.ts):
 *   choice = argmax_r  score_r + log P_r(said shape)
 * the product of the two as probabilities; an item whose condition names no shape keeps the head's choice.
 */
import { SHAPES, type Shape } from "../../world/types";

/** The engine's words for each shape (the paraphrases' "ball" and "block" included). */
const SHAPE_WORDS: Readonly<Record<string, Shape>> = { cube: "cube", cubes: "cube", block: "cube", blocks: "cube", sphere: "sphere", spheres: "sphere", ball: "sphere", balls: "sphere", cylinder: "cylinder", cylinders: "cylinder", cone: "cone", cones: "cone" };

/** The first shape the "which is ..." clause of a language condition names (up to its next comma), or null. */
export function saidShape(condition: string): Shape | null {
  const text = condition.toLowerCase();
  const at = text.indexOf("which is ");
  if (at < 0) return null;
  for (const w of text.slice(at + 9).split(",")[0].split(/[^a-z]+/)) if (SHAPE_WORDS[w] !== undefined) return SHAPE_WORDS[w];
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
