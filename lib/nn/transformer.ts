/**
 * The pre-LN transformer (GPT-2 layout): the project's only transformer block and stack.
 * A block is x + Attn(LN1(x)), then x + MLP(LN2(x)) with a ReLU MLP. A stack of N blocks takes
 * the adaptation hooks of §4.2 (prompt tokens at the input, prefix tokens per layer, LoRA of
 * chosen projections) and can return the attention probabilities of every layer and head.
 *
 * Parameter names: `${prefix}.ln1.{g,b}`, `${prefix}.attn.{q,k,v,o}.{w,b}`, `${prefix}.ln2.{g,b}`,
 * `${prefix}.mlp.fc1.{w,b}`, `${prefix}.mlp.fc2.{w,b}`; block l of a stack is `${stack}.${l}`.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { attention, adaptedWeight, checkAttentionConfig, type AttentionExtras, type Projection } from "./attention";
import { initLayerNorm, initLinear, layerNorm, linear, type Params } from "./layers";

export interface BlockConfig {
  /** Model width. */
  dModel: number;
  /** Hidden width of the MLP. */
  dFF: number;
  /** Attention heads (dModel must be divisible by it). */
  nHeads: number;
  /** Causal mask (decoder) or full attention (encoder). */
  causal: boolean;
  /** Biases on the attention projections (default true; GPT-2-style models without: false). */
  attnBias?: boolean;
}

/** The matrices of a block, for initialisation and LoRA targets. */
export const BLOCK_MATRICES = ["q", "k", "v", "o", "fc1", "fc2"] as const;
export type BlockMatrix = (typeof BLOCK_MATRICES)[number];

/** Per matrix: std (default 1/sqrt(fan_in)) and Rng fork label (default its name). */
export type BlockInit = Partial<Record<BlockMatrix, { std?: number; label?: string }>>;

/** The parameter-name stem of a block matrix: `attn.q` ... `mlp.fc2`. */
export function matrixName(m: BlockMatrix): string {
  return m === "fc1" || m === "fc2" ? `mlp.${m}` : `attn.${m}`;
}

export function initBlock(rng: Rng, cfg: BlockConfig, prefix: string, init: BlockInit = {}): Params {
  checkAttentionConfig({ dModel: cfg.dModel, nHeads: cfg.nHeads, causal: cfg.causal }, "transformer block");
  const d = cfg.dModel;
  const mk = (m: BlockMatrix, dIn: number, dOut: number, bias: boolean): Params =>
    initLinear(rng.fork(init[m]?.label ?? m), dIn, dOut, `${prefix}.${matrixName(m)}`, init[m]?.std ?? 1 / Math.sqrt(dIn), bias);
  const attnBias = cfg.attnBias ?? true;
  return {
    ...initLayerNorm(d, `${prefix}.ln1`),
    ...mk("q", d, d, attnBias),
    ...mk("k", d, d, attnBias),
    ...mk("v", d, d, attnBias),
    ...mk("o", d, d, attnBias),
    ...initLayerNorm(d, `${prefix}.ln2`),
    ...mk("fc1", d, cfg.dFF, true),
    ...mk("fc2", cfg.dFF, d, true),
  };
}

/** Per-block adaptation inputs (see `transformer` for the per-stack ones). */
export interface BlockExtras {
  /** Prefix hidden states [n, d]; with `normPrefix` they pass through this block's LN1 first. */
  prefixHidden?: tf.Tensor2D;
  normPrefix?: boolean;
  prefixKV?: { k: tf.Tensor2D; v: tf.Tensor2D };
  /** Cross-attention is not part of this block (the editor's denoiser adds its own). */
  lora?: Params;
  loraScale?: number;
  onAttention?: AttentionExtras["onAttention"];
  /** A per-item additive attention mask [B, 1, T, T] instead of the causal one (attention.ts). */
  mask?: tf.Tensor4D;
}

/** One pre-LN block: x [B, T, D] -> [B, T, D]. */
export function block(x: tf.Tensor3D, p: Params, prefix: string, cfg: BlockConfig, ex: BlockExtras = {}): tf.Tensor3D {
  const acfg = { dModel: cfg.dModel, nHeads: cfg.nHeads, causal: cfg.causal };
  const pre = ex.prefixHidden && ex.normPrefix ? (layerNorm(ex.prefixHidden, p, `${prefix}.ln1`) as tf.Tensor2D) : ex.prefixHidden;
  const a = attention(layerNorm(x, p, `${prefix}.ln1`) as tf.Tensor3D, p, `${prefix}.attn`, acfg, {
    prefixHidden: pre,
    prefixKV: ex.prefixKV,
    lora: ex.lora,
    loraScale: ex.loraScale,
    onAttention: ex.onAttention,
    ...(ex.mask !== undefined ? { mask: ex.mask } : {}),
  });
  const h = tf.add(x, a) as tf.Tensor3D;
  const s = ex.loraScale ?? 1;
  const f1 = linear(layerNorm(h, p, `${prefix}.ln2`), p, `${prefix}.mlp.fc1`, adaptedWeight(p, `${prefix}.mlp.fc1`, ex.lora, s));
  const m = linear(tf.relu(f1), p, `${prefix}.mlp.fc2`, adaptedWeight(p, `${prefix}.mlp.fc2`, ex.lora, s));
  return tf.add(h, m) as tf.Tensor3D;
}

export interface TransformerConfig extends BlockConfig {
  nLayers: number;
}

/** N blocks `${stack}.0` .. `${stack}.${N-1}`, block l from `rng.fork(label(l))` (default `block${l}`). */
export function initTransformer(rng: Rng, cfg: TransformerConfig, stack: string, init: BlockInit = {}, label: (l: number) => string = (l) => `block${l}`): Params {
  if (!Number.isInteger(cfg.nLayers) || cfg.nLayers < 1) throw new Error(`transformer: nLayers must be a positive integer, got ${cfg.nLayers}`);
  let p: Params = {};
  for (let l = 0; l < cfg.nLayers; l++) p = { ...p, ...initBlock(rng.fork(label(l)), cfg, `${stack}.${l}`, init) };
  return p;
}

/** Adaptations of a whole stack (any subset; prompt and prefix exclude each other). */
export interface StackAdapters {
  /** Prompt tuning: [n, d] vectors put in front of the input (layer 0 only); they travel through every layer. */
  prompt?: tf.Tensor2D;
  /** Prefix tuning: per layer [n, d] hidden states in front of that layer's keys/values. */
  prefix?: tf.Tensor2D[];
  /** Prefix hidden states pass through the block's LN1 (the theory lab's GPT) or not (default false). */
  normPrefix?: boolean;
  /** Li & Liang prefix tuning: per layer keys and values [n, d] used as they are. */
  prefixKV?: { k: tf.Tensor2D; v: tf.Tensor2D }[];
  /** LoRA factors of any block matrices, named `${stack}.${l}.${matrixName}.lora.{A,B}`. */
  lora?: Params;
  loraScale?: number;
}

export interface StackOptions {
  /** Keep each layer's attention probabilities [B, H, T, S] (queries: the original tokens). */
  returnAttention?: boolean;
  /** A per-item additive attention mask [B, 1, T, T] used by every layer instead of the causal one (no prompt or prefix). */
  mask?: tf.Tensor4D;
}

export interface StackResult {
  /** Hidden states of the original tokens after the last block, [B, T, d] (no final LN). */
  hidden: tf.Tensor3D;
  /** Per layer, [B, H, T, S]: keys = extra tokens (prompt or prefix) then the originals. */
  attention: tf.Tensor4D[];
  /** Per layer, the number of key columns in front of the originals. */
  extra: number[];
}

/**
 * Runs N blocks on embedded input `x` [B, T, d]. Prompt tokens are prepended once and travel as
 * ordinary tokens (causally masked like the rest); prefix tokens are prepended to each layer's
 * keys/values. Call inside tf.tidy (or dispose the result).
 */
export function transformer(x: tf.Tensor3D, p: Params, cfg: TransformerConfig, stack: string, adapters: StackAdapters = {}, options: StackOptions = {}): StackResult {
  const [B, T, d] = x.shape;
  if (d !== cfg.dModel) throw new Error(`transformer '${stack}': input width ${d} differs from the model's d = ${cfg.dModel}`);
  if (adapters.prompt && (adapters.prefix || adapters.prefixKV)) throw new Error("transformer: use prompt tuning or prefix tuning, not both");
  for (const [name, list] of [["prefix", adapters.prefix], ["prefixKV", adapters.prefixKV]] as const) {
    if (list && list.length !== cfg.nLayers) throw new Error(`transformer: ${name} has ${list.length} layers, the model has ${cfg.nLayers}`);
  }
  const nPrompt = adapters.prompt ? adapters.prompt.shape[0] : 0;
  if (options.mask !== undefined && (nPrompt > 0 || adapters.prefix || adapters.prefixKV)) throw new Error("transformer: a per-item mask cannot be combined with prompt or prefix tuning");
  let h: tf.Tensor3D = x;
  if (adapters.prompt) h = tf.concat([tf.tile(tf.expandDims(adapters.prompt, 0), [B, 1, 1]), x], 1) as tf.Tensor3D; // [B, n+T, d]
  const attentionOut: tf.Tensor4D[] = [];
  const extra: number[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const onAttention = options.returnAttention
      ? (probs: tf.Tensor4D, nPre: number) => {
          const [, H, Tall, S] = probs.shape;
          // queries: the original tokens only; keys: prompt (inside the sequence) or prefix, then the originals
          attentionOut.push(nPrompt > 0 ? (tf.slice(probs, [0, 0, nPrompt, 0], [B, H, Tall - nPrompt, S]) as tf.Tensor4D) : probs);
          extra.push(nPrompt + nPre);
        }
      : undefined;
    h = block(h, p, `${stack}.${l}`, cfg, {
      prefixHidden: adapters.prefix?.[l],
      normPrefix: adapters.normPrefix,
      prefixKV: adapters.prefixKV?.[l],
      lora: adapters.lora,
      loraScale: adapters.loraScale,
      onAttention,
      ...(options.mask !== undefined ? { mask: options.mask } : {}),
    });
  }
  if (nPrompt > 0) h = tf.slice(h, [0, nPrompt, 0], [B, T, d]) as tf.Tensor3D; // [B, T, d]
  return { hidden: h, attention: attentionOut, extra };
}

/** Names of the attention projections of block `l` of `stack`, e.g. `blocks.2.attn.q.w`. */
export function projectionNames(stack: string, l: number, projections: readonly Projection[]): string[] {
  return projections.map((q) => `${stack}.${l}.attn.${q}.w`);
}
