/**
 * The move head (move-head.ts, editor config alignedMoves) trained alone on a finished editor with its object head: every
 * other weight frozen, so the editor edits as before except how far the moving gate decodings move the chosen object and
 * how much they scale it. The truth of an engine edit: the changed object's centre shift (denoiser patches) and the log of
 * its visible growth (train/data.ts objectOffset, objectScale; a removal taught no move); the squared error of the head's
 * row for that object (the truth's object, as the object head is trained on it), the log scale's weighted by
 * `scaleWeight` (a resize's log scale is about 0.6, a move's shift about 1.3 patches).
 *
 * The head reads what the object head reads (object-head.ts ObjectReads) and the editor's own move of the edit, all fixed
 * while the head trains, so it fits on the cached reads of train/object-head.ts (cacheObjectReads), like fitObjectHeadCached.
 */
import * as tf from "@tensorflow/tfjs";
import { editorParams, type Editor } from "../model";
import { isMoveHeadParam, moveHeadOutputs } from "../move-head";
import { fitHeadKeepingBest, type CheckedFit, type HeadFitConfig } from "./finished";
import { cachedBatch, type CachedObjectReads } from "./object-head";

export interface MoveHeadConfig extends HeadFitConfig {
  /** The weight of the squared log-scale error beside the squared offset error (patches^2). */
  scaleWeight: number;
}

function checkHead(e: Editor, what: string): void {
  if (e.config.alignedMoves === undefined || !e.imageTokens) throw new Error(`${what}: this editor has no move head (config alignedMoves, with image tokens)`);
}

/** The cached edits with a move target (CachedObjectReads moveTarget). */
export function withMoveTarget(cached: readonly CachedObjectReads[]): CachedObjectReads[] {
  return cached.filter((x) => x.moveTarget !== undefined);
}

/** The head's moves of the changed objects of a batch of cached reads [B, 3], the truths [B, 3] and the editor's own moves [B, 3]. Call inside tf.tidy. */
function changedMoves(e: Editor, items: readonly CachedObjectReads[]): { pred: tf.Tensor2D; truth: tf.Tensor2D } {
  const { reads, inp, target } = cachedBatch(items, e.config);
  const B = items.length;
  const base = tf.tensor2d(Float32Array.from(items.flatMap((x) => Array.from(x.moveBase))), [B, 3]);
  const all = moveHeadOutputs(editorParams(e), e.config, reads, inp, base); // [B, R, 3]
  const oneHot = tf.oneHot(tf.tensor1d(target, "int32"), inp.R).toFloat(); // [B, R]
  const pred = tf.squeeze(tf.matMul(tf.expandDims(oneHot, 1), all), [1]) as tf.Tensor2D; // [B, 3] the changed object's row
  const truth = tf.tensor2d(Float32Array.from(items.flatMap((x) => Array.from(x.moveTarget!))), [B, 3]);
  return { pred, truth };
}

/** The head's loss on a batch of cached edits with a move target: mean over items of |offset error|^2 + scaleWeight x (log scale error)^2. Call inside tf.tidy or a tape. */
export function moveLoss(e: Editor, items: readonly CachedObjectReads[], scaleWeight: number): tf.Scalar {
  const { pred, truth } = changedMoves(e, items);
  const sq = tf.square(tf.sub(pred, truth)); // [B, 3]
  return tf.mean(tf.sum(tf.mul(sq, tf.tensor1d([1, 1, scaleWeight])), 1)) as tf.Scalar;
}

/**
 * Per edit kind ("all" first; or per `groupOf` of each edit) on cached edits with a move target: the head's mean squared offset error (patches^2) and log-scale
 * error, and the same of the editor's own move (`offsetBefore`, `scaleBefore`: its offset and scale heads', else none).
 */
export interface MoveErrorRow {
  kind: string;
  n: number;
  offset: number;
  offsetBefore: number;
  scale: number;
  scaleBefore: number;
}

export function cachedMoveErrors(e: Editor, cached: readonly CachedObjectReads[], batch = 256, groupOf: (x: CachedObjectReads) => string = (x) => x.kind): MoveErrorRow[] {
  checkHead(e, "cachedMoveErrors");
  const items = withMoveTarget(cached);
  if (items.length === 0) throw new Error("cachedMoveErrors: none of the cached edits has a move target");
  const rows = new Map<string, Omit<MoveErrorRow, "kind">>();
  for (let i = 0; i < items.length; i += batch) {
    const part = items.slice(i, i + batch);
    const pred = tf.tidy(() => changedMoves(e, part).pred.arraySync());
    part.forEach((x, b) => {
      const [t, m, p] = [x.moveTarget!, x.moveBase, pred[b]];
      const err = { offset: (p[0] - t[0]) ** 2 + (p[1] - t[1]) ** 2, offsetBefore: (m[0] - t[0]) ** 2 + (m[1] - t[1]) ** 2, scale: (p[2] - t[2]) ** 2, scaleBefore: (m[2] - t[2]) ** 2 };
      for (const k of ["all", groupOf(x)]) {
        const r = rows.get(k) ?? { n: 0, offset: 0, offsetBefore: 0, scale: 0, scaleBefore: 0 };
        rows.set(k, { n: r.n + 1, offset: r.offset + err.offset, offsetBefore: r.offsetBefore + err.offsetBefore, scale: r.scale + err.scale, scaleBefore: r.scaleBefore + err.scaleBefore });
      }
    });
  }
  return [...rows.entries()].map(([kind, r]) => ({ kind, n: r.n, offset: r.offset / r.n, offsetBefore: r.offsetBefore / r.n, scale: r.scale / r.n, scaleBefore: r.scaleBefore / r.n }));
}

/**
 * Fits the move head of `e` on cached edits with a move target for `c.steps` Adam steps of `c.batch` edits drawn with `c.seed`,
 * every other weight frozen; every `check.every` steps (and before training) the loss's measure on `check.reads` (held out from
 * `train`) is scored, and the head ends with the weights of the lowest (the first of equals: step 0, the editor's own moves,
 * when no check beats it). The checks' scores are the negated errors. `onStep(step, loss)` after each step.
 */
export function fitMoveHeadCached(e: Editor, train: readonly CachedObjectReads[], c: MoveHeadConfig, check: { every: number; reads: readonly CachedObjectReads[] }, onStep?: (step: number, loss: number) => void): CheckedFit {
  checkHead(e, "fitMoveHeadCached");
  if (!(c.scaleWeight >= 0) || !Number.isFinite(c.scaleWeight)) throw new Error(`fitMoveHeadCached: scaleWeight must be a finite number >= 0, got ${c.scaleWeight}`);
  const checked = withMoveTarget(check.reads);
  if (checked.length === 0) throw new Error("fitMoveHeadCached: none of the checking edits has a move target");
  const error = () => {
    const all = cachedMoveErrors(e, checked)[0];
    return -(all.offset + c.scaleWeight * all.scale);
  };
  const spec = { isParam: isMoveHeadParam, who: "fitMoveHeadCached", stream: "move-head", empty: "no cached edits with a move target to train on" };
  return fitHeadKeepingBest(e, withMoveTarget(train), c, spec, (batch: CachedObjectReads[]) => moveLoss(e, batch, c.scaleWeight), { every: check.every, score: error }, onStep);
}
