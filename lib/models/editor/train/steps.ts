/**
 * The editor's training objectives on in-memory examples (paper §5.2, Eq. 8):
 * - `textLoss`: cross-entropy of H_lm over the answer written in the condition slot of the
 *   layout (base pre-training on captions; Stage I on spatial VQA);
 * - `editStepLoss`: Stage II's L = L_condition + w L_edit, where L_edit is the DDPM loss of the
 *   denoiser on the edit residual r0 = (target - source) / 2: draw t and noise, x_t = addNoise(r0)
 *   (Ho et al. 2020, Eq. 4), regress the scheduler's training target (x0, epsilon or v), with
 *   MGIE's condition dropout for classifier-free guidance.
 * Batches are drawn with a seeded Rng; functions are called inside the gradient tape (trainLoop).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../../core/rng";
import { DDIMScheduler } from "../../../diffusion/ddim";
import { makeSchedule } from "../../../diffusion/schedule";
import type { Prediction } from "../../../diffusion/scheduler";
import { objectWhereTargets, offsetTargets, questionWhereTargets, scaleTargets, whereLoss } from "../aligned-targets";
import type { EditorConfig } from "../config";
import { GROUND_FIRST_LAYER, groundLoss, groundTargets, imageTokenGrid, imgImageAttention } from "../grounding";
import { conditionDropout, conditionLoss, regionPixelWeights } from "../losses";
import { editorCondition, editorLayout, stage2Loss, type Editor } from "../model";
import { editResidual } from "../residual";
import type { EditExample, TextExample } from "./data";

/** The scheduler's name for the editor's prediction type. */
export function schedulerPrediction(c: Pick<EditorConfig, "prediction">): Prediction {
  const map: Record<string, Prediction> = { x0: "sample", eps: "epsilon", v: "v" };
  const p = map[c.prediction];
  if (p === undefined) throw new Error(`editor: prediction must be one of x0, eps, v, got '${c.prediction}'`);
  return p;
}

/** The editor's noise scheduler: cosine schedule (Nichol & Dhariwal), DDIM with trailing spacing for few sampling steps. */
export function editorScheduler(c: Pick<EditorConfig, "timesteps" | "prediction">): DDIMScheduler {
  return new DDIMScheduler(makeSchedule({ kind: "cosine", numTrainTimesteps: c.timesteps }), { prediction: schedulerPrediction(c), timestepSpacing: "trailing", clipSample: 1 });
}

/** Stacks images [H*W*3] into [B, H, W, 3]. */
export function imageBatch(images: readonly Float32Array[], size: number): tf.Tensor4D {
  const B = images.length;
  const n = size * size * 3;
  const data = new Float32Array(B * n);
  images.forEach((im, i) => {
    if (im.length !== n) throw new Error(`imageBatch: image ${i} has ${im.length} values, expected ${size}x${size}x3 = ${n}`);
    data.set(im, i * n);
  });
  return tf.tensor4d(data, [B, size, size, 3]);
}

/** `batch` indices drawn uniformly with replacement. */
export function drawBatch<T>(items: readonly T[], batch: number, rng: Rng): T[] {
  if (items.length === 0) throw new Error("drawBatch: no training examples");
  return Array.from({ length: batch }, () => items[rng.int(0, items.length)]);
}

/**
 * H_lm's cross-entropy on the answers (the condition slot holds the answer); with `groundWeight` > 0
 * plus that weight x the grounding loss (grounding.ts) on the examples with an object mask; with
 * `whereWeight` > 0 (an editor with the aligned path) plus that weight x the where head's loss against
 * the question's objects (aligned-targets.ts questionWhereTargets). A loss whose batch has no object mask adds nothing.
 */
export function textLoss(e: Editor, ex: readonly TextExample[], groundWeight = 0, whereWeight = 0): tf.Scalar {
  if (whereWeight > 0 && e.config.aligned !== true) throw new Error("textLoss: the where loss needs an editor with the aligned path (config.aligned)");
  const layout = editorLayout(e, ex.map((x) => x.prompt), ex.map((x) => x.answer));
  const images = e.imageTokens ? imageBatch(ex.map((x) => x.image), e.config.image) : null;
  const masked = e.imageTokens && ex.some((x) => x.objectMask !== undefined);
  const ground = groundWeight > 0 && masked;
  const r = editorCondition(e, images, layout, ground);
  if (r.conditionLogits === null) throw new Error("textLoss: the layout has no answers");
  let loss = conditionLoss(r.conditionLogits, layout);
  if (ground) {
    const { count: Ni, grid } = imageTokenGrid(layout);
    const { target, weight } = groundTargets(ex.map((x) => x.objectMask), e.config.image, grid);
    if (weight.some((w) => w > 0)) {
      const maps = r.mllm.attention.slice(GROUND_FIRST_LAYER).map((a) => imgImageAttention(a, layout)); // per layer [B, Ni]
      loss = tf.add(loss, tf.mul(groundLoss(maps, tf.tensor2d(target, [ex.length, Ni]), tf.tensor1d(weight)), groundWeight)) as tf.Scalar;
    }
  }
  if (whereWeight > 0 && masked && r.aligned !== null) {
    const { target, weight } = questionWhereTargets(ex.map((x) => x.objectMask), e.config);
    if (weight.some((w) => w > 0)) {
      const lw = whereLoss(r.aligned.where, tf.tensor2d(target, r.aligned.where.shape), tf.tensor1d(weight));
      loss = tf.add(loss, tf.mul(lw, whereWeight)) as tf.Scalar;
    }
  }
  return loss;
}

/** One DDPM draw on a batch of edits (Ho et al. 2020, Eq. 4), on the residual r0 = (target - source) / 2. */
export interface ResidualDiffusionBatch {
  /** [B, H, W, 3] each. */
  source: tf.Tensor4D;
  r0: tf.Tensor4D;
  /** Timestep per item. */
  t: number[];
  /** x_t = addNoise(r0) and the scheduler's training target (x0, epsilon or v). */
  noisy: tf.Tensor4D;
  target: tf.Tensor4D;
}

/** Stacks the edits and draws t (one per item), then the noise, from `rng`. Call inside tf.tidy (or the gradient tape). */
export function residualDiffusionBatch(ex: readonly Pick<EditExample, "source" | "target">[], size: number, sched: DDIMScheduler, rng: Rng): ResidualDiffusionBatch {
  const B = ex.length;
  const source = imageBatch(ex.map((x) => x.source), size);
  const r0 = editResidual(imageBatch(ex.map((x) => x.target), size), source); // [B, H, W, 3]
  const t = Array.from({ length: B }, () => rng.int(0, sched.numTrainTimesteps));
  const noise = tf.tensor4d(rng.normalArray(B * size * size * 3), [B, size, size, 3]);
  const noisy = sched.addNoise(r0, noise, t) as tf.Tensor4D;
  const target = sched.trainingTarget(r0, noise, t) as tf.Tensor4D;
  return { source, r0, t, noisy, target };
}

/** What `editStepLoss` returns and how it weighs its optional terms (each weight 0, and `part` "total", when absent). */
export interface EditStepOptions {
  /** "total": L_condition + w L_edit and the weighted extra terms; "edit": L_edit alone (the InsPix2Pix-like denoiser). */
  part: "total" | "edit";
  regionWeight: number;
  mapWeight: number;
  whereWeight: number;
  whereForcing: number;
  whereObjectWeight: number;
  whereOffsetWeight: number;
  whereScaleWeight: number;
  /** With the offset loss: removals (kind "remove") are taught offset [0, 0] ("no move") in place of being left out. */
  offsetStillRemovals: boolean;
  /** With where forcing and a colour plan: the spread of the brightness jitter on the forced items' plan (recipe planJitter; 0: none). */
  planJitter: number;
}

/**
 * Stage II loss on a batch of edits: L_condition + w L_edit with a DDPM draw of t and noise;
 * options (EditStepOptions; absent ones are off): `part: "edit"` returns L_edit alone (the InsPix2Pix-like baseline has no language head to train);
 * `regionWeight` > 0 weighs the changed pixels 1 + regionWeight in L_edit (losses.ts regionPixelWeights);
 * `mapWeight` > 0 adds the edit map's localisation loss (edit-map.ts mapLoss) to the total, when the editor has the map;
 * `whereWeight` > 0 adds the aligned path's where loss (aligned-targets.ts whereLoss), when the editor has it;
 * `whereForcing` > 0 gives each item, with that probability (one draw per item from `rng`, after the
 * condition dropout's), the true changed share as the bilinear where head's gate (aligned.ts gatedSpatial);
 * `whereObjectWeight` > 0 adds the object-level where loss (aligned-targets.ts whereObjectLoss) over each edit's `objects`;
 * `whereOffsetWeight` > 0 adds the offset head's loss (aligned-targets.ts offsetLoss) against each edit's `objects.offset`;
 * `whereScaleWeight` > 0 adds the scale head's loss (aligned-targets.ts scaleLoss) against each edit's `objects.scale`;
 * `offsetStillRemovals` teaches the offset head "no move" on removals, which have no offset of their own;
 * `planJitter` > 0 (with whereForcing) scales the brightness of the truth's plan the forced items' denoiser reads by
 * exp(planJitter z), z ~ N(0, 1) per item and per patch (drawn from `rng` after the forcing's draws).
 */
export function editStepLoss(e: Editor, ex: readonly EditExample[], sched: DDIMScheduler, rng: Rng, options: Partial<EditStepOptions> = {}): tf.Scalar {
  const { part = "total", regionWeight = 0, mapWeight = 0, whereWeight = 0, whereForcing = 0, whereObjectWeight = 0, whereOffsetWeight = 0, whereScaleWeight = 0, offsetStillRemovals = false, planJitter = 0 } = options;
  if (whereObjectWeight > 0 && ex.some((x) => x.objects === undefined)) throw new Error("editStepLoss: the object-level where loss needs each edit's objects (the data engine's spatial edits, engineData)");
  if (whereOffsetWeight > 0 && ex.some((x) => x.objects === undefined)) throw new Error("editStepLoss: the offset loss needs each edit's objects (the data engine's spatial edits, engineData)");
  if (whereScaleWeight > 0 && ex.some((x) => x.objects === undefined)) throw new Error("editStepLoss: the scale loss needs each edit's objects (the data engine's spatial edits, engineData)");
  const B = ex.length;
  const { source, r0, t, noisy, target } = residualDiffusionBatch(ex, e.config.image, sched, rng);
  const drop = conditionDropout(rng, B, e.config);
  const layout = editorLayout(e, ex.map((x) => x.instruction), ex.map((x) => x.condition));
  const pixelWeights = regionWeight > 0 ? regionPixelWeights(r0, regionWeight) : undefined;
  const forced = whereForcing > 0 ? Array.from({ length: B }, () => rng.bool(whereForcing)) : null;
  if (planJitter > 0 && forced === null) throw new Error("editStepLoss: planJitter jitters the forced items' plan; it needs whereForcing > 0");
  const N = (e.config.image / e.config.dnPatch) ** 2;
  const jitter = planJitter > 0 ? brightnessJitter(rng, B, N, planJitter) : undefined;
  const r = stage2Loss(e, { source, layout, noisy, t, target, dropText: drop.dropText, dropImage: drop.dropImage, pixelWeights, ...(mapWeight > 0 ? { mapTarget: { r0, weight: mapWeight } } : {}), ...(whereWeight > 0 ? { whereTarget: { r0, weight: whereWeight } } : {}), ...(forced ? { whereForce: { r0, forced, ...(jitter ? { planJitter: jitter } : {}) } } : {}), ...(whereObjectWeight > 0 ? { whereObjects: { targets: objectWhereTargets(ex.map((x) => x.objects), e.config), weight: whereObjectWeight } } : {}), ...(whereOffsetWeight > 0 ? { whereOffset: { targets: offsetTargets(ex.map((x) => (offsetStillRemovals && x.kind === "remove" && x.objects !== undefined && x.objects.offset === undefined ? { ...x.objects, offset: [0, 0] as const } : x.objects)), e.config), weight: whereOffsetWeight } } : {}), ...(whereScaleWeight > 0 ? { whereScale: { targets: scaleTargets(ex.map((x) => x.objects)), weight: whereScaleWeight } } : {}) });
  return part === "edit" ? r.edit : r.loss;
}

/**
 * Per item and patch, the factor exp(spread (z_item + z_patch)) [B, N, 1] (z ~ N(0, 1), the B item draws first, then the
 * B x N patch draws) that planJitter scales a plan colour's bytes by.
 */
export function brightnessJitter(rng: Rng, B: number, N: number, spread: number): tf.Tensor3D {
  const items = rng.normalArray(B);
  const patches = rng.normalArray(B * N);
  return tf.tensor3d(Float32Array.from(patches, (z, k) => Math.exp(spread * (items[Math.floor(k / N)] + z))), [B, N, 1]);
}
