/**
 * The editor's losses as pure pieces (paper §5.2.2 Eq. 8: L = L_condition + L_edit) and the
 * condition dropout of classifier-free guidance (InstructPix2Pix / MGIE training):
 * - `conditionLoss`: cross-entropy of H_lm's logits against the language-condition tokens
 *   (and the closing <eos>), averaged over real (unmasked) tokens;
 * - `editLoss`: mean squared error between the denoiser's prediction and its target (the clean
 *   residual for x0-prediction, the noise for eps, v for v-prediction: the scheduler gives it),
 *   per item, optionally weighted per pixel (`regionPixelWeights`) and per item (e.g. min-SNR
 *   weights from t), averaged over the batch;
 * - `regionPixelWeights`: 1 on pixels the edit leaves alone, 1 + w on the pixels it changes. An
 *   edit changes 1-10% of a 32x32 image, so plain MSE spends >= 90% of its weight on "keep the
 *   background", which the zero-initialised residual does from the start;
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

/** Pixels whose clean residual r0 = (target - source) / 2 exceeds this in some channel count as changed (4/255 in 8-bit RGB). */
export const CHANGED_RESIDUAL = 2 / 255;

/** 1 where the clean residual r0 [B, H, W, C] changes the pixel (some channel beyond CHANGED_RESIDUAL), else 0: [B, H, W, 1]. */
export function changedPixels(r0: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.cast(tf.greater(tf.max(tf.abs(r0), 3, true), CHANGED_RESIDUAL), "float32") as tf.Tensor4D);
}

/** Per-pixel weights [B, H, W, 1] of L_edit: 1 + `weight` where the clean residual r0 [B, H, W, C] changes the pixel, else 1. */
export function regionPixelWeights(r0: tf.Tensor4D, weight: number): tf.Tensor4D {
  if (!(weight >= 0) || !Number.isFinite(weight)) throw new Error(`regionPixelWeights: weight must be a finite number >= 0, got ${weight}`);
  return tf.tidy(() => tf.add(1, tf.mul(changedPixels(r0), weight)) as tf.Tensor4D);
}

/**
 * L_edit: mean over items of (weight_b x mean squared error of item b); prediction and target
 * [B, H, W, C]. With `pixelWeights` [B, H, W, 1], an item's error is the weighted mean
 * sum(w (pred - target)^2) / (C sum(w)), so the loss keeps its scale whatever the weights.
 */
export function editLoss(prediction: tf.Tensor4D, target: tf.Tensor4D, weights?: readonly number[] | tf.Tensor1D, pixelWeights?: tf.Tensor4D): tf.Scalar {
  if (prediction.shape.join(",") !== target.shape.join(",")) throw new Error(`editLoss: prediction [${prediction.shape.join(", ")}] and target [${target.shape.join(", ")}] differ in shape`);
  const [B, H, W, C] = prediction.shape;
  if (pixelWeights !== undefined && pixelWeights.shape.join(",") !== [B, H, W, 1].join(",")) throw new Error(`editLoss: pixel weights [${pixelWeights.shape.join(", ")}] must be [${B}, ${H}, ${W}, 1]`);
  const se = tf.square(tf.sub(prediction, target)); // [B, H, W, C]
  const perItem = pixelWeights === undefined
    ? tf.mean(se, [1, 2, 3]) // [B]
    : tf.div(tf.sum(tf.mul(se, pixelWeights), [1, 2, 3]), tf.mul(tf.sum(pixelWeights, [1, 2, 3]), C)); // [B]
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

/** No condition dropout: every item keeps its text and image condition (a model scored without guidance needs no unconditional branches). */
export const NO_CONDITION_DROPOUT: DropoutRates = { dropText: 0, dropBoth: 0, dropImage: 0 };

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
