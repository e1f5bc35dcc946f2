/**
 * How an editor turns its where logits into the gate the denoiser reads when it edits (ours; the
 * bilinear where head of aligned.ts). Stage II with where forcing trains the denoiser on the truth's
 * gate, each patch's changed share: close to 1 on the edited object and 0 elsewhere. The where head's
 * own sigmoid is diffuse (on SpatialEval-mini about 0.16 on the changed patches and 0.04 elsewhere), so
 * the denoiser meets, at editing time, a gate unlike any it was trained on. A decoding rule that uses
 * only the editor's own logits can hand it a gate of the trained shape:
 * - `sigmoid`: sigmoid(where), what the editor reads by default;
 * - `max`: sigmoid(where) divided by its largest value over the item's patches (the most likely patch gets 1);
 * - `top<K>`: 1 on the K patches with the largest logits, 0 elsewhere (ties at the K-th value all get 1).
 * A rule is an editing-time choice like the guidance scales: pick it on the validation benchmark, never on
 * the one it is reported on.
 */
import * as tf from "@tensorflow/tfjs";

export type GateDecode = "sigmoid" | "max" | `top${number}`;

/** Checks a rule's spelling ("sigmoid", "max", "top<K>" with K a positive integer) and returns it. */
export function parseGateDecode(s: string): GateDecode {
  if (s === "sigmoid" || s === "max") return s;
  const m = /^top([1-9][0-9]*)$/.exec(s);
  if (m) return s as GateDecode;
  throw new Error(`gate decoding must be sigmoid, max or top<K> (K a positive integer, e.g. top8), got '${s}'`);
}

/** The gate [B, N] in [0, 1] that `rule` makes of the where logits [B, N]. */
export function decodeGate(where: tf.Tensor2D, rule: GateDecode): tf.Tensor2D {
  parseGateDecode(rule);
  const [, N] = where.shape;
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
