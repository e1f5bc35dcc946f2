/**
 * The MLLM (paper §3.1 Eq. 2, Fig. 3): a decoder-only, causal pre-LN transformer (lib/nn) over
 * the sequence of layout.ts: <bos> + fixed task prompt "what will it be like if" (X_task, frozen
 * token embeddings), n trainable soft-prompt embeddings (X_prompt), the image tokens
 * Ada_img(Enc(M)) (X_img), the instruction (X_txt), <sep>, k [IMG] tokens with their own
 * trainable embeddings (MGIE), and (in training) the language condition. Token embeddings are
 * one-hot matmuls; positions are learned. `imageTokens: null` is the language-only (LGIE-like)
 * variant. LoRA factors of the attention projections are applied when given (B = 0 at init).
 *
 * Parameter names: `mllm.tok.e` [vocab, d], `mllm.pos.e` [maxLen, d], `mllm.blocks.${l}.*`,
 * `mllm.lnf.{g,b}` (the backbone); `soft.prompt` [n, d], `soft.img` [k, d] (trainable in every mode).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { createSoftPrompt } from "../../nn/adapters";
import { initLayerNorm, layerNorm, normalVariable, oneHotEmbedding, type Params } from "../../nn/layers";
import { initTransformer, transformer, type TransformerConfig } from "../../nn/transformer";
import type { EditorConfig } from "./config";
import type { BatchLayout } from "./layout";

export const MLLM_STACK = "mllm.blocks";

export function mllmStackConfig(c: EditorConfig): TransformerConfig {
  return { dModel: c.d, dFF: c.ff, nHeads: c.heads, causal: true, nLayers: c.layers };
}

/** The MLLM backbone (`mllm.*`): token and positional tables, blocks, final layer norm. */
export function initMllm(rng: Rng, c: EditorConfig, vocab: number, maxLen: number): Params {
  return {
    "mllm.tok.e": normalVariable(rng.fork("tok"), [vocab, c.d], c.initStd),
    "mllm.pos.e": normalVariable(rng.fork("pos"), [maxLen, c.d], c.initStd),
    ...initTransformer(rng.fork("blocks"), mllmStackConfig(c), MLLM_STACK),
    ...initLayerNorm(c.d, "mllm.lnf"),
  };
}

/** The trainable input embeddings: soft prompt [n, d] and the k [IMG] embeddings [k, d]. */
export function initSoftTokens(rng: Rng, c: EditorConfig): Params {
  return { "soft.prompt": createSoftPrompt(rng.fork("prompt"), c.softPrompt, c.d, c.initStd), "soft.img": normalVariable(rng.fork("img"), [c.imgTokens, c.d], c.initStd) };
}

/**
 * Rows of `x` [B, T, d] at the given positions per item -> [B, P, d] (P = the longest list; missing
 * rows are 0), by a one-hot [B, P, T] batched matmul (differentiable on every backend).
 */
export function gatherPositions(x: tf.Tensor3D, positions: number[][]): tf.Tensor3D {
  const [B, T] = x.shape;
  if (positions.length !== B) throw new Error(`gatherPositions: ${positions.length} position lists for a batch of ${B}`);
  const P = Math.max(1, ...positions.map((r) => r.length));
  const sel = new Float32Array(B * P * T);
  positions.forEach((row, b) =>
    row.forEach((t, j) => {
      if (!Number.isInteger(t) || t < 0 || t >= T) throw new Error(`gatherPositions: position ${t} is outside 0..${T - 1}`);
      sel[(b * P + j) * T + t] = 1;
    }),
  );
  return tf.matMul(tf.tensor3d(sel, [B, P, T]), x) as tf.Tensor3D; // [B, P, d]
}

export interface MllmOptions {
  /** LoRA factors of the attention projections (lib/nn names) and their scale. */
  lora?: Params;
  loraScale?: number;
  returnAttention?: boolean;
}

export interface MllmResult {
  /** Final hidden states after the last layer norm [B, T, d] (pad rows are meaningless). */
  hidden: tf.Tensor3D;
  /** The k [IMG] states [B, k, d] (the input of H_edit). */
  img: tf.Tensor3D;
  /** Per layer [B, H, T, T] (causal; rows and columns follow the layout's spans) when asked. */
  attention: tf.Tensor4D[];
}

/** The embedded input sequence [B, T, d] of a layout (image tokens [B, Ni, d] or null). */
export function embedSequence(p: Params, c: EditorConfig, layout: BatchLayout, imageTokens: tf.Tensor3D | null): tf.Tensor3D {
  const B = layout.batch;
  const it = layout.items[0];
  const Ni = it.image.end - it.image.start;
  if ((imageTokens === null) !== (Ni === 0)) throw new Error(`mllm: the layout has ${Ni} image tokens but ${imageTokens === null ? "no image tokens were" : "image tokens were"} given; build the layout with imageTokens = ${imageTokens === null ? 0 : imageTokens.shape[1]}`);
  if (imageTokens !== null && (imageTokens.shape[0] !== B || imageTokens.shape[1] !== Ni || imageTokens.shape[2] !== c.d)) {
    throw new Error(`mllm: image tokens must be [${B}, ${Ni}, ${c.d}], got [${imageTokens.shape.join(", ")}]`);
  }
  const maxLen = p["mllm.pos.e"].shape[0];
  if (layout.T > maxLen) throw new Error(`mllm: the sequence has ${layout.T} tokens, the positional table ${maxLen}`);
  const parts: tf.Tensor3D[] = [];
  const task = oneHotEmbedding(tf.tensor2d(layout.taskIds, [1, layout.taskIds.length], "int32"), p, "mllm.tok"); // [1, Tt, d]
  parts.push(tf.tile(task, [B, 1, 1]) as tf.Tensor3D); // [B, Tt, d]
  parts.push(tf.tile(tf.expandDims(p["soft.prompt"], 0), [B, 1, 1]) as tf.Tensor3D); // [B, n, d]
  if (imageTokens !== null) parts.push(imageTokens);
  const R = layout.T - layout.restStart;
  // per-item tokens: vocabulary rows, then the k [IMG] rows (id vocab + j)
  const table = { "rest.e": tf.concat([p["mllm.tok.e"], p["soft.img"]], 0) } as unknown as Params; // [vocab + k, d]
  const rest = oneHotEmbedding(tf.tensor2d(layout.restIds, [B, R], "int32"), table, "rest") as tf.Tensor3D; // [B, R, d]
  parts.push(rest);
  const x = tf.concat(parts, 1) as tf.Tensor3D; // [B, T, d]
  return tf.add(x, tf.slice(p["mllm.pos.e"], [0, 0], [layout.T, c.d])) as tf.Tensor3D;
}

/** MLLM(X_task, X_prompt, X_img, X_txt): hidden states, [IMG] states, attention. Call inside tf.tidy. */
export function mllmForward(p: Params, c: EditorConfig, layout: BatchLayout, imageTokens: tf.Tensor3D | null, o: MllmOptions = {}): MllmResult {
  const x = embedSequence(p, c, layout, imageTokens);
  const r = transformer(x, p, mllmStackConfig(c), MLLM_STACK, { lora: o.lora, loraScale: o.loraScale }, { returnAttention: o.returnAttention });
  const hidden = layerNorm(r.hidden, p, "mllm.lnf") as tf.Tensor3D; // [B, T, d]
  const img = gatherPositions(hidden, layout.items.map((it) => Array.from({ length: it.img.end - it.img.start }, (_, j) => it.img.start + j))); // [B, k, d]
  return { hidden, img, attention: r.attention };
}
