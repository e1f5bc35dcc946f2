/**
 * The editor's training recipes (paper §5.2, Tables 1/5, Appendix O), each a function from a
 * parent editor (or none) to a trained editor, with one typed config and presets per profile:
 * - `base`: base pre-training, standing in for the pretrained LLaVA: Enc + MLLM + heads on
 *   generic, non-spatial captions (full mode, encoder trainable); afterwards Enc and the MLLM are
 *   frozen unless a recipe's tuning mode opens them;
 * - `mgie`: MGIE-like: embedding tuning on the generic edit data (~7% spatial), loss
 *   L_condition + 0.5 L_edit (MGIE's weight);
 * - `stage1`: §5.2.1: attention tuning + adapter on the data engine's spatial VQA;
 * - `stage2`: §5.2.2: the spatial edit data, L = L_condition + L_edit; trainable: adapter,
 *   attention layers, H_lm, H_edit, Diff_edit (mode `attention`; `lora` for SpatialEdit-LoRA);
 * - `wo-de`: attention tuning on generic edit data instead of the engine's (w/o DE);
 * - `finetune`: MGIE-like further fine-tuned on more generic data (SpatialEdit_Finetune).
 * The grid (lib/train/grid) composes them: base -> stage1 -> stage2 (SpatialEdit), base -> stage2
 * (w/o S1), base -> stage1 -> mgie-style generic edits (w/o S2), and the per-layer variants.
 * Every recipe of a comparison gets the same number of steps (`RecipeConfig`).
 */
import { resolveConfig, type DeepPartial, type Presets } from "../../../core/profile";
import { Rng } from "../../../core/rng";
import { cloneParams } from "../../../nn/layers";
import type { LayerSelector, TuningMode } from "../../../nn/tuning";
import { trainLoop } from "../../../train/loop";
import { EDITOR_GROUPS, editorTunable, type Editor } from "../model";
import { captionData, engineData, genericEditData, type EditExample, type TextExample } from "./data";
import { drawBatch, editorScheduler, editStepLoss, textLoss } from "./steps";

export interface RecipeConfig {
  /** Base seed of the training data (a training seed, lib/data/seeds.ts). */
  dataSeed: number;
  /** Scenes of caption data (base), generic edit data (mgie, wo-de, finetune), engine data (stage1, stage2). */
  captionScenes: number;
  genericScenes: number;
  engineScenes: number;
  /** Adam steps of each phase (every Stage II variant gets `stage2Steps`). */
  baseSteps: number;
  stage1Steps: number;
  stage2Steps: number;
  batch: number;
  /** Learning rates: base pre-training, tuning phases. */
  baseLr: number;
  lr: number;
}

export const RECIPE_PRESETS: Presets<RecipeConfig> = {
  tiny: { dataSeed: 1234, captionScenes: 4, genericScenes: 3, engineScenes: 3, baseSteps: 2, stage1Steps: 2, stage2Steps: 2, batch: 4, baseLr: 1e-3, lr: 1e-3 },
  quick: { dataSeed: 1234, captionScenes: 200, genericScenes: 100, engineScenes: 100, baseSteps: 150, stage1Steps: 100, stage2Steps: 150, batch: 32, baseLr: 1e-3, lr: 1e-3 },
  // the paper's ratio, 62K VQA pairs over 10K images : 25K edit tuples, at a size that trains here
  paper: { dataSeed: 1234, captionScenes: 2000, genericScenes: 1500, engineScenes: 1600, baseSteps: 2000, stage1Steps: 1500, stage2Steps: 2000, batch: 64, baseLr: 1e-3, lr: 1e-3 },
};

export function recipeConfig(profile?: string, overrides?: DeepPartial<RecipeConfig>): RecipeConfig {
  return resolveConfig(RECIPE_PRESETS, "editor recipes", profile, overrides);
}

/** A copy of an editor's weights (a child recipe never changes its parent). */
export function cloneEditor(e: Editor): Editor {
  const groups = Object.fromEntries(EDITOR_GROUPS.map((g) => [g, cloneParams(e.groups[g])])) as Editor["groups"];
  return { ...e, groups, lora: cloneParams(e.lora) };
}

export interface PhaseOptions {
  mode: TuningMode;
  layers?: LayerSelector;
  trainEncoder?: boolean;
  steps: number;
  lr: number;
  batch: number;
  label: string;
  silent?: boolean;
}

/** Trains `e` in place on text examples (captions or VQA answers) with H_lm's cross-entropy. Returns the loss curve. */
export function trainText(e: Editor, data: readonly TextExample[], o: PhaseOptions, rng: Rng): Promise<number[]> {
  const vars = editorTunable(e, o.mode, { layers: o.layers, trainEncoder: o.trainEncoder });
  return trainLoop(vars, () => textLoss(e, drawBatch(data, o.batch, rng)), { steps: o.steps, lr: o.lr, label: o.label, silent: o.silent });
}

/** Trains `e` in place on edit examples with L_condition + w L_edit. Returns the loss curve. */
export function trainEdits(e: Editor, data: readonly EditExample[], o: PhaseOptions & { editLossWeight?: number }, rng: Rng): Promise<number[]> {
  const vars = editorTunable(e, o.mode, { layers: o.layers });
  const sched = editorScheduler(e.config);
  const ed = o.editLossWeight === undefined ? e : { ...e, config: { ...e.config, editLossWeight: o.editLossWeight } };
  return trainLoop(vars, () => editStepLoss(ed, drawBatch(data, o.batch, rng), sched, rng), { steps: o.steps, lr: o.lr, label: o.label, silent: o.silent });
}

export const RECIPES = ["base", "mgie", "stage1", "stage2", "wo-de", "finetune"] as const;
export type RecipeName = (typeof RECIPES)[number];

export interface RecipeRun {
  recipe: RecipeName;
  editor: Editor;
  losses: number[];
  seconds: number;
}

/** Options of a recipe: the tuning mode and layers of its tuning phase (attention tuning of all layers by default). */
export interface RecipeOptions {
  mode?: TuningMode;
  layers?: LayerSelector;
  silent?: boolean;
}

/**
 * Runs `recipe` from `parent` (cloned; `base` needs none and trains `fresh` in place). The data
 * of each recipe comes from its own fork of the data seed, so runs repeat exactly.
 */
export async function runRecipe(recipe: RecipeName, c: RecipeConfig, parent: Editor, seed: number, o: RecipeOptions = {}): Promise<RecipeRun> {
  const rng = new Rng(seed).fork(recipe);
  const size = parent.config.image;
  const e = recipe === "base" ? parent : cloneEditor(parent);
  const t0 = Date.now();
  const common = { batch: c.batch, silent: o.silent, label: recipe };
  let losses: number[];
  switch (recipe) {
    case "base":
      losses = await trainText(e, captionData(c.dataSeed, c.captionScenes, size), { ...common, mode: "full", trainEncoder: true, steps: c.baseSteps, lr: c.baseLr }, rng);
      break;
    case "stage1":
      losses = await trainText(e, engineData(c.dataSeed, c.engineScenes, size).vqa, { ...common, mode: o.mode ?? "attention", layers: o.layers, steps: c.stage1Steps, lr: c.lr }, rng);
      break;
    case "stage2":
      losses = await trainEdits(e, engineData(c.dataSeed, c.engineScenes, size).edits, { ...common, mode: o.mode ?? "attention", layers: o.layers, steps: c.stage2Steps, lr: c.lr }, rng);
      break;
    case "mgie":
      losses = await trainEdits(e, genericEditData(c.dataSeed, c.genericScenes, size), { ...common, mode: "embedding", steps: c.stage2Steps, lr: c.lr, editLossWeight: 0.5 }, rng);
      break;
    case "wo-de":
      losses = await trainEdits(e, genericEditData(c.dataSeed, c.genericScenes, size), { ...common, mode: o.mode ?? "attention", layers: o.layers, steps: c.stage2Steps, lr: c.lr }, rng);
      break;
    case "finetune":
      // as much generic data as the engine makes: twice the generic scenes, a fresh fork of the seed
      losses = await trainEdits(e, genericEditData(c.dataSeed + 1, 2 * c.genericScenes, size), { ...common, mode: "embedding", steps: c.stage2Steps, lr: c.lr, editLossWeight: 0.5 }, rng);
      break;
    default:
      throw new Error(`runRecipe: unknown recipe '${recipe as string}'; known: ${RECIPES.join(", ")}`);
  }
  if (losses.some((l) => !Number.isFinite(l))) throw new Error(`runRecipe '${recipe}': a loss was not finite`);
  return { recipe, editor: e, losses, seconds: (Date.now() - t0) / 1000 };
}

/** Number of tensors an editor holds (for leak checks around a recipe). */
export function editorTensorCount(e: Editor): number {
  return EDITOR_GROUPS.reduce((s, g) => s + Object.keys(e.groups[g]).length, 0) + Object.keys(e.lora).length;
}

