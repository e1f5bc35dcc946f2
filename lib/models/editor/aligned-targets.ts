/**
 * The aligned path's training targets and losses (aligned.ts is the path itself): the per-patch truths of
 * an edit (changed share, plan colours), the where loss, Stage I's question targets, the object-level where
 * loss, and the plan losses (colour and palette). Moved from aligned.ts; no behaviour change.
 */
import * as tf from "@tensorflow/tfjs";
import type { EditorConfig } from "./config";
import { perPatchChange } from "./edit-map";
import { changedPixels } from "./losses";
import { paletteOneHot, PLAN_PALETTE } from "./palette";
import { objectCoverages, tokenCoverage } from "./grounding";
import { whereObjectScores } from "./object-head";

/** The share of each denoiser patch's pixels that an edit changes (losses.ts changedPixels): r0 [B, H, W, C] -> [B, N] in [0, 1]. */
export function changedShare(r0: tf.Tensor4D, patch: number): tf.Tensor2D {
  return perPatchChange(r0, patch, "mean", "changedShare");
}

/**
 * Binary cross-entropy of the where logits [B, N] against targets in [0, 1] [B, N]: mean over patches,
 * then over items, or with `weight` [B] (not all 0) the weighted mean over items (stable form).
 */
export function whereLoss(where: tf.Tensor2D, target: tf.Tensor2D, weight?: tf.Tensor1D): tf.Scalar {
  if (where.shape.join(",") !== target.shape.join(",")) throw new Error(`whereLoss: targets [${target.shape.join(", ")}] do not match the logits [${where.shape.join(", ")}]`);
  // softplus(z) - y z = max(z, 0) - y z + log(1 + exp(-|z|))
  const perItem = tf.mean(tf.add(tf.sub(tf.relu(where), tf.mul(target, where)), tf.log1p(tf.exp(tf.neg(tf.abs(where))))), -1); // [B]
  if (weight === undefined) return tf.mean(perItem) as tf.Scalar;
  if (weight.shape[0] !== where.shape[0]) throw new Error(`whereLoss: ${weight.shape[0]} weights for ${where.shape[0]} items`);
  return tf.div(tf.sum(tf.mul(perItem, weight)), tf.maximum(tf.sum(weight), 1e-9)) as tf.Scalar;
}

/**
 * Stage I targets of the where head (ours; recipe `stage1WhereLossWeight`): per VQA item the share of
 * each denoiser patch that the objects its question is about cover (grounding.ts tokenCoverage on the
 * denoiser's grid) -> target [B * N] (row-major [B, N]) and weight [B] (0: the question names no
 * visible object, a zero row). The head that the edit phases train to find what an edit changes is
 * first taught, on questions, to find the objects a text names.
 */
export function questionWhereTargets(masks: readonly (ArrayLike<number> | undefined)[], c: Pick<EditorConfig, "image" | "dnPatch">): { target: Float32Array; weight: Float32Array } {
  const grid = c.image / c.dnPatch;
  const N = grid * grid;
  const target = new Float32Array(masks.length * N);
  const weight = new Float32Array(masks.length);
  masks.forEach((m, b) => {
    if (m === undefined) return;
    const cov = tokenCoverage(m, c.image, grid);
    if (!cov.some((v) => v > 0)) return;
    target.set(cov, b * N);
    weight[b] = 1;
  });
  return { target, weight };
}

/**
 * The object-level where loss's targets of a batch: per item, the objects of its source's instance mask
 * (`mask` [image * image], object id per pixel, -1 ground; ids in increasing order, objects that cover no
 * pixel left out) as rows of their coverage of the denoiser's patches normalised to sum 1, padded to the
 * batch's largest count R; `valid` 1 on a real row; `target` the row of the object the edit changes
 * (`changed`, an id), -1 with `weight` 0 when it is none of them or the item has no objects.
 */
export interface ObjectWhereTargets {
  /** [B * R * N] row-major [B, R, N]. */
  cover: Float32Array;
  /** [B * R]. */
  valid: Float32Array;
  target: Int32Array;
  weight: Float32Array;
  R: number;
}

export function objectWhereTargets(objects: readonly ({ mask: ArrayLike<number>; changed: number } | undefined)[], c: Pick<EditorConfig, "image" | "dnPatch">): ObjectWhereTargets {
  const grid = c.image / c.dnPatch;
  const N = grid * grid;
  const { regions, target } = truthObjects(objects, c.image, grid);
  const R = Math.max(1, ...regions.map((r) => r.length));
  const B = objects.length;
  const out: ObjectWhereTargets = { cover: new Float32Array(B * R * N), valid: new Float32Array(B * R), target, weight: Float32Array.from(target, (t) => (t >= 0 ? 1 : 0)), R };
  regions.forEach((covs, b) => {
    covs.forEach((cov, k) => {
      const total = cov.reduce((s, v) => s + v, 0);
      out.cover.set(cov.map((v) => v / total), (b * R + k) * N);
      out.valid[b * R + k] = 1;
    });
  });
  return out;
}

/**
 * Each item's objects from the renderer's instance mask (ids in increasing order; objects that cover no pixel left out): their
 * coverage of the `grid` x `grid` patches of an `image`-sized mask, and the changed object's row (-1: none, or no objects).
 */
export function truthObjects(objects: readonly ({ mask: ArrayLike<number>; changed: number } | undefined)[], image: number, grid: number): { regions: number[][][]; target: Int32Array } {
  const target = new Int32Array(objects.length).fill(-1);
  const regions = objects.map((o, b) => {
    if (o === undefined) return [];
    const ids = [...new Set(Array.from(o.mask).filter((v) => v >= 0))].sort((a, c) => a - c);
    target[b] = ids.indexOf(o.changed);
    return objectCoverages(o.mask, ids, image, grid);
  });
  return { regions, target };
}

/** Cross-entropy of the objects' scores (coverage-weighted mean logits of `where` [B, N]) against the changed object; weighted mean over items (0 when no item has a target). Call inside tf.tidy. */
export function whereObjectLoss(where: tf.Tensor2D, t: ObjectWhereTargets): tf.Scalar {
  const [B, N] = where.shape;
  if (t.target.length !== B || t.cover.length !== B * t.R * N) throw new Error(`whereObjectLoss: targets for ${t.target.length} items of ${t.cover.length / Math.max(1, t.R * t.target.length)} patches do not match the where logits [${B}, ${N}]`);
  return objectChoiceLoss(whereObjectScores(where, t), t.target, t.weight);
}

/**
 * Cross-entropy of per-object scores [B, R] (padding rows already at -1e9) against the changed object's row `target` [B]
 * (-1: none), weighted mean over items by `weight` [B] (0 when no item has a target). Call inside tf.tidy.
 */
export function objectChoiceLoss(scores: tf.Tensor2D, target: Int32Array, weight: Float32Array): tf.Scalar {
  const [B, R] = scores.shape;
  if (target.length !== B || weight.length !== B) throw new Error(`objectChoiceLoss: ${target.length} targets and ${weight.length} weights for ${B} items`);
  const picked = tf.sum(tf.mul(tf.logSoftmax(scores, -1), tf.oneHot(tf.tensor1d(target, "int32"), R)), -1); // [B] log p(changed object), 0 without a target
  const w = tf.tensor1d(weight);
  return tf.neg(tf.div(tf.sum(tf.mul(picked, w)), tf.maximum(tf.sum(w), 1e-9))) as tf.Scalar;
}

/**
 * The offset loss's targets of a batch (alignedOffset): per item, its changed object's visible centre shift (EditObjects
 * `offset`, fractions of the image side) in denoiser patches, [B * 2] row-major [B, 2]; `weight` 0 for items without one
 * (removed objects, objects moved out of sight, generic edits).
 */
export interface OffsetTargets {
  target: Float32Array;
  weight: Float32Array;
}

export function offsetTargets(objects: readonly ({ offset?: readonly [number, number] } | undefined)[], c: Pick<EditorConfig, "image" | "dnPatch">): OffsetTargets {
  const grid = c.image / c.dnPatch;
  const out: OffsetTargets = { target: new Float32Array(objects.length * 2), weight: new Float32Array(objects.length) };
  objects.forEach((o, b) => {
    if (o?.offset === undefined) return;
    out.target[2 * b] = o.offset[0] * grid;
    out.target[2 * b + 1] = o.offset[1] * grid;
    out.weight[b] = 1;
  });
  return out;
}

/**
 * The offset loss: squared distance (in denoiser patches) between the predicted offsets [B, 2] and the targets, mean over the
 * items with a target, each also weighted by `keep` [B] when given (0: the item's instruction was dropped); 0 when none has one.
 * Call inside tf.tidy.
 */
export function offsetLoss(offset: tf.Tensor2D, t: OffsetTargets, keep?: readonly number[]): tf.Scalar {
  const [B, two] = offset.shape;
  if (two !== 2 || t.weight.length !== B || t.target.length !== 2 * B) throw new Error(`offsetLoss: targets for ${t.weight.length} items do not match the offsets [${offset.shape.join(", ")}]`);
  if (keep !== undefined && keep.length !== B) throw new Error(`offsetLoss: ${keep.length} keep weights for ${B} items`);
  const d = tf.sum(tf.square(tf.sub(offset, tf.tensor2d(t.target, [B, 2]))), -1); // [B]
  return keptItemMean(d, t.weight, keep);
}

/** sum_b d_b w_b / max(1, sum_b w_b) with w = weight x keep (keep absent: 1): the mean of a per-item loss [B] over the items with a target. Call inside tf.tidy. */
function keptItemMean(d: tf.Tensor1D | tf.Tensor, weight: Float32Array, keep?: readonly number[]): tf.Scalar {
  const w = tf.tensor1d(keep === undefined ? weight : Array.from(weight, (x, b) => x * keep[b]));
  return tf.div(tf.sum(tf.mul(d, w)), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
}

/**
 * The scale loss's targets of a batch (alignedScale): per item, the log of its changed object's visible growth (EditObjects
 * `scale`), [B]; `weight` 0 for items without one (removed objects, objects moved out of sight, generic edits).
 */
export interface ScaleTargets {
  target: Float32Array;
  weight: Float32Array;
}

export function scaleTargets(objects: readonly ({ scale?: number } | undefined)[]): ScaleTargets {
  const out: ScaleTargets = { target: new Float32Array(objects.length), weight: new Float32Array(objects.length) };
  objects.forEach((o, b) => {
    if (o?.scale === undefined) return;
    if (!(o.scale > 0) || !Number.isFinite(o.scale)) throw new Error(`scaleTargets: item ${b}'s scale must be a finite number > 0, got ${o.scale}`);
    out.target[b] = Math.log(o.scale);
    out.weight[b] = 1;
  });
  return out;
}

/**
 * The scale loss: squared difference between the predicted log scales [B, 1] and the targets, mean over the items with a
 * target, each also weighted by `keep` [B] when given (0: the item's instruction was dropped); 0 when none has one. Call inside tf.tidy.
 */
export function scaleLoss(logScale: tf.Tensor2D, t: ScaleTargets, keep?: readonly number[]): tf.Scalar {
  const [B, one] = logScale.shape;
  if (one !== 1 || t.weight.length !== B || t.target.length !== B) throw new Error(`scaleLoss: targets for ${t.weight.length} items do not match the log scales [${logScale.shape.join(", ")}]`);
  if (keep !== undefined && keep.length !== B) throw new Error(`scaleLoss: ${keep.length} keep weights for ${B} items`);
  const d = tf.square(tf.sub(tf.squeeze(logScale, [1]), tf.tensor1d(t.target))); // [B]
  return keptItemMean(d, t.weight, keep);
}

/**
 * The truth's edit plan: per denoiser patch, the mean target colour over the pixels the edit changes
 * (0 where it changes none). r0 = (target - source) / 2 and source [B, H, W, 3] in [-1, 1] -> [B, N, 3].
 */
export function planTargets(r0: tf.Tensor4D, source: tf.Tensor4D, patch: number): tf.Tensor3D {
  if (source.shape.join(",") !== r0.shape.join(",")) throw new Error(`planTargets: source [${source.shape.join(", ")}] does not match r0 [${r0.shape.join(", ")}]`);
  return tf.tidy(() => changedPatchMean(r0, tf.add(source, tf.mul(r0, 2)) as tf.Tensor4D, patch, "planTargets"));
}

/**
 * Per denoiser patch, the mean of `x` [B, H, W, C] over the pixels the edit r0 changes (0 where it
 * changes none) -> [B, N, C]: with x the target, the truth's edit plan; with x the source, what those
 * pixels were (the plan of an edit that changes nothing).
 */
export function changedPatchMean(r0: tf.Tensor4D, x: tf.Tensor4D, patch: number, what = "changedPatchMean"): tf.Tensor3D {
  const [B, H, W, C] = r0.shape;
  if (H % patch !== 0 || W % patch !== 0) throw new Error(`${what}: image ${H}x${W} is not divisible by patch ${patch}`);
  if (x.shape.join(",") !== r0.shape.join(",")) throw new Error(`${what}: x [${x.shape.join(", ")}] does not match r0 [${r0.shape.join(", ")}]`);
  return tf.tidy(() => {
    const mask = changedPixels(r0); // [B, H, W, 1]
    const cells = (y: tf.Tensor4D, ch: number) => tf.sum(y.reshape([B, H / patch, patch, W / patch, patch, ch]), [2, 4]).reshape([B, -1, ch]); // [B, N, ch]
    return tf.div(cells(tf.mul(x, mask) as tf.Tensor4D, C), tf.maximum(cells(mask, 1), 1e-6)) as tf.Tensor3D;
  });
}

/** The plan loss: squared error of the predicted plan [B, N, 3] against the truth's, weighted per patch by its changed share [B, N]; mean over items with a change. */
export function planLoss(plan: tf.Tensor3D, truth: tf.Tensor3D, share: tf.Tensor2D): tf.Scalar {
  if (plan.shape.join(",") !== truth.shape.join(",")) throw new Error(`planLoss: truth [${truth.shape.join(", ")}] does not match the plan [${plan.shape.join(", ")}]`);
  return shareWeighted(tf.sum(tf.square(tf.sub(plan, truth)), -1) as tf.Tensor2D, share);
}

/**
 * The palette plan's loss: cross-entropy of its logits [B, N, K] against the palette colour nearest the truth's plan
 * colour [B, N, 3] (paletteOneHot), weighted per patch by its changed share [B, N]; mean over items with a change.
 */
export function planPaletteLoss(logits: tf.Tensor3D, truth: tf.Tensor3D, share: tf.Tensor2D): tf.Scalar {
  const [B, N, K] = logits.shape;
  if (K !== PLAN_PALETTE.length || truth.shape[0] !== B || truth.shape[1] !== N) throw new Error(`planPaletteLoss: logits [${logits.shape.join(", ")}] and truth [${truth.shape.join(", ")}] must be [B, N, ${PLAN_PALETTE.length}] and [B, N, 3]`);
  return shareWeighted(tf.neg(tf.sum(tf.mul(paletteOneHot(truth), tf.logSoftmax(logits, -1)), -1)) as tf.Tensor2D, share);
}

/** A per-patch loss [B, N] weighted by each patch's changed share [B, N]: per item its weighted mean, then the mean over items with a change. */
function shareWeighted(perPatch: tf.Tensor2D, share: tf.Tensor2D): tf.Scalar {
  if (perPatch.shape.join(",") !== share.shape.join(",")) throw new Error(`planLoss: share [${share.shape.join(", ")}] does not match the plan's patches [${perPatch.shape.join(", ")}]`);
  const w = tf.sum(share, -1); // [B]
  const perItem = tf.div(tf.sum(tf.mul(perPatch, share), -1), tf.maximum(w, 1e-6)); // [B]
  const has = tf.cast(tf.greater(w, 0), "float32");
  return tf.div(tf.sum(tf.mul(perItem, has)), tf.maximum(tf.sum(has), 1)) as tf.Scalar;
}
