/**
 * The one tuning-mode type (paper §4, §5.2; Appendix O): which variables the optimizer sees.
 * - `embedding` (MGIE, the paper's "embedding tuning"): only the always-trainable set
 *   (soft prompt or prefix tokens, image adapter, heads, denoiser ...); the backbone is frozen;
 * - `attention` (the paper's "attention tuning"): adds W_Q, W_K, W_V, W_O (or a chosen subset)
 *   of the chosen layers;
 * - `lora`: adds the LoRA factors of the chosen layers (created beside the frozen weights);
 * - `full`: adds every backbone weight (of the chosen layers' blocks, plus everything outside
 *   the blocks).
 * A layer selector picks layers: `all`, `shallow` / `middle` / `deep` (thirds of the stack,
 * Appendix O) or explicit indices.
 */
import type * as tf from "@tensorflow/tfjs";
import { PROJECTIONS, type Projection } from "./attention";
import type { Params } from "./layers";

export const TUNING_MODES = ["embedding", "attention", "lora", "full"] as const;
export type TuningMode = (typeof TUNING_MODES)[number];

export const LAYER_GROUPS = ["all", "shallow", "middle", "deep"] as const;
export type LayerSelector = (typeof LAYER_GROUPS)[number] | number[];

export function checkTuningMode(mode: string): TuningMode {
  if (!(TUNING_MODES as readonly string[]).includes(mode)) throw new Error(`unknown tuning mode '${mode}'; known: ${TUNING_MODES.join(", ")}`);
  return mode as TuningMode;
}

/**
 * Layer indices of a selector over a stack of `nLayers`: thirds split as evenly as possible, the
 * larger parts first (6 layers: 0-1, 2-3, 4-5; 4 layers: 0-1, 2, 3).
 */
export function selectLayers(sel: LayerSelector, nLayers: number): number[] {
  if (!Number.isInteger(nLayers) || nLayers < 1) throw new Error(`selectLayers: nLayers must be a positive integer, got ${nLayers}`);
  if (Array.isArray(sel)) {
    if (sel.length === 0) throw new Error("selectLayers: an explicit layer list must not be empty");
    for (const l of sel) if (!Number.isInteger(l) || l < 0 || l >= nLayers) throw new Error(`selectLayers: layer ${l} is outside 0..${nLayers - 1}`);
    return [...new Set(sel)].sort((a, b) => a - b);
  }
  if (sel === "all") return Array.from({ length: nLayers }, (_, i) => i);
  const part = ["shallow", "middle", "deep"].indexOf(sel);
  if (part < 0) throw new Error(`selectLayers: unknown layer selector '${String(sel)}'; use ${LAYER_GROUPS.join(", ")} or a list of indices`);
  if (nLayers < 3) throw new Error(`selectLayers: '${sel}' needs at least 3 layers (thirds of the stack), the model has ${nLayers}`);
  const base = Math.floor(nLayers / 3);
  const extra = nLayers % 3;
  const sizes = [0, 1, 2].map((i) => base + (i < extra ? 1 : 0));
  const start = sizes.slice(0, part).reduce((a, b) => a + b, 0);
  return Array.from({ length: sizes[part] }, (_, i) => start + i);
}

/** What a model exposes to the tuning modes. */
export interface Tunable {
  /** The backbone weights (frozen in `embedding` mode). */
  params: Params;
  /** The stack whose blocks are `${stack}.${l}.*`. */
  stack: string;
  nLayers: number;
  /** Trainable in every mode: soft prompt/prefix tokens, image adapter, heads, denoiser ... */
  always: readonly tf.Variable[];
  /** LoRA factors (from `createLora`), needed by the `lora` mode. */
  lora?: Params;
}

export interface TuningOptions {
  layers?: LayerSelector;
  /** Attention mode: which projections (default all four). */
  projections?: readonly Projection[];
}

/** The optimizer's varList for `mode` (each variable once, in a stable order). */
export function tuningVarList(mode: TuningMode, m: Tunable, o: TuningOptions = {}): tf.Variable[] {
  checkTuningMode(mode);
  const layers = selectLayers(o.layers ?? "all", m.nLayers);
  const inLayers = (name: string) => layers.some((l) => name.startsWith(`${m.stack}.${l}.`));
  const inAnyBlock = (name: string) => name.startsWith(`${m.stack}.`);
  const out: tf.Variable[] = [...m.always];
  const add = (names: string[], from: Params) => {
    for (const n of names) {
      const v = from[n];
      if (v === undefined) throw new Error(`tuningVarList: the model has no parameter '${n}'`);
      if (!out.includes(v)) out.push(v);
    }
  };
  switch (mode) {
    case "embedding":
      break;
    case "attention": {
      const proj = o.projections ?? PROJECTIONS;
      for (const q of proj) if (!(PROJECTIONS as readonly string[]).includes(q)) throw new Error(`tuningVarList: unknown projection '${q}'; known: ${PROJECTIONS.join(", ")}`);
      const names = Object.keys(m.params).filter((n) => layers.some((l) => proj.some((q) => n.startsWith(`${m.stack}.${l}.attn.${q}.`))));
      add(names, m.params);
      break;
    }
    case "lora": {
      if (!m.lora || Object.keys(m.lora).length === 0) throw new Error("tuningVarList: 'lora' mode needs LoRA factors (createLora) on the model");
      add(Object.keys(m.lora).filter(inLayers), m.lora);
      break;
    }
    case "full":
      add(Object.keys(m.params).filter((n) => !inAnyBlock(n) || inLayers(n)), m.params);
      break;
  }
  if (out.length === 0) throw new Error(`tuningVarList: nothing to train in '${mode}' mode`);
  return out;
}
