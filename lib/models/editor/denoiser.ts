/**
 * Diff_edit, the conditional denoiser (paper §3.1 Eq. 3; DiT with adaLN-Zero, Peebles & Xie 2023;
 * the source image enters by channel concatenation as in InstructPix2Pix / MGIE, the condition by
 * cross-attention as in PixArt). It works on the edit RESIDUAL r = (target - source) / 2 (images
 * in [-1, 1], so r is in [-1, 1]): "keep the background" is r = 0, which is exactly the output of
 * the zero-initialised final layer, so an untrained editor returns the source image.
 *
 * Steps of one call:
 *   1. tokens = patch-linear([noisy residual ++ source]) + positions      [B, N, dnD], 6 channels in
 *      (+ optional spatially aligned condition tokens, one per patch: `spatial` [B, N, dnD])
 *   2. c = MLP(sinusoid(t))                                                [B, dnD]
 *   3. per block: adaLN-Zero(c) self-attention, cross-attention to the condition tokens, adaLN-Zero MLP
 *   4. final adaLN (shift, scale) + layer norm + zero-initialised linear, unpatchify -> [B, H, W, 3]
 * The output is the x0, epsilon or v prediction of the residual (config.prediction); the
 * scheduler (lib/diffusion) makes the noisy input and turns predictions into steps.
 * Classifier-free guidance: items with `dropText` see the learned null condition instead of theirs,
 * items with `dropImage` see a zero source image (InstructPix2Pix training).
 *
 * Parameter names: `dn.in.{w,b}`, `dn.pos.e` [N, dnD], `dn.t.fc{1,2}.{w,b}`, `dn.null.e` [1, dnD],
 * `dn.blocks.${l}.*` (lib/nn crossBlock, modulated), `dn.final.ada.{w,b}`, `dn.final.ln.{g,b}`,
 * `dn.final.out.{w,b}` [dnD, p*p*3] (zeros).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { crossStack, initCrossStack, type CrossBlockConfig } from "../../nn/cross-block";
import { constVariable, initLayerNorm, initLinear, layerNorm, linear, normalVariable, patchify, unpatchify, type Params } from "../../nn/layers";
import { initModulation, modulate, modulationChunks } from "../../nn/modulation";
import { initTimestepMlp, timestepMlp, timestepTensor, type Timesteps } from "../../nn/timestep";
import type { EditorConfig } from "./config";
import { checkImages } from "./encoder";

export function denoiserBlockConfig(c: EditorConfig): CrossBlockConfig {
  return { dModel: c.dnD, nHeads: c.dnHeads, dFF: c.dnFF, modulated: true };
}

/** Denoiser tokens per image: (image / dnPatch)^2. */
export function denoiserTokenCount(c: EditorConfig): number {
  return (c.image / c.dnPatch) ** 2;
}

export function initDenoiser(rng: Rng, c: EditorConfig): Params {
  const pp = c.dnPatch * c.dnPatch;
  let p: Params = {
    ...initLinear(rng.fork("in"), pp * 6, c.dnD, "dn.in"),
    "dn.pos.e": normalVariable(rng.fork("pos"), [denoiserTokenCount(c), c.dnD], c.initStd),
    ...initTimestepMlp(rng.fork("t"), c.dnFreq, c.dnD, "dn.t"),
    "dn.null.e": normalVariable(rng.fork("null"), [1, c.dnD], c.initStd),
  };
  p = { ...p, ...initCrossStack(rng, denoiserBlockConfig(c), c.dnLayers, "dn.blocks") };
  return {
    ...p,
    ...initModulation(c.dnD, 2, "dn.final.ada"),
    ...initLayerNorm(c.dnD, "dn.final.ln"),
    "dn.final.out.w": constVariable([c.dnD, pp * 3], 0),
    "dn.final.out.b": constVariable([pp * 3], 0),
  };
}

export interface DenoiserInput {
  /** Noisy residual x_t [B, H, W, 3]. */
  noisy: tf.Tensor4D;
  /** Source image M [B, H, W, 3] in [-1, 1]. */
  source: tf.Tensor4D;
  /** Timestep per item, in [0, config.timesteps). */
  t: Timesteps;
  /** Condition tokens [B, L, dnD] (H_edit's output, or a text encoder's for the InsPix2Pix-like baseline). */
  cond: tf.Tensor3D;
  /** Per item: replace the condition by the null condition (classifier-free guidance). */
  dropText?: readonly boolean[];
  /** Per item: replace the source image by zeros. */
  dropImage?: readonly boolean[];
  /**
   * Optional condition aligned with the patches [B, N, dnD] (N = denoiserTokenCount), added to the
   * patch tokens: a "where" that needs no learned matching of positions through cross-attention
   * (the oracle-render study, lib/eval/oracle-render.ts). Not dropped by dropText.
   */
  spatial?: tf.Tensor3D;
}

export interface DenoiserResult {
  /** Prediction [B, H, W, 3] (x0, eps or v of the residual; 0 at initialisation). */
  prediction: tf.Tensor4D;
  /** When asked, per block: self-attention [B, H, N, N] and cross-attention [B, H, N, L]. */
  attention: { self: tf.Tensor4D[]; cross: tf.Tensor4D[] };
}

function itemMask(flags: readonly boolean[] | undefined, B: number, what: string): tf.Tensor1D | null {
  if (flags === undefined || !flags.some((f) => f)) return null;
  if (flags.length !== B) throw new Error(`denoiser: ${what} has ${flags.length} flags for a batch of ${B}`);
  return tf.tensor1d(flags.map((f) => (f ? 1 : 0)), "float32");
}

/** The condition with dropped items replaced by the null condition: [B, L, dnD]. */
export function conditionWithNull(p: Params, cond: tf.Tensor3D, dropText?: readonly boolean[]): tf.Tensor3D {
  const m = itemMask(dropText, cond.shape[0], "dropText");
  if (m === null) return cond;
  const mm = m.reshape([-1, 1, 1]); // [B, 1, 1]
  return tf.add(tf.mul(cond, tf.sub(1, mm)), tf.mul(tf.expandDims(p["dn.null.e"], 0), mm)) as tf.Tensor3D; // null broadcast over L
}

/** Diff_edit: one prediction for noisy residuals at timesteps t. Call inside tf.tidy. */
export function denoise(p: Params, c: EditorConfig, input: DenoiserInput, returnAttention = false): DenoiserResult {
  checkImages(input.noisy, c, "denoiser (noisy)");
  checkImages(input.source, c, "denoiser (source)");
  const B = input.noisy.shape[0];
  if (input.source.shape[0] !== B) throw new Error(`denoiser: ${B} noisy images but ${input.source.shape[0]} source images`);
  if (input.cond.rank !== 3 || input.cond.shape[0] !== B || input.cond.shape[2] !== c.dnD) {
    throw new Error(`denoiser: condition tokens must be [${B}, L, ${c.dnD}], got [${input.cond.shape.join(", ")}]`);
  }
  const im = itemMask(input.dropImage, B, "dropImage");
  const source = im === null ? input.source : (tf.mul(input.source, tf.sub(1, im.reshape([-1, 1, 1, 1]))) as tf.Tensor4D);
  const cond = conditionWithNull(p, input.cond, input.dropText);
  // 1. patch tokens of [noisy ++ source]
  const x0 = tf.concat([input.noisy, source], 3) as tf.Tensor4D; // [B, H, W, 6]
  let x = tf.add(linear(patchify(x0, c.dnPatch), p, "dn.in"), p["dn.pos.e"]) as tf.Tensor3D; // [B, N, dnD]
  if (input.spatial !== undefined) {
    const want = [B, denoiserTokenCount(c), c.dnD];
    if (input.spatial.shape.join(",") !== want.join(",")) throw new Error(`denoiser: spatial condition must be [${want.join(", ")}], got [${input.spatial.shape.join(", ")}]`);
    x = tf.add(x, input.spatial) as tf.Tensor3D;
  }
  // 2. timestep conditioning
  const temb = timestepMlp(timestepTensor(input.t, B, "denoiser"), p, "dn.t", c.dnFreq); // [B, dnD]
  // 3. blocks
  const blocks = crossStack(x, cond, p, denoiserBlockConfig(c), c.dnLayers, "dn.blocks", { cond: temb, returnAttention });
  x = blocks.hidden;
  // 4. final layer
  const [shift, scale] = modulationChunks(temb, p, "dn.final.ada", 2);
  const h = modulate(layerNorm(x, p, "dn.final.ln") as tf.Tensor3D, shift, scale);
  const out = linear(h, p, "dn.final.out") as tf.Tensor3D; // [B, N, p*p*3]
  return { prediction: unpatchify(out, c.dnPatch, c.image, c.image, 3), attention: { self: blocks.self, cross: blocks.cross } };
}

/**
 * The three predictions of InstructPix2Pix's dual classifier-free guidance in one batched call
 * (batch order [conditional; image only (null text); unconditional (null text, zero image)]), for
 * lib/diffusion's guidance: eps = uncond + s_T (full - imageOnly) + s_I (imageOnly - uncond).
 */
export function guidanceBranches(p: Params, c: EditorConfig, input: Omit<DenoiserInput, "dropText" | "dropImage">): { full: tf.Tensor4D; imageOnly: tf.Tensor4D; uncond: tf.Tensor4D } {
  const B = input.noisy.shape[0];
  const t = input.t instanceof tf.Tensor ? (tf.concat([input.t, input.t, input.t]) as tf.Tensor1D) : [...Array.from(input.t), ...Array.from(input.t), ...Array.from(input.t)];
  const flags = (a: boolean, b: boolean, cc: boolean) => [...Array(B).fill(a), ...Array(B).fill(b), ...Array(B).fill(cc)] as boolean[];
  const s = input.spatial;
  const r = denoise(p, c, {
    noisy: tf.concat([input.noisy, input.noisy, input.noisy]) as tf.Tensor4D, // [3B, H, W, 3]
    source: tf.concat([input.source, input.source, input.source]) as tf.Tensor4D,
    cond: tf.concat([input.cond, input.cond, input.cond]) as tf.Tensor3D,
    t,
    dropText: flags(false, true, true),
    dropImage: flags(false, false, true),
    // a spatial condition belongs to the text condition: the null-text branches get none
    ...(s === undefined ? {} : { spatial: tf.concat([s, tf.zerosLike(s), tf.zerosLike(s)]) as tf.Tensor3D }),
  });
  const [full, imageOnly, uncond] = tf.split(r.prediction, 3, 0) as tf.Tensor4D[];
  return { full, imageOnly, uncond };
}
