/**
 * A finished editor with one head added and fitted alone (the offset head, offset-head.ts; the object head, object-head.ts):
 * the final checkpoint of a stage2-from run, its editor config with the head switched on, every weight loaded from the
 * checkpoint except the head's, which start from their initialisation (a head the run trained is left out and refitted);
 * and the fit itself, Adam on the head's weights alone (`fitHeadAlone`).
 */
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as path from "path";
import { intFlag, numFlag, onOffFlag } from "../../../core/cli-args";
import { checkName, projectPath } from "../../../core/paths";
import { currentProfile } from "../../../core/profile";
import { Rng } from "../../../core/rng";
import { disposeParams } from "../../../nn/layers";
import { fromPretrained, saveCheckpoint, type CheckpointMeta } from "../../../train/checkpoint";
import { checkEditorConfig, type EditorConfig } from "../config";
import { createEditor, disposeEditor, editorCondition, editorLayout, type Editor } from "../model";
import { trainStep } from "../../../train/adam";
import { FusedAdam } from "../../../train/fused-adam";
import { editorParams } from "../model";
import { loadEditorWeights } from "./node";
import { drawBatch, imageBatch } from "./steps";
import type { AlignedResult } from "../aligned";
import { checkTestSplit, engineData, type EditExample } from "./data";
import type { RecipeConfig } from "./recipes";

export interface HeadSpec {
  /** What the head is called in errors and its initialisation's random stream ("offset-head", "object-head"). */
  name: string;
  /** The editor config's switches that add the head. */
  config: Partial<EditorConfig>;
  /** Whether a weight name belongs to the head. */
  isParam: (name: string) => boolean;
  /** The seed of the head's initialisation. */
  seed: number;
}

/** The editor in `from` (a stage2-from run's final-<key> directory) with `head` added; the caller disposes the editor. */
export function finishedEditorWithHead(from: string, head: HeadSpec): { e: Editor; made: { editor: EditorConfig; recipe: RecipeConfig }; meta: CheckpointMeta } {
  if (!fs.existsSync(path.join(from, "config.json"))) throw new Error(`--from: ${from} holds no checkpoint (config.json); pass the final-<key> directory of a finished stage2-from run`);
  const { params: weights, meta } = fromPretrained(from);
  try {
    // a stage2-from run's final weights keep the editor and recipe under config.config, a Stage I run's (stage1-locate) under config
    type Made = { editor?: EditorConfig; recipe?: RecipeConfig };
    const outer = meta.config as Made & { config?: Made };
    const made = outer.config ?? outer;
    if (made.editor === undefined || made.recipe === undefined) throw new Error(`--from: ${from} is not the final checkpoint of a stage2-from or stage1-locate run (its config names no editor and recipe)`);
    if (made.editor.aligned !== true || made.editor.alignedWhere !== "bilinear") throw new Error(`--from: the ${head.name.replace("-", " ")} needs an editor with the bilinear where head (stage2-from --where-head=bilinear)`);
    const e = createEditor(checkEditorConfig({ ...made.editor, ...head.config }), new Rng(head.seed).fork(`${head.name}-init`), { imageTokens: true });
    try {
      loadEditorWeights(e, Object.fromEntries(Object.entries(weights).filter(([k]) => !head.isParam(k))), `${head.name} (${from})`, head.isParam);
    } catch (err) {
      disposeEditor(e);
      throw err;
    }
    return { e, made: { editor: made.editor, recipe: made.recipe }, meta };
  } finally {
    disposeParams(weights);
  }
}

/** The aligned [LOC] result of `e` for items' sources (at the editor's size) and instructions: what the heads fitted alone read. Call inside tf.tidy or a tape. */
export function alignedOf(e: Editor, items: readonly Pick<EditExample, "source" | "instruction">[]): AlignedResult {
  return editorCondition(e, imageBatch(items.map((x) => x.source), e.config.image), editorLayout(e, items.map((x) => x.instruction))).aligned!;
}

/** One row per item of the [B, K] tensor `read` takes from alignedOf, in batches of `batch` (no tensors kept). */
export function alignedRows(e: Editor, items: readonly Pick<EditExample, "source" | "instruction">[], read: (a: AlignedResult) => tf.Tensor2D, batch = 64): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < items.length; i += batch) {
    const t = tf.tidy(() => read(alignedOf(e, items.slice(i, i + batch))));
    out.push(...t.arraySync());
    t.dispose();
  }
  return out;
}

/** A head's fit alone: `steps` Adam steps at learning rate `lr` on batches of `batch` items drawn with `seed`. */
export interface HeadFitConfig {
  steps: number;
  batch: number;
  lr: number;
  seed: number;
}

/** Which head a fit trains and how it names itself: the head's weights, the caller's name in errors, its random stream, the error without items. */
export interface HeadFitSpec {
  isParam: (name: string) => boolean;
  who: string;
  stream: string;
  empty: string;
}

/**
 * Fits the weights of `e` that `h.isParam` names, every other weight frozen: `c.steps` Adam steps, each on `c.batch` of
 * `items` drawn with `c.seed` (random stream `h.stream`), minimising `lossOf(batch)`; `onStep(step, loss)` after each.
 * Returns the losses.
 */
export function fitHeadAlone<T>(e: Editor, items: readonly T[], c: HeadFitConfig, h: HeadFitSpec, lossOf: (batch: T[]) => tf.Scalar, onStep?: (step: number, loss: number) => void): number[] {
  if (!Number.isInteger(c.steps) || c.steps < 1 || !Number.isInteger(c.batch) || c.batch < 1 || !(c.lr > 0)) throw new Error(`${h.who}: steps and batch must be positive integers and lr > 0, got ${c.steps}, ${c.batch}, ${c.lr}`);
  if (items.length === 0) throw new Error(`${h.who}: ${h.empty}`);
  const p = editorParams(e);
  const vars = Object.keys(p).filter(h.isParam).sort().map((k) => p[k] as tf.Variable);
  const optimizer = new FusedAdam(c.lr);
  const rng = new Rng(c.seed).fork(h.stream);
  const losses: number[] = [];
  try {
    for (let s = 1; s <= c.steps; s++) {
      const batch = drawBatch(items, c.batch, rng);
      const loss = trainStep(optimizer, () => lossOf(batch), {}, vars);
      losses.push(loss);
      onStep?.(s, loss);
    }
  } finally {
    optimizer.dispose();
  }
  return losses;
}

/** A fit with checks: the losses, the score at step 0 and at each check, and the step whose weights the head keeps. */
export interface CheckedFit {
  losses: number[];
  checks: { step: number; score: number }[];
  kept: number;
}

/**
 * fitHeadAlone with early stopping (fitKeepingBest): `check.score()` (higher is better, on items held out from `items`)
 * before the fit, every `check.every` steps and at the last; the head ends with the weights of the best check. `who`
 * names the caller in fitKeepingBest's errors (default `spec.who`).
 */
export function fitHeadKeepingBest<T>(e: Editor, items: readonly T[], c: HeadFitConfig, spec: HeadFitSpec, lossOf: (batch: T[]) => tf.Scalar, check: { every: number; score: () => number }, onStep?: (step: number, loss: number) => void, who = spec.who): CheckedFit {
  return fitKeepingBest(e, spec.isParam, check.every, c.steps, check.score, (atStep) => fitHeadAlone(e, items, c, spec, lossOf, (step, loss) => {
    onStep?.(step, loss);
    atStep(step);
  }), who);
}

/**
 * Early stopping for a head fitted alone: `score()` (higher is better; on edits held out from the fit) before the fit and
 * every `every` steps and at `lastStep`, while `fit(onStep)` runs; the weights of `e` that `isParam` names end as they were
 * at the best check (the first of equals: the head as it started when no check beats step 0).
 */
export function fitKeepingBest(e: Editor, isParam: (name: string) => boolean, every: number, lastStep: number, score: () => number, fit: (onStep: (step: number) => void) => number[], who: string): CheckedFit {
  if (!Number.isInteger(every) || every < 1) throw new Error(`${who}: checks must come every positive whole number of steps, got ${every}`);
  const p = editorParams(e);
  const names = Object.keys(p).filter(isParam).sort();
  const checks = [{ step: 0, score: score() }];
  let best: { step: number; score: number; weights: tf.Tensor[] } = { ...checks[0], weights: names.map((k) => tf.clone(p[k])) };
  let losses: number[] = [];
  try {
    losses = fit((step) => {
      if (step % every !== 0 && step !== lastStep) return;
      const at = { step, score: score() };
      checks.push(at);
      if (at.score > best.score) {
        tf.dispose(best.weights);
        best = { ...at, weights: names.map((k) => tf.clone(p[k])) };
      }
    });
    names.forEach((k, i) => (p[k] as tf.Variable).assign(best.weights[i]));
  } finally {
    tf.dispose(best.weights);
  }
  return { losses, checks, kept: best.step };
}

/** A finished-editor script's --from flag (required): a stage2-from run's final weights, resolved; `needs` ends the error ("" or " with a colour plan"). */
export function finishedFromFlag(from: string | undefined, needs = ""): string {
  if (from === undefined) throw new Error(`--from is required: the final weights of a stage2-from run${needs} (data/generated/curve-cache/<profile>/from/final-<key>)`);
  return path.resolve(from);
}

/** A head fit's flags: --steps (default 1500), --batch (64), --lr (0.001, > 0), --seed (2). */
export function headFitFlags(a: Record<string, string>): HeadFitConfig {
  const c = { steps: intFlag(a, "steps", 1500, 1), batch: intFlag(a, "batch", 64, 1), lr: numFlag(a, "lr", 1e-3), seed: intFlag(a, "seed", 2) };
  if (!(c.lr > 0)) throw new Error(`--lr must be > 0, got ${c.lr}`);
  return c;
}

/** The data and checks of a head fit with early stopping: --scenes (4000), --held-out (500 source images, >= 2: half check, half score), --check-every (250), --ddim (10), --fresh (off). */
export interface HeadFitData {
  scenes: number;
  heldOut: number;
  checkEvery: number;
  ddim: number;
  /** Whether the head's scenes come after the editor's own Stage II scenes (on), or start at scene 0 (off: the editor's own scenes first). */
  fresh: boolean;
}

export function checkedFitFlags(a: Record<string, string>): HeadFitData {
  const heldOut = intFlag(a, "held-out", 500, 1);
  if (heldOut < 2) throw new Error(`--held-out must be at least 2 source images (half choose the kept step, half score the head), got ${heldOut}`);
  return { scenes: intFlag(a, "scenes", 4000, 1), heldOut, checkEvery: intFlag(a, "check-every", 250, 1), ddim: intFlag(a, "ddim", 10, 1), fresh: onOffFlag(a, "fresh", false) };
}

/**
 * The edits a head is fitted and checked on: those of `fit.scenes + fit.heldOut` engine scenes of the editor's data seed,
 * numbered from the first scene its Stage II never saw when `fit.fresh` (then the editor's other heads behave on the
 * head's training edits as on unseen scenes, not as on the scenes they were fitted to), else from scene 0.
 */
export function headFitEdits(recipe: RecipeConfig, fit: HeadFitData, resolution: number): EditExample[] {
  return engineData(recipe.dataSeed, fit.scenes + fit.heldOut, resolution, undefined, firstScene(recipe, fit)).edits;
}

/** The first of a head fit's scenes: the first one the editor's Stage II never saw when `fit.fresh`, else 0. */
function firstScene(recipe: RecipeConfig, fit: HeadFitData): number {
  return fit.fresh ? recipe.engineScenes : 0;
}

/**
 * headFitEdits in pieces, for fits too large to hold every edit's images at once: the training scenes' edits, `chunk`
 * scenes at a time, to `each(edits, done)` (`done`: the scenes read so far). The held-out edits are headFitHeldOut's.
 */
export function headFitTrainChunks(recipe: RecipeConfig, fit: HeadFitData, resolution: number, chunk: number, each: (edits: EditExample[], done: number) => void): void {
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`headFitTrainChunks: chunk must be a positive integer, got ${chunk}`);
  const first = firstScene(recipe, fit);
  for (let k = 0; k < fit.scenes; k += chunk) each(engineData(recipe.dataSeed, Math.min(chunk, fit.scenes - k), resolution, undefined, first + k).edits, Math.min(fit.scenes, k + chunk));
}

/**
 * The edits of the last `fit.heldOut` scenes of headFitEdits' range (after the training scenes of headFitTrainChunks),
 * split as heldOutSplit splits its held-out images: the first half's edits check the fit, the second half's test it.
 * (heldOutSplit counts the source images that have edits; here whole scenes are held out, with or without edits.)
 */
export function headFitHeldOut(recipe: RecipeConfig, fit: HeadFitData, resolution: number): { check: EditExample[]; test: EditExample[] } {
  return checkTestSplit(engineData(recipe.dataSeed, fit.heldOut, resolution, undefined, firstScene(recipe, fit) + fit.scenes).edits, fit.heldOut);
}

/**
 * Where a finished editor with a head fitted alone is saved: data/generated/curve-cache/<profile>/from/<name>, beside the
 * stage2-from runs' final weights (never inside the repository's committed weights, data/weights/, whatever --from was).
 */
export function fittedEditorDir(name: string, profile: string = currentProfile()): string {
  return projectPath(`data/generated/curve-cache/${profile}/from/${checkName(name, "the fitted editor")}`, true);
}

/**
 * Saves `e` (a finished editor with a head fitted alone, read from `from`) in fittedEditorDir(name), so that other scripts
 * read the fitted head without a refit (--from=<that folder>); `what` says which head and how it was fitted. Returns the folder.
 */
export function saveFittedEditor(e: Editor, from: string, name: string, meta: CheckpointMeta, what: string, seed: number): string {
  const saved = fittedEditorDir(name);
  saveCheckpoint(saved, { params: editorParams(e), config: { what: `${path.basename(from)} with ${what}`, config: { ...(meta.config as { config: object }).config, editor: e.config } }, seed, step: meta.step });
  return saved;
}

/**
 * Takes the weights of `head` (those `head.isParam` names) from the finished editor in `dir` into `e`, instead of fitting
 * them: `dir` must have been made from the same editor as `e`, so every weight that is neither the head's nor one of
 * `others` (the other heads, which `dir` may have fitted differently) must equal `e`'s bit for bit, and the head's weights
 * must fit `e`'s head. Returns `dir`'s checkpoint meta (its config says how the head was fitted). A head fitted alone
 * reads only the frozen editor, so a head taken this way is the head a fit on `e` would make with the same data and seed.
 */
export function headFromEditor(e: Editor, dir: string, head: Pick<HeadSpec, "name" | "isParam">, others: (name: string) => boolean): CheckpointMeta {
  const what = head.name.replace("-", " ");
  if (!fs.existsSync(path.join(dir, "config.json"))) throw new Error(`--head-from: ${dir} holds no checkpoint (config.json); pass the folder of a finished editor with a fitted ${what}`);
  const { params: weights, meta } = fromPretrained(dir);
  try {
    const p = editorParams(e);
    const unknown = Object.keys(weights).filter((k) => !(k in p) && !head.isParam(k) && !others(k));
    if (unknown.length > 0) throw new Error(`--head-from: the ${what} in ${dir} was fitted on another editor (it has ${unknown.slice(0, 3).join(", ")}, which --from's has not)`);
    for (const k of Object.keys(p).filter((k) => !head.isParam(k) && !others(k))) {
      const same = k in weights && p[k].shape.join("x") === weights[k].shape.join("x") && tf.tidy(() => tf.notEqual(p[k], weights[k]).any().dataSync()[0] === 0);
      if (!same) throw new Error(`--head-from: the ${what} in ${dir} was fitted on another editor ('${k}' differs from --from's)`);
    }
    // the head's weights: each of e's, of the same shape, and no other (loadEditorWeights' checks), then assigned
    loadEditorWeights(e, Object.fromEntries(Object.entries(weights).filter(([k]) => head.isParam(k))), `--head-from: the ${what} in ${dir}`, (k) => !head.isParam(k));
    return meta;
  } finally {
    disposeParams(weights);
  }
}
