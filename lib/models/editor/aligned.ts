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
 * Either plan is trained (`planLoss`, with the where loss's weight) against the truth's per-patch colour, weighted by the patch's
 * changed share; where forcing also gives the forced items the truth's plan. This is the oracle-render study's aligned
 * oracle (per patch where and target colour: 0.59 at 1,000 steps) with both halves predicted.
 * A linear read of z can only find what z holds; the [LOC] rows would have to compute "this patch
 * matches the named object" inside the MLLM. The product puts the match in the head, as referring
 * segmentation heads do (a [SEG]-like token's state against per-pixel features).
 *
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
 * (alignedPlan; `i` zeros), `edit.loc.plan.{q,k,v}.*` ("attend"); `edit.loc.refer.words.*` [d, dnD] and
 * `edit.loc.refer.${l}.*` (alignedRefer).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { crossStack, initCrossStack, type CrossBlockConfig } from "../../nn/cross-block";
import { constVariable, initLinear, linear, normalVariable, type Params } from "../../nn/layers";
import { planOn, type EditorConfig } from "./config";
import { perPatchChange, resampleTokens } from "./edit-map";
import { changedPixels } from "./losses";
import { paletteOneHot, PLAN_PALETTE } from "./palette";
import { objectCoverages, tokenCoverage } from "./grounding";

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
      ? { ...initLinear(rng.fork("q"), c.d, c.dnD, "edit.loc.q"), ...initLinear(rng.fork("k"), c.dnD, c.dnD, "edit.loc.k"), "edit.loc.gate": constVariable([c.dnD], 0), ...(c.alignedWhat === true ? { "edit.loc.what.w": constVariable([c.d, c.dnD], 0), "edit.loc.what.b": constVariable([c.dnD], 0) } : {}), ...(planOn(c) ? initPlan(rng, c) : {}), ...(c.alignedRefer !== undefined ? initRefer(rng, c) : {}) }
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
  };
}

/** The referring decoder's layers: patches of width dnD over the instruction's words, brought to dnD. */
export function referConfig(c: Pick<EditorConfig, "dnD" | "dnHeads" | "dnFF">): CrossBlockConfig {
  return { dModel: c.dnD, nHeads: c.dnHeads, dFF: c.dnFF, modulated: false };
}

function initRefer(rng: Rng, c: EditorConfig): Params {
  return { ...initLinear(rng.fork("refer-words"), c.d, c.dnD, "edit.loc.refer.words"), ...initCrossStack(rng.fork("refer"), referConfig(c), c.alignedRefer!, "edit.loc.refer") };
}

/** Whether the editor needs the instruction's words (an attending plan or a referring decoder). */
export function readsWords(c: Pick<EditorConfig, "alignedPlan" | "alignedRefer">): boolean {
  return c.alignedPlan === "attend" || c.alignedRefer !== undefined;
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
}

/**
 * The aligned path from the [LOC] states [B, Ni, d], the encoder's tokens [B, Ne, encD] and (the
 * bilinear head's query) the [IMG] states [B, k, d]. Call inside tf.tidy.
 */
export function alignedSpatial(p: Params, c: EditorConfig, locStates: tf.Tensor3D, encTokens: tf.Tensor3D, imgStates?: tf.Tensor3D, words?: InstructionWords): AlignedResult {
  const B = locStates.shape[0];
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
  if (readsWords(c) && (words === undefined || words.states.shape[0] !== B)) throw new Error(`aligned: this editor reads the instruction's words (alignedPlan "attend" or alignedRefer); pass those of the ${B} items`);
  const zr = c.alignedRefer !== undefined ? refer(p, c, z, words!) : z; // [B, N, dnD] the patches after the referring decoder
  const q = linear(imgMean, p, "edit.loc.q") as tf.Tensor2D; // [B, dnD]
  const k = linear(zr, p, "edit.loc.k") as tf.Tensor3D; // [B, N, dnD]
  const where = tf.div(tf.squeeze(tf.matMul(k, tf.expandDims(q, 2)), [2]), Math.sqrt(c.dnD)) as tf.Tensor2D; // [B, N]
  const gated = c.alignedWhat === true ? tf.add(p["edit.loc.gate"], tf.expandDims(linear(imgMean, p, "edit.loc.what"), 1)) : p["edit.loc.gate"]; // [B, 1, dnD] or [dnD]
  const planned = planOn(c) ? planParts(editPlan(p, c, zr, imgMean, words), c.alignedPlan === "palette") : {};
  const planOpen = planned.planCode !== undefined && c.alignedPlanGate === "open" ? c.dnPatch * c.dnPatch : undefined;
  const spatial = gatedSum(p, out, tf.sigmoid(where) as tf.Tensor2D, gated, planned.planCode, planOpen); // [B, N, dnD]
  return { spatial, where, ungated: out, gated, ...planned, ...(planOpen !== undefined ? { planOpen } : {}) };
}

/** The plan head's output [B, N, 3 or K] as the result's plan, the code Lin_pi reads and ("palette") the logits. */
function planParts(out: tf.Tensor3D, palette: boolean): Pick<AlignedResult, "plan" | "planCode" | "planLogits"> {
  if (!palette) return { plan: out, planCode: out };
  const probs = tf.softmax(out, -1) as tf.Tensor3D; // [B, N, K]
  const [B, N, K] = probs.shape;
  const plan = tf.matMul(probs.reshape([B * N, K]), tf.tensor2d(PLAN_PALETTE.map((c) => [...c]), [K, 3])).reshape([B, N, 3]) as tf.Tensor3D;
  return { plan, planCode: probs, planLogits: out };
}

/** The instruction's words as the MLLM left them: states [B, L, d] (L: the batch's longest instruction) and 1 for a word, 0 for padding [B, L]. */
export interface InstructionWords {
  states: tf.Tensor3D;
  mask: tf.Tensor2D;
}

/** The additive attention bias of the words [B, 1, L]: 0 on a word, -1e9 on padding (both word readers use it). */
function paddingBias(words: InstructionWords): tf.Tensor3D {
  return tf.mul(tf.sub(1, tf.expandDims(words.mask, 1)), -1e9) as tf.Tensor3D;
}

/**
 * The edit plan [B, N, 3] ("palette": its logits [B, N, K]) from the patches' z [B, N, dnD] and the mean [IMG] state [B, d]; with "attend", each
 * patch's query Lin_pq(z_n) also reads the instruction's words (softmax over them, padding masked):
 *   h_n = relu(z_n + Lin_ph(mean [IMG]) + sum_l a_nl Lin_pv(w_l)),  a_n = softmax_l(Lin_pq(z_n) . Lin_pk(w_l) / sqrt(dnD))
 */
function editPlan(p: Params, c: EditorConfig, z: tf.Tensor3D, imgMean: tf.Tensor2D, words?: InstructionWords): tf.Tensor3D {
  let h: tf.Tensor = tf.add(z, tf.expandDims(linear(imgMean, p, "edit.loc.plan.h"), 1)); // [B, N, dnD]
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
 * plan ("palette": as the one-hot of its nearest palette colour); without it every item keeps its own. Call inside tf.tidy.
 */
export function gatedSpatial(a: AlignedResult, gate: tf.Tensor2D, forced?: readonly boolean[], plan?: { p: Params; truth?: tf.Tensor3D }): tf.Tensor3D {
  if (a.ungated === undefined || a.gated === undefined) throw new Error("gatedSpatial: only the bilinear where head has a gate (editor config alignedWhere: 'bilinear')");
  const [B, N] = a.where.shape;
  if (gate.shape[0] !== B || gate.shape[1] !== N) throw new Error(`gatedSpatial: gate [${gate.shape.join(", ")}] does not match the where logits [${B}, ${N}]`);
  if (forced !== undefined && forced.length !== B) throw new Error(`gatedSpatial: ${forced.length} flags for ${B} items`);
  const m = tf.tensor2d(Array.from({ length: B }, (_, b) => (forced === undefined || forced[b] ? 1 : 0)), [B, 1]); // [B, 1]
  const g = tf.add(tf.mul(m, gate), tf.mul(tf.sub(1, m), tf.sigmoid(a.where))); // [B, N]
  if (a.planCode === undefined) return gatedSum({}, a.ungated, g as tf.Tensor2D, a.gated); // [B, N, dnD]
  if (plan === undefined) throw new Error("gatedSpatial: this editor predicts an edit plan (alignedPlan); pass its parameters (and the forced items' plan)");
  const m3 = tf.expandDims(m, 2); // [B, 1, 1]
  const truth = plan.truth === undefined ? a.planCode : a.planLogits !== undefined ? paletteOneHot(plan.truth) : plan.truth; // [B, N, 3 or K]
  const mixed = tf.add(tf.mul(m3, truth), tf.mul(tf.sub(1, m3), a.planCode)) as tf.Tensor3D; // [B, N, 3 or K]
  return gatedSum(plan.p, a.ungated, g as tf.Tensor2D, a.gated, mixed, a.planOpen); // [B, N, dnD]
}

/** The share of each denoiser patch's pixels that an edit changes (losses.ts changedPixels): r0 [B, H, W, C] -> [B, N] in [0, 1]. */
export function changedShare(r0: tf.Tensor4D, patch: number): tf.Tensor2D {
  return perPatchChange(r0, patch, "mean", "changedShare");
}

/**
 * Binary cross-entropy of the where logits [B, N] against targets in [0, 1] [B, N]: mean over patches,
 * then over items, or with `weight` [B] (not all 0) the weighted mean over items (stable form).
 */
export function whereLoss(where: tf.Tensor2D, target: tf.Tensor2D, weight?: tf.Tensor1D): tf.Scalar {
  if (where.shape.join(",") !== target.shape.join(",")) throw new Error(`whereLoss: targets [${target.shape.join(", ")}] do not match the logits [${where.shape.join(", ")}]`);
  // softplus(z) - y z = max(z, 0) - y z + log(1 + exp(-|z|))
  const perItem = tf.mean(tf.add(tf.sub(tf.relu(where), tf.mul(target, where)), tf.log1p(tf.exp(tf.neg(tf.abs(where))))), -1); // [B]
  if (weight === undefined) return tf.mean(perItem) as tf.Scalar;
  if (weight.shape[0] !== where.shape[0]) throw new Error(`whereLoss: ${weight.shape[0]} weights for ${where.shape[0]} items`);
  return tf.div(tf.sum(tf.mul(perItem, weight)), tf.maximum(tf.sum(weight), 1e-9)) as tf.Scalar;
}

/**
 * Stage I targets of the where head (ours; recipe `stage1WhereLossWeight`): per VQA item the share of
 * each denoiser patch that the objects its question is about cover (grounding.ts tokenCoverage on the
 * denoiser's grid) -> target [B * N] (row-major [B, N]) and weight [B] (0: the question names no
 * visible object, a zero row). The head that the edit phases train to find what an edit changes is
 * first taught, on questions, to find the objects a text names.
 */
export function questionWhereTargets(masks: readonly (ArrayLike<number> | undefined)[], c: Pick<EditorConfig, "image" | "dnPatch">): { target: Float32Array; weight: Float32Array } {
  const grid = c.image / c.dnPatch;
  const N = grid * grid;
  const target = new Float32Array(masks.length * N);
  const weight = new Float32Array(masks.length);
  masks.forEach((m, b) => {
    if (m === undefined) return;
    const cov = tokenCoverage(m, c.image, grid);
    if (!cov.some((v) => v > 0)) return;
    target.set(cov, b * N);
    weight[b] = 1;
  });
  return { target, weight };
}

/**
 * The object-level where loss's targets of a batch: per item, the objects of its source's instance mask
 * (`mask` [image * image], object id per pixel, -1 ground; ids in increasing order, objects that cover no
 * pixel left out) as rows of their coverage of the denoiser's patches normalised to sum 1, padded to the
 * batch's largest count R; `valid` 1 on a real row; `target` the row of the object the edit changes
 * (`changed`, an id), -1 with `weight` 0 when it is none of them or the item has no objects.
 */
export interface ObjectWhereTargets {
  /** [B * R * N] row-major [B, R, N]. */
  cover: Float32Array;
  /** [B * R]. */
  valid: Float32Array;
  target: Int32Array;
  weight: Float32Array;
  R: number;
}

export function objectWhereTargets(objects: readonly ({ mask: ArrayLike<number>; changed: number } | undefined)[], c: Pick<EditorConfig, "image" | "dnPatch">): ObjectWhereTargets {
  const grid = c.image / c.dnPatch;
  const N = grid * grid;
  const rows = objects.map((o) => {
    if (o === undefined) return { ids: [] as number[], cover: [] as number[][] };
    const ids = [...new Set(Array.from(o.mask).filter((v) => v >= 0))].sort((a, b) => a - b);
    return { ids, cover: objectCoverages(o.mask, ids, c.image, grid) };
  });
  const R = Math.max(1, ...rows.map((r) => r.ids.length));
  const B = objects.length;
  const out: ObjectWhereTargets = { cover: new Float32Array(B * R * N), valid: new Float32Array(B * R), target: new Int32Array(B).fill(-1), weight: new Float32Array(B), R };
  rows.forEach((r, b) => {
    r.cover.forEach((cov, k) => {
      const total = cov.reduce((s, v) => s + v, 0);
      out.cover.set(cov.map((v) => v / total), (b * R + k) * N);
      out.valid[b * R + k] = 1;
    });
    const t = objects[b] === undefined ? -1 : r.ids.indexOf(objects[b]!.changed);
    out.target[b] = t;
    out.weight[b] = t >= 0 ? 1 : 0;
  });
  return out;
}

/** Cross-entropy of the objects' scores (coverage-weighted mean logits of `where` [B, N]) against the changed object; weighted mean over items (0 when no item has a target). Call inside tf.tidy. */
export function whereObjectLoss(where: tf.Tensor2D, t: ObjectWhereTargets): tf.Scalar {
  const [B, N] = where.shape;
  if (t.target.length !== B || t.cover.length !== B * t.R * N) throw new Error(`whereObjectLoss: targets for ${t.target.length} items of ${t.cover.length / Math.max(1, t.R * t.target.length)} patches do not match the where logits [${B}, ${N}]`);
  const cover = tf.tensor3d(t.cover, [B, t.R, N]);
  const scores = tf.squeeze(tf.matMul(cover, tf.expandDims(where, 2)), [2]); // [B, R]
  const masked = tf.add(scores, tf.mul(tf.sub(1, tf.tensor2d(t.valid, [B, t.R])), -1e9));
  const picked = tf.sum(tf.mul(tf.logSoftmax(masked, -1), tf.oneHot(tf.tensor1d(t.target, "int32"), t.R)), -1); // [B] log p(changed object), 0 without a target
  const w = tf.tensor1d(t.weight);
  return tf.neg(tf.div(tf.sum(tf.mul(picked, w)), tf.maximum(tf.sum(w), 1e-9))) as tf.Scalar;
}

/**
 * The truth's edit plan: per denoiser patch, the mean target colour over the pixels the edit changes
 * (0 where it changes none). r0 = (target - source) / 2 and source [B, H, W, 3] in [-1, 1] -> [B, N, 3].
 */
export function planTargets(r0: tf.Tensor4D, source: tf.Tensor4D, patch: number): tf.Tensor3D {
  if (source.shape.join(",") !== r0.shape.join(",")) throw new Error(`planTargets: source [${source.shape.join(", ")}] does not match r0 [${r0.shape.join(", ")}]`);
  return tf.tidy(() => changedPatchMean(r0, tf.add(source, tf.mul(r0, 2)) as tf.Tensor4D, patch, "planTargets"));
}

/**
 * Per denoiser patch, the mean of `x` [B, H, W, C] over the pixels the edit r0 changes (0 where it
 * changes none) -> [B, N, C]: with x the target, the truth's edit plan; with x the source, what those
 * pixels were (the plan of an edit that changes nothing).
 */
export function changedPatchMean(r0: tf.Tensor4D, x: tf.Tensor4D, patch: number, what = "changedPatchMean"): tf.Tensor3D {
  const [B, H, W, C] = r0.shape;
  if (H % patch !== 0 || W % patch !== 0) throw new Error(`${what}: image ${H}x${W} is not divisible by patch ${patch}`);
  if (x.shape.join(",") !== r0.shape.join(",")) throw new Error(`${what}: x [${x.shape.join(", ")}] does not match r0 [${r0.shape.join(", ")}]`);
  return tf.tidy(() => {
    const mask = changedPixels(r0); // [B, H, W, 1]
    const cells = (y: tf.Tensor4D, ch: number) => tf.sum(y.reshape([B, H / patch, patch, W / patch, patch, ch]), [2, 4]).reshape([B, -1, ch]); // [B, N, ch]
    return tf.div(cells(tf.mul(x, mask) as tf.Tensor4D, C), tf.maximum(cells(mask, 1), 1e-6)) as tf.Tensor3D;
  });
}

/** The plan loss: squared error of the predicted plan [B, N, 3] against the truth's, weighted per patch by its changed share [B, N]; mean over items with a change. */
export function planLoss(plan: tf.Tensor3D, truth: tf.Tensor3D, share: tf.Tensor2D): tf.Scalar {
  if (plan.shape.join(",") !== truth.shape.join(",")) throw new Error(`planLoss: truth [${truth.shape.join(", ")}] does not match the plan [${plan.shape.join(", ")}]`);
  return shareWeighted(tf.sum(tf.square(tf.sub(plan, truth)), -1) as tf.Tensor2D, share);
}

/**
 * The palette plan's loss: cross-entropy of its logits [B, N, K] against the palette colour nearest the truth's plan
 * colour [B, N, 3] (paletteOneHot), weighted per patch by its changed share [B, N]; mean over items with a change.
 */
export function planPaletteLoss(logits: tf.Tensor3D, truth: tf.Tensor3D, share: tf.Tensor2D): tf.Scalar {
  const [B, N, K] = logits.shape;
  if (K !== PLAN_PALETTE.length || truth.shape[0] !== B || truth.shape[1] !== N) throw new Error(`planPaletteLoss: logits [${logits.shape.join(", ")}] and truth [${truth.shape.join(", ")}] must be [B, N, ${PLAN_PALETTE.length}] and [B, N, 3]`);
  return shareWeighted(tf.neg(tf.sum(tf.mul(paletteOneHot(truth), tf.logSoftmax(logits, -1)), -1)) as tf.Tensor2D, share);
}

/** A per-patch loss [B, N] weighted by each patch's changed share [B, N]: per item its weighted mean, then the mean over items with a change. */
function shareWeighted(perPatch: tf.Tensor2D, share: tf.Tensor2D): tf.Scalar {
  if (perPatch.shape.join(",") !== share.shape.join(",")) throw new Error(`planLoss: share [${share.shape.join(", ")}] does not match the plan's patches [${perPatch.shape.join(", ")}]`);
  const w = tf.sum(share, -1); // [B]
  const perItem = tf.div(tf.sum(tf.mul(perPatch, share), -1), tf.maximum(w, 1e-6)); // [B]
  const has = tf.cast(tf.greater(w, 0), "float32");
  return tf.div(tf.sum(tf.mul(perItem, has)), tf.maximum(tf.sum(has), 1)) as tf.Scalar;
}
