/**
 * A grounding loss for Stage I (paper §5.2.1 says Stage I "unlocks" the MLLM's spatial ability; the
 * locate probe, lib/eval/locate-probe.ts, found that VQA answers alone do not teach our MLLM where a
 * named object is). The [IMG] tokens are what H_edit reads, and in a causal MLLM they are the first
 * tokens that have read both the image and the instruction, so they are where "which object" has to
 * be found. This loss asks their attention over the image tokens to fall on the objects the question
 * is about:
 * - `tokenCoverage`: the share of each image token's cell that a pixel mask covers;
 * - `groundTargets`: per item, that coverage of the question's objects normalised to a distribution
 *   over the image tokens, and a 0/1 weight (0: the question names no visible object);
 * - `imgImageAttention`: one layer's attention probabilities -> per item the [IMG] tokens' attention
 *   over the image tokens, renormalised over them (how much goes to the image at all is left free),
 *   mean over heads and [IMG] tokens;
 * - `groundLoss`: KL(target || attention map), weighted mean over items, mean over the layers given.
 * Layer 0 is left out (`GROUND_FIRST_LAYER`): its [IMG] queries are the [IMG] embeddings, which have
 * not read the instruction yet, so they cannot know which object is meant.
 */
import * as tf from "@tensorflow/tfjs";
import type { BatchLayout } from "./layout";
import { gatherPositions } from "./mllm";

/** The first MLLM layer whose [IMG] attention the grounding loss reads (layer 0's queries have not read the instruction). */
export const GROUND_FIRST_LAYER = 1;

/** The image tokens of a layout (the same span in every item) and the side g of their g x g grid. */
export function imageTokenGrid(layout: BatchLayout): { start: number; count: number; grid: number } {
  const span = layout.items[0].image;
  const count = span.end - span.start;
  return { start: span.start, count, grid: Math.round(Math.sqrt(count)) };
}

/** Floor of a probability before its log. */
const EPS = 1e-9;

/**
 * Share of each image token's area covered by `mask` ([H*W], nonzero = inside) for a g x g token
 * grid (row-major) over a square image of side `size`.
 */
export function tokenCoverage(mask: ArrayLike<number>, size: number, grid: number): number[] {
  if (mask.length !== size * size) throw new Error(`tokenCoverage: mask has ${mask.length} pixels, expected ${size} x ${size}`);
  if (size % grid !== 0) throw new Error(`tokenCoverage: image side ${size} is not a multiple of the token grid ${grid}`);
  const cell = size / grid;
  const out = new Array<number>(grid * grid).fill(0);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (mask[y * size + x]) out[Math.floor(y / cell) * grid + Math.floor(x / cell)] += 1 / (cell * cell);
  return out;
}

/**
 * `tokenCoverage` of each object of an instance mask ([H*W], object id per pixel) in one pass: per id of `ids`, the
 * share of each of the g x g tokens its pixels cover (row-major) -> [ids.length][g * g].
 */
export function objectCoverages(mask: ArrayLike<number>, ids: readonly number[], size: number, grid: number): number[][] {
  if (mask.length !== size * size) throw new Error(`objectCoverages: mask has ${mask.length} pixels, expected ${size} x ${size}`);
  if (size % grid !== 0) throw new Error(`objectCoverages: image side ${size} is not a multiple of the token grid ${grid}`);
  const cell = size / grid;
  const row = new Map(ids.map((id, k) => [id, k]));
  const out = ids.map(() => new Array<number>(grid * grid).fill(0));
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const k = row.get(mask[y * size + x]);
      if (k !== undefined) out[k][Math.floor(y / cell) * grid + Math.floor(x / cell)] += 1 / (cell * cell);
    }
  return out;
}

/**
 * Grounding targets of a batch: per item the coverage of its object mask ([H*W], nonzero = the
 * objects; undefined or empty: none) normalised to sum 1 over the g x g image tokens -> target
 * [B * g * g] (row-major [B, g*g]) and weight [B] (1 with a visible object, else 0 and a zero row).
 */
export function groundTargets(masks: readonly (ArrayLike<number> | undefined)[], size: number, grid: number): { target: Float32Array; weight: Float32Array } {
  const N = grid * grid;
  const target = new Float32Array(masks.length * N);
  const weight = new Float32Array(masks.length);
  masks.forEach((m, b) => {
    if (m === undefined) return;
    const cov = tokenCoverage(m, size, grid);
    const total = cov.reduce((s, v) => s + v, 0);
    if (total === 0) return;
    cov.forEach((v, j) => (target[b * N + j] = v / total));
    weight[b] = 1;
  });
  return { target, weight };
}

/**
 * One layer's attention probabilities [B, H, T, T] -> [B, Ni]: per item, the attention of its
 * [IMG] tokens over the image tokens, renormalised to sum 1 over them, mean over heads and [IMG]
 * tokens. Call inside tf.tidy.
 */
export function imgImageAttention(probs: tf.Tensor4D, layout: BatchLayout): tf.Tensor2D {
  const [B, H, T] = probs.shape;
  if (B !== layout.batch || T !== layout.T) throw new Error(`imgImageAttention: attention [${probs.shape.join(", ")}] does not match the layout (batch ${layout.batch}, ${layout.T} tokens)`);
  const { start, count: Ni } = imageTokenGrid(layout);
  if (Ni === 0) throw new Error("imgImageAttention: the layout has no image tokens (the LGIE-like variant cannot be grounded)");
  const k = layout.items[0].img.end - layout.items[0].img.start;
  const cols = tf.slice(probs, [0, 0, 0, start], [B, H, T, Ni]); // [B, H, T, Ni]
  const byRow = tf.reshape(tf.transpose(cols, [0, 2, 1, 3]), [B, T, H * Ni]) as tf.Tensor3D; // [B, T, H*Ni]
  const rows = tf.reshape(gatherPositions(byRow, layout.items.map((it) => Array.from({ length: it.img.end - it.img.start }, (_, j) => it.img.start + j))), [B, k, H, Ni]); // [B, k, H, Ni]
  const norm = tf.div(rows, tf.add(tf.sum(rows, -1, true), EPS)); // [B, k, H, Ni]
  return tf.mean(norm, [1, 2]) as tf.Tensor2D; // [B, Ni]
}

/**
 * KL(target || map) per item, weighted mean over items (weights [B], not all 0), mean over the
 * maps (one per layer, each [B, Ni]); target [B, Ni] rows sum to 1 where the weight is nonzero.
 */
export function groundLoss(maps: readonly tf.Tensor2D[], target: tf.Tensor2D, weight: tf.Tensor1D): tf.Scalar {
  if (maps.length === 0) throw new Error("groundLoss: no attention maps (the MLLM needs more than one layer)");
  for (const m of maps) if (m.shape.join(",") !== target.shape.join(",")) throw new Error(`groundLoss: map [${m.shape.join(", ")}] and target [${target.shape.join(", ")}] differ in shape`);
  if (weight.shape[0] !== target.shape[0]) throw new Error(`groundLoss: ${weight.shape[0]} weights for ${target.shape[0]} items`);
  const wsum = tf.sum(weight);
  const tlogt = tf.sum(tf.mul(target, tf.log(tf.add(target, EPS))), -1); // [B]
  const perLayer = maps.map((m) => {
    const kl = tf.sub(tlogt, tf.sum(tf.mul(target, tf.log(tf.add(m, EPS))), -1)); // [B]
    return tf.div(tf.sum(tf.mul(kl, weight)), tf.maximum(wsum, EPS));
  });
  return tf.div(tf.addN(perLayer), perLayer.length) as tf.Scalar;
}

/** Mass of each item's map [B, Ni] on the tokens its target covers (target > 0), and a uniform map's: per item. */
export function targetMass(map: ArrayLike<number>, target: ArrayLike<number>, Ni: number): { mass: number[]; uniform: number[] } {
  if (map.length !== target.length || map.length % Ni !== 0) throw new Error(`targetMass: map (${map.length}) and target (${target.length}) must both be [B, ${Ni}]`);
  const mass: number[] = [];
  const uniform: number[] = [];
  for (let b = 0; b < map.length / Ni; b++) {
    let m = 0;
    let n = 0;
    for (let j = 0; j < Ni; j++) {
      if (target[b * Ni + j] > 0) {
        m += map[b * Ni + j];
        n++;
      }
    }
    mass.push(m);
    uniform.push(n / Ni);
  }
  return { mass, uniform };
}
