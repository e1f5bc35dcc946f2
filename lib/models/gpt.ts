/**
 * A tiny GPT (nanoGPT-style, pre-LN) on lib/nn, for the theory lab: the sort experiment of
 * Petrov, Torr & Bibi and the multi-layer attention study of §4.2. Token and position embeddings
 * are one-hot matmuls (the gradient of tf.gather is missing on stock wasm), the blocks are
 * lib/nn's transformer without attention biases (GPT-2 layout), then a final layer norm and a
 * linear head. Adaptation: prompt tokens, standard prefix tuning (per layer trainable keys and
 * values, Li & Liang), the lab's older prefix variant (per layer hidden states passed through the
 * frozen LN1 and W_K, W_V), LoRA of any block matrix; the tuning modes of lib/nn choose the varList.
 * Weights are drawn from an `Rng`, so a model repeats from its seed.
 *
 * Parameter names: `tok.e` [vocab, d], `pos.e` [maxLen, d], `blocks.${l}.*` (lib/nn), `lnf.{g,b}`,
 * `head.w` [d, vocab].
 */
import * as tf from "@tensorflow/tfjs";
import type { Presets } from "../core/profile";
import type { Rng } from "../core/rng";
import { createLora, createPrefixTokens, createSoftPrompt } from "../nn/adapters";
import { cloneParams, disposeParams, initLayerNorm, layerNorm, linear, normalVariable, oneHotEmbedding, type Params } from "../nn/layers";
import { initTransformer, transformer, type BlockInit, type BlockMatrix, type StackOptions, type TransformerConfig } from "../nn/transformer";
import type { Tunable } from "../nn/tuning";

export interface GptConfig {
  /** Vocabulary size (token ids 0..vocab-1). */
  vocab: number;
  /** Width of the residual stream. */
  d: number;
  layers: number;
  heads: number;
  /** Hidden width of the MLP. */
  ff: number;
  /** Longest sequence of original tokens (positional table size). */
  maxLen: number;
  /** Causal (decoder-only) attention; false = every token sees every token (Eq. 11). */
  causal: boolean;
  /** Std of the weight initialisation (nanoGPT: 0.02). */
  initStd: number;
  /** Std of W_Q and W_K (default = initStd; larger gives peaked attention in random models). */
  qkStd: number;
}

/** Presets; `tiny` is the one the unit tests and goldens use. */
export const GPT_PRESETS: Presets<GptConfig> = {
  tiny: { vocab: 11, d: 16, layers: 2, heads: 2, ff: 32, maxLen: 6, causal: true, initStd: 0.02, qkStd: 0.02 },
  quick: { vocab: 11, d: 64, layers: 2, heads: 4, ff: 128, maxLen: 10, causal: true, initStd: 0.02, qkStd: 0.02 },
  paper: { vocab: 11, d: 64, layers: 3, heads: 4, ff: 256, maxLen: 12, causal: true, initStd: 0.02, qkStd: 0.02 },
};
export const TINY_GPT: GptConfig = GPT_PRESETS.tiny;

export interface Gpt {
  config: GptConfig;
  params: Params;
}

/** The stack name of the GPT's blocks. */
export const GPT_STACK = "blocks";

/** Rng fork labels of the block matrices (kept from the first version, so seeded weights did not change). */
const LABELS: Record<BlockMatrix, string> = { q: "Wq", k: "Wk", v: "Wv", o: "Wo", fc1: "W1", fc2: "W2" };

export function gptStackConfig(c: GptConfig): TransformerConfig {
  return { dModel: c.d, dFF: c.ff, nHeads: c.heads, causal: c.causal, attnBias: false, nLayers: c.layers };
}

/** A GPT with weights drawn from `rng` (checked config). GPT-2 init: residual projections std / sqrt(2 L). */
export function createGpt(config: GptConfig, rng: Rng): Gpt {
  for (const k of ["vocab", "d", "layers", "heads", "ff", "maxLen"] as const) {
    if (!Number.isInteger(config[k]) || config[k] < 1) throw new Error(`createGpt: config.${k} must be a positive integer, got ${config[k]}`);
  }
  if (config.d % config.heads !== 0) throw new Error(`createGpt: d (${config.d}) must be divisible by heads (${config.heads})`);
  const { vocab, d, maxLen, initStd: std } = config;
  const resStd = std / Math.sqrt(2 * config.layers);
  const stds: Record<BlockMatrix, number> = { q: config.qkStd, k: config.qkStd, v: std, o: resStd, fc1: std, fc2: resStd };
  const init: BlockInit = {};
  for (const m of Object.keys(LABELS) as BlockMatrix[]) init[m] = { std: stds[m], label: LABELS[m] };
  const params: Params = {
    "tok.e": normalVariable(rng.fork("tok"), [vocab, d], std),
    "pos.e": normalVariable(rng.fork("pos"), [maxLen, d], std),
    ...initTransformer(rng, gptStackConfig(config), GPT_STACK, init),
    ...initLayerNorm(d, "lnf"),
    "head.w": normalVariable(rng.fork("head"), [d, vocab], std),
  };
  return { config: { ...config }, params };
}

/** A copy of the model's weights (each method adapts its own copy of the same pretrained base). */
export function cloneGpt(m: Gpt): Gpt {
  return { config: { ...m.config }, params: cloneParams(m.params) };
}

export function disposeGpt(m: Gpt): void {
  disposeParams(m.params);
}

/** Trainable additions to a frozen GPT (any subset; prompt and either prefix exclude each other). */
export interface GptAdapters {
  /** Prompt tuning: [n, d] vectors in front of the embedded input. */
  prompt?: tf.Variable;
  /** Prefix hidden states: per layer [n, d] vectors passed through that layer's frozen LN1, W_K, W_V (the lab's older variant). */
  prefix?: tf.Variable[];
  /** Standard prefix tuning (Li & Liang): per layer trainable keys and values [n, d], used as they are. */
  prefixKV?: { k: tf.Variable; v: tf.Variable }[];
  /** LoRA factors (lib/nn createLora names). */
  lora?: Params;
  loraScale?: number;
}

/** Prompt-tuning tokens [n, d], N(0, std^2) from `rng`. */
export function createPrompt(m: Gpt, n: number, rng: Rng, std = 0.02): tf.Variable {
  return createSoftPrompt(rng, n, m.config.d, std);
}

/** Prefix-tuning tokens: one [n, d] block per layer. */
export function createPrefix(m: Gpt, n: number, rng: Rng, std = 0.02): tf.Variable[] {
  return createPrefixTokens(rng, m.config.layers, n, m.config.d, std);
}

/**
 * Standard prefix-tuning parameters (Li & Liang 2021; Petrov et al.'s setting): per layer n
 * trainable keys and n trainable values [n, d], N(0, std^2), put in front of that layer's keys and
 * values with no projection or normalisation in between. Layer l draws from `rng.fork(l)`.
 */
export function createPrefixKV(m: Gpt, n: number, rng: Rng, std = 0.02): { k: tf.Variable; v: tf.Variable }[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`createPrefixKV: need at least one prefix position, got ${n}`);
  return Array.from({ length: m.config.layers }, (_, l) => {
    const [k, v] = createPrefixTokens(rng.fork(l), 2, n, m.config.d, std);
    return { k, v };
  });
}

/** LoRA factors of `targets` in every block (B = 0, so the adapted model starts unchanged). */
export function createGptLora(m: Gpt, rank: number, targets: readonly BlockMatrix[], rng: Rng): Params {
  const layers = Array.from({ length: m.config.layers }, (_, l) => l);
  return createLora(rng, m.params, GPT_STACK, { rank, targets, layers, label: (l, t) => `${l}.${LABELS[t]}` });
}

/** All trainable tensors of a set of adapters. */
export function adapterVariables(a: GptAdapters): tf.Variable[] {
  return [...softVariables(a), ...Object.values(a.lora ?? {})];
}

/** The soft-token variables (prompt, prefix hidden states, prefix keys/values): trainable in every tuning mode. */
function softVariables(a: GptAdapters): tf.Variable[] {
  return [...(a.prompt ? [a.prompt] : []), ...(a.prefix ?? []), ...(a.prefixKV ?? []).flatMap((p) => [p.k, p.v])];
}

export function disposeAdapters(a: GptAdapters): void {
  tf.dispose(adapterVariables(a));
}

/** The GPT as the tuning modes see it: its backbone, its stack, and what trains in every mode. */
export function gptTunable(m: Gpt, a: GptAdapters = {}): Tunable {
  return { params: m.params, stack: GPT_STACK, nLayers: m.config.layers, always: softVariables(a), lora: a.lora };
}

export interface ForwardResult {
  /** Final hidden states of the original tokens after the last layer norm, [B*T, d] (row = b*T + t). */
  hidden: tf.Tensor2D;
  /** Per layer, [B, H, T_q, S]: queries are the original tokens, keys = extra tokens then originals. */
  attention: tf.Tensor4D[];
  /** Number of key columns in front of the originals in each layer's attention (prompt or prefix tokens). */
  extra: number[];
}

/**
 * Runs the blocks on already-embedded input `x0` [B, T, d] (token + position embeddings, or any
 * vectors, e.g. image tokens), then the final layer norm. Call inside tf.tidy (or dispose).
 */
export function forwardEmbedded(m: Gpt, x0: tf.Tensor3D, adapters: GptAdapters = {}, options: StackOptions = {}): ForwardResult {
  const [B, T, d] = x0.shape;
  if (d !== m.config.d) throw new Error(`forwardEmbedded: input width ${d} differs from the model's d = ${m.config.d}`);
  const r = transformer(x0, m.params, gptStackConfig(m.config), GPT_STACK, {
    prompt: adapters.prompt as tf.Tensor2D | undefined,
    prefix: adapters.prefix as tf.Tensor2D[] | undefined,
    normPrefix: true,
    prefixKV: adapters.prefixKV as { k: tf.Tensor2D; v: tf.Tensor2D }[] | undefined,
    lora: adapters.lora,
    loraScale: adapters.loraScale,
  }, options);
  const hidden = layerNorm(r.hidden.reshape([B * T, d]), m.params, "lnf") as tf.Tensor2D; // [B*T, d]
  return { hidden, attention: r.attention, extra: r.extra };
}

/** Token + position embeddings of integer tokens [B, T] by one-hot matmul: [B, T, d]. */
export function embedTokens(m: Gpt, tokens: tf.Tensor2D): tf.Tensor3D {
  const [, T] = tokens.shape;
  if (T > m.config.maxLen) throw new Error(`embedTokens: sequence length ${T} exceeds the model's maxLen ${m.config.maxLen}`);
  return tf.tidy(() => {
    const e = oneHotEmbedding(tokens, m.params, "tok") as tf.Tensor3D; // [B, T, d]
    return tf.add(e, tf.expandDims(tf.slice(m.params["pos.e"], [0, 0], [T, m.config.d]), 0)) as tf.Tensor3D;
  });
}

/** Logits [B*T, vocab] of integer tokens [B, T]. */
export function forwardTokens(m: Gpt, tokens: tf.Tensor2D, adapters: GptAdapters = {}, options: StackOptions = {}): ForwardResult & { logits: tf.Tensor2D } {
  const r = forwardEmbedded(m, embedTokens(m, tokens), adapters, options);
  return { ...r, logits: linear(r.hidden, m.params, "head") as tf.Tensor2D };
}
