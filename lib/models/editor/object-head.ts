/**
 * The object head (ours; editor config `alignedObjects`, the bilinear where head of aligned.ts): which of the objects
 * perceived in the source does the edit change? The where head answers per patch, and the `object` gate decodings
 * (gate-decode.ts) take the object with the largest coverage-weighted mean logit; on SpatialEval-mini that choice is
 * right for about two items in three, and worst on the instructions that compare objects ("the second largest", "the
 * one closest to the camera"), which a patch's own score cannot compare. The head puts the comparison among whole objects:
 *   o_r    = sum_n cbar_rn z'_n + Lin_og(geo_r)                  [B, R, dnD]  (cbar: coverage rows normalised to sum 1)
 *   o'     = Objects(o, Lin_ow(w))                               [B, R, dnD]  (pre-LN cross blocks: the objects self-attend,
 *                                                                              padding masked, and read the instruction's words)
 *   score_r = sum_n cbar_rn where_n + Lin_os(o'_r)               [B, R]       (Lin_os zero at the start)
 * z' are the patches after the referring decoder (aligned.ts), w the instruction's words as the MLLM left them, geo_r the
 * object's place and extent on the patch grid (`objectGeometry`: centre, the square root of its area, its top, bottom,
 * left and right edges, as fractions of the grid), which carry what a depth or size comparison reads (in a camera
 * looking down at the ground, a nearer object sits lower and looks larger). With Lin_os at zero the head chooses what
 * the where head chooses; training it (train/object-head.ts, cross-entropy against the object the edit changes) moves the
 * choice only where it helps.
 *
 * With `alignedObjectRanks` the object token also adds Lin_or(rank_r): the object's places among the item's objects
 * (objectRanks), so that an ordinal ("the third rightmost") reads a place instead of a count over the other objects.
 *
 * Parameter names (in the `edit` group): `edit.loc.obj.geo.{w,b}` [GEOMETRY, dnD], `edit.loc.obj.words.{w,b}` [d, dnD],
 * `edit.loc.obj.${l}.*` (cross blocks of width dnD), `edit.loc.obj.score.{w,b}` [dnD, 1] (zeros); with ranks
 * `edit.loc.obj.rank.{w,b}` [RANKS, dnD].
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { crossStack, initCrossStack } from "../../nn/cross-block";
import { constVariable, initLinear, linear, type Params } from "../../nn/layers";
import { paddingBias, referConfig, type AlignedResult, type InstructionWords } from "./aligned";
import type { EditorConfig } from "./config";

export const OBJECT_PREFIX = "edit.loc.obj.";

/** Whether a weight name belongs to the object head (absent from editors made without it). */
export function isObjectHeadParam(name: string): boolean {
  return name.startsWith(OBJECT_PREFIX);
}

/** How many numbers describe an object's place and extent (objectGeometry). */
export const GEOMETRY = 7;

export function initObjectHead(rng: Rng, c: EditorConfig): Params {
  return {
    ...initObjectReader(rng, c, "obj", c.alignedObjects!),
    ...(c.alignedObjectRanks === true ? initLinear(rng.fork("obj-rank"), RANKS, c.dnD, "edit.loc.obj.rank") : {}),
    "edit.loc.obj.score.w": constVariable([c.dnD, 1], 0),
    "edit.loc.obj.score.b": constVariable([1], 0),
  };
}

/**
 * The weights of a head that reads whole objects (the object head's `tag` "obj", the move head's "move"): under
 * `edit.loc.${tag}.`, Lin_geo [GEOMETRY, dnD], Lin_words [d, dnD] and `layers` cross blocks of width dnD (objectReader).
 */
export function initObjectReader(rng: Rng, c: EditorConfig, tag: string, layers: number): Params {
  return {
    ...initLinear(rng.fork(`${tag}-geo`), GEOMETRY, c.dnD, `edit.loc.${tag}.geo`),
    ...initLinear(rng.fork(`${tag}-words`), c.d, c.dnD, `edit.loc.${tag}.words`),
    ...initCrossStack(rng.fork(tag), referConfig(c), layers, `edit.loc.${tag}`),
  };
}

/** The smallest share of a patch an object must cover for the patch to count in its edges (objectGeometry). */
const EDGE_COVER = 0.05;

/**
 * An object's place and extent from its coverage [G * G] of a patch grid (each patch's covered share): its centre x and y,
 * the square root of its area, and its top, bottom, left and right edges (over the patches it covers by at least
 * EDGE_COVER), all as fractions of the grid side; zeros for a coverage of no patch.
 */
export function objectGeometry(cov: ArrayLike<number>): number[] {
  const G = Math.round(Math.sqrt(cov.length));
  if (G * G !== cov.length) throw new Error(`objectGeometry: ${cov.length} patches do not form a square grid`);
  let [w, cx, cy] = [0, 0, 0];
  let [top, bottom, left, right] = [G, -1, G, -1];
  for (let n = 0; n < cov.length; n++) {
    const [x, y] = [n % G, Math.floor(n / G)];
    [w, cx, cy] = [w + cov[n], cx + cov[n] * (x + 0.5), cy + cov[n] * (y + 0.5)];
    if (cov[n] >= EDGE_COVER) [top, bottom, left, right] = [Math.min(top, y), Math.max(bottom, y), Math.min(left, x), Math.max(right, x)];
  }
  if (w <= 0) return new Array<number>(GEOMETRY).fill(0);
  if (bottom < 0) [top, bottom, left, right] = [Math.floor(cy / w), Math.floor(cy / w), Math.floor(cx / w), Math.floor(cx / w)]; // no patch reaches EDGE_COVER: the centre's
  return [cx / w / G, cy / w / G, Math.sqrt(w / cov.length), top / G, (bottom + 1) / G, left / G, (right + 1) / G];
}

/** The orderings objectRanks places each object in: its centre from the left and the right, its area from the biggest and the smallest, its bottom edge from the nearest (lowest in the image) and the farthest. */
const RANK_ORDERS: { key: number; descending: boolean }[] = [
  { key: 0, descending: false },
  { key: 0, descending: true },
  { key: 2, descending: true },
  { key: 2, descending: false },
  { key: 4, descending: true },
  { key: 4, descending: false },
];
/** Places per ordering: the first RANK_SLOTS - 1 one-hot, the last for every later place. */
export const RANK_SLOTS = 5;
/** How many numbers describe an object's places (objectRanks). */
export const RANKS = RANK_ORDERS.length * RANK_SLOTS;

/**
 * Each object's places among an item's objects (their objectGeometry rows), [R][RANKS]: per ordering of RANK_ORDERS, a
 * one-hot of its place (0 first; ties keep the objects' order; places from RANK_SLOTS - 1 on share the last slot).
 */
export function objectRanks(geometry: readonly ArrayLike<number>[]): number[][] {
  const out = geometry.map(() => new Array<number>(RANKS).fill(0));
  RANK_ORDERS.forEach(({ key, descending }, o) => {
    const order = geometry.map((_, r) => r).sort((a, b) => (descending ? geometry[b][key] - geometry[a][key] : geometry[a][key] - geometry[b][key]) || a - b);
    order.forEach((r, place) => (out[r][o * RANK_SLOTS + Math.min(place, RANK_SLOTS - 1)] = 1));
  });
  return out;
}

/**
 * A batch's objects as the head reads them, from each item's object coverages (B lists of [N], each patch's covered
 * share), padded to the batch's largest count R: `cover` [B * R * N] (rows normalised to sum 1), `valid` [B * R] (1 on a
 * real object), `geometry` [B * R * GEOMETRY], `ranks` [B * R * RANKS] (objectRanks among the item's valid objects). Objects that
 * cover no patch stay invalid rows (zero geometry and ranks).
 */
export interface ObjectInputs {
  cover: Float32Array;
  valid: Float32Array;
  geometry: Float32Array;
  ranks: Float32Array;
  R: number;
  N: number;
}

export function objectInputs(regions: readonly (readonly ArrayLike<number>[])[], N: number): ObjectInputs {
  const B = regions.length;
  const R = Math.max(1, ...regions.map((r) => r.length));
  const out: ObjectInputs = { cover: new Float32Array(B * R * N), valid: new Float32Array(B * R), geometry: new Float32Array(B * R * GEOMETRY), ranks: new Float32Array(B * R * RANKS), R, N };
  regions.forEach((list, b) => {
    const seen: { r: number; geometry: Float32Array }[] = []; // the item's valid objects (their rows as stored), for their places among each other
    list.forEach((cov, r) => {
      if (cov.length !== N) throw new Error(`objectInputs: object ${r} of item ${b} covers ${cov.length} patches; the grid has ${N}`);
      let total = 0;
      for (let n = 0; n < N; n++) total += cov[n];
      if (!(total > 0)) return;
      for (let n = 0; n < N; n++) out.cover[(b * R + r) * N + n] = cov[n] / total;
      out.valid[b * R + r] = 1;
      out.geometry.set(objectGeometry(cov), (b * R + r) * GEOMETRY);
      seen.push({ r, geometry: out.geometry.subarray((b * R + r) * GEOMETRY, (b * R + r + 1) * GEOMETRY) });
    });
    const places = objectRanks(seen.map((x) => x.geometry));
    seen.forEach(({ r }, k) => out.ranks.set(places[k], (b * R + r) * RANKS));
  });
  return out;
}

/**
 * What the head reads of the (frozen) editor for a batch of items and their objects: each object's referred patches pooled
 * by its coverage `pooled` [B, R, dnD], the where head's scores `base` [B, R] (padding at -1e9) and the instruction's
 * words. Nothing here depends on the head's weights, so a fit of the head alone can read these once per edit.
 */
export interface ObjectReads {
  pooled: tf.Tensor3D;
  base: tf.Tensor2D;
  words: InstructionWords;
}

/** The head's reads from the editor's aligned path (its where logits, and the referred patches and words it kept: `objectReads`). Call inside tf.tidy. */
export function objectReadsOf(a: AlignedResult, inp: ObjectInputs): ObjectReads {
  if (a.objectReads === undefined) throw new Error("objectScores: this editor has no object head (config alignedObjects)");
  const [B, N] = a.where.shape;
  if (inp.N !== N || inp.valid.length !== B * inp.R) throw new Error(`objectScores: objects of ${inp.valid.length / inp.R} items on ${inp.N} patches do not match the where logits [${B}, ${N}]`);
  const pooled = tf.matMul(tf.tensor3d(inp.cover, [B, inp.R, N]), a.objectReads.referred) as tf.Tensor3D; // [B, R, dnD]
  return { pooled, base: whereObjectScores(a.where, inp), words: a.objectReads.words };
}

/** The head's scores of each item's objects [B, R] (invalid rows -1e9) from its reads. Call inside tf.tidy. */
export function objectHeadScores(p: Params, c: EditorConfig, r: ObjectReads, inp: ObjectInputs): tf.Tensor2D {
  if (c.alignedObjects === undefined) throw new Error("objectScores: this editor has no object head (config alignedObjects)");
  const h = objectReader(p, c, r, inp, "obj", c.alignedObjects, c.alignedObjectRanks === true); // [B, R, dnD]
  return tf.add(r.base, tf.squeeze(linear(h, p, "edit.loc.obj.score"), [2])) as tf.Tensor2D; // [B, R]
}

/**
 * The objects as a head under `edit.loc.${tag}.` (initObjectReader) reads them: o_r = pooled_r + Lin_geo(geo_r) (+ Lin_rank(rank_r)
 * with `ranks`), then `layers` cross blocks in which the objects self-attend (padding masked) and read the instruction's
 * words through Lin_words: [B, R, dnD]. Call inside tf.tidy.
 */
export function objectReader(p: Params, c: EditorConfig, r: ObjectReads, inp: ObjectInputs, tag: string, layers: number, ranks = false): tf.Tensor3D {
  const [B, R] = r.base.shape;
  const placed = tf.add(r.pooled, linear(tf.tensor3d(inp.geometry, [B, R, GEOMETRY]), p, `edit.loc.${tag}.geo`)) as tf.Tensor3D; // [B, R, dnD]
  const tokens = ranks ? (tf.add(placed, linear(tf.tensor3d(inp.ranks, [B, R, RANKS]), p, `edit.loc.${tag}.rank`)) as tf.Tensor3D) : placed; // [B, R, dnD]
  const hidden = tf.sub(1, tf.tensor2d(inp.valid, [B, R])); // [B, R] 1 on padding
  const selfMask = tf.tile(tf.reshape(tf.mul(hidden, -1e9), [B, 1, 1, R]), [1, 1, R, 1]) as tf.Tensor4D; // [B, 1, R, R]
  const L = r.words.mask.shape[1];
  const contextMask = tf.tile(tf.reshape(paddingBias(r.words), [B, 1, 1, L]), [1, 1, R, 1]) as tf.Tensor4D; // [B, 1, R, L]
  return crossStack(tokens, linear(r.words.states, p, `edit.loc.${tag}.words`) as tf.Tensor3D, p, referConfig(c), layers, `edit.loc.${tag}`, { contextMask, selfMask }).hidden; // [B, R, dnD]
}

/**
 * The head's scores of each item's objects [B, R] (invalid rows -1e9) from the editor's aligned path: objectHeadScores of
 * objectReadsOf. Call inside tf.tidy.
 */
export function objectScores(p: Params, c: EditorConfig, a: AlignedResult, inp: ObjectInputs): tf.Tensor2D {
  return objectHeadScores(p, c, objectReadsOf(a, inp), inp); // each refuses an editor without the head, in objectScores' words
}

/**
 * The where head's score of each object, its coverage-weighted mean logit sum_n cbar_rn where_n [B, R] (where [B, N];
 * `cover` rows normalised to sum 1), with padding rows (`valid` 0) at -1e9: pickObject's scores as a tensor, what the
 * object-level where loss (aligned-targets.ts) trains and the object head starts from. Call inside tf.tidy.
 */
export function whereObjectScores(where: tf.Tensor2D, inp: Pick<ObjectInputs, "cover" | "valid" | "R">): tf.Tensor2D {
  const [B, N] = where.shape;
  const scores = tf.squeeze(tf.matMul(tf.tensor3d(inp.cover, [B, inp.R, N]), tf.expandDims(where, 2)), [2]); // [B, R]
  return tf.add(scores, tf.mul(tf.sub(1, tf.tensor2d(inp.valid, [B, inp.R])), -1e9)) as tf.Tensor2D;
}

/** Per item, the index of its best-scored object, or -1 when it has none (scores [B, R] of objectScores). */
export function bestObjects(scores: tf.Tensor2D, inp: Pick<ObjectInputs, "valid" | "R">): number[] {
  const s = scores.arraySync();
  return s.map((row, b) => {
    let best = -1;
    row.forEach((v, r) => {
      if (inp.valid[b * inp.R + r] === 1 && (best < 0 || v > row[best])) best = r;
    });
    return best;
  });
}
