/**
 * The two heads on the MLLM (paper §3.1 Eq. 2-3, Fig. 3; MGIE's LM head and EditMapper):
 *
 * H_lm, the language head: a linear map of the final hidden states to the vocabulary; it
 * predicts the language condition E_txt (teacher-forced in the same pass, after the [IMG]
 * tokens: layout.ts) and is trained with L_condition (losses.ts).
 *
 * H_edit, the edit head: the k [IMG] states (plus their input embeddings, as MGIE) -> linear to
 * the head's width -> a small non-causal transformer over them (the encoder) -> Q learned queries
 * that self-attend and cross-attend to the encoded [IMG] states (decoder layers, lib/nn
 * crossBlock) -> layer norm -> linear to the denoiser's width: the condition tokens H_edit(E_img)
 * that the denoiser cross-attends to.
 *
 * Parameter names: `lm.{w,b}` [d, vocab]; `edit.in.{w,b}`, `edit.enc.blocks.${l}.*`,
 * `edit.queries` [Q, editD], `edit.dec.${l}.*`, `edit.lnf.{g,b}`, `edit.out.{w,b}` [editD, dnD].
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { crossStack, initCrossStack, type CrossBlockConfig } from "../../nn/cross-block";
import { initLayerNorm, initLinear, layerNorm, linear, normalVariable, type Params } from "../../nn/layers";
import { initTransformer, transformer, type TransformerConfig } from "../../nn/transformer";
import type { EditorConfig } from "./config";
import type { BatchLayout } from "./layout";
import { gatherPositions } from "./mllm";

export const EDIT_ENC_STACK = "edit.enc.blocks";

export function initLmHead(rng: Rng, c: EditorConfig, vocab: number): Params {
  return initLinear(rng, c.d, vocab, "lm", c.initStd);
}

/**
 * H_lm logits [B, P, vocab] at the positions that predict the condition tokens and <eos>
 * (P = layout.maxPredict; rows past an item's condition are 0 and masked in the loss).
 */
export function conditionLogits(p: Params, layout: BatchLayout, hidden: tf.Tensor3D): tf.Tensor3D {
  if (layout.maxPredict === 0) throw new Error("conditionLogits: the layout has no condition tokens; build it with the language conditions");
  const rows = layout.items.map((it) => Array.from({ length: it.predict.end - it.predict.start }, (_, j) => it.predict.start + j));
  return linear(gatherPositions(hidden, rows), p, "lm") as tf.Tensor3D; // [B, P, vocab]
}

/** Next-token logits [B, vocab] at the last real position of each item (greedy decoding). */
export function lastTokenLogits(p: Params, layout: BatchLayout, hidden: tf.Tensor3D): tf.Tensor2D {
  const h = gatherPositions(hidden, layout.items.map((it) => [it.length - 1])); // [B, 1, d]
  return linear(h.reshape([layout.batch, -1]), p, "lm") as tf.Tensor2D; // [B, vocab]
}

export function editEncConfig(c: EditorConfig): TransformerConfig {
  return { dModel: c.editD, dFF: c.editFF, nHeads: c.editHeads, causal: false, nLayers: c.editEncLayers };
}

export function editDecConfig(c: EditorConfig): CrossBlockConfig {
  return { dModel: c.editD, nHeads: c.editHeads, dFF: c.editFF, modulated: false };
}

export function initEditHead(rng: Rng, c: EditorConfig): Params {
  let p: Params = {
    ...initLinear(rng.fork("in"), c.d, c.editD, "edit.in"),
    ...initTransformer(rng.fork("enc"), editEncConfig(c), EDIT_ENC_STACK),
    "edit.queries": normalVariable(rng.fork("queries"), [c.editQueries, c.editD], c.initStd),
  };
  p = { ...p, ...initCrossStack(rng, editDecConfig(c), c.editDecLayers, "edit.dec", (l) => `dec${l}`) };
  return { ...p, ...initLayerNorm(c.editD, "edit.lnf"), ...initLinear(rng.fork("out"), c.editD, c.dnD, "edit.out") };
}

export interface EditHeadResult {
  /** Condition tokens H_edit(E_img) [B, Q, dnD] for the denoiser's cross-attention. */
  tokens: tf.Tensor3D;
  /** When asked: encoder self-attention per layer [B, H, k, k]; decoder self [B, H, Q, Q] and cross [B, H, Q, k] per layer. */
  attention: { encoder: tf.Tensor4D[]; self: tf.Tensor4D[]; cross: tf.Tensor4D[] };
}

/** H_edit: [IMG] states [B, k, d] (+ the [IMG] input embeddings [k, d]) -> condition tokens [B, Q, dnD]. */
export function editHead(p: Params, c: EditorConfig, imgStates: tf.Tensor3D, imgEmbeddings: tf.Tensor2D, returnAttention = false): EditHeadResult {
  const [B, k, d] = imgStates.shape;
  if (d !== c.d || k !== imgEmbeddings.shape[0]) throw new Error(`editHead: expected [IMG] states [B, ${imgEmbeddings.shape[0]}, ${c.d}], got [${imgStates.shape.join(", ")}]`);
  const h = linear(tf.add(imgStates, imgEmbeddings), p, "edit.in") as tf.Tensor3D; // [B, k, editD]
  const enc = transformer(h, p, editEncConfig(c), EDIT_ENC_STACK, {}, { returnAttention });
  const queries = tf.tile(tf.expandDims(p["edit.queries"], 0), [B, 1, 1]) as tf.Tensor3D; // [B, Q, editD]
  const dec = crossStack(queries, enc.hidden, p, editDecConfig(c), c.editDecLayers, "edit.dec", { returnAttention });
  const q = dec.hidden;
  const tokens = linear(layerNorm(q, p, "edit.lnf"), p, "edit.out") as tf.Tensor3D; // [B, Q, dnD]
  return { tokens, attention: { encoder: enc.attention, self: dec.self, cross: dec.cross } };
}
