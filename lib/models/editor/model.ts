/**
 * The MLLM-driven editor assembled (paper §3.1 Eq. 1-3, Fig. 3; §5.2 tuning; MGIE's architecture):
 *   X_img = Ada_img(Enc(M));  hidden = MLLM(X_task, X_prompt, X_img, X_txt, [IMG]s);
 *   E_txt logits = H_lm(hidden);  cond = H_edit(E_img);  prediction = Diff_edit(x_t, M, t, cond).
 *
 * Parameter groups (by name prefix): `enc` (Enc), `ada` (Ada_img), `soft` (soft prompt and [IMG]
 * embeddings), `mllm` (the backbone: token and position tables, blocks, final LN), `lm` (H_lm),
 * `edit` (H_edit, the aligned edit map `edit.map.*` when `config.editMap`: edit-map.ts, and the aligned
 * [LOC] path `edit.loc.*` when `config.aligned`: aligned.ts), `dn`
 * (Diff_edit); LoRA factors of the MLLM's W_Q, W_K, W_V, W_O live beside them (B = 0 at creation,
 * so they change nothing until trained).
 *
 * What trains (§3.1, §5.2, Appendix O; `editorTunable`): in every mode soft, ada, lm, edit, dn;
 * `embedding` adds nothing (the MLLM frozen: MGIE); `attention` adds W_Q, W_K, W_V, W_O (and their
 * biases) of the chosen layers; `lora` the LoRA factors of the chosen layers; `full` every MLLM
 * weight (blocks of the chosen layers, tables, final LN). Enc is frozen after base pretraining:
 * only `trainEncoder: true` (the pretraining phase) adds it.
 */
import type { Drawer } from "./redraw-decode";
import type { ShapeReader } from "./shape-reader";
import type { TargetReader } from "./target-reader";
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { PROJECTIONS, type Projection } from "../../nn/attention";
import { createLora } from "../../nn/adapters";
import { countParams, disposeParams, type Params } from "../../nn/layers";
import { tuningVarList, type LayerSelector, type TuningMode } from "../../nn/tuning";
import { adaptImageTokens, initAdapter } from "./adapter";
import { checkEditorConfig, imageTokenCount, maxSequence, type EditorConfig } from "./config";
import { denoise, initDenoiser, type DenoiserInput, type DenoiserResult } from "./denoiser";
import { alignedSpatial, readsWords, gatedSpatial, initAligned, type AlignedResult, type InstructionWords } from "./aligned";
import { initMoveHead } from "./move-head";
import { initObjectHead } from "./object-head";
import { changedShare, offsetLoss, planLoss, planPaletteLoss, planTargets, scaleLoss, whereLoss, whereObjectLoss, type ObjectWhereTargets, type OffsetTargets, type ScaleTargets } from "./aligned-targets";
import { changedPatches, editMap, initEditMap, mapLoss, type EditMapResult } from "./edit-map";
import { encodeImages, initEncoder } from "./encoder";
import { conditionLogits, editHead, initEditHead, initLmHead, type EditHeadResult } from "./heads";
import { layoutTexts, TASK_PROMPT, type BatchLayout, type LayoutOptions } from "./layout";
import { conditionLoss, editLoss } from "./losses";
import { initMllm, initSoftTokens, MLLM_STACK, mllmForward, type MllmResult } from "./mllm";
import { editorTokenizer, type Tokenizer } from "./tokenizer";

export const EDITOR_GROUPS = ["enc", "ada", "soft", "mllm", "lm", "edit", "dn"] as const;
export type EditorGroup = (typeof EDITOR_GROUPS)[number];

export interface EditorOptions {
  /** false: the language-only (LGIE-like) variant, the MLLM sees no image tokens. Default true. */
  imageTokens?: boolean;
  tokenizer?: Tokenizer;
}

export interface Editor {
  config: EditorConfig;
  tokenizer: Tokenizer;
  /** Whether the MLLM sees image tokens (false: LGIE-like baseline). */
  imageTokens: boolean;
  /** Token ids of the task prompt "what will it be like if". */
  taskIds: number[];
  /** Every weight by name, per group. */
  groups: Record<EditorGroup, Params>;
  /** LoRA factors of the MLLM's attention projections (lib/nn names: `mllm.blocks.${l}.attn.q.lora.A`). */
  lora: Params;
  loraScale: number;
  /** The drawer the `object+move+redraw` decoding redraws a still object with (redraw-decode.ts; fitted apart, npm run redraw-fit), if given. */
  drawer?: Drawer;
  /** A second drawer, one that retextures (redraw.ts config.retexture), for the said retextures only: the drawer then redraws the rest (npm run redraw-fit -- --retextures=...), if given. */
  retexturer?: Drawer;
  /** The shape reader the `shapeCheck` pipeline option weighs the object choice with (shape-reader.ts; fitted apart, npm run shape-fit), if given. */
  shapeReader?: ShapeReader;
  /** The target reader the `readTargets` pipeline option reads a said replacement's shape and retexture's material with (target-reader.ts; fitted apart, npm run target-fit), if given. */
  targetReader?: TargetReader;
}

/** Creates an editor with weights drawn from `rng` (each group from its own fork). */
export function createEditor(config: EditorConfig, rng: Rng, o: EditorOptions = {}): Editor {
  const c = checkEditorConfig({ ...config, editMap: config.editMap ?? false }); // a keyed config (keyedEditorConfig) may leave the map out: off
  const tok = o.tokenizer ?? editorTokenizer();
  const taskIds = tok.encode(TASK_PROMPT);
  const mllm = initMllm(rng.fork("mllm"), c, tok.size, maxSequence(c, taskIds.length));
  const groups: Record<EditorGroup, Params> = {
    enc: initEncoder(rng.fork("enc"), c),
    ada: initAdapter(rng.fork("ada"), c),
    soft: initSoftTokens(rng.fork("soft"), c),
    mllm,
    lm: initLmHead(rng.fork("lm"), c, tok.size),
    edit: { ...initEditHead(rng.fork("edit"), c), ...(c.editMap === true ? initEditMap(rng.fork("edit-map"), c) : {}), ...(c.aligned === true ? initAligned(rng.fork("edit-loc"), c) : {}), ...(c.alignedObjects !== undefined ? initObjectHead(rng.fork("edit-obj"), c) : {}), ...(c.alignedMoves !== undefined ? initMoveHead(rng.fork("edit-move"), c) : {}) },
    dn: initDenoiser(rng.fork("dn"), c),
  };
  const layers = Array.from({ length: c.layers }, (_, l) => l);
  const lora = createLora(rng.fork("lora"), mllm, MLLM_STACK, { rank: c.loraRank, targets: PROJECTIONS, layers });
  return { config: c, tokenizer: tok, imageTokens: o.imageTokens ?? true, taskIds, groups, lora, loraScale: c.loraAlpha / c.loraRank };
}

/** All weights (groups and LoRA factors) by name. */
export function editorParams(e: Editor): Params {
  return Object.assign({}, ...EDITOR_GROUPS.map((g) => e.groups[g]), e.lora) as Params;
}

export function disposeEditor(e: Editor): void {
  for (const g of EDITOR_GROUPS) disposeParams(e.groups[g]);
  disposeParams(e.lora);
  if (e.drawer !== undefined) disposeParams(e.drawer.params);
  if (e.retexturer !== undefined) disposeParams(e.retexturer.params);
  if (e.shapeReader !== undefined) disposeParams(e.shapeReader.params);
}

/** Scalars per group, LoRA and total (LoRA counted separately from the total of the groups). */
export function editorParamCounts(e: Editor): Record<EditorGroup | "lora" | "total", number> {
  const out = {} as Record<EditorGroup | "lora" | "total", number>;
  let total = 0;
  for (const g of EDITOR_GROUPS) {
    out[g] = countParams(Object.values(e.groups[g]));
    total += out[g];
  }
  out.lora = countParams(Object.values(e.lora));
  out.total = total;
  return out;
}

export interface TunableOptions {
  /** MLLM layers the mode adapts (Appendix O: shallow / middle / deep thirds). Default all. */
  layers?: LayerSelector;
  /** Attention mode: which of W_Q, W_K, W_V, W_O (default all four). */
  projections?: readonly Projection[];
  /** Also train Enc (the base pretraining phase only; frozen afterwards). Default false. */
  trainEncoder?: boolean;
}

/** The optimizer's varList of a tuning mode (item 2 of the editor issue; lib/nn tuningVarList). */
export function editorTunable(e: Editor, mode: TuningMode, o: TunableOptions = {}): tf.Variable[] {
  const always = (["soft", "ada", "lm", "edit", "dn"] as const).flatMap((g) => Object.values(e.groups[g]));
  const vars = tuningVarList(mode, { params: e.groups.mllm, stack: MLLM_STACK, nLayers: e.config.layers, always, lora: e.lora }, { layers: o.layers, projections: o.projections });
  return o.trainEncoder ? [...vars, ...Object.values(e.groups.enc)] : vars;
}

/** Parameter names of variables (for tests and logs), in the given order. */
export function editorVarNames(e: Editor, vars: readonly tf.Variable[]): string[] {
  const names = new Map(Object.entries(editorParams(e)).map(([k, v]) => [v, k] as const));
  return vars.map((v) => {
    const n = names.get(v);
    if (n === undefined) throw new Error(`editorVarNames: variable '${v.name}' is not a weight of this editor`);
    return n;
  });
}

/** The layout options of an editor (task prompt, part sizes, limits). */
export function editorLayoutOptions(e: Editor): LayoutOptions {
  const c = e.config;
  return {
    taskIds: e.taskIds,
    softPrompt: c.softPrompt,
    imageTokens: e.imageTokens ? imageTokenCount(c) : 0,
    imgTokens: c.imgTokens,
    vocab: e.tokenizer.size,
    maxInstruction: c.maxInstruction,
    maxCondition: c.maxCondition,
  };
}

/** Whether an instruction (and condition) fits the editor's layout: non-empty, within maxInstruction / maxCondition tokens. */
export function fitsEditor(e: Editor, instruction: string, condition: string | null = null): boolean {
  const ins = e.tokenizer.encode(instruction).length;
  return ins > 0 && ins <= e.config.maxInstruction && (condition === null || e.tokenizer.encode(condition).length <= e.config.maxCondition);
}

/** The MLLM layout of a batch of instructions (and language conditions, for training H_lm). */
export function editorLayout(e: Editor, instructions: string[], conditions: (string | null)[] | null = null): BatchLayout {
  return layoutTexts(e.tokenizer, instructions, conditions, editorLayoutOptions(e));
}

export interface ConditionResult {
  mllm: MllmResult;
  /** H_edit(E_img) [B, Q, dnD]. */
  edit: EditHeadResult;
  /** H_lm logits [B, P, vocab] at the condition positions (when the layout has conditions). */
  conditionLogits: tf.Tensor3D | null;
  /** Enc attention per layer [B, H, N, N] (when asked). */
  encoderAttention: tf.Tensor4D[];
  /** The aligned edit map (config.editMap, and only when the MLLM reads the image), else null. */
  map: EditMapResult | null;
  /** The aligned [LOC] path (config.aligned, and only when the MLLM reads the image; aligned.ts), else null. */
  aligned: AlignedResult | null;
}

/** The denoiser's `spatial` input of a condition: the edit map's and the aligned path's, summed (undefined without either). */
export function conditionSpatial(cond: Pick<ConditionResult, "map" | "aligned">): tf.Tensor3D | undefined {
  const parts = [cond.map?.spatial, cond.aligned?.spatial].filter((x): x is tf.Tensor3D => x !== undefined);
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : (tf.add(parts[0], parts[1]) as tf.Tensor3D);
}

/**
 * Eq. 1-2 and H_edit: source images [B, H, W, 3] (ignored by the LGIE-like variant: pass null)
 * and a layout -> MLLM states, condition tokens, condition logits. Call inside tf.tidy.
 */
export function editorCondition(e: Editor, images: tf.Tensor4D | null, layout: BatchLayout, returnAttention = false): ConditionResult {
  const p = editorParams(e);
  let imageTokens: tf.Tensor3D | null = null;
  let encoderAttention: tf.Tensor4D[] = [];
  let encTokens: tf.Tensor3D | null = null;
  if (e.imageTokens) {
    if (images === null) throw new Error("editorCondition: this editor reads the source image; pass images [B, H, W, 3]");
    if (images.shape[0] !== layout.batch) throw new Error(`editorCondition: ${images.shape[0]} images for ${layout.batch} instructions`);
    const enc = encodeImages(p, e.config, images, returnAttention);
    encoderAttention = enc.attention;
    encTokens = enc.tokens;
    imageTokens = adaptImageTokens(p, e.config, enc.tokens);
  }
  const withLoc = e.config.aligned === true && imageTokens !== null;
  const mllm = mllmForward(p, e.config, layout, imageTokens, { lora: e.lora, loraScale: e.loraScale, returnAttention, ...(withLoc ? { loc: { marker: p["edit.loc.marker"] as tf.Tensor2D } } : {}) });
  const edit = editHead(p, e.config, mllm.img, p["soft.img"] as tf.Tensor2D, returnAttention);
  const logits = layout.maxPredict > 0 ? conditionLogits(p, layout, mllm.hidden) : null;
  let map: EditMapResult | null = null;
  if (e.config.editMap === true && encTokens !== null && imageTokens !== null) {
    const span = layout.items[0].image; // the same span in every item
    const states = tf.slice(mllm.hidden, [0, span.start, 0], [layout.batch, span.end - span.start, e.config.d]) as tf.Tensor3D; // [B, Ni, d]
    map = editMap(p, e.config, edit.tokens, encTokens, states);
  }
  const aligned = withLoc && encTokens !== null && mllm.loc !== undefined ? alignedSpatial(p, e.config, mllm.loc, encTokens, mllm.img, readsWords(e.config) ? instructionWords(layout, mllm.hidden) : undefined, e.config.alignedPlanSource === true ? images! : undefined) : null;
  return { mllm, edit, conditionLogits: logits, encoderAttention, map, aligned };
}

/** The instruction's words from the MLLM's states [B, T, d]: every item's instruction starts at the same position (layout.ts). Call inside tf.tidy. */
export function instructionWords(layout: BatchLayout, hidden: tf.Tensor3D): InstructionWords {
  const start = layout.items[0].instruction.start;
  const lengths = layout.items.map((it) => it.instruction.end - it.instruction.start);
  const L = Math.max(...lengths);
  return {
    states: tf.slice(hidden, [0, start, 0], [layout.batch, L, hidden.shape[2]]) as tf.Tensor3D, // [B, L, d]
    mask: tf.tensor2d(lengths.flatMap((n) => Array.from({ length: L }, (_, l) => (l < n ? 1 : 0))), [layout.batch, L]),
  };
}

/** Rows of a per-item condition [B, ...] set to zero for the items whose text condition is dropped (classifier-free guidance). */
export function dropRows<T extends tf.Tensor>(x: T, drop?: readonly boolean[]): T {
  if (drop === undefined || !drop.some((d) => d)) return x;
  if (drop.length !== x.shape[0]) throw new Error(`dropRows: ${drop.length} flags for ${x.shape[0]} rows`);
  const keep = tf.tensor1d(drop.map((d) => (d ? 0 : 1)), "float32").reshape([-1, ...Array(x.rank - 1).fill(1)]);
  return tf.mul(x, keep) as T;
}

/** Diff_edit on the editor's weights (see denoiser.ts). Call inside tf.tidy. */
export function editorDenoise(e: Editor, input: DenoiserInput, returnAttention = false): DenoiserResult {
  return denoise(editorParams(e), e.config, input, returnAttention);
}

export interface Stage2Batch {
  /** Source images [B, H, W, 3] in [-1, 1]. */
  source: tf.Tensor4D;
  /** Layout with the language conditions (editorLayout with conditions). */
  layout: BatchLayout;
  /** Noisy residual x_t [B, H, W, 3], timesteps, and the prediction target (x0 / eps / v of the residual). */
  noisy: tf.Tensor4D;
  t: DenoiserInput["t"];
  target: tf.Tensor4D;
  /** Condition dropout (losses.ts conditionDropout). */
  dropText?: boolean[];
  dropImage?: boolean[];
  /** Per-item weights of L_edit. */
  weights?: readonly number[];
  /** Per-pixel weights of L_edit [B, H, W, 1] (losses.ts regionPixelWeights). */
  pixelWeights?: tf.Tensor4D;
  /** With the edit map: the clean residual r0 [B, H, W, 3] and the weight of the map's localisation loss (edit-map.ts mapLoss; 0: none). */
  mapTarget?: { r0: tf.Tensor4D; weight: number };
  /** With the aligned path: the clean residual r0 and the weight of its where loss (aligned-targets.ts whereLoss, plus planLoss with an edit plan; 0: none). */
  whereTarget?: { r0: tf.Tensor4D; weight: number };
  /**
   * Where forcing (recipe `whereForcing`; the bilinear where head only): the clean residual r0 and, per
   * item, whether its gate is the true changed share of each patch instead of sigmoid(where) (aligned.ts gatedSpatial).
   */
  whereForce?: { r0: tf.Tensor4D; forced: readonly boolean[]; planJitter?: tf.Tensor3D };
  /** With the aligned path: the object-level where loss's targets and weight (aligned-targets.ts whereObjectLoss; 0: none). */
  whereObjects?: { targets: ObjectWhereTargets; weight: number };
  /** With the offset head (alignedOffset): its targets and weight (aligned-targets.ts offsetLoss; 0: none); items whose text is dropped add nothing. */
  whereOffset?: { targets: OffsetTargets; weight: number };
  /** With the scale head (alignedScale): its targets and weight (aligned-targets.ts scaleLoss; 0: none); items whose text is dropped add nothing. */
  whereScale?: { targets: ScaleTargets; weight: number };
}

/**
 * Stage II loss (paper Eq. 8): L = L_condition + editLossWeight x L_edit (+ mapWeight x L_map with
 * the edit map and `mapTarget`; + whereWeight x L_where with the aligned path and `whereTarget`; + its weight x the
 * object-level where loss with `whereObjects`; + its weight x the offset loss with `whereOffset`; + its weight x the scale loss with `whereScale`).
 * Items whose text condition is dropped also lose the edit map's and the aligned path's spatial
 * condition (both are made from the instruction). With `whereForce`, the forced items' gate is the
 * truth's (aligned.ts gatedSpatial). Call inside the gradient tape.
 */
/** A plan [B, N, 3] in [-1, 1] with each colour's bytes scaled by `factors` [B, N, 1] (recipe planJitter), clipped to [-1, 1]. */
export function jitteredPlan(plan: tf.Tensor3D, factors: tf.Tensor3D): tf.Tensor3D {
  if (factors.shape[0] !== plan.shape[0] || factors.shape[1] !== plan.shape[1] || factors.shape[2] !== 1) throw new Error(`jitteredPlan: factors [${factors.shape.join(", ")}] must be [${plan.shape[0]}, ${plan.shape[1]}, 1] for the plan [${plan.shape.join(", ")}]`);
  return tf.tidy(() => tf.clipByValue(tf.sub(tf.mul(tf.add(plan, 1), factors), 1), -1, 1) as tf.Tensor3D);
}

export function stage2Loss(e: Editor, b: Stage2Batch): { loss: tf.Scalar; condition: tf.Scalar; edit: tf.Scalar; map: tf.Scalar | null; where: tf.Scalar | null; whereObject: tf.Scalar | null; offset: tf.Scalar | null; scale: tf.Scalar | null } {
  const cond = editorCondition(e, e.imageTokens ? b.source : null, b.layout);
  if (cond.conditionLogits === null) throw new Error("stage2Loss: the layout has no language conditions; build it with editorLayout(editor, instructions, conditions)");
  const lc = conditionLoss(cond.conditionLogits, b.layout);
  // the per-patch truths of a clean residual, made once per call (forcing and the where loss read the same r0)
  const once = <T>(make: (r0: tf.Tensor4D) => T) => {
    const made = new Map<tf.Tensor4D, T>();
    return (r0: tf.Tensor4D): T => (made.has(r0) ? made.get(r0)! : made.set(r0, make(r0)).get(r0)!);
  };
  const shareOf = once((r0) => changedShare(r0, e.config.dnPatch));
  const planOf = once((r0) => planTargets(r0, b.source, e.config.dnPatch));
  const force = b.whereForce !== undefined && b.whereForce.forced.some((f) => f) ? b.whereForce : undefined;
  if (force && cond.aligned === null) throw new Error("stage2Loss: where forcing needs the aligned [LOC] path (editor config aligned, image tokens)");
  const forcedAligned = (a: AlignedResult, f: NonNullable<Stage2Batch["whereForce"]>): AlignedResult => ({
    ...a,
    spatial: gatedSpatial(a, shareOf(f.r0), f.forced, a.plan !== undefined ? { p: editorParams(e), truth: f.planJitter === undefined ? planOf(f.r0) : jitteredPlan(planOf(f.r0), f.planJitter) } : undefined),
  });
  const both = conditionSpatial(force ? { map: cond.map, aligned: forcedAligned(cond.aligned!, force) } : cond);
  const spatial = both === undefined ? undefined : dropRows(both, b.dropText);
  const pred = editorDenoise(e, { noisy: b.noisy, source: b.source, t: b.t, cond: cond.edit.tokens, dropText: b.dropText, dropImage: b.dropImage, spatial });
  const le = editLoss(pred.prediction, b.target, b.weights, b.pixelWeights);
  let loss = tf.add(lc, tf.mul(le, e.config.editLossWeight)) as tf.Scalar;
  let lm: tf.Scalar | null = null;
  if (cond.map !== null && b.mapTarget !== undefined && b.mapTarget.weight > 0) {
    lm = mapLoss(cond.map.map, changedPatches(b.mapTarget.r0, e.config.dnPatch));
    loss = tf.add(loss, tf.mul(lm, b.mapTarget.weight)) as tf.Scalar;
  }
  let lw: tf.Scalar | null = null;
  if (cond.aligned !== null && b.whereTarget !== undefined && b.whereTarget.weight > 0) {
    const share = shareOf(b.whereTarget.r0);
    lw = whereLoss(cond.aligned.where, share);
    // with an edit plan (alignedPlan), its loss comes with the where loss's weight
    if (cond.aligned.planLogits !== undefined) lw = tf.add(lw, planPaletteLoss(cond.aligned.planLogits, planOf(b.whereTarget.r0), share)) as tf.Scalar;
    else if (cond.aligned.plan !== undefined) lw = tf.add(lw, planLoss(cond.aligned.plan, planOf(b.whereTarget.r0), share)) as tf.Scalar;
    loss = tf.add(loss, tf.mul(lw, b.whereTarget.weight)) as tf.Scalar;
  }
  let lo: tf.Scalar | null = null;
  if (b.whereObjects !== undefined && b.whereObjects.weight > 0) {
    if (cond.aligned === null) throw new Error("stage2Loss: the object-level where loss needs the aligned [LOC] path (editor config aligned, image tokens)");
    lo = whereObjectLoss(cond.aligned.where, b.whereObjects.targets);
    loss = tf.add(loss, tf.mul(lo, b.whereObjects.weight)) as tf.Scalar;
  }
  const kept = b.dropText?.map((d) => (d ? 0 : 1)); // the heads' losses count the items whose text stays
  let lf: tf.Scalar | null = null;
  if (b.whereOffset !== undefined && b.whereOffset.weight > 0) {
    if (cond.aligned?.offset === undefined) throw new Error("stage2Loss: the offset loss needs the offset head (editor config alignedOffset, with the bilinear where head and image tokens)");
    lf = offsetLoss(cond.aligned.offset, b.whereOffset.targets, kept);
    loss = tf.add(loss, tf.mul(lf, b.whereOffset.weight)) as tf.Scalar;
  }
  let ls: tf.Scalar | null = null;
  if (b.whereScale !== undefined && b.whereScale.weight > 0) {
    if (cond.aligned?.logScale === undefined) throw new Error("stage2Loss: the scale loss needs the scale head (editor config alignedScale, with the bilinear where head and image tokens)");
    ls = scaleLoss(cond.aligned.logScale, b.whereScale.targets, kept);
    loss = tf.add(loss, tf.mul(ls, b.whereScale.weight)) as tf.Scalar;
  }
  return { loss, condition: lc, edit: le, map: lm, where: lw, whereObject: lo, offset: lf, scale: ls };
}
