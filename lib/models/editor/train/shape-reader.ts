/**
 * Fits the shape reader (../shape-reader.ts) on objects with known shapes (lib/eval/shape-examples.ts makes them from
 * engine scenes): Adam on the cross-entropy of each object's shape, batches drawn with the seed; every `checkEvery` steps
 * (and before training) the held-out objects' accuracy is measured, and the reader ends with the weights of the best (the
 * first of equals). Also its file format: safetensors with the config in the metadata.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../../core/rng";
import type { Params } from "../../../nn/layers";
import { SHAPES } from "../../../world/types";
import { fitKeepingBest, loadWithConfig, saveWithConfig, type CheckedFitConfig, type FitCheck } from "./checked-fit";
import { checkShapeReaderConfig, initShapeReader, shapeFeatureCount, shapeLogits, type ShapeReader, type ShapeReaderConfig } from "../shape-reader";

/** An object as the reader sees it (shapeFeatures) and its true shape (an index into SHAPES). */
export interface ShapeExample {
  features: Float32Array;
  shape: number;
}

export type ShapeFitConfig = CheckedFitConfig;

export interface ShapeCheck {
  step: number;
  /** Share of the held-out objects whose most likely shape is their true one. */
  heldOut: number;
  /** Mean training loss since the last check (NaN at step 0). */
  train: number;
}

function batchOf(c: ShapeReaderConfig, xs: readonly ShapeExample[]): { x: Float32Array; labels: Int32Array } {
  const F = shapeFeatureCount(c);
  const x = new Float32Array(xs.length * F);
  xs.forEach((e, b) => {
    if (e.features.length !== F) throw new Error(`shape reader: an example has ${e.features.length} features; the reader reads ${F}`);
    if (!Number.isInteger(e.shape) || e.shape < 0 || e.shape >= SHAPES.length) throw new Error(`shape reader: an example's shape must be an index into ${SHAPES.join(", ")}, got ${e.shape}`);
    x.set(e.features, b * F);
  });
  return { x, labels: Int32Array.from(xs, (e) => e.shape) };
}

/** The mean cross-entropy of the reader on a batch. Call inside tf.tidy (trainStep does). */
export function shapeLoss(p: Params, c: ShapeReaderConfig, x: Float32Array, labels: Int32Array): tf.Scalar {
  const logits = shapeLogits(p, tf.tensor2d(x, [labels.length, shapeFeatureCount(c)]));
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), SHAPES.length), logits) as tf.Scalar;
}

/** Per example, the reader's most likely shape (an index into SHAPES). */
export function shapePredictions(p: Params, c: ShapeReaderConfig, xs: readonly ShapeExample[], batch = 1024): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i += batch) {
    const { x, labels } = batchOf(c, xs.slice(i, i + batch));
    out.push(...tf.tidy(() => Array.from(tf.argMax(shapeLogits(p, tf.tensor2d(x, [labels.length, shapeFeatureCount(c)])), 1).dataSync())));
  }
  return out;
}

/** The share of `xs` whose most likely shape is their own. */
export function shapeAccuracy(p: Params, c: ShapeReaderConfig, xs: readonly ShapeExample[]): number {
  if (xs.length === 0) throw new Error("shapeAccuracy: no examples");
  return shapePredictions(p, c, xs).filter((s, i) => s === xs[i].shape).length / xs.length;
}

/** Fits `p` in place (see the file comment); returns the checks. `onCheck` after each. */
export function fitShapeReader(p: Params, c: ShapeReaderConfig, train: readonly ShapeExample[], held: readonly ShapeExample[], f: ShapeFitConfig, onCheck?: (k: ShapeCheck) => void): ShapeCheck[] {
  if (train.length === 0 || held.length === 0) throw new Error(`fitShapeReader: needs training and held-out examples, got ${train.length} and ${held.length}`);
  const row = (k: FitCheck): ShapeCheck => ({ step: k.step, heldOut: k.measured, train: k.train });
  const batchLoss = (rng: Rng) => {
    const { x, labels } = batchOf(c, Array.from({ length: f.batch }, () => train[rng.int(0, train.length)]));
    return () => shapeLoss(p, c, x, labels);
  };
  return fitKeepingBest("fitShapeReader", p, f, batchLoss, () => shapeAccuracy(p, c, held), true, (k) => onCheck?.(row(k))).map(row);
}

/** Writes a fitted reader to `file` (safetensors; its config in the metadata). */
export function saveShapeReader(file: string, r: ShapeReader): void {
  saveWithConfig(file, r.params, r.config);
}

/** Reads a reader saveShapeReader wrote; a file without the reader's weights is an error naming it. */
export function loadShapeReader(file: string): ShapeReader {
  return loadWithConfig(file, "loadShapeReader", checkShapeReaderConfig, (c) => initShapeReader(c, 0));
}
