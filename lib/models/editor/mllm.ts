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
  /**
   * [LOC] rows (aligned.ts; ours): one extra row per image token, embedded as that image token plus
   * `marker` [1, d] at the image token's position, appended after the sequence. They see their item's
   * task prompt, soft prompt, image tokens, instruction and <sep>, and each other; no other row sees
   * them, so every other state is as without them. Needs image tokens.
   */
  loc?: { marker: tf.Tensor2D };
}

export interface MllmResult {
  /** Final hidden states after the last layer norm [B, T, d] (pad rows are meaningless). */
  hidden: tf.Tensor3D;
  /** The k [IMG] states [B, k, d] (the input of H_edit). */
  img: tf.Tensor3D;
  /** Per layer [B, H, T, T] (causal; rows and columns follow the layout's spans) when asked. */
  attention: tf.Tensor4D[];
  /** The [LOC] rows' final states [B, Ni, d] (after the last layer norm), when `loc` was given. */
  loc?: tf.Tensor3D;
}

/**
 * The additive mask [B, 1, T + Ni, T + Ni] of a sequence with Ni [LOC] rows appended: rows < T are
 * causal over the first T columns and see no [LOC] column; [LOC] rows see columns 0..<sep> of their
 * item and every [LOC] column (not the [IMG] tokens, nor the condition, nor padding).
 */
export function locMask(layout: BatchLayout, nLoc: number): tf.Tensor4D {
  const T = layout.T;
  const S = T + nLoc;
  const v = new Float32Array(layout.batch * S * S).fill(-1e9);
  layout.items.forEach((it, b) => {
    const o = b * S * S;
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) v[o + i * S + j] = 0;
    for (let i = T; i < S; i++) {
      for (let j = 0; j <= it.sep; j++) v[o + i * S + j] = 0;
      for (let j = T; j < S; j++) v[o + i * S + j] = 0;
    }
  });
  return tf.tensor4d(v, [layout.batch, 1, S, S]);
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
  if (o.loc !== undefined) return mllmForwardLoc(p, c, layout, imageTokens, o, o.loc);
  const x = embedSequence(p, c, layout, imageTokens);
  const r = transformer(x, p, mllmStackConfig(c), MLLM_STACK, { lora: o.lora, loraScale: o.loraScale }, { returnAttention: o.returnAttention });
  const hidden = layerNorm(r.hidden, p, "mllm.lnf") as tf.Tensor3D; // [B, T, d]
  const img = imgStates(hidden, layout); // [B, k, d]
  return { hidden, img, attention: r.attention };
}

/** The [IMG] tokens' states [B, k, d] of the hidden states [B, T, d]. */
function imgStates(hidden: tf.Tensor3D, layout: BatchLayout): tf.Tensor3D {
  return gatherPositions(hidden, layout.items.map((it) => Array.from({ length: it.img.end - it.img.start }, (_, j) => it.img.start + j)));
}

/** mllmForward with [LOC] rows (MllmOptions.loc): the sequence's rows as without them, plus their states. */
function mllmForwardLoc(p: Params, c: EditorConfig, layout: BatchLayout, imageTokens: tf.Tensor3D | null, o: MllmOptions, loc: { marker: tf.Tensor2D }): MllmResult {
  if (imageTokens === null) throw new Error("mllm: [LOC] rows copy the image tokens; this MLLM reads none");
  const [B, Ni, d] = imageTokens.shape;
  const T = layout.T;
  const x = embedSequence(p, c, layout, imageTokens); // [B, T, d]
  const span = layout.items[0].image; // the same in every item
  const pos = tf.slice(p["mllm.pos.e"], [span.start, 0], [Ni, d]); // [Ni, d]: the image tokens' positions
  const locX = tf.add(tf.add(imageTokens, pos), loc.marker) as tf.Tensor3D; // [B, Ni, d]
  const xx = tf.concat([x, locX], 1) as tf.Tensor3D; // [B, T + Ni, d]
  const r = transformer(xx, p, mllmStackConfig(c), MLLM_STACK, { lora: o.lora, loraScale: o.loraScale }, { returnAttention: o.returnAttention, mask: locMask(layout, Ni) });
  const all = layerNorm(r.hidden, p, "mllm.lnf") as tf.Tensor3D; // [B, T + Ni, d]
  const hidden = tf.slice(all, [0, 0, 0], [B, T, d]) as tf.Tensor3D;
  const locStates = tf.slice(all, [0, T, 0], [B, Ni, d]) as tf.Tensor3D;
  const img = imgStates(hidden, layout); // [B, k, d]
  const attention = r.attention.map((a) => tf.slice(a, [0, 0, 0, 0], [B, a.shape[1], T, T]) as tf.Tensor4D); // the sequence's rows and columns, as without [LOC]
  return { hidden, img, attention, loc: locStates };
}
