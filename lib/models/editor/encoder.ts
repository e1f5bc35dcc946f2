/**
 * Enc, the image encoder (paper §3.1 Eq. 1: "a fixed pre-trained image encoder such as CLIP"): a
 * small ViT. Patch-linear embedding of p x p patches, learned positional embeddings, a non-causal
 * pre-LN transformer (lib/nn), final layer norm. Pretrained with the editor's base phase, then
 * frozen (model.ts `editorTunable`).
 *
 * Parameter names: `enc.patch.{w,b}`, `enc.pos.e` [N, encD], `enc.blocks.${l}.*`, `enc.lnf.{g,b}`.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { initLayerNorm, initPatchLinear, layerNorm, normalVariable, patchLinear, type Params } from "../../nn/layers";
import { initTransformer, transformer, type TransformerConfig } from "../../nn/transformer";
import type { EditorConfig } from "./config";

export const ENC_STACK = "enc.blocks";

export function encoderStackConfig(c: EditorConfig): TransformerConfig {
  return { dModel: c.encD, dFF: c.encFF, nHeads: c.encHeads, causal: false, nLayers: c.encLayers };
}

/** Encoder tokens per image: (image / encPatch)^2. */
export function encoderTokenCount(c: EditorConfig): number {
  return (c.image / c.encPatch) ** 2;
}

export function initEncoder(rng: Rng, c: EditorConfig): Params {
  return {
    ...initPatchLinear(rng.fork("patch"), c.encPatch, 3, c.encD, "enc.patch"),
    "enc.pos.e": normalVariable(rng.fork("pos"), [encoderTokenCount(c), c.encD], c.initStd),
    ...initTransformer(rng.fork("blocks"), encoderStackConfig(c), ENC_STACK),
    ...initLayerNorm(c.encD, "enc.lnf"),
  };
}

/** Checks that `images` is [B, image, image, 3] float; the message says what the editor takes. */
export function checkImages(images: tf.Tensor, c: EditorConfig, what: string): asserts images is tf.Tensor4D {
  const s = images.shape;
  if (images.rank !== 4 || s[1] !== c.image || s[2] !== c.image || s[3] !== 3) {
    throw new Error(`${what}: images must be [B, ${c.image}, ${c.image}, 3] (config.image = ${c.image}, RGB in [-1, 1]), got [${s.join(", ")}]`);
  }
  if (images.dtype !== "float32") throw new Error(`${what}: images must be float32 in [-1, 1], got ${images.dtype}`);
}

export interface EncoderResult {
  /** Visual features Enc(M) [B, N, encD], N = (image / encPatch)^2, row-major over the patch grid. */
  tokens: tf.Tensor3D;
  /** Per layer [B, H, N, N] when asked. */
  attention: tf.Tensor4D[];
}

/** Enc(M): images [B, H, W, 3] -> features [B, N, encD]. Call inside tf.tidy (or dispose). */
export function encodeImages(p: Params, c: EditorConfig, images: tf.Tensor4D, returnAttention = false): EncoderResult {
  checkImages(images, c, "encoder");
  const x = tf.add(patchLinear(images, p, "enc.patch", c.encPatch), p["enc.pos.e"]) as tf.Tensor3D; // [B, N, encD]
  const r = transformer(x, p, encoderStackConfig(c), ENC_STACK, {}, { returnAttention });
  return { tokens: layerNorm(r.hidden, p, "enc.lnf") as tf.Tensor3D, attention: r.attention };
}
