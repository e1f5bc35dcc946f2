/**
 * Petrov, Torr & Bibi's experiment, the external check of the paper's §4.2 / Appendix E.2:
 * pretrain a tiny GPT to sort digits ascending, then adapt it to sort descending with
 * (a) prefix tuning, (b) prompt tuning, (c) attention tuning (W_Q, W_K, W_V, W_O only),
 * (d) LoRA and (e) full fine-tuning, each from the same pretrained weights.
 * Their published numbers: full fine-tuning 84.9%, prefix tuning 0.0%.
 */
import * as tf from "@tensorflow/tfjs";
import { Presets } from "../../core/profile";
import { Rng } from "../../core/rng";
import { cloneGpt, createGpt, createGptLora, createPrefix, createPrompt, disposeAdapters, disposeGpt, forwardTokens, Gpt, GptAdapters, gptTunable } from "../../models/gpt";
import { BLOCK_MATRICES } from "../../nn/transformer";
import { countParams } from "../../nn/layers";
import { tuningVarList, type TuningMode } from "../../nn/tuning";
import { trainLoop } from "../../train/loop";
import { SORT_VOCAB, sortAccuracy, sortBatch, sortLoss, SortOrder } from "./task";

/**
 * The compared methods, each a lib/nn tuning mode: prefix and prompt tuning are the two forms of
 * embedding tuning (soft tokens per layer or at the input); attention, LoRA and full are the
 * weight-based modes.
 */
export const SORT_METHODS = ["prefix", "prompt", "attention", "lora", "full"] as const;
export type SortMethod = (typeof SORT_METHODS)[number];
export const SORT_METHOD_MODE: Record<SortMethod, TuningMode> = { prefix: "embedding", prompt: "embedding", attention: "attention", lora: "lora", full: "full" };

/** Published accuracies (descending sort after ascending pretraining), Petrov, Torr & Bibi; null = not reported. */
export const PETROV_PUBLISHED: Record<SortMethod, number | null> = { prefix: 0.0, prompt: null, attention: null, lora: null, full: 0.849 };

export interface SortExperimentConfig {
  /** Digits per sequence. */
  n: number;
  /** Model width, depth, heads, MLP width. */
  d: number;
  layers: number;
  heads: number;
  ff: number;
  /** Sequences per step. */
  batch: number;
  /** Ascending-sort pretraining: Adam steps and learning rate. */
  pretrainSteps: number;
  pretrainLr: number;
  /** Descending-sort adaptation: Adam steps per method. */
  adaptSteps: number;
  /** Learning rate for weight-based methods (attention, LoRA, full). */
  adaptLr: number;
  /** Learning rate for prompt/prefix tokens (soft tokens usually need a larger one). */
  softLr: number;
  /** Learning rate for LoRA factors (B starts at 0, so LoRA needs a larger one than full tuning). */
  loraLr: number;
  /** Trainable tokens for prefix tuning (per layer) and prompt tuning (at the input). */
  nSoft: number;
  /** LoRA rank (on W_Q, W_K, W_V, W_O, W_1, W_2 of every block). */
  loraRank: number;
  /** Held-out sequences for accuracy. */
  evalSize: number;
  /** One full run (pretraining + all methods) per seed. */
  seeds: number[];
}

export const SORT_PRESETS: Presets<SortExperimentConfig> = {
  tiny: { n: 3, d: 16, layers: 1, heads: 2, ff: 32, batch: 16, pretrainSteps: 6, pretrainLr: 3e-3, adaptSteps: 3, adaptLr: 1e-3, softLr: 1e-2, loraLr: 1e-2, nSoft: 2, loraRank: 2, evalSize: 32, seeds: [1] },
  quick: { n: 5, d: 64, layers: 2, heads: 4, ff: 128, batch: 64, pretrainSteps: 500, pretrainLr: 3e-3, adaptSteps: 150, adaptLr: 1e-3, softLr: 1e-2, loraLr: 1e-2, nSoft: 8, loraRank: 4, evalSize: 500, seeds: [1] },
  paper: { n: 6, d: 64, layers: 3, heads: 4, ff: 256, batch: 64, pretrainSteps: 2000, pretrainLr: 3e-3, adaptSteps: 600, adaptLr: 1e-3, softLr: 1e-2, loraLr: 1e-2, nSoft: 10, loraRank: 8, evalSize: 2000, seeds: [1, 2, 3] },
};

/** The GPT config of an experiment config. */
export function sortGptConfig(c: SortExperimentConfig) {
  return { vocab: SORT_VOCAB, d: c.d, layers: c.layers, heads: c.heads, ff: c.ff, maxLen: 2 * c.n, causal: true, initStd: 0.02, qkStd: 0.02 };
}

/**
 * Logits of the output positions [B*n, vocab] for a batch: a slice, not tf.gather (whose
 * gradient, UnsortedSegmentSum, is missing on wasm).
 */
function outputLogits(m: Gpt, a: GptAdapters, input: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = input.shape;
  const n = T / 2;
  const logits = tf.reshape(forwardTokens(m, input, a).logits, [B, T, SORT_VOCAB]); // [B, 2n, V]
  return tf.reshape(tf.slice(logits, [0, n, 0], [B, n, SORT_VOCAB]), [B * n, SORT_VOCAB]); // [B*n, V]
}

/**
 * Adam steps (lib/train's loop) on sorting in `order`, training only `vars`. Returns the loss per
 * step. Gradients of the frozen weights are never computed (varList).
 */
export async function trainSort(m: Gpt, a: GptAdapters, vars: tf.Variable[], order: SortOrder, steps: number, lr: number, batch: number, rng: Rng, label = "train", silent = false): Promise<number[]> {
  if (vars.length === 0) throw new Error("trainSort: nothing to train (empty variable list)");
  const n = (m.config.maxLen / 2) | 0;
  return trainLoop(
    vars,
    () => {
      const sb = sortBatch(rng, batch, n, order);
      const input = tf.tensor2d(sb.input, [batch, 2 * n], "int32");
      return sortLoss(outputLogits(m, a, input), tf.tensor1d(sb.target, "int32"));
    },
    { steps, lr, label, silent },
  );
}

/** Exact-sequence and per-token accuracy on `size` fresh sequences sorted in `order`. */
export function evaluateSort(m: Gpt, a: GptAdapters, order: SortOrder, size: number, rng: Rng): { sequence: number; token: number } {
  const n = (m.config.maxLen / 2) | 0;
  const chunk = 500;
  let seq = 0;
  let tok = 0;
  for (let start = 0; start < size; start += chunk) {
    const B = Math.min(chunk, size - start);
    const sb = sortBatch(rng, B, n, order);
    const pred = tf.tidy(() => {
      return tf.argMax(outputLogits(m, a, tf.tensor2d(sb.input, [B, 2 * n], "int32")), -1).dataSync();
    });
    const acc = sortAccuracy(pred, sb.target, n);
    seq += acc.sequence * B;
    tok += acc.token * B;
  }
  return { sequence: seq / size, token: tok / size };
}

/** The learning rate a method trains with. */
export function methodLr(c: Pick<SortExperimentConfig, "adaptLr" | "softLr" | "loraLr">, method: SortMethod): number {
  if (method === "prefix" || method === "prompt") return c.softLr;
  return method === "lora" ? c.loraLr : c.adaptLr;
}

/** The trainable state of one adaptation method on top of a frozen pretrained model. */
export interface Adapted {
  method: SortMethod;
  model: Gpt;
  adapters: GptAdapters;
  vars: tf.Variable[];
  /** Trainable parameter count. */
  params: number;
  /** Whether `model` is a copy to dispose (weight-based methods). */
  ownsModel: boolean;
}

/** Sets up `method` on `base`: its adapters, then the varList of its tuning mode (weight-based modes train a copy). */
export function adaptMethod(base: Gpt, method: SortMethod, c: Pick<SortExperimentConfig, "nSoft" | "loraRank">, rng: Rng): Adapted {
  const mode = SORT_METHOD_MODE[method];
  if (mode === undefined) throw new Error(`adaptMethod: unknown method '${method as string}'; known: ${SORT_METHODS.join(", ")}`);
  let adapters: GptAdapters = {};
  if (method === "prefix") adapters = { prefix: createPrefix(base, c.nSoft, rng, 1) };
  if (method === "prompt") adapters = { prompt: createPrompt(base, c.nSoft, rng, 1) };
  if (method === "lora") adapters = { lora: createGptLora(base, c.loraRank, BLOCK_MATRICES, rng), loraScale: 1 };
  const ownsModel = mode === "attention" || mode === "full";
  const model = ownsModel ? cloneGpt(base) : base;
  const vars = tuningVarList(mode, gptTunable(model, adapters));
  return { method, model, adapters, vars, params: countParams(vars), ownsModel };
}

export function disposeAdapted(a: Adapted): void {
  disposeAdapters(a.adapters);
  if (a.ownsModel) disposeGpt(a.model);
}

/** Attention probabilities of one example, per layer: [heads][T][extra + T] plus the extra count. */
export function sortAttentionMaps(m: Gpt, a: GptAdapters, input: Int32Array): { maps: number[][][][]; extra: number[] } {
  const T = m.config.maxLen;
  if (input.length !== T) throw new Error(`sortAttentionMaps: need one example of ${T} tokens, got ${input.length}`);
  return tf.tidy(() => {
    const r = forwardTokens(m, tf.tensor2d(input, [1, T], "int32"), a, { returnAttention: true });
    const maps = r.attention.map((att) => (att.arraySync() as number[][][][])[0]);
    return { maps, extra: r.extra };
  });
}

export interface SortMethodResult {
  method: SortMethod;
  seed: number;
  params: number;
  /** Descending-sort accuracy after adaptation (exact sequence, per token). */
  sequence: number;
  token: number;
  /** Ascending accuracy after adaptation (what is left of the pretrained skill). */
  ascendingAfter: number;
  finalLoss: number;
  seconds: number;
}

export interface SortSeedResult {
  seed: number;
  pretrainAscending: number;
  baseDescending: number;
  pretrainSeconds: number;
  pretrainLoss: number[];
  methods: SortMethodResult[];
  /** Adaptation loss curves per method. */
  curves: Record<string, number[]>;
}

/** One example's attention maps: pretrained base and every adapted model (first seed only). */
export interface SortAttentionSnapshot {
  example: number[];
  base: { maps: number[][][][]; extra: number[] };
  methods: Record<string, { maps: number[][][][]; extra: number[] }>;
}

export interface SortExperimentResult {
  config: SortExperimentConfig;
  seeds: SortSeedResult[];
  attention: SortAttentionSnapshot | null;
}

/**
 * Runs the whole experiment for every seed: pretrain (ascending), then each method
 * (descending) from the same pretrained weights; accuracy on fresh held-out sequences.
 * `keep` (optional) receives the pretrained base and each adapted model of the first seed
 * before they are disposed (for the Eq. 7 check of the notebook).
 */
export async function runSortExperiment(
  c: SortExperimentConfig,
  options: { methods?: readonly SortMethod[]; silent?: boolean; onAdapted?: (base: Gpt, a: Adapted, seed: number) => void } = {},
): Promise<SortExperimentResult> {
  const methods = options.methods ?? SORT_METHODS;
  const out: SortExperimentResult = { config: c, seeds: [], attention: null };
  for (const seed of c.seeds) {
    const rng = new Rng(seed);
    const base = createGpt(sortGptConfig(c), rng.fork("init"));
    let t0 = Date.now();
    const pretrainLoss = await trainSort(base, {}, tuningVarList("full", gptTunable(base)), "ascending", c.pretrainSteps, c.pretrainLr, c.batch, rng.fork("pretrain-data"), `seed ${seed}: pretrain ascending`, options.silent);
    const pretrainSeconds = (Date.now() - t0) / 1000;
    const evalRng = () => rng.fork("eval");
    const res: SortSeedResult = {
      seed,
      pretrainAscending: evaluateSort(base, {}, "ascending", c.evalSize, evalRng()).sequence,
      baseDescending: evaluateSort(base, {}, "descending", c.evalSize, evalRng()).sequence,
      pretrainSeconds,
      pretrainLoss,
      methods: [],
      curves: {},
    };
    const example = sortBatch(rng.fork("example"), 1, c.n, "descending").input;
    if (out.attention === null) out.attention = { example: Array.from(example), base: sortAttentionMaps(base, {}, example), methods: {} };
    for (const method of methods) {
      const ad = adaptMethod(base, method, c, rng.fork(`adapter-${method}`));
      t0 = Date.now();
      const losses = await trainSort(ad.model, ad.adapters, ad.vars, "descending", c.adaptSteps, methodLr(c, method), c.batch, rng.fork(`adapt-data-${method}`), `seed ${seed}: ${method}`, options.silent);
      const seconds = (Date.now() - t0) / 1000;
      const acc = evaluateSort(ad.model, ad.adapters, "descending", c.evalSize, evalRng());
      const asc = evaluateSort(ad.model, ad.adapters, "ascending", c.evalSize, evalRng());
      res.methods.push({ method, seed, params: ad.params, sequence: acc.sequence, token: acc.token, ascendingAfter: asc.sequence, finalLoss: losses[losses.length - 1], seconds });
      res.curves[method] = losses;
      if (seed === c.seeds[0] && out.attention !== null) out.attention.methods[method] = sortAttentionMaps(ad.model, ad.adapters, example);
      options.onAdapted?.(base, ad, seed);
      disposeAdapted(ad);
    }
    disposeGpt(base);
    out.seeds.push(res);
  }
  return out;
}

/** Mean and sample standard deviation of a method's exact accuracy over seeds. */
export function summariseSort(r: SortExperimentResult): { method: SortMethod; mean: number; std: number; token: number; seeds: number; params: number }[] {
  const methods = r.seeds[0]?.methods.map((m) => m.method) ?? [];
  return methods.map((method) => {
    const rows = r.seeds.map((s) => s.methods.find((m) => m.method === method)!);
    const xs = rows.map((m) => m.sequence);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
    const token = rows.reduce((a, m) => a + m.token, 0) / rows.length;
    return { method, mean, std, token, seeds: xs.length, params: rows[0].params };
  });
}
