/**
 * How an editor turns its where logits into the gate the denoiser reads when it edits (ours; the
 * bilinear where head of aligned.ts). Stage II with where forcing trains the denoiser on the truth's
 * gate, each patch's changed share: close to 1 on the edited object and 0 elsewhere. The where head's
 * own sigmoid is diffuse (on SpatialEval-mini about 0.16 on the changed patches and 0.04 elsewhere), so
 * the denoiser meets, at editing time, a gate unlike any it was trained on. A decoding rule that uses
 * only the editor's own logits can hand it a gate of the trained shape:
 * - `sigmoid`: sigmoid(where), what the editor reads by default;
 * - `max`: sigmoid(where) divided by its largest value over the item's patches (the most likely patch gets 1);
 * - `top<K>`: 1 on the K patches with the largest logits, 0 elsewhere (ties at the K-th value all get 1);
 * - `object`: the objects the data engine's perception finds in the source (given per item as their coverage of each
 *   denoiser patch, lib/eval/object-regions.ts) are scored by the where head's coverage-weighted mean logit, and the gate is
 *   the best one's coverage: "where" becomes a choice among whole objects, and the gate has an object's exact shape, as the
 *   truth's has (items with no object fall back to `max`);
 * - `object+free`: `object`, and every patch of free ground (covered by no perceived object) whose logit is at least the
 *   chosen object's score opens by its free share: a move's destination and a resize's new extent lie on free ground,
 *   which an object's own coverage never opens (with the truth's plan the `object` gate moved nothing on SpatialEval-mini).
 * A rule is an editing-time choice like the guidance scales: pick it on the validation benchmark, never on
 * the one it is reported on.
 */
import * as tf from "@tensorflow/tfjs";

export type GateDecode = "sigmoid" | "max" | "object" | "object+free" | `top${number}`;

/** One item's objects as the engine perceives them in its source: per object, the share of each denoiser patch it covers ([N] in [0, 1]). */
export type ObjectRegions = readonly Float32Array[];

/** Checks a rule's spelling ("sigmoid", "max", "object", "object+free", "top<K>" with K a positive integer) and returns it. */
export function parseGateDecode(s: string): GateDecode {
  if (s === "sigmoid" || s === "max" || s === "object" || s === "object+free") return s;
  const m = /^top([1-9][0-9]*)$/.exec(s);
  if (m) return s as GateDecode;
  throw new Error(`gate decoding must be sigmoid, max, object, object+free or top<K> (K a positive integer, e.g. top8), got '${s}'`);
}

/** Whether a rule chooses among the perceived objects of each source (and so needs them). */
export function needsObjects(rule: GateDecode): boolean {
  return rule === "object" || rule === "object+free";
}

/**
 * The object whose patches have the largest coverage-weighted mean logit, sum_n c_n where_n / sum_n c_n, among `regions`
 * (regions that cover no patch are skipped): its index, or -1 when there is none. `logits` [N].
 */
export function pickObject(logits: ArrayLike<number>, regions: ObjectRegions): number {
  return scoreObjects(logits, regions).best;
}

/** `pickObject`'s choice and its score (the coverage-weighted mean logit; -Infinity when there is no object). */
function scoreObjects(logits: ArrayLike<number>, regions: ObjectRegions): { best: number; score: number } {
  let best = -1;
  let bestScore = -Infinity;
  regions.forEach((c, r) => {
    if (c.length !== logits.length) throw new Error(`pickObject: object ${r} covers ${c.length} patches; the where head has ${logits.length}`);
    let s = 0;
    let w = 0;
    for (let n = 0; n < c.length; n++) {
      s += c[n] * logits[n];
      w += c[n];
    }
    if (w > 0 && s / w > bestScore) [best, bestScore] = [r, s / w];
  });
  return { best, score: bestScore };
}

/**
 * One item's `object+free` gate [N]: the chosen object's coverage, and on each patch with free ground (1 - the summed
 * coverage of all perceived objects, clipped at 0) whose logit is at least the chosen object's score, the larger of the two.
 */
function objectFreeGate(logits: readonly number[], regions: ObjectRegions, best: number, score: number): number[] {
  return logits.map((l, n) => {
    const covered = regions.reduce((s, c) => s + c[n], 0);
    const free = l >= score ? Math.max(0, 1 - covered) : 0;
    return Math.max(regions[best][n], free);
  });
}

/** The gate [B, N] in [0, 1] that `rule` makes of the where logits [B, N]; `object` and `object+free` need each item's objects (`objects`, B lists). */
export function decodeGate(where: tf.Tensor2D, rule: GateDecode, objects?: readonly ObjectRegions[]): tf.Tensor2D {
  parseGateDecode(rule);
  const [B, N] = where.shape;
  if (needsObjects(rule)) {
    if (objects === undefined || objects.length !== B) throw new Error(`decodeGate: '${rule}' needs the objects of each of the ${B} items (the engine's perception of the sources), got ${objects === undefined ? "none" : `${objects.length} lists`}`);
    const logits = where.arraySync();
    let fallback: number[][] | null = null; // the `max` gates, made only when an item has no object
    const maxRow = (b: number): number[] => {
      if (fallback === null) {
        const max = decodeGate(where, "max");
        fallback = max.arraySync();
        max.dispose();
      }
      return fallback[b];
    };
    const rows = logits.map((row, b) => {
      const { best, score } = scoreObjects(row, objects[b]);
      if (best < 0) return maxRow(b);
      return rule === "object+free" ? objectFreeGate(row, objects[b], best, score) : Array.from(objects[b][best]);
    });
    return tf.tensor2d(rows, [B, N]);
  }
  return tf.tidy(() => {
    if (rule === "sigmoid") return tf.sigmoid(where) as tf.Tensor2D;
    if (rule === "max") {
      const g = tf.sigmoid(where);
      return tf.div(g, tf.max(g, 1, true)) as tf.Tensor2D; // sigmoid > 0, so the largest is > 0
    }
    const k = Number(rule.slice(3));
    if (k > N) throw new Error(`decodeGate: ${rule} asks for ${k} patches; the denoiser has ${N}`);
    const kth = tf.min(tf.topk(where, k).values, 1, true); // [B, 1] the K-th largest logit
    return tf.cast(tf.greaterEqual(where, kth), "float32") as tf.Tensor2D;
  });
}
