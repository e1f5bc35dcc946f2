/**
 * The object head (object-head.ts, editor config alignedObjects) trained alone on a finished editor: every other weight
 * frozen, so the editor edits exactly as before except in which object the object-choosing gate decodings take. This
 * asks, at the cost of a probe rather than a Stage II run, how much of the editor's failures come from a choice among
 * objects that a head comparing whole objects could make better.
 *
 * The truth of an engine edit: its source's objects as the renderer drew them (EditObjects: the instance mask, each
 * object's coverage of the denoiser's patches) and the one the edit changes; cross-entropy of the head's scores against it
 * (aligned-targets.ts objectChoiceLoss), on the edits that change one of the source's objects.
 *
 * Fit it on scenes the editor never saw (the head scripts' --fresh=on, finished.ts headFitEdits): on its own Stage II
 * scenes the where head, which the head starts from, is right far more often than on new ones, and a head fitted there
 * learns to trust it. Since every other weight is frozen, what the head reads of the editor for an edit never changes:
 * `cacheObjectReads` computes it once and `fitObjectHeadCached` fits the head on those reads, without the editor's
 * forward pass at every step (the same fit as fitObjectHead up to float rounding).
 */
import * as tf from "@tensorflow/tfjs";
import { objectChoiceLoss, truthObjects } from "../aligned-targets";
import { editorParams, type Editor } from "../model";
import { editMoveBase } from "../move-head";
import { bestObjects, isObjectHeadParam, objectHeadScores, objectInputs, objectReadsOf, objectScores, whereObjectScores, type ObjectInputs, type ObjectReads } from "../object-head";
import type { EditExample } from "./data";
import { alignedOf, fitHeadAlone, fitHeadKeepingBest, type CheckedFit, type HeadFitConfig } from "./finished";

export type ObjectHeadConfig = HeadFitConfig;

/** Early stopping: every `every` steps the head's choice is scored on `edits` (held out from training); the best weights are kept. */
export interface ObjectHeadCheck {
  every: number;
  edits: readonly EditExample[];
}

/** A fit with checks: the losses, the held-out choice accuracy at step 0 and at each check, and the step whose weights the head keeps. */
export interface ObjectHeadFit {
  losses: number[];
  checks: { step: number; accuracy: number }[];
  kept: number;
}

/** Edits whose change is one of the source's visible objects (the ones the head can be trained and scored on). */
export function withChangedObject(edits: readonly EditExample[]): EditExample[] {
  return edits.filter((x) => x.objects !== undefined && x.objects.changed >= 0 && x.objects.mask.includes(x.objects.changed));
}

function checkHead(e: Editor, what: string): void {
  if (e.config.alignedObjects === undefined || !e.imageTokens) throw new Error(`${what}: this editor has no object head (config alignedObjects, with image tokens)`);
}

/** The head's scores [B, R] and inputs for a batch of edits with the given object coverages. Call inside tf.tidy. */
function batchScores(e: Editor, part: readonly Pick<EditExample, "source" | "instruction">[], regions: readonly (readonly ArrayLike<number>[])[]): { scores: tf.Tensor2D; base: tf.Tensor2D; inp: ObjectInputs } {
  const N = (e.config.image / e.config.dnPatch) ** 2;
  const a = alignedOf(e, part);
  const inp = objectInputs(regions, N);
  return { scores: objectScores(editorParams(e), e.config, a, inp), base: whereObjectScores(a.where, inp), inp }; // base: the where head's own scores
}

/** Per edit kind (and "all" first): how often the head, and the where head's coverage-weighted mean logit, choose the changed object. */
export interface ObjectChoiceRow {
  kind: string;
  n: number;
  head: number;
  where: number;
  chance: number;
}

/** The head's and the where head's choices on `edits` that change a visible object, scored against the truth, per kind; batches of `batch`. */
export function objectHeadAccuracy(e: Editor, edits: readonly EditExample[], batch = 64): ObjectChoiceRow[] {
  checkHead(e, "objectHeadAccuracy");
  const items = withChangedObject(edits);
  if (items.length === 0) throw new Error("objectHeadAccuracy: none of the edits changes one of its source's objects");
  const grid = e.config.image / e.config.dnPatch;
  const rows = new Map<string, { n: number; head: number; where: number; chance: number }>();
  for (let i = 0; i < items.length; i += batch) {
    const part = items.slice(i, i + batch);
    const { regions, target } = truthObjects(part.map((x) => x.objects), e.config.image, grid);
    const [head, where] = tf.tidy(() => {
      const s = batchScores(e, part, regions);
      return [bestObjects(s.scores, s.inp), bestObjects(s.base, s.inp)];
    });
    part.forEach((x, b) => {
      for (const k of ["all", x.kind]) {
        const r = rows.get(k) ?? { n: 0, head: 0, where: 0, chance: 0 };
        rows.set(k, { n: r.n + 1, head: r.head + (head[b] === target[b] ? 1 : 0), where: r.where + (where[b] === target[b] ? 1 : 0), chance: r.chance + 1 / regions[b].length });
      }
    });
  }
  return [...rows.entries()].map(([kind, r]) => ({ kind, n: r.n, head: r.head / r.n, where: r.where / r.n, chance: r.chance / r.n }));
}

/** The head's mean cross-entropy on the `edits` that change a visible object (each weighs one), in batches of `batch`. */
export function objectHeadLoss(e: Editor, edits: readonly EditExample[], batch = 64): number {
  checkHead(e, "objectHeadLoss");
  const items = withChangedObject(edits);
  if (items.length === 0) throw new Error("objectHeadLoss: none of the edits changes one of its source's objects");
  const grid = e.config.image / e.config.dnPatch;
  let total = 0;
  for (let i = 0; i < items.length; i += batch) {
    const part = items.slice(i, i + batch);
    const { regions, target } = truthObjects(part.map((x) => x.objects), e.config.image, grid);
    total += tf.tidy(() => objectChoiceLoss(batchScores(e, part, regions).scores, target, new Float32Array(part.length).fill(1)).dataSync()[0]) * part.length;
  }
  return total / items.length;
}

/**
 * Fits the object head of `e` (an editor with alignedObjects) on `edits` for `c.steps` Adam steps of `c.batch` edits drawn
 * with `c.seed`, every other weight frozen; `onStep(step, loss)` after each. Returns the losses.
 */
export function trainObjectHead(e: Editor, edits: readonly EditExample[], c: ObjectHeadConfig, onStep?: (step: number, loss: number) => void): number[] {
  checkHead(e, "trainObjectHead");
  return fitHeadAlone(e, withChangedObject(edits), c, EDITS_SPEC, editsLoss(e), onStep);
}

/** How trainObjectHead fits (and names itself in fitHeadAlone's errors). */
const EDITS_SPEC = { isParam: isObjectHeadParam, who: "trainObjectHead", stream: "object-head", empty: "none of the edits changes one of its source's objects (the data engine's spatial edits, engineData)" };

/** The head's loss on a batch of edits, read through the editor. Called inside a tape. */
function editsLoss(e: Editor): (batch: EditExample[]) => tf.Scalar {
  const grid = e.config.image / e.config.dnPatch;
  return (batch) => {
    const { regions, target } = truthObjects(batch.map((x) => x.objects), e.config.image, grid);
    return choiceLoss(batchScores(e, batch, regions).scores, target);
  };
}

/** Cross-entropy of the head's scores against the changed object's row, every item with a target weighing one. */
function choiceLoss(scores: tf.Tensor2D, target: Int32Array): tf.Scalar {
  return objectChoiceLoss(scores, target, Float32Array.from(target, (t) => (t >= 0 ? 1 : 0)));
}

/** A fit's checks as the object head reports them (the score is the choice's accuracy). */
function asObjectFit(fit: CheckedFit): ObjectHeadFit {
  return { losses: fit.losses, checks: fit.checks.map((x) => ({ step: x.step, accuracy: x.score })), kept: fit.kept };
}

/**
 * trainObjectHead with early stopping: the head's choice on `check.edits` is scored before training and every `check.every`
 * steps, and the head ends with the weights of the best check (the first of equals: the where head's own choice when no
 * check beats step 0). The checked edits must be held out from `edits`, so that the kept step is chosen on data the head
 * was not fitted to.
 */
export function fitObjectHead(e: Editor, edits: readonly EditExample[], c: ObjectHeadConfig, check: ObjectHeadCheck, onStep?: (step: number, loss: number) => void): ObjectHeadFit {
  checkHead(e, "fitObjectHead");
  const accuracy = () => objectHeadAccuracy(e, check.edits)[0].head;
  return asObjectFit(fitHeadKeepingBest(e, withChangedObject(edits), c, EDITS_SPEC, editsLoss(e), { every: check.every, score: accuracy }, onStep, "fitObjectHead"));
}

/**
 * One edit's reads of the frozen editor (object-head.ts ObjectReads) kept in memory, so that the head alone trains and is
 * checked without the editor's forward pass, which costs nearly all of a step: each object's pooled referred patches
 * `pooled` [R * dnD], the where head's scores `base` [R], the instruction's words `words` [L * d] with their `mask` [L],
 * the objects' coverages `regions` (R of [N]) and the changed object's row `target`.
 */
export interface CachedObjectReads {
  pooled: Float32Array;
  base: Float32Array;
  words: Float32Array;
  mask: Float32Array;
  regions: Float32Array[];
  target: number;
  /** The edit's kind and its template family (per-kind and per-family errors; the family absent for generic edits). */
  kind: string;
  family?: string;
  /** The editor's own move of the whole edit [dx, dy, log scale] (move-head.ts editMoveBase: its offset and scale heads, else 0), which the move head adds to. */
  moveBase: Float32Array;
  /**
   * The truth's move of the changed object [dx, dy (denoiser patches), log scale] (EditObjects offset and scale); a removal
   * [0, 0, 0] (taught "no move", as the recipe's whereOffsetStillRemovals teaches the offset head); absent when the object
   * is visible in only one of the source and the target otherwise.
   */
  moveTarget?: Float32Array;
}

/** The reads of the editor for each of `edits` that change a visible object (withChangedObject), in batches of `batch`; `onBatch(done)` after each. */
export function cacheObjectReads(e: Editor, edits: readonly EditExample[], batch = 64, onBatch?: (done: number) => void): CachedObjectReads[] {
  checkHead(e, "cacheObjectReads");
  const items = withChangedObject(edits);
  if (items.length === 0) throw new Error("cacheObjectReads: none of the edits changes one of its source's objects");
  const grid = e.config.image / e.config.dnPatch;
  const out: CachedObjectReads[] = [];
  for (let i = 0; i < items.length; i += batch) {
    const part = items.slice(i, i + batch);
    const { regions, target } = truthObjects(part.map((x) => x.objects), e.config.image, grid);
    const inp = objectInputs(regions, grid * grid);
    const t = tf.tidy(() => {
      const a = alignedOf(e, part);
      const r = objectReadsOf(a, inp);
      return [r.pooled, r.base, r.words.states, r.words.mask, editMoveBase(a, part.length)];
    });
    const [pooled, base, states, mask, moves] = t.map((x) => x.dataSync() as Float32Array);
    tf.dispose(t);
    const [R, D, L, d] = [inp.R, t[0].shape[2]!, t[3].shape[1]!, t[2].shape[2]!];
    part.forEach((x, b) => {
      const Rb = regions[b].length;
      const moveTarget = moveTruth(x, grid);
      out.push({ pooled: pooled.slice(b * R * D, (b * R + Rb) * D), base: base.slice(b * R, b * R + Rb), words: states.slice(b * L * d, (b + 1) * L * d), mask: mask.slice(b * L, (b + 1) * L), regions: regions[b].map((r) => Float32Array.from(r)), target: target[b], kind: x.kind, ...(x.family !== undefined ? { family: x.family } : {}), moveBase: moves.slice(b * 3, b * 3 + 3), ...(moveTarget !== undefined ? { moveTarget } : {}) });
    });
    onBatch?.(out.length);
  }
  return out;
}

/** The truth's move of an edit's changed object [dx, dy (patches on a grid of side `grid`), log scale]; a removal [0, 0, 0]; undefined without one (CachedObjectReads moveTarget). */
export function moveTruth(x: Pick<EditExample, "kind" | "objects">, grid: number): Float32Array | undefined {
  const o = x.objects;
  if (o?.offset !== undefined && o.scale !== undefined) return Float32Array.of(o.offset[0] * grid, o.offset[1] * grid, Math.log(o.scale));
  return x.kind === "remove" && o !== undefined ? new Float32Array(3) : undefined;
}

/** A batch of cached reads as the head takes them (objects padded to the batch's largest count, words to its longest), and the targets. Call inside tf.tidy. */
export function cachedBatch(items: readonly CachedObjectReads[], c: Editor["config"]): { reads: ObjectReads; inp: ObjectInputs; target: Int32Array } {
  const N = (c.image / c.dnPatch) ** 2;
  const inp = objectInputs(items.map((x) => x.regions), N);
  const [B, R, D] = [items.length, inp.R, c.dnD];
  const d = items[0].words.length / items[0].mask.length;
  const L = Math.max(...items.map((x) => x.mask.length));
  const pooled = new Float32Array(B * R * D);
  const base = new Float32Array(B * R).fill(-1e9);
  const words = new Float32Array(B * L * d);
  const mask = new Float32Array(B * L);
  items.forEach((x, b) => {
    pooled.set(x.pooled, b * R * D);
    base.set(x.base, b * R);
    words.set(x.words, b * L * d);
    mask.set(x.mask, b * L);
  });
  const reads = { pooled: tf.tensor3d(pooled, [B, R, D]), base: tf.tensor2d(base, [B, R]), words: { states: tf.tensor3d(words, [B, L, d]), mask: tf.tensor2d(mask, [B, L]) } };
  return { reads, inp, target: Int32Array.from(items, (x) => x.target) };
}

/** How often the head chooses the changed object of the cached edits (batches of `batch`): objectHeadAccuracy's "all" head row, read from the cache. */
export function cachedObjectAccuracy(e: Editor, cached: readonly CachedObjectReads[], batch = 256): number {
  checkHead(e, "cachedObjectAccuracy");
  if (cached.length === 0) throw new Error("cachedObjectAccuracy: no cached edits");
  let right = 0;
  for (let i = 0; i < cached.length; i += batch) {
    const part = cached.slice(i, i + batch);
    const best = tf.tidy(() => {
      const { reads, inp } = cachedBatch(part, e.config);
      return bestObjects(objectHeadScores(editorParams(e), e.config, reads, inp), inp);
    });
    part.forEach((x, b) => (right += best[b] === x.target ? 1 : 0));
  }
  return right / cached.length;
}

/** fitObjectHead on cached reads (cacheObjectReads of the training and the checking edits): the same fit and early stopping, without the editor's forward pass. */
export function fitObjectHeadCached(e: Editor, train: readonly CachedObjectReads[], c: ObjectHeadConfig, check: { every: number; reads: readonly CachedObjectReads[] }, onStep?: (step: number, loss: number) => void): ObjectHeadFit {
  checkHead(e, "fitObjectHeadCached");
  const spec = { isParam: isObjectHeadParam, who: "fitObjectHeadCached", stream: "object-head", empty: "no cached edits to train on" };
  const lossOf = (batch: CachedObjectReads[]) => {
    const { reads, inp, target } = cachedBatch(batch, e.config);
    return choiceLoss(objectHeadScores(editorParams(e), e.config, reads, inp), target);
  };
  return asObjectFit(fitHeadKeepingBest(e, train, c, spec, lossOf, { every: check.every, score: () => cachedObjectAccuracy(e, check.reads) }, onStep));
}
