/**
 * The edit pipeline (paper Fig. 3; MGIE / InstructPix2Pix inference), written as numbered steps:
 *   1. check the input (size, instructions) and stack the sources;
 *   2. the MLLM reads task prompt + soft prompt + image tokens + instruction + [IMG]; H_edit maps
 *      the [IMG] states to condition tokens (and H_lm greedily writes the language condition);
 *   3. DDIM from x_T ~ N(0, I) over the residual r = (target - source) / 2: at each step one
 *      batched denoiser call on [cond; image only; unconditional] (the guidance batch order),
 *      dual classifier-free guidance (InstructPix2Pix Eq. 3; applied to the prediction, which is
 *      affine in epsilon with coefficients summing to 1, so the result is the same), then the
 *      scheduler's step;
 *   4. the edited image = source + 2 r, clipped to [-1, 1].
 * And the VQA pipeline: (image, question) -> the greedy answer of H_lm.
 */
import * as tf from "@tensorflow/tfjs";
import { pastesObject, scalesObject, shadesObject, decodeGate, decodeObjectMove, MOVING_RULES_TEXT, SCALING_RULES_TEXT, movesObject, needsObjects, pickObject, type GateDecode, type ObjectRegions } from "./gate-decode";
import { drawsPixels, redrawsObject, redrawTarget } from "./redraw-decode";
import { drawerFor, keepDrawn, keepTarget, moveFills } from "./move-fills";
import { chooseBySaidExtreme } from "./said-extreme";
import { readTargetWords, withReadTargets } from "./target-reader";
import { changedPixel, patchOfPixel } from "./paste-move";
import { saidGroundMoves } from "./ground-move";
import { saidShape, shapeCheckedChoices } from "./shape-check";
import { shapeLogProbs } from "./shape-reader";
import { dataEngineConfig } from "../../data/config";
import type { Camera } from "../../world/types";
import { Rng } from "../../core/rng";
import { dualClassifierFreeGuidance } from "../../diffusion/guidance";
import { generateConditions } from "./generate";
import { gatedSpatial, hasWhereGate, type AlignedResult } from "./aligned";
import { paletteArgmaxColours, snapToPalette } from "./palette";
import { chosenMoves, editMoveBase, moveHeadOutputs } from "./move-head";
import { bestObjects, objectHeadScores, objectInputs, objectReadsOf, type ObjectInputs, type ObjectReads } from "./object-head";
import { conditionSpatial, editorCondition, editorDenoise, editorLayout, editorParams, type Editor } from "./model";
import { guidanceBranches } from "./denoiser";
import { planOn, type EditorConfig } from "./config";
import { applyResidual } from "./residual";
import { editorScheduler, imageBatch } from "./train/steps";

export interface EditPipelineOptions {
  /** DDIM steps (10 in the feasibility runs). */
  steps: number;
  /** Text and image guidance scales s_T, s_I (1 and 1 = no guidance). */
  textScale: number;
  imageScale: number;
  /** Seed of x_T. */
  seed: number;
  /** Also write the language condition with H_lm (greedy). */
  writeCondition: boolean;
  /**
   * How an editor with the bilinear where head makes its gate from its where logits (gate-decode.ts); absent means
   * "sigmoid", the trained default. Ignored where a diagnostic gives the gate (EditExtras.whereGate).
   */
  gate?: GateDecode;
  /**
   * How an editor with an edit plan gives it to the gate: "soft", as predicted (a colour plan's colour, a palette plan's
   * probabilities; what Stage II trains on the items whose gate is not forced; the default); with a palette plan (alignedPlan
   * "palette") "argmax", the one-hot of its most likely colour; with a colour plan "snap", each colour moved onto the
   * palette colour nearest it in chromaticity at its own brightness (aligned.ts snapToPalette). The forced items are trained
   * on the truth's plan, which names one palette colour. Ignored where a diagnostic gives the plan (EditExtras.plan).
   */
  planDecode?: PlanDecode;
  /**
   * Keep the source's pixels in every patch the gate leaves closed (exactly 0): the denoiser edits only where the gate opens
   * (mask blending after sampling, as DiffEdit keeps what lies outside its mask). For the object-choosing gate decodings, whose
   * gates are an object's coverage or the share its edit changes, 0 off it; absent or false, every pixel is the denoiser's.
   * Under a decoding that keeps a pixel prediction of the chosen object's edit (`object+move+draw`, `object+move+pixels`),
   * the mask is that prediction's changed pixels where it has one: such an item is then its prediction, the denoiser's
   * output unused (the other pixels of the open patches are the source's too).
   */
  keepClosed?: boolean;
  /**
   * Under the object-moving and scaling decodings (object+move...), a chosen object whose language condition says it "has
   * moved a little / a lot <direction>" moves on the ground plane as ground-move.ts computes from its pixels and the camera
   * (EditExtras.cameras), in place of the move head's offset and scale; needs the editor's own object choice (its object head).
   */
  groundMoves?: boolean;
  /**
   * The object choice weighed by the shape the language condition says the changed object has (shape-check.ts): each object's
   * score plus the shape reader's log-probability of that shape (Editor.shapeReader, from its pixels, EditExtras.objectMasks).
   * Needs an object-choosing decoding and the editor's own choice (its object head).
   */
  shapeCheck?: boolean;
  /**
   * Under the pasting decodings (gate-decode.ts pastesObject), a pasted move or resize stays behind the other perceived
   * objects that stand nearer on the ground (their lowest row below its own after the move; paste-move.ts
   * PasteOptions.others): moved behind an object, it is hidden where that object is, as the renderer hides it. Absent or
   * false, it is pasted over everything.
   */
  pasteBehind?: boolean;
  /**
   * Under the redrawing decodings (redraw-decode.ts), a said replacement's new shape and a said retexture's material are the
   * target reader's (Editor.targetReader, target-reader.ts; npm run target-fit) reading of the instruction's word states,
   * in place of the language condition's words; the kind and colour stay the condition's. Needs an object head (whose
   * aligned path keeps the word states).
   */
  readTargets?: boolean;
  /**
   * The object choice of an item whose language condition refers to the object by one plain extreme ("which is the leftmost
   * cone") made by that extreme among the perceived objects of the said shape and colour, measured on their pixels
   * (said-extreme.ts; shapes read by Editor.shapeReader), in place of the object head's. Needs an object-choosing decoding,
   * the editor's own choice (its object head), a shape reader and each source's object masks.
   */
  saidExtremes?: boolean;
}

export const DEFAULT_EDIT_OPTIONS: EditPipelineOptions = { steps: 10, textScale: 1, imageScale: 1, seed: 0, writeCondition: false };

export interface EditOutput {
  /** Edited images, [H*W*3] in [-1, 1] each. */
  images: Float32Array[];
  /** The language conditions H_lm wrote (empty strings unless asked). */
  conditions: string[];
}

/**
 * Steps 3 and 4: DDIM over the residual in `steps` steps from x_T ~ N(0, I), with x_T and each
 * step's noise drawn from `rng`; `predict(x_t, t)` gives the (guided) prediction per step. Returns
 * the edited images source + 2 r [B, H, W, 3]. Call inside tf.tidy.
 */
export function sampleEdits(c: Pick<EditorConfig, "timesteps" | "prediction">, steps: number, source: tf.Tensor4D, rng: Rng, predict: (x: tf.Tensor4D, t: number[]) => tf.Tensor4D): tf.Tensor4D {
  const [B, H, W, C] = source.shape;
  const sched = editorScheduler(c);
  sched.setTimesteps(steps);
  let x: tf.Tensor4D = tf.tensor4d(rng.normalArray(B * H * W * C), [B, H, W, C]);
  for (const t of sched.timesteps) {
    const prediction = predict(x, Array(B).fill(t) as number[]);
    const z = tf.tensor4d(rng.normalArray(B * H * W * C), [B, H, W, C]);
    x = sched.step(prediction, t, x, { noise: z }).prevSample as tf.Tensor4D;
  }
  return applyResidual(source, x);
}

/** Inputs of a diagnostic edit, beside the source and the instruction. */
export interface EditExtras {
  /**
   * Per item, a gate per denoiser patch ([N] in [0, 1], N = (image / dnPatch)^2) given to the bilinear
   * where head's channel in place of its prediction (aligned.ts gatedSpatial): the oracle-where
   * diagnostic (lib/eval/trained-editor.ts whereOracleEditor). Not an editor's input.
   */
  whereGate?: readonly Float32Array[];
  /**
   * With an editor that predicts an edit plan (alignedPlan): per item, the plan given in place of the
   * predicted one ([N * 3], row-major [N, 3], colours in [-1, 1]; aligned-targets.ts planTargets), with the
   * `whereGate` given or else the editor's own: the oracle-plan diagnostics ("palette" editors read the one-hot of
   * each colour's nearest palette colour; aligned.ts paletteOneHot). Not an editor's input.
   */
  plan?: readonly Float32Array[];
  /**
   * Per item, the objects the data engine's perception finds in its source, as their coverage of each denoiser
   * patch (gate-decode.ts ObjectRegions; lib/eval/object-regions.ts makes them): what the `object` and `object+free` gate decodings
   * choose among. Perception of the source, like the encoder's; it never holds the edit's truth.
   */
  objects?: readonly ObjectRegions[];
  /**
   * Per item, the offset [dx, dy] (denoiser patches) the `object+offset` decoding moves the chosen object by, in place of
   * the offset head's prediction (an editor without the head may then use the rule): the oracle-offset diagnostic
   * (lib/eval/trained-editor.ts offsetOracleEditor), which reads the truth. Not an editor's input.
   */
  offsets?: readonly (readonly [number, number])[];
  /**
   * Per item, the scale (how much the extent grows, > 0) the `object+move` decoding scales the moved object by, in place of the
   * scale head's prediction: an oracle diagnostic, with `offsets`. Not an editor's input.
   */
  scales?: readonly number[];
  /**
   * Per item, the index of the object (among `objects`) the object-choosing decodings take, or -1 for the editor's own
   * choice (its object head's, else its where head's): the oracle-choice diagnostic (lib/eval/trained-editor.ts
   * choiceOracleEditor), which reads the truth. Not an editor's input.
   */
  chosen?: readonly number[];
  /**
   * Per item, each object's colour (in [-1, 1], the same order as `objects`; lib/eval/object-regions.ts perceiveObjects: the
   * mean of its own pixels) that the object-moving decodings plan its new place with; absent, objectColour estimates it from
   * the patches the object covers. Perception of the source, like `objects`.
   */
  objectColours?: readonly (readonly (readonly [number, number, number])[])[];
  /**
   * Per item, each object's pixel mask at the editor's size (1 on the object, [size * size], the same order as `objects`),
   * and the camera's empty ground at the editor's size ([size * size * 3] in [-1, 1]): what `object+offset+paste` pastes.
   * Perception of the source, like `objects`.
   */
  objectMasks?: readonly (readonly Uint8Array[])[];
  emptyGrounds?: readonly Float32Array[];
  /** Per item, the source's camera (what the empty ground is rendered from): the groundMoves option's geometry. */
  cameras?: readonly Camera[];
}

/** `gate` [B, N] with the rows `rows` gives (null: keep the row). Call inside tf.tidy. */
function withRows(gate: tf.Tensor2D, rows: readonly (readonly number[] | null)[]): tf.Tensor2D {
  const own = gate.arraySync();
  return tf.tensor2d(own.map((r, b) => (rows[b] === null ? r : [...rows[b]!])), gate.shape);
}

/** How an edit plan is decoded at editing time: as predicted ("soft"), as its most likely palette colour ("argmax", palette plans) or snapped to the palette ("snap", colour plans). */
export type PlanDecode = "soft" | "argmax" | "snap";

/** Edits `sources` ([H*W*3] in [-1, 1]) by `instructions`. */
export function editImages(e: Editor, sources: readonly Float32Array[], instructions: readonly string[], options: Partial<EditPipelineOptions> = {}, extras: EditExtras = {}): EditOutput {
  const o = { ...DEFAULT_EDIT_OPTIONS, ...options };
  // 1.
  if (sources.length !== instructions.length) throw new Error(`editImages: ${sources.length} images for ${instructions.length} instructions`);
  if (sources.length === 0) return { images: [], conditions: [] };
  for (const [i, s] of instructions.entries()) if (s.trim() === "") throw new Error(`editImages: instruction ${i} is empty; say what to change`);
  const size = e.config.image;
  const B = sources.length;
  const N = (size / e.config.dnPatch) ** 2;
  const gates = extras.whereGate;
  if (gates !== undefined) {
    if (!hasWhereGate(e.config, e.imageTokens)) throw new Error("editImages: whereGate needs an editor with the aligned path's bilinear where head (alignedWhere: 'bilinear') and image tokens");
    if (gates.length !== B) throw new Error(`editImages: ${gates.length} where gates for ${B} images`);
    for (const [i, g] of gates.entries()) if (g.length !== N) throw new Error(`editImages: where gate ${i} has ${g.length} values; the denoiser has ${N} patches`);
  }
  const decode = o.gate ?? "sigmoid";
  if (decode !== "sigmoid" && !hasWhereGate(e.config, e.imageTokens)) throw new Error(`editImages: gate decoding '${decode}' needs an editor with the aligned path's bilinear where head (alignedWhere: 'bilinear') and image tokens`);
  if (needsObjects(decode)) {
    const objs = extras.objects;
    if (objs === undefined) throw new Error(`editImages: gate decoding '${decode}' needs the objects of each source (extras.objects; lib/eval/object-regions.ts)`);
    if (objs.length !== B) throw new Error(`editImages: objects for ${objs.length} images, expected ${B}`);
    for (const [i, list] of objs.entries()) for (const [r, c] of list.entries()) if (c.length !== N) throw new Error(`editImages: object ${r} of image ${i} covers ${c.length} patches; the denoiser has ${N}`);
  }
  if (extras.objectColours !== undefined) {
    if (extras.objects === undefined || extras.objectColours.length !== B || extras.objectColours.some((cs, i) => cs.length !== extras.objects![i].length)) throw new Error("editImages: object colours (extras.objectColours) need one colour per object of each image's objects (extras.objects)");
  }
  if (extras.chosen !== undefined) {
    if (!needsObjects(decode)) throw new Error(`editImages: given object choices (extras.chosen) are read by the object-choosing gate decodings only, not by '${decode}'`);
    if (extras.chosen.length !== B) throw new Error(`editImages: ${extras.chosen.length} object choices for ${B} images`);
    for (const [i, r] of extras.chosen.entries()) if (!Number.isInteger(r) || r < -1 || r >= extras.objects![i].length) throw new Error(`editImages: object choice ${i} must be -1 or the index of one of its ${extras.objects![i].length} objects, got ${r}`);
  }
  if (extras.offsets !== undefined) {
    if (!movesObject(decode)) throw new Error(`editImages: given offsets (extras.offsets) are read by the ${MOVING_RULES_TEXT} gate decodings only, not by '${decode}'`);
    if (extras.offsets.length !== B) throw new Error(`editImages: ${extras.offsets.length} offsets for ${B} images`);
    for (const [i, o] of extras.offsets.entries()) if (o.length !== 2 || !o.every(Number.isFinite)) throw new Error(`editImages: offset ${i} must be two finite numbers (patches), got [${o.join(", ")}]`);
  }
  if (pastesObject(decode)) {
    const [masks, grounds] = [extras.objectMasks, extras.emptyGrounds];
    if (masks === undefined || grounds === undefined) throw new Error(`editImages: gate decoding '${decode}' needs each source's object masks and empty ground (extras.objectMasks, extras.emptyGrounds; lib/eval/object-regions.ts)`);
    if (masks.length !== B || grounds.length !== B) throw new Error(`editImages: object masks for ${masks.length} and empty grounds for ${grounds.length} images, expected ${B}`);
    for (const [i, m] of masks.entries()) {
      if (m.length !== extras.objects![i].length || m.some((x) => x.length !== size * size)) throw new Error(`editImages: the object masks of image ${i} must be one per object (${extras.objects![i].length}) of ${size * size} pixels`);
      if (grounds[i].length !== size * size * 3) throw new Error(`editImages: empty ground ${i} has ${grounds[i].length} values; the editor's images have ${size * size * 3}`);
    }
  }
  if (redrawsObject(decode) && e.drawer === undefined) throw new Error(`editImages: gate decoding '${decode}' needs an editor with a drawer (Editor.drawer; npm run redraw-fit makes one)`);
  if (e.retexturer !== undefined && e.retexturer.config.retexture !== true) throw new Error("editImages: the editor's retexturer (Editor.retexturer) must be a drawer that retextures (npm run redraw-fit -- --retextures=<share>)");
  if (extras.offsets === undefined && movesObject(decode) && e.config.alignedOffset !== true && e.config.alignedMoves === undefined) throw new Error(`editImages: gate decoding '${decode}' needs an editor with the offset head (alignedOffset) or the move head (alignedMoves), or given offsets (extras.offsets)`);
  if (extras.scales !== undefined) {
    if (!scalesObject(decode) || extras.offsets === undefined) throw new Error(`editImages: given scales (extras.scales) are read by the ${SCALING_RULES_TEXT} gate decodings only, with given offsets (extras.offsets); got '${decode}'${extras.offsets === undefined ? " without offsets" : ""}`);
    if (extras.scales.length !== B) throw new Error(`editImages: ${extras.scales.length} scales for ${B} images`);
    for (const [i, s] of extras.scales.entries()) if (!(s > 0) || !Number.isFinite(s)) throw new Error(`editImages: scale ${i} must be a finite number > 0, got ${s}`);
  } else if (scalesObject(decode) && ((e.config.alignedScale !== true && e.config.alignedMoves === undefined) || extras.offsets !== undefined)) throw new Error(`editImages: gate decoding '${decode}' needs an editor with the scale head (alignedScale) or the move head (alignedMoves), or given scales with given offsets (extras.scales, extras.offsets)`);
  if (o.keepClosed === true && !needsObjects(decode)) throw new Error(`editImages: keepClosed needs an object-choosing gate decoding, whose gate is 0 off the chosen object's edit; '${decode}' opens every patch a little`);
  const planDecode = o.planDecode ?? "soft";
  if (planDecode !== "soft" && planDecode !== "argmax" && planDecode !== "snap") throw new Error(`editImages: planDecode must be soft, argmax or snap, got '${String(planDecode)}'`);
  if (planDecode === "argmax" && (e.config.alignedPlan !== "palette" || !e.imageTokens)) throw new Error("editImages: planDecode 'argmax' needs an editor with a palette plan (alignedPlan: 'palette') that reads the image");
  if (planDecode === "snap" && (!planOn(e.config) || e.config.alignedPlan === "palette" || !e.imageTokens)) throw new Error("editImages: planDecode 'snap' needs an editor with a colour plan (alignedPlan: true or 'attend') that reads the image");
  const plans = extras.plan;
  if (plans !== undefined) {
    if (!planOn(e.config) || !e.imageTokens) throw new Error("editImages: an edit plan (extras.plan) needs an editor that predicts an edit plan (alignedPlan) and reads the image");
    if (plans.length !== B) throw new Error(`editImages: ${plans.length} edit plans for ${B} images`);
    for (const [i, q] of plans.entries()) if (q.length !== N * 3) throw new Error(`editImages: edit plan ${i} has ${q.length} values; the denoiser has ${N} patches x 3 colours`);
  }
  // object+move+redraw: the language condition says what a still object becomes (redraw-decode.ts); written once for both uses
  if (o.groundMoves === true && (!scalesObject(decode) || !movesObject(decode) || extras.cameras?.length !== B || extras.objectMasks === undefined || e.config.alignedObjects === undefined || gates !== undefined || extras.offsets !== undefined)) throw new Error(`editImages: groundMoves needs an object-moving and scaling gate decoding (object+move...), each source's camera and object masks (extras.cameras, extras.objectMasks) and the editor's own choice and moves (an object head; no given gates or offsets); got '${decode}'`);
  // shapeCheck and saidExtremes both change the object head's choice with the shape reader's reading of the objects' pixels
  for (const option of ["shapeCheck", "saidExtremes"] as const) {
    if (o[option] === true && (!needsObjects(decode) || e.shapeReader === undefined || extras.objectMasks?.length !== B || extras.objectMasks.some((m, i) => m.length !== extras.objects?.[i]?.length) || e.config.alignedObjects === undefined || gates !== undefined)) throw new Error(`editImages: ${option} needs an object-choosing gate decoding, an editor with a shape reader (Editor.shapeReader; npm run shape-fit) and an object head, each source's object masks (extras.objectMasks) and no given gates; got '${decode}'${e.shapeReader === undefined ? " without a shape reader" : ""}`);
  }
  if (o.pasteBehind === true && !pastesObject(decode)) throw new Error(`editImages: pasteBehind needs a gate decoding that pastes the object's own pixels (object+offset+paste, object+offset+shade, object+move+paste or a redrawing rule); got '${decode}'`);
  if (o.readTargets === true && (!redrawsObject(decode) || e.targetReader === undefined || e.config.alignedObjects === undefined)) throw new Error(`editImages: readTargets needs a redrawing gate decoding (object+move+redraw, said, draw or pixels), an editor with a target reader (Editor.targetReader; npm run target-fit) and an object head; got '${decode}'${e.targetReader === undefined ? " without a target reader" : ""}`);
  const written = o.writeCondition || redrawsObject(decode) || o.groundMoves === true || o.shapeCheck === true || o.saidExtremes === true ? answerQuestions(e, sources, instructions, e.config.maxCondition) : undefined;
  const targets = redrawsObject(decode) ? written!.map((text) => {
    const t = redrawTarget(text);
    return keepTarget(t, decode, drawerFor(t, e.drawer, e.retexturer));
  }) : undefined;
  let drawn: (Float32Array | null)[] | undefined; // object+move+draw: the pixels kept in the edit
  let closed: number[][] | undefined; // keepClosed: the gate per item [B][N]
  const images = tf.tidy(() => {
    const source = imageBatch(sources, size); // [B, H, W, 3]
    // 2.
    const c0 = editorCondition(e, e.imageTokens ? source : null, editorLayout(e, [...instructions]));
    // the diagnostics' gates, and plan (else an edit plan stays the editor's)
    const given0 = plans !== undefined ? (tf.tensor3d(plans.flatMap((q) => Array.from(q)), [B, N, 3]) as tf.Tensor3D) : planDecode === "argmax" ? paletteArgmaxColours(c0.aligned!.planLogits!) : planDecode === "snap" ? snapToPalette(c0.aligned!.plan!) : undefined;
    // object+offset: the offset head's moves, and the patches each move fills, which take the moved object's colour as their plan (+ground: and the patches it vacates the ground's)
    // an editor with the object head (alignedObjects) chooses the object by it, in place of the where head's mean logits
    // what the object and move heads read of the editor, once for both
    const read = needsObjects(decode) && gates === undefined && e.config.alignedObjects !== undefined ? objectHeadReads(c0.aligned!, extras.objects!, N) : undefined;
    // shapeCheck and saidExtremes: the shape reader's reading of each object's pixels, once for both
    const shapeLogs = read !== undefined && (o.shapeCheck === true || o.saidExtremes === true) ? sources.map((x, b) => shapeLogProbs(e.shapeReader!, x, extras.objectMasks![b])) : undefined;
    const head = read !== undefined ? headChoices(e, read, o.shapeCheck === true ? { logProbs: shapeLogs!, conditions: written! } : undefined) : undefined;
    // saidExtremes: a plain extreme the condition says chosen on the objects' pixels (said-extreme.ts)
    const own = head !== undefined && o.saidExtremes === true ? chooseBySaidExtreme(head, sources, extras.objectMasks!, written!, shapeLogs!) : head;
    const picks = extras.chosen === undefined || gates !== undefined ? own : givenChoices(extras.chosen, own, c0.aligned!.where, extras.objects!);
    // with the move head (alignedMoves), the chosen object's own move, in place of the offset and scale heads' for the edit
    const moved = movesObject(decode) && gates === undefined && extras.offsets === undefined && e.config.alignedMoves !== undefined ? headMoves(e, c0.aligned!, read!, picks!) : undefined;
    const offsets0 = movesObject(decode) && gates === undefined ? (extras.offsets ?? moved?.offsets ?? (c0.aligned!.offset!.arraySync() as [number, number][])) : undefined;
    const scales0 = scalesObject(decode) && offsets0 !== undefined ? (extras.scales ?? moved?.scales ?? Array.from(tf.exp(c0.aligned!.logScale!).dataSync())) : undefined;
    // groundMoves: a said move of the chosen object done on the ground plane (ground-move.ts; the offset in patches)
    const ground = o.groundMoves === true ? saidGroundMoves(written!, picks!, extras.objectMasks!, extras.cameras!, dataEngineConfig().moveStep, e.config.dnPatch) : undefined;
    const offsets = ground === undefined ? offsets0 : offsets0!.map((x, b) => ground[b]?.offset ?? x);
    const scales = ground === undefined ? scales0 : scales0!.map((x, b) => ground[b]?.scale ?? x);
    const chosen = offsets !== undefined ? decodeObjectMove(c0.aligned!.where, decode, { objects: extras.objects!, offsets, scales, chosen: picks }) : undefined; // the gate and the choice behind it, once
    const fills = chosen !== undefined && plans === undefined && c0.aligned?.plan !== undefined ? moveFills(chosen.choices, decode, { objects: extras.objects!, sources, patch: e.config.dnPatch, N, known: extras.objectColours, masks: extras.objectMasks, grounds: extras.emptyGrounds, plan: shadesObject(decode) ? ((given0 ?? c0.aligned.plan).arraySync() as number[][][]) : undefined, drawer: e.drawer, retexturer: e.retexturer, targets: o.readTargets === true ? withReadTargets(targets!, readTargetWords(e.targetReader!, c0.aligned!.objectReads!.words)) : targets, behind: o.pasteBehind === true }) : undefined;
    if (drawsPixels(decode)) drawn = fills?.pixels;
    const given = fills === undefined ? given0 : given0 === undefined ? fills.colours : (tf.where(tf.expandDims(tf.cast(fills.patches, "bool"), 2), fills.colours, given0) as tf.Tensor3D);
    const plan = c0.aligned?.plan === undefined ? undefined : { p: editorParams(e), truth: given, ...(fills !== undefined && given0 === undefined ? { patches: fills.patches } : {}) };
    const decoded = decode !== "sigmoid" || given !== undefined;
    const gate0 = gates !== undefined ? tf.tensor2d(gates.flatMap((g) => Array.from(g)), [B, N]) : chosen !== undefined ? chosen.gate : decoded && c0.aligned !== null ? decodeGate(c0.aligned.where, decode, { objects: extras.objects, chosen: picks }) : undefined; // [B, N]
    const gate = gate0 !== undefined && fills?.gates !== undefined ? withRows(gate0, fills.gates) : gate0; // object+move+paste: a pasted move's gate is its changed share
    if (o.keepClosed === true) closed = gate!.arraySync();
    const c = gate === undefined || c0.aligned === null ? c0 : { ...c0, aligned: { ...c0.aligned, spatial: gatedSpatial(c0.aligned, gate, undefined, plan) } };
    const cond = c.edit.tokens; // [B, L, dnD]
    const spatial = conditionSpatial(c); // [B, N, dnD] with the edit map or the aligned path
    // 3. and 4.
    const p = editorParams(e);
    return sampleEdits(e.config, o.steps, source, new Rng(o.seed), (x, ts) =>
      o.textScale === 1 && o.imageScale === 1
        ? editorDenoise(e, { noisy: x, source, t: ts, cond, spatial }).prediction
        : (() => {
            const br = guidanceBranches(p, e.config, { noisy: x, source, t: ts, cond, spatial });
            return dualClassifierFreeGuidance({ text: br.full, image: br.imageOnly, uncond: br.uncond }, o.textScale, o.imageScale) as tf.Tensor4D;
          })(),
    );
  });
  const flat = images.dataSync() as Float32Array;
  images.dispose();
  const n = size * size * 3;
  const conditions = o.writeCondition ? written! : instructions.map(() => "");
  const edited = Array.from({ length: B }, (_, i) => keepDrawn(flat.slice(i * n, (i + 1) * n), sources[i], drawn?.[i] ?? null));
  return { images: closed === undefined ? edited : edited.map((x, i) => keepClosedPatches(x, sources[i], closed![i], e.config.dnPatch, drawn?.[i] ?? null)), conditions };
}

/**
 * `edited` ([S * S * 3] in [-1, 1]) with the pixels of every patch (side `patch`) whose `gate` value is 0 taken from
 * `source`, and, given a pixel prediction `drawn` ([S * S * 3]), also every pixel it does not change (pipeline option keepClosed).
 */
export function keepClosedPatches(edited: Float32Array, source: ArrayLike<number>, gate: readonly number[], patch: number, drawn: Float32Array | null = null): Float32Array {
  const S = Math.round(Math.sqrt(edited.length / 3));
  const G = S / patch;
  if (!Number.isInteger(G) || G * G !== gate.length || source.length !== edited.length || (drawn !== null && drawn.length !== edited.length)) throw new Error(`keepClosedPatches: a ${S} x ${S} image, a source of ${source.length} values, ${gate.length} gate values${drawn === null ? "" : ` and a prediction of ${drawn.length} values`} do not fit patches of ${patch}`);
  for (let p = 0; p < S * S; p++) {
    if (gate[patchOfPixel(p, S, patch)] === 0 || (drawn !== null && !changedPixel(drawn, source, p))) for (let c = 0; c < 3; c++) edited[p * 3 + c] = source[p * 3 + c];
  }
  return edited;
}

/** What objectHeadReads gives the object and move heads: the objects as inputs, and their reads. */
type HeadReads = { inp: ObjectInputs; reads: ObjectReads };

/** Each item's objects as the object and move heads take them, and their reads of the editor's aligned path (object-head.ts objectReadsOf). Call inside tf.tidy. */
function objectHeadReads(a: AlignedResult, objects: readonly ObjectRegions[], N: number): HeadReads {
  const inp = objectInputs(objects, N);
  return { inp, reads: objectReadsOf(a, inp) };
}

/**
 * The object head's choice per item among its objects (object-head.ts; -1 for an item with none); with `check`, weighed by
 * the shape each condition says (shape-check.ts; `check.logProbs`: the shape reader's reading of each object's pixels in its
 * source). Call inside tf.tidy.
 */
function headChoices(e: Editor, { inp, reads }: HeadReads, check?: { logProbs: readonly (readonly (readonly number[])[])[]; conditions: readonly string[] }): number[] {
  const scores = objectHeadScores(editorParams(e), e.config, reads, inp);
  return check === undefined ? bestObjects(scores, inp) : shapeCheckedChoices(scores.arraySync(), check.logProbs, check.conditions.map(saidShape));
}

/** The move head's move of each item's chosen object (move-head.ts chosenMoves; `picks` -1: no move). Call inside tf.tidy. */
function headMoves(e: Editor, a: AlignedResult, { inp, reads }: HeadReads, picks: readonly number[]): { offsets: [number, number][]; scales: number[] } {
  return chosenMoves(moveHeadOutputs(editorParams(e), e.config, reads, inp, editMoveBase(a, picks.length)), picks);
}

/** Given object choices (-1: the editor's own, `own` from its object head, else pickObject of its where logits [B, N]). */
function givenChoices(given: readonly number[], own: readonly number[] | undefined, where: tf.Tensor2D, objects: readonly ObjectRegions[]): number[] {
  const rows = own === undefined && given.some((r) => r < 0) ? (where.arraySync() as number[][]) : null;
  return given.map((r, b) => (r >= 0 ? r : own !== undefined ? own[b] : pickObject(rows![b], objects[b])));
}

/** VQA: greedy answers of H_lm to `questions` about `images` (the same decoding writes an edit's language condition). */
export function answerQuestions(e: Editor, images: readonly Float32Array[], questions: readonly string[], maxTokens = 12): string[] {
  if (images.length !== questions.length) throw new Error(`answerQuestions: ${images.length} images for ${questions.length} questions`);
  if (images.length === 0) return [];
  const batch = e.imageTokens ? imageBatch(images, e.config.image) : null;
  try {
    return generateConditions(e, batch, [...questions], maxTokens).texts;
  } finally {
    batch?.dispose();
  }
}
