/**
 * The target reader (ours): what does the instruction make of the changed object, read from the MLLM's states of its words?
 * The redrawing decodings (redraw-decode.ts) draw what the editor's language condition says (H_lm, greedy: "... is replaced
 * with a gray cube", "... now has a striped surface"); on SpatialEval-mini H_lm names the wrong new shape for 5 of its 33
 * replacements and the wrong material for 4 of its 10 retextures, in canonical words too (the instruction "turn the
 * biggest cylinder into a cyan block" written "... replaced with a cyan cylinder"). The words are in the instruction; the
 * reader asks the MLLM's states of them directly, with two attention poolings (one per attribute):
 *   h       = relu(Lin_h(s))                                      [B, L, H]   (s: the instruction's words as the MLLM left them, [B, L, d])
 *   a       = Lin_a(h) + padding bias                             [B, L, 2]
 *   pooled  = softmax_L(a)^T h                                    [B, 2, H]
 *   shape    = Lin_shape(pooled_0)                                [B, 4]      (SHAPES order)
 *   material = Lin_material(pooled_1)                             [B, 4]      (MATERIALS order)
 * Fitted apart from the editor (train/target-reader.ts) on engine edits, against what their true language condition says;
 * the pipeline option readTargets then takes a said replacement's shape and a said retexture's material from it, keeping
 * the condition's kind and colour (withReadTargets).
 *
 * Parameter names: `target.h.{w,b}` [d, H], `target.a.{w,b}` [H, 2], `target.shape.{w,b}` [H, 4], `target.material.{w,b}` [H, 4].
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/rng";
import { initLinear, linear, type Params } from "../../nn/layers";
import { MATERIALS, SHAPES } from "../../world/types";
import type { InstructionWords } from "./aligned";
import type { RedrawTarget } from "./redraw-decode";

export interface TargetReaderConfig {
  /** Width of the MLLM's word states it reads (the editor's d). */
  width: number;
  /** Width of the hidden layer. */
  hidden: number;
}

export const TARGET_READER_HIDDEN = 64;

export interface TargetReader {
  params: Params;
  config: TargetReaderConfig;
}

export function checkTargetReaderConfig(c: TargetReaderConfig): TargetReaderConfig {
  for (const k of ["width", "hidden"] as const) if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`target reader: ${k} must be a positive integer, got ${c[k]}`);
  return c;
}

export function initTargetReader(c: TargetReaderConfig, seed: number): Params {
  checkTargetReaderConfig(c);
  const rng = new Rng(seed);
  return {
    ...initLinear(rng.fork("h"), c.width, c.hidden, "target.h"),
    ...initLinear(rng.fork("a"), c.hidden, 2, "target.a"),
    ...initLinear(rng.fork("shape"), c.hidden, SHAPES.length, "target.shape"),
    ...initLinear(rng.fork("material"), c.hidden, MATERIALS.length, "target.material"),
  };
}

/** The reader's logits for the new shape [B, 4] and material [B, 4] from word states [B, L, d] and their mask [B, L] (1 on a word). Call inside tf.tidy. */
export function targetLogits(p: Params, states: tf.Tensor3D, mask: tf.Tensor2D): { shape: tf.Tensor2D; material: tf.Tensor2D } {
  const [B, L] = mask.shape;
  if (states.shape[0] !== B || states.shape[1] !== L) throw new Error(`targetLogits: word states [${states.shape.join(", ")}] and a mask [${B}, ${L}] of different items or lengths`);
  const h = tf.relu(linear(states, p, "target.h")) as tf.Tensor3D; // [B, L, H]
  const a = tf.add(linear(h, p, "target.a"), tf.expandDims(tf.mul(tf.sub(1, mask), -1e9), 2)); // [B, L, 2]
  const pooled = tf.matMul(tf.softmax(tf.transpose(a, [0, 2, 1])), h) as tf.Tensor3D; // [B, 2, H]
  const [first, second] = tf.unstack(pooled, 1) as [tf.Tensor2D, tf.Tensor2D]; // [B, H] each
  return { shape: linear(first, p, "target.shape") as tf.Tensor2D, material: linear(second, p, "target.material") as tf.Tensor2D };
}

/** What the reader reads per item: the most likely new shape (an index into SHAPES) and material (into MATERIALS). */
export interface ReadTargets {
  shape: number[];
  material: number[];
}

/** The reader's most likely shape and material per item of the editor's words (aligned.ts InstructionWords). */
export function readTargetWords(r: TargetReader, words: InstructionWords): ReadTargets {
  if (words.states.shape[2] !== r.config.width) throw new Error(`readTargetWords: the words' states have width ${words.states.shape[2]}; the reader reads ${r.config.width}`);
  return tf.tidy(() => {
    const l = targetLogits(r.params, words.states, words.mask);
    return { shape: Array.from(tf.argMax(l.shape, 1).dataSync()), material: Array.from(tf.argMax(l.material, 1).dataSync()) };
  });
}

/** The condition's said targets with a replacement's shape and a retexture's material as the reader reads them; the kind, colour and everything else stay the condition's. */
export function withReadTargets(targets: readonly (RedrawTarget | null)[], read: ReadTargets): (RedrawTarget | null)[] {
  if (read.shape.length !== targets.length || read.material.length !== targets.length) throw new Error(`withReadTargets: ${targets.length} targets and reads of ${read.shape.length} shapes and ${read.material.length} materials`);
  return targets.map((t, b) => (t?.kind === "replace" ? { ...t, shape: SHAPES[read.shape[b]] } : t?.kind === "retexture" ? { ...t, material: MATERIALS[read.material[b]] } : t));
}
