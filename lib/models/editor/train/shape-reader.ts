/**
 * Fits the shape reader (../shape-reader.ts) on objects with known shapes (lib/eval/shape-examples.ts makes them from
 * engine scenes): Adam on the cross-entropy of each object's shape, batches drawn with the seed; every `checkEvery` steps
 * (and before training) the held-out objects' accuracy is measured, and the reader ends with the weights of the best (the
 * first of equals). Also its file format: safetensors with the config in the metadata.
 */
import * as tf from "@tensorflow/tfjs";
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

/** A check: the held-out objects' accuracy (`heldOut`, the share whose most likely shape is their own) and the mean training loss since the last (NaN at step 0). */
export type ShapeCheck = FitCheck;

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
  const lossOf = (xs: ShapeExample[]) => {
    const { x, labels } = batchOf(c, xs);
    return () => shapeLoss(p, c, x, labels);
  };
  return fitKeepingBest("fitShapeReader", p, f, train, held, lossOf, () => shapeAccuracy(p, c, held), true, onCheck);
}

/** Writes a fitted reader to `file` (safetensors; its config in the metadata). */
export function saveShapeReader(file: string, r: ShapeReader): void {
  saveWithConfig(file, r.params, r.config);
}

/** Reads a reader saveShapeReader wrote; a file without the reader's weights is an error naming it. */
export function loadShapeReader(file: string): ShapeReader {
  return loadWithConfig(file, "loadShapeReader", checkShapeReaderConfig, (c) => initShapeReader(c, 0));
}
