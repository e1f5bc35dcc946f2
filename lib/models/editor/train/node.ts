/**
 * One training phase of the editor as a resumable task (lib/train/checkpoint-resume.ts): the
 * editor built from its config (or from the parent's final weights), the phase's data in memory,
 * FusedAdam over the tuning mode's varList, and one batch per step drawn from the task's Rng, so
 * that a run killed and resumed from its last checkpoint ends with the weights of an
 * uninterrupted run. The grid (lib/eval/editor-grid.ts) runs one such task per node.
 */
import { mergeConfig, type DeepPartial } from "../../../core/profile";
import { Rng } from "../../../core/rng";
import { hashJson } from "../../../train/checkpoint-config";
import type { ResumableTask } from "../../../train/checkpoint-resume";
import { trainStep } from "../../../train/adam";
import { FusedAdam } from "../../../train/fused-adam";
import { Ema } from "../../../nn/ema";
import type { Params } from "../../../nn/layers";
import { LAYER_GROUPS, TUNING_MODES, type LayerSelector, type TuningMode } from "../../../nn/tuning";
import { checkEditorConfig, type EditorConfig } from "../config";
import { bilinearWhere, isAlignedParam } from "../aligned";
import { isEditMapParam } from "../edit-map";
import { createEditor, disposeEditor, editorParams, editorTunable, fitsEditor, type Editor } from "../model";
import { captionData, editTextExamples, engineData, genericEditData } from "./data";
import type { RecipeConfig, TextPhaseRecipe } from "./recipes";
import { drawBatch, editorScheduler, editStepLoss, textLoss } from "./steps";

/**
 * Version of the editor's training code (phases, losses, data): part of every training node's
 * grid key, so that a cache made by older training code is retrained, not served. Bump it when a
 * change to lib/models/editor changes what a phase produces (1: the first versioned code).
 */
export const EDITOR_TRAIN_VERSION = 1;

/** The editor's training phases (recipes.ts describes each). */
export const RECIPES = ["base", "mgie", "stage1", "stage2", "wo-de", "finetune", "ip2p"] as const;
export type RecipeName = (typeof RECIPES)[number];

/** The config of one grid node: the editor, the data/step budget, and what this phase does. */
export interface EditorNodeConfig {
  editor: EditorConfig;
  /** Base and Stage I nodes carry the text-phase recipe (recipes.ts textPhaseRecipe). */
  recipe: RecipeConfig | TextPhaseRecipe;
  phase: RecipeName;
  mode: TuningMode;
  /** "all" | "shallow" | "middle" | "deep" (Appendix O). */
  layers: string;
  /** The model sees image tokens (false: the LGIE-like baseline). */
  imageTokens: boolean;
  checkpointEvery: number;
}

/** Checks a node config (from JSON): unknown keys, phases, modes and layer groups are errors. */
export function editorNodeConfig(base: EditorNodeConfig, overrides?: unknown): EditorNodeConfig {
  const c = mergeConfig(base, overrides as DeepPartial<EditorNodeConfig> | undefined, "editor node");
  if (!(RECIPES as readonly string[]).includes(c.phase)) throw new Error(`editor node: unknown phase '${c.phase}'; known: ${RECIPES.join(", ")}`);
  if (!(TUNING_MODES as readonly string[]).includes(c.mode)) throw new Error(`editor node: unknown mode '${c.mode}'; known: ${TUNING_MODES.join(", ")}`);
  if (!(LAYER_GROUPS as readonly string[]).includes(c.layers)) throw new Error(`editor node: layers must be one of ${LAYER_GROUPS.join(", ")}, got '${c.layers}'`);
  checkEditorConfig(c.editor);
  return c;
}

/** Steps of a phase. */
export function phaseSteps(c: EditorNodeConfig): number {
  return c.phase === "base" ? c.recipe.baseSteps : c.phase === "stage1" ? c.recipe.stage1Steps : c.recipe.stage2Steps;
}

/** What a phase trains on, as a hash (the node's data manifest): generator, seed, scene count, resolution. */
export function phaseDataHash(c: EditorNodeConfig): string {
  const r = c.recipe;
  const scenes = c.phase === "base" ? r.captionScenes : c.phase === "stage1" || c.phase === "stage2" ? r.engineScenes : c.phase === "finetune" ? 2 * r.genericScenes : r.genericScenes;
  return hashJson({ phase: c.phase, dataSeed: c.phase === "finetune" ? r.dataSeed + 1 : r.dataSeed, scenes, resolution: c.editor.image });
}

/**
 * Copies `from` into the editor's weights (the same names, all of them). `fresh(name)`: weights
 * that `from` may lack, which then keep their initialisation (the edit map of an edit phase whose
 * parent was made without it).
 */
export function loadEditorWeights(e: Editor, from: Params, source: string, fresh: (name: string) => boolean = () => false): void {
  const p = editorParams(e);
  const want = Object.keys(p).sort().filter((k) => k in from || !fresh(k));
  const have = Object.keys(from).sort();
  const missing = want.filter((k) => !(k in from));
  const extra = have.filter((k) => !(k in p));
  if (missing.length + extra.length > 0) throw new Error(`${source}: the weights do not fit this editor (missing ${missing.slice(0, 4).join(", ") || "none"}; unexpected ${extra.slice(0, 4).join(", ") || "none"})`);
  for (const k of want) {
    if (p[k].shape.join("x") !== from[k].shape.join("x")) throw new Error(`${source}: '${k}' has shape ${from[k].shape.join("x")}, the editor needs ${p[k].shape.join("x")}`);
    p[k].assign(from[k]);
  }
}

/** A phase's resumable task with its editor (the EMA shadows, when averaging, are the task's `state`). */
export interface EditorPhaseTask extends ResumableTask {
  editor: Editor;
  /** Runs `fn` with the weights the phase would end with now (the EMA averages when averaging). */
  averaged<T>(fn: () => Promise<T>): Promise<T>;
  /** Frees what only training needs (optimizer, EMA shadows) and keeps the editor, for the caller. */
  disposeTraining(): void;
  /** Training examples left out because they do not fit the editor's layout (too many tokens), and how many were kept. */
  skipped: number;
  kept: number;
}

/** The examples that fit the editor's layout (model.ts fitsEditor); an error when none does. */
export function fittingExamples<T>(e: Editor, items: readonly T[], text: (x: T) => [string, string | null], what: string): T[] {
  const kept = items.filter((x) => fitsEditor(e, ...text(x)));
  if (kept.length === 0) throw new Error(`editor node: none of the ${items.length} ${what} fits the editor (maxInstruction ${e.config.maxInstruction}, maxCondition ${e.config.maxCondition} tokens)`);
  return kept;
}

/** The named weights among `vars` (what EMA averages); an error when a trained variable has no name. */
function trainedParams(params: Params, vars: readonly unknown[]): Params {
  const trained = new Set(vars);
  const named = Object.fromEntries(Object.entries(params).filter(([, v]) => trained.has(v)));
  const missing = vars.length - Object.keys(named).length;
  if (missing > 0) throw new Error(`editor node: ${missing} trained variables are not among the editor's named weights, so EMA cannot average them`);
  return named;
}

/** The EMA decay of a phase: edit phases read the recipe's (0 when absent: off); text phases never average. */
function phaseEmaDecay(c: EditorNodeConfig): number {
  if (c.phase === "base" || c.phase === "stage1") return 0;
  return "emaDecay" in c.recipe ? c.recipe.emaDecay : 0;
}

/**
 * The resumable task of one phase. `parent`: the parent node's final weights (null for `base`);
 * `rng`: the restored data stream when resuming (else the seed's "data" fork).
 */
export function editorPhaseTask(c: EditorNodeConfig, seed: number, parent: Params | null, rng: Rng | null): EditorPhaseTask {
  if (c.phase !== "base" && parent === null) throw new Error(`editor node: phase '${c.phase}' needs its parent's weights`);
  const e = createEditor(c.editor, new Rng(seed).fork("init"), { imageTokens: c.imageTokens });
  try {
    // the edit map's and the aligned path's weights start from initialisation when the parent has none
    if (parent !== null) loadEditorWeights(e, parent, `editor node '${c.phase}'`, (k) => isEditMapParam(k) || isAlignedParam(k));
  } catch (err) {
    disposeEditor(e);
    throw err;
  }
  const data = rng ?? new Rng(seed).fork("data");
  const r = c.recipe;
  const size = c.editor.image;
  const layers = c.layers as LayerSelector;
  // ip2p (the InsPix2Pix-like baseline): the base MLLM is a frozen text encoder (it reads no image
  // tokens); only the edit head and the denoiser train, on the generic edits, with L_edit alone
  const vars = c.phase === "ip2p" ? [...Object.values(e.groups.edit), ...Object.values(e.groups.dn)] : editorTunable(e, c.phase === "base" ? "full" : c.mode, { layers, trainEncoder: c.phase === "base" });
  const optimizer = new FusedAdam(c.phase === "base" ? r.baseLr : r.lr);
  let step: () => number;
  // examples longer than the layout takes are left out (and counted), not a crash mid-run
  let offered = 0;
  let kept = 0;
  const fitting = <T>(items: T[], text: (x: T) => [string, string | null], what: string): T[] => {
    const out = fittingExamples(e, items, text, what);
    offered += items.length;
    kept += out.length;
    return out;
  };
  if (c.phase === "base" || c.phase === "stage1") {
    const engine = c.phase === "stage1" ? engineData(r.dataSeed, r.engineScenes, size) : null;
    const all = engine === null ? captionData(r.dataSeed, r.captionScenes, size) : engine.vqa;
    const text = fitting(all, (x) => [x.prompt, x.answer], "text examples");
    // Stage I with stage1EditShare: that share of each batch is the same scenes' spatial edits, read as text
    const editShare = c.phase === "stage1" ? (r.stage1EditShare ?? 0) : 0;
    const nEdit = Math.round(editShare * r.batch);
    if (editShare > 0 && (nEdit < 1 || nEdit >= r.batch)) throw new Error(`editor node: stage1EditShare ${editShare} of a batch of ${r.batch} leaves ${nEdit} edits; it must give at least one edit and one question`);
    const editText = nEdit > 0 && engine !== null ? fitting(editTextExamples(engine.edits), (x) => [x.prompt, x.answer], "edits read as text") : [];
    // only Stage I grounds (base pre-training's captions name no single object)
    const gw = c.phase === "stage1" ? (r.groundLossWeight ?? 0) : 0;
    const ww = c.phase === "stage1" ? (r.stage1WhereLossWeight ?? 0) : 0;
    if (ww > 0 && (c.editor.aligned !== true || !c.imageTokens)) throw new Error("editor node: stage1WhereLossWeight needs Stage I's editor to have the aligned path (editor.aligned) and image tokens");
    const batch = () => (nEdit > 0 ? [...drawBatch(text, r.batch - nEdit, data), ...drawBatch(editText, nEdit, data)] : drawBatch(text, r.batch, data));
    step = () => trainStep(optimizer, () => textLoss(e, batch(), gw, ww), {}, vars);
  } else {
    const all =
      c.phase === "stage2" ? engineData(r.dataSeed, r.engineScenes, size).edits
      : c.phase === "finetune" ? genericEditData(r.dataSeed + 1, 2 * r.genericScenes, size)
      : genericEditData(r.dataSeed, r.genericScenes, size);
    const edits = fitting(all, (x) => [x.instruction, x.condition], "edit examples");
    const sched = editorScheduler(c.editor);
    // MGIE-style phases weigh the diffusion loss by 0.5 (MGIE's code); SpatialEdit's Eq. 8 by 1
    const ed = c.phase === "mgie" || c.phase === "finetune" ? { ...e, config: { ...e.config, editLossWeight: 0.5 } } : e;
    const part = c.phase === "ip2p" ? "edit" : "total";
    const mapWeight = "editMapLossWeight" in r ? (r.editMapLossWeight ?? 0) : 0;
    const whereWeight = "whereLossWeight" in r ? (r.whereLossWeight ?? 0) : 0;
    const forcing = "whereForcing" in r ? (r.whereForcing ?? 0) : 0;
    if (forcing > 0 && (c.editor.aligned !== true || !bilinearWhere(c.editor) || !c.imageTokens)) throw new Error("editor node: whereForcing needs the aligned path with the bilinear where head (editor.aligned, alignedWhere: 'bilinear') and image tokens");
    const objectWeight = "whereObjectLossWeight" in r ? (r.whereObjectLossWeight ?? 0) : 0;
    if (objectWeight > 0 && (c.editor.aligned !== true || !c.imageTokens)) throw new Error("editor node: whereObjectLossWeight needs the aligned path (editor.aligned) and image tokens");
    if (objectWeight > 0 && c.phase !== "stage2") throw new Error(`editor node: whereObjectLossWeight needs the data engine's spatial edits (phase stage2), got phase '${c.phase}'`);
    // a head's loss weight (absent: 0), checked against the editor (the head, image tokens) and the phase (the engine's edits)
    const headWeight = (key: "whereOffsetLossWeight" | "whereScaleLossWeight", hasHead: boolean, head: string): number => {
      const w = key in r ? ((r as RecipeConfig)[key] ?? 0) : 0;
      if (w > 0 && (!hasHead || !c.imageTokens)) throw new Error(`editor node: ${key} needs ${head} and image tokens`);
      if (w > 0 && c.phase !== "stage2") throw new Error(`editor node: ${key} needs the data engine's spatial edits (phase stage2), got phase '${c.phase}'`);
      return w;
    };
    const offsetWeight = headWeight("whereOffsetLossWeight", c.editor.alignedOffset === true, "the offset head (editor.alignedOffset, with the bilinear where head)");
    const stillRemovals = "whereOffsetStillRemovals" in r && r.whereOffsetStillRemovals === true;
    if (stillRemovals && offsetWeight === 0) throw new Error("editor node: whereOffsetStillRemovals needs the offset loss (whereOffsetLossWeight > 0)");
    const planJitter = "planJitter" in r ? (r.planJitter ?? 0) : 0;
    if (!(planJitter >= 0) || !Number.isFinite(planJitter)) throw new Error(`editor node: planJitter must be a finite number >= 0, got ${planJitter}`);
    if (planJitter > 0 && forcing === 0) throw new Error("editor node: planJitter jitters the plan of the forced items; it needs whereForcing > 0");
    if (planJitter > 0 && (c.editor.alignedPlan === undefined || c.editor.alignedPlan === false || c.editor.alignedPlan === "palette")) throw new Error("editor node: planJitter jitters a colour plan's brightness; it needs editor.alignedPlan true or 'attend' (a palette plan reads no brightness)");
    const scaleWeight = headWeight("whereScaleLossWeight", c.editor.alignedScale === true, "the scale head (editor.alignedScale, with the bilinear where head)");
    step = () => trainStep(optimizer, () => editStepLoss(ed, drawBatch(edits, r.batch, data), sched, data, { part, regionWeight: r.editRegionWeight, mapWeight, whereWeight, whereForcing: forcing, whereObjectWeight: objectWeight, whereOffsetWeight: offsetWeight, whereScaleWeight: scaleWeight, offsetStillRemovals: stillRemovals, planJitter }), {}, vars);
  }
  const params = editorParams(e);
  const decay = phaseEmaDecay(c);
  const ema = decay > 0 ? new Ema(trainedParams(params, vars), decay) : null;
  const disposeTraining = () => {
    optimizer.dispose();
    ema?.dispose();
  };
  return {
    editor: e,
    params,
    optimizer,
    rng: data,
    ...(ema ? { state: ema.shadow } : {}),
    step: () => {
      const loss = step();
      ema?.update();
      return loss;
    },
    finish: () => ema?.copyToParams(),
    averaged: (fn) => (ema ? ema.withAveragesAsync(fn) : fn()),
    disposeTraining,
    skipped: offered - kept,
    kept,
    dispose() {
      disposeTraining();
      disposeEditor(e);
    },
  };
}

/** The editor of a finished node, rebuilt from its final weights (for evaluation). */
export function editorFromWeights(c: EditorNodeConfig, weights: Params): Editor {
  const e = createEditor(c.editor, new Rng(0).fork("init"), { imageTokens: c.imageTokens });
  loadEditorWeights(e, weights, "editorFromWeights");
  return e;
}
