/**
 * Fits the target reader (../target-reader.ts) on engine edits: the frozen editor's states of each instruction's words
 * (read once, targetExamples), labelled with what the edit's true language condition says of the changed object (a
 * replacement's new shape, a retexture's new material: redraw-decode.ts redrawTarget, the parser the pipeline reads H_lm's
 * conditions with); Adam on the cross-entropy of the labelled attribute, the held-out accuracy checked as the shape
 * reader's is (checked-fit.ts). Also its file format: safetensors with the config in the metadata.
 */
import * as tf from "@tensorflow/tfjs";
import type { Params } from "../../../nn/layers";
import { MATERIALS, SHAPES } from "../../../world/types";
import type { Editor } from "../model";
import { redrawTarget } from "../redraw-decode";
import { checkTargetReaderConfig, initTargetReader, targetLogits, type TargetReader, type TargetReaderConfig } from "../target-reader";
import { fitKeepingBest, loadWithConfig, saveWithConfig, type CheckedFitConfig, type FitCheck } from "./checked-fit";
import type { EditExample } from "./data";
import { alignedOf } from "./finished";

/** What a condition says the changed object becomes, as the reader's labels: a replacement's shape, a retexture's material (indices into SHAPES, MATERIALS; -1: not said). */
export interface TargetLabel {
  shape: number;
  material: number;
}

/** The reader's label of a language condition (redrawTarget): a replacement's shape or a retexture's material; null for anything else. */
export function targetLabel(condition: string): TargetLabel | null {
  const t = redrawTarget(condition);
  if (t?.kind === "replace") return { shape: SHAPES.indexOf(t.shape), material: -1 };
  if (t?.kind === "retexture") return { shape: -1, material: MATERIALS.indexOf(t.material) };
  return null;
}

/** One labelled instruction as the reader reads it: the MLLM's states of its words [L * d] and their mask [L] (1 on a word), with its label. */
export interface TargetExample extends TargetLabel {
  states: Float32Array;
  mask: Float32Array;
  kind: string;
}

/**
 * The labelled ones of `edits` (targetLabel of their true condition) with the frozen editor's states of their words, read in
 * batches of `batch` (the editor must keep the words: an object head, config alignedObjects). `onBatch(done, total)` after each.
 */
export function targetExamples(e: Editor, edits: readonly Pick<EditExample, "source" | "instruction" | "condition" | "kind">[], batch = 64, onBatch?: (done: number, total: number) => void): TargetExample[] {
  const labelled = edits.flatMap((x) => {
    const label = targetLabel(x.condition);
    return label === null ? [] : [{ x, label }];
  });
  const out: TargetExample[] = [];
  for (let i = 0; i < labelled.length; i += batch) {
    const part = labelled.slice(i, i + batch);
    const [states, mask] = tf.tidy(() => {
      const words = alignedOf(e, part.map((p) => p.x)).objectReads?.words;
      if (words === undefined) throw new Error("targetExamples: this editor keeps no word states for a reader (it needs an object head, config alignedObjects)");
      return [words.states.arraySync(), words.mask.arraySync()];
    });
    part.forEach((p, b) => out.push({ ...p.label, states: Float32Array.from(states[b].flat()), mask: Float32Array.from(mask[b]), kind: p.x.kind }));
    onBatch?.(Math.min(labelled.length, i + batch), labelled.length);
  }
  return out;
}

/** A batch padded to its longest instruction: states [B, L, d], mask [B, L], labels. */
function batchOf(c: TargetReaderConfig, xs: readonly TargetExample[]): { states: Float32Array; mask: Float32Array; L: number; shape: Int32Array; material: Int32Array } {
  const L = Math.max(...xs.map((x) => x.mask.length));
  const states = new Float32Array(xs.length * L * c.width);
  const mask = new Float32Array(xs.length * L);
  xs.forEach((x, b) => {
    if (x.states.length !== x.mask.length * c.width) throw new Error(`target reader: an example's states hold ${x.states.length} values for ${x.mask.length} words; the reader reads ${c.width} per word`);
    states.set(x.states, b * L * c.width);
    mask.set(x.mask, b * L);
  });
  return { states, mask, L, shape: Int32Array.from(xs, (x) => x.shape), material: Int32Array.from(xs, (x) => x.material) };
}

/** Logits of a padded batch. Call inside tf.tidy. */
function batchLogits(p: Params, c: TargetReaderConfig, b: ReturnType<typeof batchOf>, B: number) {
  return targetLogits(p, tf.tensor3d(b.states, [B, b.L, c.width]), tf.tensor2d(b.mask, [B, b.L]));
}

/** Mean cross-entropy of the labelled attribute over the batch (each example weighs one). Call inside tf.tidy (trainStep does). */
export function targetLoss(p: Params, c: TargetReaderConfig, xs: readonly TargetExample[]): tf.Scalar {
  const b = batchOf(c, xs);
  const l = batchLogits(p, c, b, xs.length);
  const part = (logits: tf.Tensor2D, labels: Int32Array, n: number) => {
    const w = tf.tensor1d(Float32Array.from(labels, (y) => (y >= 0 ? 1 : 0)));
    const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(Int32Array.from(labels, (y) => Math.max(0, y)), "int32"), n), logits, undefined, undefined, tf.Reduction.NONE); // [B]
    return tf.sum(tf.mul(ce, w));
  };
  return tf.div(tf.add(part(l.shape, b.shape, SHAPES.length), part(l.material, b.material, MATERIALS.length)), xs.length) as tf.Scalar;
}

/** Per example, whether the reader reads its labelled attribute right. */
export function targetHits(p: Params, c: TargetReaderConfig, xs: readonly TargetExample[], batch = 512): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < xs.length; i += batch) {
    const part = xs.slice(i, i + batch);
    const b = batchOf(c, part);
    const [shape, material] = tf.tidy(() => {
      const l = batchLogits(p, c, b, part.length);
      return [tf.argMax(l.shape, 1).dataSync(), tf.argMax(l.material, 1).dataSync()];
    });
    part.forEach((x, k) => out.push(x.shape >= 0 ? shape[k] === x.shape : material[k] === x.material));
  }
  return out;
}

/** The share of `xs` whose labelled attribute the reader reads right. */
export function targetAccuracy(p: Params, c: TargetReaderConfig, xs: readonly TargetExample[]): number {
  if (xs.length === 0) throw new Error("targetAccuracy: no examples");
  return targetHits(p, c, xs).filter(Boolean).length / xs.length;
}

export type TargetFitConfig = CheckedFitConfig;

/** Fits `p` in place (see the file comment), keeping the weights of the best held-out accuracy; returns the checks. `onCheck` after each. */
export function fitTargetReader(p: Params, c: TargetReaderConfig, train: readonly TargetExample[], held: readonly TargetExample[], f: TargetFitConfig, onCheck?: (k: FitCheck) => void): FitCheck[] {
  return fitKeepingBest("fitTargetReader", p, f, train, held, (xs) => () => targetLoss(p, c, xs), () => targetAccuracy(p, c, held), true, onCheck);
}

/** Writes a fitted reader to `file` (safetensors; its config in the metadata). */
export function saveTargetReader(file: string, r: TargetReader): void {
  saveWithConfig(file, r.params, r.config);
}

/** Reads a reader saveTargetReader wrote; a file without the reader's weights is an error naming it. */
export function loadTargetReader(file: string): TargetReader {
  return loadWithConfig(file, "loadTargetReader", checkTargetReaderConfig, (c) => initTargetReader(c, 0));
}
