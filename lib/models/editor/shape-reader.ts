/**
 * The shape reader (ours): which of the engine's shapes (cube, sphere, cylinder, cone) is a perceived object? The data
 * engine's perception from the picture (lib/eval/image-perception.ts) segments objects by colour and labels every one
 * "object"; the editor's object head reads each object's pooled patches, 4 x 4 pixels each at 32 x 32, and of its wrong
 * choices on SpatialEval-mini most pick an object of another shape than the one the instruction names ("the smallest
 * cylinder"). This reader looks at the object's own pixels instead:
 *   x      = [silhouette K x K, shading K x K, extent (EXTENT numbers)]                    [B, F]   (shapeFeatures)
 *   logits = Lin_2(relu(Lin_1(x)))                                                       [B, 4]   (in SHAPES order)
 * The silhouette is the object's mask over its bounding box resampled to K x K cells (each cell's covered share), the
 * shading the brightness of its pixels there, centred on the object's mean and scaled by its spread (0 off the mask), so
 * that neither its colour nor its size enters; the extent says what the resampling loses: the box's height over width,
 * the mask's share of the box, the box's height and bottom edge as fractions of the image, and the pixel count's log.
 * Fitted on engine scenes against the objects' true shapes (train/shape-reader.ts); perception of the source, it never
 * reads an edit's truth.
 *
 * Parameter names: `shape.h.{w,b}` [F, hidden], `shape.out.{w,b}` [hidden, 4].
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/rng";
import { initLinear, linear, type Params } from "../../nn/layers";
import { SHAPES } from "../../world/types";

export interface ShapeReaderConfig {
  /** Side of the resampled bounding box (cells). */
  cells: number;
  /** Width of the hidden layer. */
  hidden: number;
}

export const SHAPE_READER_DEFAULTS: ShapeReaderConfig = { cells: 8, hidden: 96 };

/** How many numbers describe the object's extent (shapeFeatures' last ones). */
export const EXTENT = 5;

export interface ShapeReader {
  params: Params;
  config: ShapeReaderConfig;
}

export function checkShapeReaderConfig(c: ShapeReaderConfig): ShapeReaderConfig {
  for (const k of ["cells", "hidden"] as const) if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`shape reader: ${k} must be a positive integer, got ${c[k]}`);
  return c;
}

/** The reader's input width: two K x K maps and the extent. */
export function shapeFeatureCount(c: ShapeReaderConfig): number {
  return 2 * c.cells * c.cells + EXTENT;
}

export function initShapeReader(c: ShapeReaderConfig, seed: number): Params {
  checkShapeReaderConfig(c);
  const rng = new Rng(seed);
  return { ...initLinear(rng.fork("h"), shapeFeatureCount(c), c.hidden, "shape.h"), ...initLinear(rng.fork("out"), c.hidden, SHAPES.length, "shape.out") };
}

/**
 * The features of the object under `mask` (1 on the object, [S * S]) in `image` ([S * S * 3], any range: only its
 * brightness relative to the object's own mean is read): see the file comment. An empty mask is an error.
 */
export function shapeFeatures(image: ArrayLike<number>, mask: ArrayLike<number>, cells: number): Float32Array {
  const S = Math.round(Math.sqrt(mask.length));
  if (S * S !== mask.length || image.length !== mask.length * 3) throw new Error(`shapeFeatures: a mask of ${mask.length} pixels and an image of ${image.length} values are not one square picture`);
  let [top, bottom, left, right, n, mean] = [S, -1, S, -1, 0, 0];
  const lum = (p: number) => 0.299 * image[p * 3] + 0.587 * image[p * 3 + 1] + 0.114 * image[p * 3 + 2];
  for (let p = 0; p < S * S; p++) {
    if (mask[p] !== 1) continue;
    const [x, y] = [p % S, Math.floor(p / S)];
    [top, bottom, left, right] = [Math.min(top, y), Math.max(bottom, y), Math.min(left, x), Math.max(right, x)];
    n++;
    mean += lum(p);
  }
  if (n === 0) throw new Error("shapeFeatures: the mask covers no pixel");
  mean /= n;
  let spread = 0;
  for (let p = 0; p < S * S; p++) if (mask[p] === 1) spread += (lum(p) - mean) ** 2;
  spread = Math.sqrt(spread / n) + 1e-4; // a flat object has no shading
  const [h, w] = [bottom - top + 1, right - left + 1];
  const K = cells;
  const out = new Float32Array(2 * K * K + EXTENT);
  // each cell averages the pixels whose centres fall in it; a cell no centre falls in (a box narrower than K) reads the pixel under its centre
  const sums = new Float32Array(K * K * 3); // covered, shading, pixels
  for (let y = top; y <= bottom; y++)
    for (let x = left; x <= right; x++) {
      const [i, j] = [Math.min(K - 1, Math.floor(((y - top + 0.5) * K) / h)), Math.min(K - 1, Math.floor(((x - left + 0.5) * K) / w))];
      const p = y * S + x;
      const on = mask[p] === 1 ? 1 : 0;
      sums[(i * K + j) * 3] += on;
      sums[(i * K + j) * 3 + 1] += on * ((lum(p) - mean) / spread);
      sums[(i * K + j) * 3 + 2] += 1;
    }
  for (let i = 0; i < K; i++)
    for (let j = 0; j < K; j++) {
      const c = i * K + j;
      if (sums[c * 3 + 2] > 0) {
        out[c] = sums[c * 3] / sums[c * 3 + 2];
        out[K * K + c] = sums[c * 3 + 1] / sums[c * 3 + 2];
      } else {
        const p = (top + Math.min(h - 1, Math.floor(((i + 0.5) * h) / K))) * S + left + Math.min(w - 1, Math.floor(((j + 0.5) * w) / K));
        out[c] = mask[p] === 1 ? 1 : 0;
        out[K * K + c] = mask[p] === 1 ? (lum(p) - mean) / spread : 0;
      }
    }
  out.set([Math.log(h / w), n / (h * w), h / S, (bottom + 1) / S, Math.log(n) / Math.log(S * S)], 2 * K * K);
  return out;
}

/** The reader's logits [B, 4] (SHAPES order) of a batch of features [B, F]. Call inside tf.tidy. */
export function shapeLogits(p: Params, x: tf.Tensor2D): tf.Tensor2D {
  return linear(tf.relu(linear(x, p, "shape.h")), p, "shape.out") as tf.Tensor2D;
}

/**
 * Per object, the log-probability of each shape [4] (SHAPES order), for the objects under `masks` in `image`; an object
 * whose mask covers no pixel gets the uniform row (nothing is known of its shape).
 */
export function shapeLogProbs(r: ShapeReader, image: ArrayLike<number>, masks: readonly ArrayLike<number>[]): number[][] {
  const seen = masks.map((m) => Array.prototype.some.call(m, (v: number) => v === 1));
  const F = shapeFeatureCount(r.config);
  const rows = masks.filter((_, k) => seen[k]);
  const x = new Float32Array(rows.length * F);
  rows.forEach((m, k) => x.set(shapeFeatures(image, m, r.config.cells), k * F));
  const logp = rows.length === 0 ? [] : tf.tidy(() => tf.logSoftmax(shapeLogits(r.params, tf.tensor2d(x, [rows.length, F]))).arraySync() as number[][]);
  let next = 0;
  return seen.map((s) => (s ? logp[next++] : SHAPES.map(() => -Math.log(SHAPES.length))));
}
