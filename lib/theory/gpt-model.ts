/**
 * A tiny GPT (nanoGPT-style, pre-LayerNorm) in TF.js, with the adaptation hooks that §4.2 and
 * Petrov, Torr & Bibi compare: prompt tuning (trainable tokens at the input only), prefix tuning
 * (trainable tokens in front of every layer's keys/values), LoRA (low-rank updates of the
 * attention and MLP matrices), attention tuning (W_Q, W_K, W_V, W_O) and full fine-tuning.
 *
 * Embeddings are one-hot matmuls (the gradient of tf.gather is missing on wasm); projections
 * run as 2-D matmuls on [B*T, d]; only the attention scores use batched matmuls.
 * Weights are initialised from an `Rng`, so a model repeats from its seed.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/rng";
import { matMul2d } from "./gpt-matmul";

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

/** One transformer block's weights. */
export interface GptBlock {
  ln1g: tf.Variable; ln1b: tf.Variable;
  Wq: tf.Variable; Wk: tf.Variable; Wv: tf.Variable; Wo: tf.Variable; // [d, d] each (x @ W)
  ln2g: tf.Variable; ln2b: tf.Variable;
  W1: tf.Variable; b1: tf.Variable; // [d, ff], [ff]
  W2: tf.Variable; b2: tf.Variable; // [ff, d], [d]
}

export interface Gpt {
  config: GptConfig;
  tokEmb: tf.Variable; // [vocab, d]
  posEmb: tf.Variable; // [maxLen, d]
  blocks: GptBlock[];
  lnfg: tf.Variable; lnfb: tf.Variable;
  head: tf.Variable; // [d, vocab]
}

/** Names of the block matrices that LoRA may adapt. */
export const LORA_TARGETS = ["Wq", "Wk", "Wv", "Wo", "W1", "W2"] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** Trainable additions to a frozen model (any subset). */
export interface Adapters {
  /** Prompt tuning: [n, d] vectors put in front of the embedded input (layer 0 only). */
  prompt?: tf.Variable;
  /** Prefix tuning: per layer [n, d] hidden states put in front of that layer's keys/values. */
  prefix?: tf.Variable[];
  /** LoRA: per layer, per target matrix, A [in, r] and B [r, out] (B starts at 0); W' = W + scale A B. */
  lora?: { A: Record<string, tf.Variable>; B: Record<string, tf.Variable> }[];
  loraScale?: number;
}

/** A trainable variable; the initial tensor is freed (tidy), the variable keeps its data. */
function variable(values: Float32Array, shape: number[], name: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), true, name));
}

let modelCounter = 0;

/** A GPT with weights drawn from `rng` (checked config). */
export function createGpt(config: GptConfig, rng: Rng): Gpt {
  for (const k of ["vocab", "d", "layers", "heads", "ff", "maxLen"] as const) {
    if (!Number.isInteger(config[k]) || config[k] < 1) throw new Error(`createGpt: config.${k} must be a positive integer, got ${config[k]}`);
  }
  if (config.d % config.heads !== 0) throw new Error(`createGpt: d (${config.d}) must be divisible by heads (${config.heads})`);
  const { vocab, d, ff, layers, maxLen } = config;
  const id = `gpt${++modelCounter}`;
  const std = config.initStd;
  const resStd = std / Math.sqrt(2 * layers); // GPT-2: residual projections scaled down
  const ones = (n: number) => new Float32Array(n).fill(1);
  const zeros = (n: number) => new Float32Array(n);
  const blocks: GptBlock[] = [];
  for (let l = 0; l < layers; l++) {
    const r = rng.fork(`block${l}`);
    blocks.push({
      ln1g: variable(ones(d), [d], `${id}.b${l}.ln1g`), ln1b: variable(zeros(d), [d], `${id}.b${l}.ln1b`),
      Wq: variable(r.fork("Wq").normalArray(d * d, 0, config.qkStd), [d, d], `${id}.b${l}.Wq`),
      Wk: variable(r.fork("Wk").normalArray(d * d, 0, config.qkStd), [d, d], `${id}.b${l}.Wk`),
      Wv: variable(r.fork("Wv").normalArray(d * d, 0, std), [d, d], `${id}.b${l}.Wv`),
      Wo: variable(r.fork("Wo").normalArray(d * d, 0, resStd), [d, d], `${id}.b${l}.Wo`),
      ln2g: variable(ones(d), [d], `${id}.b${l}.ln2g`), ln2b: variable(zeros(d), [d], `${id}.b${l}.ln2b`),
      W1: variable(r.fork("W1").normalArray(d * ff, 0, std), [d, ff], `${id}.b${l}.W1`), b1: variable(zeros(ff), [ff], `${id}.b${l}.b1`),
      W2: variable(r.fork("W2").normalArray(ff * d, 0, resStd), [ff, d], `${id}.b${l}.W2`), b2: variable(zeros(d), [d], `${id}.b${l}.b2`),
    });
  }
  return {
    config: { ...config },
    tokEmb: variable(rng.fork("tok").normalArray(vocab * d, 0, std), [vocab, d], `${id}.tok`),
    posEmb: variable(rng.fork("pos").normalArray(maxLen * d, 0, std), [maxLen, d], `${id}.pos`),
    blocks,
    lnfg: variable(ones(d), [d], `${id}.lnfg`), lnfb: variable(zeros(d), [d], `${id}.lnfb`),
    head: variable(rng.fork("head").normalArray(d * vocab, 0, std), [d, vocab], `${id}.head`),
  };
}

/** Every weight of the model (full fine-tuning). */
export function allVariables(m: Gpt): tf.Variable[] {
  const out = [m.tokEmb, m.posEmb, m.lnfg, m.lnfb, m.head];
  for (const b of m.blocks) out.push(b.ln1g, b.ln1b, b.Wq, b.Wk, b.Wv, b.Wo, b.ln2g, b.ln2b, b.W1, b.b1, b.W2, b.b2);
  return out;
}

/** The attention matrices of every block: W_Q, W_K (and W_V, W_O when `withValueOutput`). */
export function attentionVariables(m: Gpt, withValueOutput: boolean): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (const b of m.blocks) out.push(...(withValueOutput ? [b.Wq, b.Wk, b.Wv, b.Wo] : [b.Wq, b.Wk]));
  return out;
}

/** A copy of the model's weights (for "fine-tune from the same pretrained base" per method). */
export function cloneGpt(m: Gpt): Gpt {
  const copy = (v: tf.Variable) => tf.tidy(() => tf.variable(v.clone() as tf.Tensor, true, `${v.name}.c${++modelCounter}`));
  return {
    config: { ...m.config },
    tokEmb: copy(m.tokEmb), posEmb: copy(m.posEmb), lnfg: copy(m.lnfg), lnfb: copy(m.lnfb), head: copy(m.head),
    blocks: m.blocks.map((b) => ({
      ln1g: copy(b.ln1g), ln1b: copy(b.ln1b), Wq: copy(b.Wq), Wk: copy(b.Wk), Wv: copy(b.Wv), Wo: copy(b.Wo),
      ln2g: copy(b.ln2g), ln2b: copy(b.ln2b), W1: copy(b.W1), b1: copy(b.b1), W2: copy(b.W2), b2: copy(b.b2),
    })),
  };
}

export function disposeGpt(m: Gpt): void {
  tf.dispose(allVariables(m));
}

/** Prompt-tuning tokens [n, d], N(0, std^2) from `rng`. */
export function createPrompt(m: Gpt, n: number, rng: Rng, std = 0.02): tf.Variable {
  if (!Number.isInteger(n) || n < 1) throw new Error(`createPrompt: need at least one prompt token, got ${n}`);
  return variable(rng.normalArray(n * m.config.d, 0, std), [n, m.config.d], `prompt${++modelCounter}`);
}

/** Prefix-tuning tokens: one [n, d] block per layer. */
export function createPrefix(m: Gpt, n: number, rng: Rng, std = 0.02): tf.Variable[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`createPrefix: need at least one prefix token, got ${n}`);
  return m.blocks.map((_, l) => variable(rng.fork(l).normalArray(n * m.config.d, 0, std), [n, m.config.d], `prefix${++modelCounter}.${l}`));
}

/** LoRA factors for `targets` in every block: A ~ N(0, 1/in), B = 0 (so the model starts unchanged). */
export function createLora(m: Gpt, rank: number, targets: readonly LoraTarget[], rng: Rng): NonNullable<Adapters["lora"]> {
  if (!Number.isInteger(rank) || rank < 1) throw new Error(`createLora: rank must be a positive integer, got ${rank}`);
  return m.blocks.map((b, l) => {
    const A: Record<string, tf.Variable> = {};
    const B: Record<string, tf.Variable> = {};
    for (const t of targets) {
      const [din, dout] = b[t].shape;
      A[t] = variable(rng.fork(`${l}.${t}`).normalArray(din * rank, 0, 1 / Math.sqrt(din)), [din, rank], `loraA${++modelCounter}`);
      B[t] = variable(new Float32Array(rank * dout), [rank, dout], `loraB${++modelCounter}`);
    }
    return { A, B };
  });
}

/** All trainable tensors of a set of adapters. */
export function adapterVariables(a: Adapters): tf.Variable[] {
  const out: tf.Variable[] = [];
  if (a.prompt) out.push(a.prompt);
  if (a.prefix) out.push(...a.prefix);
  if (a.lora) for (const l of a.lora) for (const k of Object.keys(l.A)) out.push(l.A[k], l.B[k]);
  return out;
}

export function disposeAdapters(a: Adapters): void {
  tf.dispose(adapterVariables(a));
}

function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b) as tf.Tensor2D;
}

function weight(block: GptBlock, name: LoraTarget, lora: Adapters["lora"], l: number, scale: number): tf.Tensor2D {
  const w = block[name] as tf.Tensor2D;
  const f = lora?.[l];
  if (!f || !f.A[name]) return w;
  return tf.add(w, tf.mul(matMul2d(f.A[name] as tf.Tensor2D, f.B[name] as tf.Tensor2D), scale)) as tf.Tensor2D;
}

/** The additive attention mask [T, S]: 0 where key j is visible to query i, -1e9 elsewhere. */
function maskBias(T: number, nExtra: number, causal: boolean): tf.Tensor2D {
  const S = nExtra + T;
  const m = new Float32Array(T * S);
  if (causal) {
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) if (j > i) m[i * S + nExtra + j] = -1e9;
  }
  return tf.tensor2d(m, [T, S]);
}

export interface ForwardOptions {
  /** Keep each layer's attention probabilities [B, H, T, S] (S = extra tokens + T). */
  returnAttention?: boolean;
}

export interface ForwardResult {
  /** Final hidden states of the original tokens after the last LayerNorm, [B*T, d] (row = b*T + t). */
  hidden: tf.Tensor2D;
  /** Per layer, [B, H, T_q, S]: queries are the original tokens, keys = extra tokens then originals. */
  attention: tf.Tensor4D[];
  /** Number of key columns in front of the originals in each layer's attention (prompt or prefix tokens). */
  extra: number[];
}

/**
 * Runs the blocks on already-embedded input `x0` [B, T, d] (token + position embeddings, or any
 * vectors, e.g. image tokens). Prompt tokens are prepended once and travel through every layer
 * as ordinary (causally masked) tokens; prefix tokens are prepended to each layer's keys/values.
 * Call inside tf.tidy (or dispose the result).
 */
export function forwardEmbedded(m: Gpt, x0: tf.Tensor3D, adapters: Adapters = {}, options: ForwardOptions = {}): ForwardResult {
  const { d, heads, causal } = m.config;
  const [B, T] = x0.shape;
  const hd = d / heads;
  if (x0.shape[2] !== d) throw new Error(`forwardEmbedded: input width ${x0.shape[2]} differs from the model's d = ${d}`);
  if (adapters.prompt && adapters.prefix) throw new Error("forwardEmbedded: use prompt tuning or prefix tuning, not both");
  const nPrompt = adapters.prompt ? adapters.prompt.shape[0] : 0;
  const loraScale = adapters.loraScale ?? 1;
  const Tall = nPrompt + T; // tokens carried through the residual stream
  let h: tf.Tensor2D = tf.reshape(x0, [B * T, d]); // [B*T, d]
  if (adapters.prompt) {
    const p = tf.tile(tf.expandDims(adapters.prompt, 0), [B, 1, 1]); // [B, n, d]
    h = tf.reshape(tf.concat([p, x0], 1), [B * Tall, d]); // [B*(n+T), d]
  }
  const attention: tf.Tensor4D[] = [];
  const extra: number[] = [];
  const toHeads = (t: tf.Tensor2D, len: number) => tf.transpose(tf.reshape(t, [B, len, heads, hd]), [0, 2, 1, 3]); // [B, H, len, hd]
  for (let l = 0; l < m.blocks.length; l++) {
    const b = m.blocks[l];
    const nPre = adapters.prefix ? adapters.prefix[l].shape[0] : 0;
    const a = layerNorm(h, b.ln1g, b.ln1b); // [B*Tall, d]
    const q = toHeads(matMul2d(a, weight(b, "Wq", adapters.lora, l, loraScale)), Tall);
    let kIn: tf.Tensor2D = a;
    let S = Tall;
    if (adapters.prefix) {
      const pre = layerNorm(adapters.prefix[l] as tf.Tensor2D, b.ln1g, b.ln1b); // [nPre, d]
      const pb = tf.tile(tf.expandDims(pre, 0), [B, 1, 1]); // [B, nPre, d]
      kIn = tf.reshape(tf.concat([pb, tf.reshape(a, [B, Tall, d])], 1), [B * (nPre + Tall), d]); // [B*(nPre+T), d]
      S = nPre + Tall;
    }
    const k = toHeads(matMul2d(kIn, weight(b, "Wk", adapters.lora, l, loraScale)), S); // [B, H, S, hd]
    const v = toHeads(matMul2d(kIn, weight(b, "Wv", adapters.lora, l, loraScale)), S); // [B, H, S, hd]
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), maskBias(Tall, nPre, causal)); // [B, H, Tall, S]
    const att = tf.softmax(scores) as tf.Tensor4D; // stable: tf.softmax subtracts the row max
    if (options.returnAttention) {
      // queries: original tokens only; keys: prompt (inside Tall) or prefix, then originals
      attention.push(nPrompt > 0 ? (tf.slice(att, [0, 0, nPrompt, 0], [B, heads, T, S]) as tf.Tensor4D) : att);
      extra.push(nPrompt + nPre);
    }
    const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * Tall, d]) as tf.Tensor2D; // [B*Tall, d]
    h = tf.add(h, matMul2d(y, weight(b, "Wo", adapters.lora, l, loraScale))) as tf.Tensor2D;
    const a2 = layerNorm(h, b.ln2g, b.ln2b);
    const f = tf.relu(tf.add(matMul2d(a2, weight(b, "W1", adapters.lora, l, loraScale)), b.b1)) as tf.Tensor2D;
    h = tf.add(h, tf.add(matMul2d(f, weight(b, "W2", adapters.lora, l, loraScale)), b.b2)) as tf.Tensor2D;
  }
  if (nPrompt > 0) h = tf.reshape(tf.slice(tf.reshape(h, [B, Tall, d]), [0, nPrompt, 0], [B, T, d]), [B * T, d]); // [B*T, d]
  return { hidden: layerNorm(h, m.lnfg, m.lnfb), attention, extra };
}

/** Token + position embeddings of integer tokens [B, T] by one-hot matmul: [B, T, d]. */
export function embedTokens(m: Gpt, tokens: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = tokens.shape;
  const { vocab, d, maxLen } = m.config;
  if (T > maxLen) throw new Error(`embedTokens: sequence length ${T} exceeds the model's maxLen ${maxLen}`);
  return tf.tidy(() => {
    const oh = tf.oneHot(tf.reshape(tokens, [B * T]) as tf.Tensor1D, vocab) as tf.Tensor2D; // [B*T, vocab]
    const e = tf.reshape(matMul2d(tf.cast(oh, "float32") as tf.Tensor2D, m.tokEmb as tf.Tensor2D), [B, T, d]); // [B, T, d]
    return tf.add(e, tf.expandDims(tf.slice(m.posEmb, [0, 0], [T, d]), 0)) as tf.Tensor3D;
  });
}

/** Logits [B*T, vocab] of integer tokens [B, T]. */
export function forwardTokens(m: Gpt, tokens: tf.Tensor2D, adapters: Adapters = {}, options: ForwardOptions = {}): ForwardResult & { logits: tf.Tensor2D } {
  const r = forwardEmbedded(m, embedTokens(m, tokens), adapters, options);
  return { ...r, logits: matMul2d(r.hidden, m.head as tf.Tensor2D) };
}

/**
 * Lets pending I/O run between training steps. Long synchronous loops in a tslab notebook made
 * the kernel die ("Socket is busy writing") because progress messages could not be flushed.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
