/**
 * Aligned, instruction-aware image states (ours, not in the paper; `config.aligned`). The editor's
 * MLLM is causal and reads the image before the instruction, so its states at the image tokens cannot
 * know which object the instruction names; the edit map (edit-map.ts) tried to recover "where" from
 * them and put a third of its mass on the changed patches. The oracle-render study
 * (lib/eval/oracle-render.ts) measured that the denoiser renders 59% of SpatialEval-mini when a true
 * per-patch "where" is added to its patch tokens, 4% when it comes through cross-attention.
 *
 * Here the MLLM gets one [LOC] row per image token (mllm.ts `loc`): the image token's embedding plus a
 * learned marker, at the image token's position, appended after the sequence. A [LOC] row sees its
 * item's prompt, image tokens, instruction and <sep> (and the other [LOC] rows), never the [IMG]
 * tokens or the condition, and no other row sees it: so it is patch-aligned, it has read the
 * instruction, training and editing give it the same state, and every other state of the editor is
 * the same as without it. Per denoiser patch n (N = (image / dnPatch)^2):
 *   u_n   = U Lin_s(LOC states)_n + Lin_e(Enc tokens)_n     [B, N, dnD]  (U: nearest-cell resampling to the denoiser's grid)
 *   z_n   = relu(u_n)
 *   S     = Lin_out(z)                                      [B, N, dnD]  added to the denoiser's patch tokens (`spatial`)
 *   where = Lin_where(z)                                    [B, N]       logit of "the edit changes this patch"
 * The encoder's tokens come in because the MLLM's image grid is coarser than the denoiser's (adapterMerge);
 * the relu lets a patch's own features (its object's colour: the encoder probe reads it at 96%) meet the
 * instruction-aware state of its cell. Lin_out starts at zero, so the editor starts as without this path.
 *
 * With `alignedWhere: "bilinear"` the where logit instead matches each patch against the instruction:
 *   q     = Lin_q(mean of the [IMG] states)                [B, dnD]     (they have read the image and the instruction)
 *   where = (Lin_k(z)_n . q) / sqrt(dnD)                   [B, N]
 *   S     = Lin_out(z) + sigmoid(where) g                  g [dnD], zero at the start
 * With `alignedWhat` the gated vector also carries what the instruction asks for:
 *   S     = Lin_out(z) + sigmoid(where) (g + Lin_what(mean of the [IMG] states))     Lin_what [d, dnD], zero at the start
 * With `alignedPlan` each patch also gets a predicted edit plan, its mean target colour over the pixels the edit changes:
 *   h_n   = relu(z_n + Lin_ph(mean of the [IMG] states))                               [B, N, dnD]
 *   plan  = Lin_po(h)                                                                   [B, N, 3]
 *   S     = Lin_out(z) + sigmoid(where) (g [+ Lin_what(...)] + Lin_pi(plan))            Lin_pi [3, dnD], zero at the start
 * With `alignedPlanGate: "open"` the plan instead comes in at full strength once a patch's gate reaches one pixel's share:
 *   S     = Lin_out(z) + sigmoid(where) (g [+ Lin_what(...)]) + min(1, P^2 sigmoid(where)) Lin_pi(plan)    P = dnPatch
 * (the oracle-render study: the same truth renders less when a patch's colour is scaled by its changed share).
 * With `alignedPlan: "attend"` each patch also reads the instruction's words (their MLLM states w_l, padding masked):
 *   h_n   = relu(z_n + Lin_ph(mean of the [IMG] states) + sum_l a_nl Lin_pv(w_l)),  a_n = softmax_l(Lin_pq(z_n) . Lin_pk(w_l) / sqrt(dnD))
 * so that a patch can take the new colour, shape or place from the word that names it rather than from one mean vector.
 * With `alignedPlan: "palette"` the plan is a choice among the engine's K = 8 colours rather than a regressed colour:
 *   logits = Lin_po(h)                                                                  [B, N, K]
 *   S     = Lin_out(z) + sigmoid(where) (g [+ Lin_what(...)] + Lin_pi(softmax(logits)))   Lin_pi [K, dnD], zero at the start
 * trained by cross-entropy against the palette colour nearest in chromaticity to the truth's plan (`planPaletteLoss`),
 * and forced items get that colour's one-hot; its `plan` (diagnostics) is the expected palette colour. A regressed
 * colour that hesitates between two colours lands between them (and a named-colour judge then fails it); a
 * distribution over the palette that hesitates still names the two colours it hesitates between.
 * With `alignedRefer` R (ours) a referring decoder of R pre-LN blocks (lib/nn cross-block: self-attention over the
 * patches, cross-attention to Lin_rw(words), an MLP) turns z into z' before the where keys and the plan read it:
 *   z'    = Refer(z, Lin_rw(w))                                                         [B, N, dnD]
 *   where = (Lin_k(z')_n . q) / sqrt(dnD)
 * so that a patch can compare itself with the other patches under the words ("the furthest-left brown cylinder"),
 * with trainable MLPs: the MLLM's are frozen in attention tuning, and its [LOC] rows ground a named object no better
 * than chance (README). The ungated part Lin_out(z) keeps z.
 * With `alignedOffset` (ours) an offset head predicts how far the edit moves the object it changes, in denoiser patches:
 *   offset = Lin_oo(relu(Lin_oh(mean of the [IMG] states)))                            [B, 2] (dx right, dy down; Lin_oo zero at the start)
 * trained against the changed object's visible centre shift (aligned-targets.ts offsetLoss); nothing the denoiser reads
 * depends on it in training, and the `object+offset` gate decoding (gate-decode.ts) uses it at editing time.
 * With `alignedScale` (ours) a scale head, of the same form, predicts the log of how much the edit grows the changed object's
 * visible extent:
 *   logScale = Lin_so(relu(Lin_sh(mean of the [IMG] states)))                          [B, 1] (Lin_so zero at the start: scale 1)
 * trained against the truth's (aligned-targets.ts scaleLoss) and read by the `object+move` gate decoding.
 * Either plan is trained (`planLoss`, with the where loss's weight) against the truth's per-patch colour, weighted by the patch's
 * changed share; where forcing also gives the forced items the truth's plan. This is the oracle-render study's aligned
 * oracle (per patch where and target colour: 0.59 at 1,000 steps) with both halves predicted.
 * A linear read of z can only find what z holds; the [LOC] rows would have to compute "this patch
 * matches the named object" inside the MLLM. The product puts the match in the head, as referring
 * segmentation heads do (a [SEG]-like token's state against per-pixel features).
 *
 * The training targets and losses below live in aligned-targets.ts.
 * `whereLoss`: binary cross-entropy of the where logits against the share of each patch's pixels the
 * training edit changes (recipe `whereLossWeight`).
 *
 * `whereObjectLoss` (ours; recipe `whereObjectLossWeight`): the where head as a choice among the source's objects, the
 * decision the `object` gate decoding (gate-decode.ts) makes when it edits. Per object r its score is its coverage-weighted
 * mean logit s_r = sum_n c_rn where_n / sum_n c_rn; cross-entropy of softmax_r(s) against the object the edit changes.
 *
 * `gatedSpatial` (bilinear head only) puts another per-patch gate in place of sigmoid(where):
 *   S'    = Lin_out(z) + gate g                             gate [B, N] in [0, 1]
 * Stage II's where forcing (recipe `whereForcing`, ours) gives the denoiser, for a share of the items,
 * the true changed share of each patch as the gate (teacher forcing: the oracle-render study's "where"
 * through the same channel the predicted one uses), so that the denoiser learns to use the channel while
 * the where head is still poor; editing always uses the predicted gate, except in the oracle-where
 * diagnostic (lib/eval/trained-editor.ts whereOracleEditor), which gives it the truth's.
 *
 * Parameter names (in the `edit` group, so every tuning mode trains them): `edit.loc.marker` [1, d],
 * `edit.loc.s.{w,b}` [d, dnD], `edit.loc.e.{w,b}` [encD, dnD], `edit.loc.out.{w,b}` [dnD, dnD] (zeros),
 * `edit.loc.where.{w,b}` [dnD, 1] (additive); `edit.loc.q.{w,b}` [d, dnD], `edit.loc.k.{w,b}` [dnD, dnD],
 * `edit.loc.gate` [dnD] (zeros) (bilinear); `edit.loc.what.{w,b}` [d, dnD] (zeros) (alignedWhat); `edit.loc.plan.{h,o,i}.*`
 * (alignedPlan; `i` zeros), `edit.loc.plan.{q,k,v}.*` ("attend"), `edit.loc.plan.s.{w,b}` [dnPatch^2 x 3, dnD] (zeros) (alignedPlanSource); `edit.loc.refer.words.*` [d, dnD] and
 * `edit.loc.refer.${l}.*` (alignedRefer); `edit.loc.offset.h.{w,b}` [d, dnD], `edit.loc.offset.o.{w,b}` [dnD, 2] (zeros) (alignedOffset); `edit.loc.scale.h.{w,b}` [d, dnD], `edit.loc.scale.o.{w,b}` [dnD, 1] (zeros) (alignedScale).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { crossStack, initCrossStack, type CrossBlockConfig } from "../../nn/cross-block";
import { constVariable, initLinear, linear, normalVariable, type Params } from "../../nn/layers";
import { planOn, type EditorConfig } from "./config";
import { resampleTokens } from "./edit-map";
import { paletteOneHot, PLAN_PALETTE } from "./palette";

export const ALIGNED_PREFIX = "edit.loc.";

/** Whether a weight name belongs to the aligned path (absent from editors made without it). */
export function isAlignedParam(name: string): boolean {
  return name.startsWith(ALIGNED_PREFIX);
}

export function initAligned(rng: Rng, c: EditorConfig): Params {
  return {
    "edit.loc.marker": normalVariable(rng.fork("marker"), [1, c.d], c.initStd),
    ...initLinear(rng.fork("s"), c.d, c.dnD, "edit.loc.s"),
    ...initLinear(rng.fork("e"), c.encD, c.dnD, "edit.loc.e"),
    "edit.loc.out.w": constVariable([c.dnD, c.dnD], 0),
    "edit.loc.out.b": constVariable([c.dnD], 0),
    ...(bilinearWhere(c)
      ? { ...initLinear(rng.fork("q"), c.d, c.dnD, "edit.loc.q"), ...initLinear(rng.fork("k"), c.dnD, c.dnD, "edit.loc.k"), "edit.loc.gate": constVariable([c.dnD], 0), ...(c.alignedWhat === true ? { "edit.loc.what.w": constVariable([c.d, c.dnD], 0), "edit.loc.what.b": constVariable([c.dnD], 0) } : {}), ...(planOn(c) ? initPlan(rng, c) : {}), ...(c.alignedRefer !== undefined ? initRefer(rng, c) : {}), ...(c.alignedOffset === true ? initOffset(rng, c) : {}), ...(c.alignedScale === true ? initScale(rng, c) : {}) }
      : initLinear(rng.fork("where"), c.dnD, 1, "edit.loc.where")),
  };
}

/** The width of what the plan gives the gate: 3 (a colour) or the palette's K (its probabilities, "palette"). */
export function planWidth(c: Pick<EditorConfig, "alignedPlan">): number {
  return c.alignedPlan === "palette" ? PLAN_PALETTE.length : 3;
}

/** The edit plan's weights (alignedPlan), with the attention over the instruction's words for "attend". */
function initPlan(rng: Rng, c: EditorConfig): Params {
  const w = planWidth(c);
  return {
    ...initLinear(rng.fork("plan-h"), c.d, c.dnD, "edit.loc.plan.h"),
    ...initLinear(rng.fork("plan-o"), c.dnD, w, "edit.loc.plan.o"),
    "edit.loc.plan.i.w": constVariable([w, c.dnD], 0),
    "edit.loc.plan.i.b": constVariable([c.dnD], 0),
    ...(c.alignedPlan === "attend" ? { ...initLinear(rng.fork("plan-q"), c.dnD, c.dnD, "edit.loc.plan.q"), ...initLinear(rng.fork("plan-k"), c.d, c.dnD, "edit.loc.plan.k"), ...initLinear(rng.fork("plan-v"), c.d, c.dnD, "edit.loc.plan.v") } : {}),
    ...(c.alignedPlanSource === true ? { "edit.loc.plan.s.w": constVariable([c.dnPatch * c.dnPatch * 3, c.dnD], 0), "edit.loc.plan.s.b": constVariable([c.dnD], 0) } : {}),
  };
}

/** The offset head's weights (alignedOffset): a hidden layer of dnD over the mean [IMG] state, and an output layer at zero (it starts at "no move"). */
function initOffset(rng: Rng, c: EditorConfig): Params {
  return { ...initLinear(rng.fork("offset-h"), c.d, c.dnD, "edit.loc.offset.h"), "edit.loc.offset.o.w": constVariable([c.dnD, 2], 0), "edit.loc.offset.o.b": constVariable([2], 0) };
}

/** The scale head's weights (alignedScale): as the offset head's, with one output, the log scale, at zero (it starts at "the same size"). */
function initScale(rng: Rng, c: EditorConfig): Params {
  return { ...initLinear(rng.fork("scale-h"), c.d, c.dnD, "edit.loc.scale.h"), "edit.loc.scale.o.w": constVariable([c.dnD, 1], 0), "edit.loc.scale.o.b": constVariable([1], 0) };
}

/** The referring decoder's layers: patches of width dnD over the instruction's words, brought to dnD. */
export function referConfig(c: Pick<EditorConfig, "dnD" | "dnHeads" | "dnFF">): CrossBlockConfig {
  return { dModel: c.dnD, nHeads: c.dnHeads, dFF: c.dnFF, modulated: false };
}

function initRefer(rng: Rng, c: EditorConfig): Params {
  return { ...initLinear(rng.fork("refer-words"), c.d, c.dnD, "edit.loc.refer.words"), ...initCrossStack(rng.fork("refer"), referConfig(c), c.alignedRefer!, "edit.loc.refer") };
}

/** Whether the editor needs the instruction's words (an attending plan, a referring decoder or an object head). */
export function readsWords(c: Pick<EditorConfig, "alignedPlan" | "alignedRefer" | "alignedObjects">): boolean {
  return c.alignedPlan === "attend" || c.alignedRefer !== undefined || c.alignedObjects !== undefined;
}

/**
 * The referring decoder: the patch states z [B, N, dnD] self-attend and cross-attend to the instruction's words
 * (Lin_rw(w) [B, L, dnD], padding masked) in `alignedRefer` pre-LN blocks -> [B, N, dnD]. Call inside tf.tidy.
 */
function refer(p: Params, c: EditorConfig, z: tf.Tensor3D, words: InstructionWords): tf.Tensor3D {
  const [B, N] = z.shape;
  const L = words.mask.shape[1];
  const mask = tf.tile(tf.reshape(paddingBias(words), [B, 1, 1, L]), [1, 1, N, 1]) as tf.Tensor4D; // [B, 1, N, L]
  return crossStack(z, linear(words.states, p, "edit.loc.refer.words") as tf.Tensor3D, p, referConfig(c), c.alignedRefer!, "edit.loc.refer", { contextMask: mask }).hidden;
}

/** Whether the editor's where head is the bilinear one. */
export function bilinearWhere(c: Pick<EditorConfig, "alignedWhere">): boolean {
  return c.alignedWhere === "bilinear";
}

/** Whether an editor has a where gate the denoiser reads: the aligned path with the bilinear head, and image tokens. */
export function hasWhereGate(c: Pick<EditorConfig, "aligned" | "alignedWhere">, imageTokens: boolean): boolean {
  return c.aligned === true && bilinearWhere(c) && imageTokens;
}

export interface AlignedResult {
  /** The condition placed on the denoiser's patches [B, N, dnD] (its `spatial` input). */
  spatial: tf.Tensor3D;
  /** Per patch, the logit of "the edit changes it" [B, N]. */
  where: tf.Tensor2D;
  /** The bilinear head's Lin_out(z) [B, N, dnD], the part of `spatial` without the gate (absent with the additive head). */
  ungated?: tf.Tensor3D;
  /** The vector the bilinear head's gate places on each patch: g [dnD], or with `alignedWhat` g + Lin_what(...) [B, 1, dnD] (the plan's part not included). */
  gated?: tf.Tensor;
  /** With `alignedPlan`: each patch's predicted mean target colour of its changed pixels [B, N, 3] ("palette": the expected palette colour). */
  plan?: tf.Tensor3D;
  /** With `alignedPlan`: what Lin_pi reads, the plan itself [B, N, 3] or ("palette") its probabilities over the palette [B, N, K]. */
  planCode?: tf.Tensor3D;
  /** With `alignedPlan: "palette"`: the plan's logits over the palette [B, N, K]. */
  planLogits?: tf.Tensor3D;
  /** With `alignedPlanGate: "open"`: dnPatch^2, the factor of the gate that lets the plan in (min(1, planOpen gate)). */
  planOpen?: number;
  /** With `alignedOffset`: how far the edit moves the object it changes, [B, 2] in denoiser patches (dx right, dy down). */
  offset?: tf.Tensor2D;
  /** With `alignedScale`: the log of how much the edit grows the visible extent of the object it changes, [B, 1]. */
  logScale?: tf.Tensor2D;
  /** With `alignedObjects`: what the object head (object-head.ts) reads, the patches after the referring decoder [B, N, dnD] and the instruction's words. */
  objectReads?: { referred: tf.Tensor3D; words: InstructionWords };
}

/**
 * The aligned path from the [LOC] states [B, Ni, d], the encoder's tokens [B, Ne, encD] and (the
 * bilinear head's query) the [IMG] states [B, k, d]. Call inside tf.tidy.
 */
export function alignedSpatial(p: Params, c: EditorConfig, locStates: tf.Tensor3D, encTokens: tf.Tensor3D, imgStates?: tf.Tensor3D, words?: InstructionWords, source?: tf.Tensor4D): AlignedResult {
  const B = locStates.shape[0];
  if (c.alignedPlanSource === true && source === undefined) throw new Error("aligned: the plan reads the source's pixels (alignedPlanSource); pass the source images");
  if (encTokens.shape[0] !== B) throw new Error(`aligned: ${B} [LOC] rows but ${encTokens.shape[0]} encoder rows`);
  const g = c.image / c.dnPatch; // the denoiser's grid side
  const u = tf.add(resampleTokens(linear(locStates, p, "edit.loc.s") as tf.Tensor3D, g), resampleTokens(linear(encTokens, p, "edit.loc.e") as tf.Tensor3D, g)); // [B, N, dnD]
  const z = tf.relu(u) as tf.Tensor3D;
  const out = linear(z, p, "edit.loc.out") as tf.Tensor3D; // [B, N, dnD]
  if (!bilinearWhere(c)) {
    const where = (linear(z, p, "edit.loc.where") as tf.Tensor3D).reshape([B, g * g]) as tf.Tensor2D; // [B, N]
    return { spatial: out, where };
  }
  if (imgStates === undefined || imgStates.shape[0] !== B) throw new Error(`aligned: the bilinear where head needs the [IMG] states of the ${B} items`);
  const imgMean = tf.mean(imgStates, 1) as tf.Tensor2D; // [B, d]
  if (readsWords(c) && (words === undefined || words.states.shape[0] !== B)) throw new Error(`aligned: this editor reads the instruction's words (alignedPlan "attend", alignedRefer or alignedObjects); pass those of the ${B} items`);
  const zr = c.alignedRefer !== undefined ? refer(p, c, z, words!) : z; // [B, N, dnD] the patches after the referring decoder
  const q = linear(imgMean, p, "edit.loc.q") as tf.Tensor2D; // [B, dnD]
  const k = linear(zr, p, "edit.loc.k") as tf.Tensor3D; // [B, N, dnD]
  const where = tf.div(tf.squeeze(tf.matMul(k, tf.expandDims(q, 2)), [2]), Math.sqrt(c.dnD)) as tf.Tensor2D; // [B, N]
  const gated = c.alignedWhat === true ? tf.add(p["edit.loc.gate"], tf.expandDims(linear(imgMean, p, "edit.loc.what"), 1)) : p["edit.loc.gate"]; // [B, 1, dnD] or [dnD]
  const planned = planOn(c) ? planParts(editPlan(p, c, zr, imgMean, words, c.alignedPlanSource === true ? patchPixels(source!, c.dnPatch) : undefined), c.alignedPlan === "palette") : {};
  const planOpen = planned.planCode !== undefined && c.alignedPlanGate === "open" ? c.dnPatch * c.dnPatch : undefined;
  const spatial = gatedSum(p, out, tf.sigmoid(where) as tf.Tensor2D, gated, planned.planCode, planOpen); // [B, N, dnD]
  const offset = c.alignedOffset === true ? (linear(tf.relu(linear(imgMean, p, "edit.loc.offset.h")), p, "edit.loc.offset.o") as tf.Tensor2D) : undefined; // [B, 2]
  const logScale = c.alignedScale === true ? (linear(tf.relu(linear(imgMean, p, "edit.loc.scale.h")), p, "edit.loc.scale.o") as tf.Tensor2D) : undefined; // [B, 1]
  return { spatial, where, ungated: out, gated, ...planned, ...(planOpen !== undefined ? { planOpen } : {}), ...(offset !== undefined ? { offset } : {}), ...(logScale !== undefined ? { logScale } : {}), ...(c.alignedObjects !== undefined ? { objectReads: { referred: zr, words: words! } } : {}) };
}

/** The plan head's output [B, N, 3 or K] as the result's plan, the code Lin_pi reads and ("palette") the logits. */
function planParts(out: tf.Tensor3D, palette: boolean): Pick<AlignedResult, "plan" | "planCode" | "planLogits"> {
  if (!palette) return { plan: out, planCode: out };
  const probs = tf.softmax(out, -1) as tf.Tensor3D; // [B, N, K]
  const [B, N, K] = probs.shape;
  const plan = tf.matMul(probs.reshape([B * N, K]), tf.tensor2d(PLAN_PALETTE.map((c) => [...c]), [K, 3])).reshape([B, N, 3]) as tf.Tensor3D;
  return { plan, planCode: probs, planLogits: out };
}

/** Each denoiser patch's pixels of images [B, H, W, C] as one row [B, N, patch^2 C] (patches row-major, pixels row-major within). Call inside tf.tidy. */
export function patchPixels(images: tf.Tensor4D, patch: number): tf.Tensor3D {
  const [B, H, W, C] = images.shape;
  if (H % patch !== 0 || W % patch !== 0) throw new Error(`patchPixels: image ${H}x${W} is not divisible by patch ${patch}`);
  return tf.transpose(images.reshape([B, H / patch, patch, W / patch, patch, C]), [0, 1, 3, 2, 4, 5]).reshape([B, (H / patch) * (W / patch), patch * patch * C]) as tf.Tensor3D;
}

/** The instruction's words as the MLLM left them: states [B, L, d] (L: the batch's longest instruction) and 1 for a word, 0 for padding [B, L]. */
export interface InstructionWords {
  states: tf.Tensor3D;
  mask: tf.Tensor2D;
}

/** The additive attention bias of the words [B, 1, L]: 0 on a word, -1e9 on padding (both word readers use it). */
export function paddingBias(words: InstructionWords): tf.Tensor3D {
  return tf.mul(tf.sub(1, tf.expandDims(words.mask, 1)), -1e9) as tf.Tensor3D;
}

/**
 * The edit plan [B, N, 3] ("palette": its logits [B, N, K]) from the patches' z [B, N, dnD] and the mean [IMG] state [B, d]; with "attend", each
 * patch's query Lin_pq(z_n) also reads the instruction's words (softmax over them, padding masked):
 *   h_n = relu(z_n + Lin_ph(mean [IMG]) + sum_l a_nl Lin_pv(w_l)),  a_n = softmax_l(Lin_pq(z_n) . Lin_pk(w_l) / sqrt(dnD))
 */
function editPlan(p: Params, c: EditorConfig, z: tf.Tensor3D, imgMean: tf.Tensor2D, words?: InstructionWords, pixels?: tf.Tensor3D): tf.Tensor3D {
  let h: tf.Tensor = tf.add(z, tf.expandDims(linear(imgMean, p, "edit.loc.plan.h"), 1)); // [B, N, dnD]
  if (pixels !== undefined) h = tf.add(h, linear(pixels, p, "edit.loc.plan.s")); // + Lin_ps(the patch's source pixels)
  if (c.alignedPlan === "attend") {
    h = tf.add(h, planAttention(p, c, z, words!).context);
  }
  return linear(tf.relu(h), p, "edit.loc.plan.o") as tf.Tensor3D;
}

/** The attending plan's read of the words: weights [B, N, L] and context [B, N, dnD]. Call inside tf.tidy. */
export function planAttention(p: Params, c: Pick<EditorConfig, "dnD">, z: tf.Tensor3D, words: InstructionWords): { weights: tf.Tensor3D; context: tf.Tensor3D } {
  const q = linear(z, p, "edit.loc.plan.q") as tf.Tensor3D; // [B, N, dnD]
  const k = linear(words.states, p, "edit.loc.plan.k") as tf.Tensor3D; // [B, L, dnD]
  const v = linear(words.states, p, "edit.loc.plan.v") as tf.Tensor3D; // [B, L, dnD]
  const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(c.dnD)); // [B, N, L]
  const masked = tf.add(scores, paddingBias(words)); // [B, N, L] + [B, 1, L]
  const weights = tf.softmax(masked, -1) as tf.Tensor3D;
  return { weights, context: tf.matMul(weights, v) as tf.Tensor3D };
}

/**
 * The bilinear head's spatial condition from its ungated part [B, N, dnD], the gate [B, N] in [0, 1] and the gated vector:
 * ungated + gate gated; with an edit plan + gate Lin_pi(plan code), or with `open` (alignedPlanGate "open": dnPatch^2)
 * + min(1, open gate) Lin_pi(plan code). Call inside tf.tidy.
 */
function gatedSum(p: Params, ungated: tf.Tensor3D, gate: tf.Tensor2D, gated: tf.Tensor, planCode?: tf.Tensor3D, open?: number): tf.Tensor3D {
  const g = tf.expandDims(gate, 2); // [B, N, 1]
  if (planCode === undefined) return tf.add(ungated, tf.mul(g, gated)) as tf.Tensor3D;
  const planned = linear(planCode, p, "edit.loc.plan.i"); // [B, N, dnD]
  if (open === undefined) return tf.add(ungated, tf.mul(g, tf.add(gated, planned))) as tf.Tensor3D;
  return tf.add(tf.add(ungated, tf.mul(g, gated)), tf.mul(tf.minimum(tf.mul(g, open), 1), planned)) as tf.Tensor3D;
}


/**
 * The bilinear head's spatial condition with `gate` [B, N] (values in [0, 1]) in place of
 * sigmoid(where) for the items marked in `forced` (all items when omitted); the others keep the
 * predicted gate (and its gradient). With an edit plan, `plan.truth` [B, N, 3] (colours) is the forced items'
 * plan ("palette": as the one-hot of its nearest palette colour); without it every item keeps its own; with `plan.patches`
 * [B, N] (1 or 0) only the marked patches take it, the others keep their own. Call inside tf.tidy.
 */
export function gatedSpatial(a: AlignedResult, gate: tf.Tensor2D, forced?: readonly boolean[], plan?: { p: Params; truth?: tf.Tensor3D; patches?: tf.Tensor2D }): tf.Tensor3D {
  if (a.ungated === undefined || a.gated === undefined) throw new Error("gatedSpatial: only the bilinear where head has a gate (editor config alignedWhere: 'bilinear')");
  const [B, N] = a.where.shape;
  if (gate.shape[0] !== B || gate.shape[1] !== N) throw new Error(`gatedSpatial: gate [${gate.shape.join(", ")}] does not match the where logits [${B}, ${N}]`);
  if (forced !== undefined && forced.length !== B) throw new Error(`gatedSpatial: ${forced.length} flags for ${B} items`);
  const m = tf.tensor2d(Array.from({ length: B }, (_, b) => (forced === undefined || forced[b] ? 1 : 0)), [B, 1]); // [B, 1]
  const g = tf.add(tf.mul(m, gate), tf.mul(tf.sub(1, m), tf.sigmoid(a.where))); // [B, N]
  if (a.planCode === undefined) return gatedSum({}, a.ungated, g as tf.Tensor2D, a.gated); // [B, N, dnD]
  if (plan === undefined) throw new Error("gatedSpatial: this editor predicts an edit plan (alignedPlan); pass its parameters (and the forced items' plan)");
  if (plan.patches !== undefined && (plan.patches.shape[0] !== B || plan.patches.shape[1] !== N)) throw new Error(`gatedSpatial: plan patches [${plan.patches.shape.join(", ")}] do not match the where logits [${B}, ${N}]`);
  const m3 = plan.patches === undefined ? tf.expandDims(m, 2) : tf.mul(tf.expandDims(m, 2), tf.expandDims(plan.patches, 2)); // [B, 1, 1] or [B, N, 1]
  const truth = plan.truth === undefined ? a.planCode : a.planLogits !== undefined ? paletteOneHot(plan.truth) : plan.truth; // [B, N, 3 or K]
  const mixed = tf.add(tf.mul(m3, truth), tf.mul(tf.sub(1, m3), a.planCode)) as tf.Tensor3D; // [B, N, 3 or K]
  return gatedSum(plan.p, a.ungated, g as tf.Tensor2D, a.gated, mixed, a.planOpen); // [B, N, dnD]
}
