/**
 * The editor's one typed config (paper §3.1 Eq. 1-3, Fig. 3; MGIE's architecture at miniature
 * scale) with presets per profile. Images are square RGB in [-1, 1]; every width is a multiple of
 * its head count. `tiny` is for unit tests; `quick` and `paper` are the d=64 models of
 * docs/environment.md's feasibility runs (6 MLLM layers, so shallow / middle / deep of Appendix O are
 * real thirds of two layers each).
 */
import { ConfigError, resolveConfig, type DeepPartial, type Presets } from "../../core/profile";

export const PREDICTION_TYPES = ["x0", "eps", "v"] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

export interface EditorConfig {
  /** Image side in pixels (square, 3 channels, values in [-1, 1]). */
  image: number;
  /** Patch side of the encoder Enc (ViT-style patch-linear). */
  encPatch: number;
  /** Enc: width, transformer layers, heads, MLP width. */
  encD: number;
  encLayers: number;
  encHeads: number;
  encFF: number;
  /** Ada_img merges m x m neighbouring encoder tokens into one MLLM image token (1 = none). */
  adapterMerge: number;
  /** Hidden width of Ada_img's two-layer MLP (LLaVA-1.5 style). */
  adapterHidden: number;
  /** MLLM: width, decoder layers, heads, MLP width. */
  d: number;
  layers: number;
  heads: number;
  ff: number;
  /** Trainable soft-prompt embeddings X_prompt after the task prompt (§3.1). */
  softPrompt: number;
  /** [IMG] tokens appended after the instruction (MGIE: 8). */
  imgTokens: number;
  /** Longest instruction / language condition in tokens (longer input is an error). */
  maxInstruction: number;
  maxCondition: number;
  /** H_edit: width, learned queries, encoder layers over the [IMG] states, decoder layers of the queries, heads, MLP width (MGIE: 512 wide, 77 queries, 4 + 4 layers). */
  editD: number;
  editQueries: number;
  editEncLayers: number;
  editDecLayers: number;
  editHeads: number;
  editFF: number;
  /** Diff_edit (DiT): patch side, width, blocks, heads, MLP width, sinusoid size of the timestep embedding. */
  dnPatch: number;
  dnD: number;
  dnLayers: number;
  dnHeads: number;
  dnFF: number;
  dnFreq: number;
  /** Diffusion steps of training (DDPM); timesteps are given in [0, timesteps). */
  timesteps: number;
  /** What the denoiser predicts about the residual (target - source) / 2: its clean value, the noise, or v. */
  prediction: string;
  /** Condition dropout for classifier-free guidance (MGIE / InstructPix2Pix): text only, both, image only. */
  dropText: number;
  dropBoth: number;
  dropImage: number;
  /** Weight of L_edit in L = L_condition + w L_edit (paper Eq. 8: 1; MGIE's code: 0.5). */
  editLossWeight: number;
  /** LoRA rank on the MLLM's W_Q, W_K, W_V, W_O (Table 5's SpatialEdit-LoRA); scale = loraAlpha / rank. */
  loraRank: number;
  loraAlpha: number;
  /** Std of weight initialisation of embeddings, queries and positional tables. */
  initStd: number;
  /**
   * The aligned edit map (edit-map.ts; ours, not in the paper): H_edit's condition tokens are also
   * placed on the denoiser's patch grid by an attention over the image. Optional (absent = off) so
   * that configs made before it existed keep their grid keys: `keyedEditorConfig`.
   */
  editMap?: boolean;
  /**
   * Aligned, instruction-aware image states (aligned.ts; ours, not in the paper): [LOC] rows in the
   * MLLM that read the instruction, placed on the denoiser's patch grid and added to its patch tokens,
   * with a per-patch "where" head. Optional (absent = off) so that configs made before it keep their
   * grid keys: `keyedEditorConfig`.
   */
  aligned?: boolean;
  /**
   * The aligned path's where head (aligned.ts): absent = "additive" (a linear read of each patch's
   * state), "bilinear" (each patch's state matched against a query from the [IMG] tokens' states, which
   * have read the image and the instruction, as a referring-segmentation head does; its probability
   * also gates a learned vector onto the patch's condition). Optional so that configs made before it keep their keys.
   */
  alignedWhere?: "additive" | "bilinear";
  /**
   * With the bilinear where head: the vector its probability places on each patch is g + Lin_what(mean of
   * the [IMG] states) instead of g alone (aligned.ts; Lin_what zero at the start), so that "what" the
   * instruction asks for reaches the patches "where" points at, as the oracle-render study's aligned
   * oracle (per patch where and target colour) did. Optional (absent = off) so that configs keep their keys.
   */
  alignedWhat?: boolean;
  /**
   * With the bilinear where head: each patch also predicts an edit plan, the mean target colour of its changed
   * pixels, which rides on the gate (aligned.ts). true: the plan reads the patch and the mean [IMG] state;
   * "attend": each patch also attends over the instruction's words (their MLLM states); "palette": as true, but
   * the plan is a choice among the engine's eight colours (a softmax whose probabilities ride on the gate, trained
   * by cross-entropy against the palette colour nearest in chromaticity to the truth's), so that it cannot average
   * between colours. Optional (absent = off) so that configs keep their keys.
   */
  alignedPlan?: boolean | "attend" | "palette";
  /**
   * With an edit plan: how the gate g_n in [0, 1] lets the plan into patch n. Absent ("share"): g_n (gvec + Lin_pi(plan_n)),
   * so a patch's colour comes in scaled by its changed share, weak on the partly changed patches at an object's edge.
   * "open": g_n gvec + min(1, dnPatch^2 g_n) Lin_pi(plan_n): one changed pixel's share of the gate opens the plan fully,
   * as the oracle-render study's `add` oracle gives every changed patch its colour at full strength (aligned.ts).
   * Optional (absent = "share") so that configs keep their keys.
   */
  alignedPlanGate?: "open";
  /**
   * With an edit plan: each patch's plan also reads the patch's own source pixels (ours), h_n += Lin_ps(pixels_n)
   * (dnPatch^2 x 3 values; Lin_ps zero at the start, so an editor given it plans as before until it is trained): the
   * truth's plan is the new colour under the patch's shading, which the source shows there (the plan head without it
   * missed the truth's brightness by about 20 of 255, and that brightness was over half of what the plan cost).
   * Optional (absent = off) so that configs keep their keys.
   */
  alignedPlanSource?: true;
  /**
   * With the bilinear where head: a referring decoder of this many layers (ours) between the patches and the
   * where head: the patch states self-attend and cross-attend to the instruction's words, with trainable MLPs
   * (the MLLM's are frozen in attention tuning), before the where keys and the edit plan read them (aligned.ts).
   * Optional (absent = off) so that configs keep their keys.
   */
  alignedRefer?: number;
  /**
   * With the bilinear where head: an offset head (ours) reads the mean [IMG] state (the image and the instruction)
   * and predicts how far the edit moves the object it changes, [dx, dy] in denoiser patches (aligned.ts), trained
   * against the object's visible centre shift (recipe `whereOffsetLossWeight`); the `object+offset` gate decoding
   * opens the chosen object's coverage moved by it, a move's destination, which no object's own coverage opens.
   * Optional (absent = off) so that configs keep their keys.
   */
  alignedOffset?: boolean;
  /**
   * With the bilinear where head: a scale head (ours) reads the mean [IMG] state and predicts the log of how much the
   * edit grows the visible extent of the object it changes (aligned.ts), trained against the truth's (recipe
   * `whereScaleLossWeight`); the `object+move` gate decoding scales the chosen object's moved coverage by it (a resize,
   * a move towards or away from the camera). Optional (absent = off) so that configs keep their keys.
   */
  alignedScale?: boolean;
  /**
   * With the bilinear where head: an object head of this many layers (ours, object-head.ts) chooses the object an edit
   * changes among the objects perceived in the source: one token per object (its patches' referred states pooled by its
   * coverage, and its place and extent on the grid) self-attends to the other objects and cross-attends to the
   * instruction's words, and its score is added to the where head's coverage-weighted mean logit (zero at the start, so
   * it starts as the where head's choice). The object-choosing gate decodings (gate-decode.ts) then take its choice.
   * Optional (absent = off) so that configs keep their keys.
   */
  alignedObjects?: number;
  /**
   * With the object head: a move head of this many layers (ours, move-head.ts) reads the objects as the object head does
   * (its own weights) and predicts per object how far the edit moves it and how much it grows it, added to the offset and
   * scale heads' predictions for the whole edit (none: 0); zero at the start, so the editor starts as it was. The moving
   * gate decodings then move the chosen object by its row. Optional (absent = off) so that configs keep their keys.
   */
  alignedMoves?: number;
  /**
   * With the object head: each object token also carries its rank among the item's objects (object-head.ts objectRanks:
   * from the left and from the right by its centre, from the biggest and the smallest by its area, from the nearest and
   * the farthest by its bottom edge; one-hot of the first RANK_SLOTS - 1 places and one "later" slot), through a linear
   * map of its own, so that "the third rightmost" or "the second biggest" reads a place the head need not count itself.
   * Optional (absent = off) so that configs keep their keys.
   */
  alignedObjectRanks?: boolean;
}

const QUICK: EditorConfig = {
  image: 32,
  encPatch: 4, // 8 x 8 = 64 encoder tokens
  encD: 64,
  encLayers: 2,
  encHeads: 4,
  encFF: 128,
  adapterMerge: 2, // 16 image tokens in the MLLM
  adapterHidden: 128,
  d: 64,
  layers: 6,
  heads: 4,
  ff: 128,
  softPrompt: 4,
  imgTokens: 8,
  maxInstruction: 32, // the generators' longest: 29 tokens
  maxCondition: 40, // longest: 34
  editD: 64,
  editQueries: 8,
  editEncLayers: 1,
  editDecLayers: 1,
  editHeads: 4,
  editFF: 128,
  dnPatch: 4, // 64 denoiser tokens
  dnD: 64,
  dnLayers: 2, // quick is CI scale (docs/environment.md's 2 + 2 block feasibility run); paper has 4 blocks
  dnHeads: 4,
  dnFF: 128,
  dnFreq: 64,
  timesteps: 1000,
  prediction: "x0",
  dropText: 0.05,
  dropBoth: 0.05,
  dropImage: 0.05,
  editLossWeight: 1,
  loraRank: 4,
  loraAlpha: 4,
  initStd: 0.02,
  editMap: false,
};

export const EDITOR_PRESETS: Presets<EditorConfig> = {
  tiny: {
    ...QUICK,
    image: 16,
    encD: 16,
    encLayers: 1,
    encHeads: 2,
    encFF: 32,
    adapterHidden: 32,
    d: 16,
    layers: 3,
    heads: 2,
    ff: 32,
    softPrompt: 2,
    editD: 16,
    editQueries: 4,
    editHeads: 2,
    editFF: 32,
    dnD: 16,
    dnLayers: 2,
    dnHeads: 2,
    dnFF: 32,
    dnFreq: 16,
    loraRank: 2,
    loraAlpha: 2,
  },
  quick: QUICK,
  paper: { ...QUICK, encLayers: 3, ff: 256, editQueries: 16, editEncLayers: 2, editDecLayers: 2, editFF: 256, dnLayers: 4, dnFF: 256 }, // the editor-sized denoiser: 4 blocks, d 64, 4 heads, FF 256
};

export const TINY_EDITOR: EditorConfig = EDITOR_PRESETS.tiny;

/** Token rows of the MLLM's positional table: <bos> + task prompt, soft prompt, image tokens, instruction, <sep>, [IMG]s, condition, <eos>. */
export function maxSequence(c: EditorConfig, taskTokens: number): number {
  return 1 + taskTokens + c.softPrompt + imageTokenCount(c) + c.maxInstruction + 1 + c.imgTokens + c.maxCondition + 1;
}

/** Image tokens the MLLM sees: (image / encPatch / adapterMerge)^2. */
export function imageTokenCount(c: EditorConfig): number {
  const g = c.image / c.encPatch / c.adapterMerge;
  return g * g;
}

function positiveInts(c: EditorConfig, keys: (keyof EditorConfig)[]): void {
  for (const k of keys) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`editor: ${k} must be a positive integer, got ${v}`);
  }
}

/** Checks a config; every message names the key and what to change. */
export function checkEditorConfig(c: EditorConfig): EditorConfig {
  positiveInts(c, ["image", "encPatch", "encD", "encLayers", "encHeads", "encFF", "adapterMerge", "adapterHidden", "d", "layers", "heads", "ff", "softPrompt", "imgTokens", "maxInstruction", "maxCondition", "editD", "editQueries", "editEncLayers", "editDecLayers", "editHeads", "editFF", "dnPatch", "dnD", "dnLayers", "dnHeads", "dnFF", "dnFreq", "timesteps", "loraRank"]);
  for (const [w, h] of [["encD", "encHeads"], ["d", "heads"], ["editD", "editHeads"], ["dnD", "dnHeads"]] as const) {
    if (c[w] % c[h] !== 0) throw new ConfigError(`editor: ${w} (${c[w]}) must be divisible by ${h} (${c[h]})`);
  }
  if (c.image % c.encPatch !== 0) throw new ConfigError(`editor: image (${c.image}) must be divisible by encPatch (${c.encPatch})`);
  if ((c.image / c.encPatch) % c.adapterMerge !== 0) throw new ConfigError(`editor: the encoder grid (${c.image / c.encPatch}) must be divisible by adapterMerge (${c.adapterMerge})`);
  if (c.image % c.dnPatch !== 0) throw new ConfigError(`editor: image (${c.image}) must be divisible by dnPatch (${c.dnPatch})`);
  if (c.dnFreq % 2 !== 0) throw new ConfigError(`editor: dnFreq must be even, got ${c.dnFreq}`);
  if (!(PREDICTION_TYPES as readonly string[]).includes(c.prediction)) throw new ConfigError(`editor: prediction must be one of ${PREDICTION_TYPES.join(", ")}, got '${c.prediction}'`);
  for (const k of ["dropText", "dropBoth", "dropImage"] as const) {
    if (!(c[k] >= 0 && c[k] <= 1)) throw new ConfigError(`editor: ${k} must be a probability in [0, 1], got ${c[k]}`);
  }
  if (c.dropText + c.dropBoth + c.dropImage > 1) throw new ConfigError(`editor: dropText + dropBoth + dropImage must be at most 1, got ${c.dropText + c.dropBoth + c.dropImage}`);
  if (!(c.editLossWeight >= 0)) throw new ConfigError(`editor: editLossWeight must be >= 0, got ${c.editLossWeight}`);
  if (!(c.loraAlpha > 0)) throw new ConfigError(`editor: loraAlpha must be > 0, got ${c.loraAlpha}`);
  if (!(c.initStd > 0)) throw new ConfigError(`editor: initStd must be > 0, got ${c.initStd}`);
  if (c.editMap !== undefined && typeof c.editMap !== "boolean") throw new ConfigError(`editor: editMap must be true or false, got ${JSON.stringify(c.editMap)}`);
  if (c.aligned !== undefined && typeof c.aligned !== "boolean") throw new ConfigError(`editor: aligned must be true or false, got ${JSON.stringify(c.aligned)}`);
  if (c.alignedWhere !== undefined && c.alignedWhere !== "additive" && c.alignedWhere !== "bilinear") throw new ConfigError(`editor: alignedWhere must be additive or bilinear, got ${JSON.stringify(c.alignedWhere)}`);
  if (c.alignedWhat !== undefined && typeof c.alignedWhat !== "boolean") throw new ConfigError(`editor: alignedWhat must be true or false, got ${JSON.stringify(c.alignedWhat)}`);
  if (c.alignedPlan !== undefined && typeof c.alignedPlan !== "boolean" && c.alignedPlan !== "attend" && c.alignedPlan !== "palette") throw new ConfigError(`editor: alignedPlan must be true, false, "attend" or "palette", got ${JSON.stringify(c.alignedPlan)}`);
  if (c.alignedPlanGate !== undefined && c.alignedPlanGate !== "open") throw new ConfigError(`editor: alignedPlanGate must be "open" (or absent), got ${JSON.stringify(c.alignedPlanGate)}`);
  if (c.alignedPlanGate !== undefined && !planOn(c)) throw new ConfigError("editor: alignedPlanGate needs an edit plan (alignedPlan true, \"attend\" or \"palette\")");
  if (c.alignedPlanSource !== undefined && c.alignedPlanSource !== true) throw new ConfigError(`editor: alignedPlanSource must be true (or absent), got ${JSON.stringify(c.alignedPlanSource)}`);
  if (c.alignedPlanSource !== undefined && !planOn(c)) throw new ConfigError("editor: alignedPlanSource needs an edit plan (alignedPlan true, \"attend\" or \"palette\")");
  if (c.alignedRefer !== undefined && !(Number.isInteger(c.alignedRefer) && c.alignedRefer >= 1)) throw new ConfigError(`editor: alignedRefer must be a positive number of layers, got ${JSON.stringify(c.alignedRefer)}`);
  if (c.alignedOffset !== undefined && typeof c.alignedOffset !== "boolean") throw new ConfigError(`editor: alignedOffset must be true or false, got ${JSON.stringify(c.alignedOffset)}`);
  if (c.alignedScale !== undefined && typeof c.alignedScale !== "boolean") throw new ConfigError(`editor: alignedScale must be true or false, got ${JSON.stringify(c.alignedScale)}`);
  if (c.alignedObjects !== undefined && !(Number.isInteger(c.alignedObjects) && c.alignedObjects >= 1)) throw new ConfigError(`editor: alignedObjects must be a positive number of layers, got ${JSON.stringify(c.alignedObjects)}`);
  if (c.alignedMoves !== undefined && !(Number.isInteger(c.alignedMoves) && c.alignedMoves >= 1)) throw new ConfigError(`editor: alignedMoves must be a positive number of layers, got ${JSON.stringify(c.alignedMoves)}`);
  if (c.alignedMoves !== undefined && c.alignedObjects === undefined) throw new ConfigError("editor: alignedMoves moves the object the object head chooses; it needs alignedObjects");
  if (c.alignedObjectRanks !== undefined && typeof c.alignedObjectRanks !== "boolean") throw new ConfigError(`editor: alignedObjectRanks must be true or false, got ${JSON.stringify(c.alignedObjectRanks)}`);
  if (c.alignedObjectRanks === true && c.alignedObjects === undefined) throw new ConfigError("editor: alignedObjectRanks gives the object head the objects' ranks; it needs alignedObjects");
  // the options that ride on the bilinear where head, checked in this order
  const onBilinear: [string, boolean][] = [["alignedWhat", c.alignedWhat === true], ["alignedRefer", c.alignedRefer !== undefined], ["alignedPlan", planOn(c)], ["alignedOffset", c.alignedOffset === true], ["alignedScale", c.alignedScale === true], ["alignedObjects", c.alignedObjects !== undefined]];
  for (const [name, on] of onBilinear) if (on && (c.aligned !== true || c.alignedWhere !== "bilinear")) throw new ConfigError(`editor: ${name} needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')`);
  return c;
}

/** Whether the editor predicts an edit plan (alignedPlan true, "attend" or "palette"). */
export function planOn(c: Pick<EditorConfig, "alignedPlan">): boolean {
  return c.alignedPlan === true || c.alignedPlan === "attend" || c.alignedPlan === "palette";
}

/**
 * The editor config as grid nodes and curve caches key it: `editMap` (and `aligned`) left out when off (configs
 * made before it existed keep their keys, so cached nodes are served) and for the phases that
 * make no edit (`textPhase`: base, Stage I), which then build no map weights; the edit phase that
 * follows them starts its map from initialisation (train/node.ts).
 */
export function keyedEditorConfig(c: EditorConfig, textPhase: boolean): EditorConfig {
  const { editMap, aligned, alignedWhere, alignedWhat, alignedPlan, alignedPlanGate, alignedPlanSource, alignedRefer, alignedOffset, alignedScale, alignedObjects, alignedMoves, alignedObjectRanks, ...rest } = c;
  const where = aligned === true && alignedWhere !== undefined && alignedWhere !== "additive" ? { alignedWhere, ...(alignedWhat === true ? { alignedWhat } : {}), ...(planOn({ alignedPlan }) ? { alignedPlan, ...(alignedPlanGate !== undefined ? { alignedPlanGate } : {}), ...(alignedPlanSource === true ? { alignedPlanSource } : {}) } : {}), ...(alignedRefer !== undefined ? { alignedRefer } : {}), ...(alignedOffset === true ? { alignedOffset } : {}), ...(alignedScale === true ? { alignedScale } : {}), ...(alignedObjects !== undefined ? { alignedObjects } : {}), ...(alignedMoves !== undefined ? { alignedMoves } : {}), ...(alignedObjectRanks === true ? { alignedObjectRanks } : {}) } : {};
  return { ...rest, ...(editMap === true && !textPhase ? { editMap } : {}), ...(aligned === true && !textPhase ? { aligned, ...where } : {}) };
}

/** The editor config of a profile (default: SPATIALEDIT_PROFILE) with overrides; unknown keys and bad values throw. */
export function editorConfig(profile?: string, overrides?: DeepPartial<EditorConfig>): EditorConfig {
  return checkEditorConfig(resolveConfig(EDITOR_PRESETS, "editor", profile, overrides));
}
