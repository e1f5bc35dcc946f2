/**
 * The editor's losses as pure pieces (paper §5.2.2 Eq. 8: L = L_condition + L_edit) and the
 * condition dropout of classifier-free guidance (InstructPix2Pix / MGIE training):
 * - `conditionLoss`: cross-entropy of H_lm's logits against the language-condition tokens
 *   (and the closing <eos>), averaged over real (unmasked) tokens;
 * - `editLoss`: mean squared error between the denoiser's prediction and its target (the clean
 *   residual for x0-prediction, the noise for eps, v for v-prediction: the scheduler gives it),
 *   per item, optionally weighted per item (e.g. min-SNR weights from t), averaged over the batch;
 * - `conditionDropout`: one uniform u per item (seeded): u < pText drops the text condition only,
 *   pText <= u < pText + pBoth drops both, the next pImage drops the image only (MGIE: 5% each).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import type { BatchLayout } from "./layout";

/** L_condition: masked mean CE of logits [B, P, vocab] against the layout's condition targets. */
export function conditionLoss(logits: tf.Tensor3D, layout: BatchLayout): tf.Scalar {
  const [B, P, V] = logits.shape;
  if (B !== layout.batch || P !== layout.maxPredict) throw new Error(`conditionLoss: logits [${logits.shape.join(", ")}] do not match the layout [${layout.batch}, ${layout.maxPredict}, vocab]`);
  const n = layout.targetMask.reduce((a, b) => a + b, 0);
  if (n === 0) throw new Error("conditionLoss: the layout has no condition tokens; give language conditions to train H_lm");
  const targets = tf.oneHot(tf.tensor1d(layout.targets, "int32"), V).reshape([B, P, V]); // [B, P, V]
  const logp = tf.logSoftmax(logits, -1); // [B, P, V]
  const nll = tf.neg(tf.sum(tf.mul(targets, logp), -1)); // [B, P]
  return tf.div(tf.sum(tf.mul(nll, tf.tensor2d(layout.targetMask, [B, P]))), n) as tf.Scalar;
}

/** L_edit: mean over items of (weight_b x mean squared error of item b); prediction and target [B, H, W, C]. */
export function editLoss(prediction: tf.Tensor4D, target: tf.Tensor4D, weights?: readonly number[] | tf.Tensor1D): tf.Scalar {
  if (prediction.shape.join(",") !== target.shape.join(",")) throw new Error(`editLoss: prediction [${prediction.shape.join(", ")}] and target [${target.shape.join(", ")}] differ in shape`);
  const B = prediction.shape[0];
  const perItem = tf.mean(tf.square(tf.sub(prediction, target)), [1, 2, 3]); // [B]
  if (weights === undefined) return tf.mean(perItem) as tf.Scalar;
  const n = weights instanceof tf.Tensor ? weights.shape[0] : weights.length;
  if (n !== B) throw new Error(`editLoss: ${n} weights for a batch of ${B}`);
  const w = weights instanceof tf.Tensor ? weights : tf.tensor1d(Array.from(weights), "float32");
  return tf.mean(tf.mul(perItem, w)) as tf.Scalar;
}

export interface DropoutRates {
  dropText: number;
  dropBoth: number;
  dropImage: number;
}

/** Which items lose which condition this step (seeded; see the file comment for the rule). */
export function conditionDropout(rng: Rng, batch: number, r: DropoutRates): { dropText: boolean[]; dropImage: boolean[] } {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`conditionDropout: batch must be a positive integer, got ${batch}`);
  const dropText: boolean[] = [];
  const dropImage: boolean[] = [];
  for (let b = 0; b < batch; b++) {
    const u = rng.uniform();
    const a = r.dropText;
    const ab = a + r.dropBoth;
    const abc = ab + r.dropImage;
    dropText.push(u < ab);
    dropImage.push(u >= a && u < abc);
  }
  return { dropText, dropImage };
}
