/**
 * The adaptation methods of the sort experiment (Petrov, Torr & Bibi; the paper's §4.2 /
 * Appendix E.2), each set up on top of the same frozen pretrained GPT:
 * - `prefix`: standard prefix tuning (Li & Liang): per layer n trainable keys and values [n, d]
 *   in front of that layer's keys/values, no projection or normalisation in between;
 * - `prefix-ln`: the lab's older variant, kept as an extra row: per layer n trainable hidden
 *   states passed through the frozen LN1, W_K and W_V of that layer;
 * - `prompt`: n trainable vectors at the input (Lester et al.);
 * - `attention`: W_Q, W_K, W_V, W_O of every layer; `lora`: rank-r factors of every block
 *   matrix; `full`: every weight.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { cloneGpt, createGptLora, createPrefix, createPrefixKV, createPrompt, disposeAdapters, disposeGpt, Gpt, GptAdapters, gptTunable } from "../../models/gpt";
import { countParams } from "../../nn/layers";
import { BLOCK_MATRICES } from "../../nn/transformer";
import { tuningVarList, type TuningMode } from "../../nn/tuning";

export const SORT_METHODS = ["prefix", "prefix-ln", "prompt", "attention", "lora", "full"] as const;
export type SortMethod = (typeof SORT_METHODS)[number];

/** The lib/nn tuning mode of each method (prefix and prompt tuning are the two forms of embedding tuning). */
export const SORT_METHOD_MODE: Record<SortMethod, TuningMode> = { prefix: "embedding", "prefix-ln": "embedding", prompt: "embedding", attention: "attention", lora: "lora", full: "full" };

/** Learning-rate families: each family has its own sweep range (soft tokens need larger steps than weights; LoRA's B starts at 0). */
export type LrFamily = "soft" | "weights" | "lora";
export const SORT_METHOD_FAMILY: Record<SortMethod, LrFamily> = { prefix: "soft", "prefix-ln": "soft", prompt: "soft", attention: "weights", lora: "lora", full: "weights" };

/**
 * Rng fork label of each method's adapter and data streams. `prefix-ln` keeps the label `prefix`
 * it had when it was the lab's only prefix method, so its seeded runs (and the goldens) did not change.
 */
export const SORT_METHOD_LABEL: Record<SortMethod, string> = { prefix: "prefix-kv", "prefix-ln": "prefix", prompt: "prompt", attention: "attention", lora: "lora", full: "full" };

/** Published exact-sequence accuracies (descending sort after ascending pretraining), Petrov, Torr & Bibi; null = not reported. */
export const PETROV_PUBLISHED: Record<SortMethod, number | null> = { prefix: 0.0, "prefix-ln": null, prompt: null, attention: null, lora: null, full: 0.849 };

export function checkSortMethod(method: string): SortMethod {
  if (!(SORT_METHODS as readonly string[]).includes(method)) throw new Error(`unknown sort method '${method}'; known: ${SORT_METHODS.join(", ")}`);
  return method as SortMethod;
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

/**
 * Sets up `method` on `base`: its adapters (soft tokens drawn N(0, softStd^2), default 1), then
 * the varList of its tuning mode (weight-based modes train a copy of the base).
 */
export function adaptMethod(base: Gpt, method: SortMethod, c: { nSoft: number; loraRank: number; softStd?: number }, rng: Rng): Adapted {
  const mode = SORT_METHOD_MODE[method];
  if (mode === undefined) throw new Error(`adaptMethod: unknown method '${method as string}'; known: ${SORT_METHODS.join(", ")}`);
  const std = c.softStd ?? 1;
  let adapters: GptAdapters = {};
  if (method === "prefix") adapters = { prefixKV: createPrefixKV(base, c.nSoft, rng, std) };
  if (method === "prefix-ln") adapters = { prefix: createPrefix(base, c.nSoft, rng, std) };
  if (method === "prompt") adapters = { prompt: createPrompt(base, c.nSoft, rng, std) };
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
