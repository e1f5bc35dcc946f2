/**
 * A trained MLLM-driven editor (lib/models/editor) behind the evaluation's `Editor` interface:
 * sources are resized to the editor's resolution when they differ (bilinear), edited in batches
 * by the edit pipeline (DDIM + dual guidance), and returned as 8-bit RGB. It never reads the
 * benchmark record (`request.item`): only the source and the instruction.
 */
import * as tf from "@tensorflow/tfjs";
import type { RgbImage } from "../engine/types";
import { encodeImages } from "../models/editor/encoder";
import { editorParams } from "../models/editor/model";
import type { Editor as ModelEditor } from "../models/editor/model";
import { changedShare, planTargets } from "../models/editor/aligned-targets";
import { planOn } from "../models/editor/config";
import { needsObjects, pastesObject, scalesObject, type GateDecode, type ObjectRegions } from "../models/editor/gate-decode";
import { editImages, type EditExtras, type EditPipelineOptions } from "../models/editor/pipeline";
import { editResidual } from "../models/editor/residual";
import { imageBatch } from "../models/editor/train/steps";
import { objectOffset, objectScale, toBytes, toSigned } from "../models/editor/train/data";
import { renderScene } from "../world/render";
import type { Scene } from "../world/types";
import type { EditRequest, Editor } from "./editor";
import { tfFeatureExtractor, type FeatureExtractor } from "./features";
import { resizeBilinear, toRgb } from "./image";
import { changedObject, perceiveObjects } from "./object-regions";
import { emptyGround } from "./image-perception";

/** The edited images (8-bit RGB at the editor's size) and the language conditions H_lm wrote. */
export interface EditsWithConditions {
  images: RgbImage[];
  conditions: string[];
}

/**
 * Edits `sources` by `instructions` with `model` (sources resized to the editor's resolution
 * when they differ) and writes the language condition of each edit: what the notebooks show
 * beside an edited image. `options` are the edit pipeline's (DDIM steps, guidance, seed).
 */
export function editWithConditions(model: ModelEditor, sources: readonly RgbImage[], instructions: readonly string[], options: Partial<EditPipelineOptions> = {}): EditsWithConditions {
  if (sources.length !== instructions.length) throw new Error(`editWithConditions: ${sources.length} images for ${instructions.length} instructions`);
  return runEdits(model, sources, instructions, { ...options, writeCondition: true });
}

/** An RGB image as the editor reads it: resized to `size` x `size` when it differs (bilinear), then [size*size*3] in [-1, 1]. */
export function signedAtSize(img: RgbImage, size: number): Float32Array {
  return toSigned((img.width === size && img.height === size ? img : toRgb(resizeBilinear(img, size, size))).data);
}

function runEdits(model: ModelEditor, sources: readonly RgbImage[], instructions: readonly string[], options: Partial<EditPipelineOptions>, extras: EditExtras = {}): EditsWithConditions {
  const size = model.config.image;
  const out = editImages(model, sources.map((img) => signedAtSize(img, size)), instructions, options, extras);
  return { images: out.images.map((x) => ({ width: size, height: size, data: toBytes(x) })), conditions: out.conditions };
}

/** Wraps `model` as an evaluation Editor named `name` (the method's row name in the tables). */
export function trainedEditor(name: string, model: ModelEditor, options: Partial<EditPipelineOptions> = {}): Editor {
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => runEdits(model, requests.map((r) => r.source), requests.map((r) => r.instruction), options).images;
  return {
    name,
    edit: async (request: EditRequest) => (await editBatch([request]))[0],
    editBatch,
  };
}

/**
 * `model` (the aligned path's bilinear where head) editing with its gate decoded by `object` (or `object+free` when
 * `options.gate` says so; lib/models/editor/gate-decode.ts): the where head chooses among the objects the engine's perception
 * finds in each source (object-regions.ts), and the chosen object's coverage is the gate. An editor, not a diagnostic: of the
 * benchmark record it reads only the source scene's camera (the empty ground the perception subtracts), never the
 * truth. The perception runs on the source at its own resolution (a multiple of the editor's patch grid) and its masks
 * become coverages of the editor's patches.
 */
export function objectGateEditor(name: string, model: ModelEditor, options: Partial<EditPipelineOptions> = {}): Editor {
  const size = model.config.image;
  const grid = size / model.config.dnPatch;
  const gate = options.gate ?? "object";
  if (!needsObjects(gate)) throw new Error(`objectGateEditor: gate decoding '${gate}' does not choose among objects; use trainedEditor`);
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => runEdits(model, requests.map((r) => r.source), requests.map((r) => r.instruction), { ...options, gate }, perceivedObjects(requests, grid, "objectGateEditor", masksSize(model, gate, options))).images;
  return { name, edit: async (request: EditRequest) => (await editBatch([request]))[0], editBatch };
}

/**
 * The objects the engine perceives in each request's source (object-regions.ts perceiveObjects) on a `grid` x `grid` patch
 * grid, as the pipeline's extras: their coverages and their colours; the camera comes from the record.
 */
export function perceivedObjects(requests: readonly EditRequest[], grid: number, who: string, size?: number): Pick<EditExtras, "objectMasks" | "emptyGrounds" | "cameras"> & { objects: ObjectRegions[]; objectColours: [number, number, number][][] } {
  const seen = requests.map((r, i) => {
    if (!r.item) throw new Error(`${who}: request ${i} has no benchmark record (request.item); the perception needs its source scene's camera`);
    return perceiveObjects(toRgb(r.source), r.item.sourceScene.camera, grid);
  });
  const out = { objects: seen.map((x) => x.regions), objectColours: seen.map((x) => x.colours) };
  if (size === undefined) return out;
  // the pixel masks and the camera's empty ground at the editor's size (object+offset+paste), nearest-pixel when the source's differs
  const masks = seen.map((x, i) => x.masks.map((m) => nearestMask(m, requests[i].source.width, size)));
  const grounds = requests.map((r) => signedAtSize({ width: r.source.width, height: r.source.height, data: emptyGround(r.item!.sourceScene.camera, r.source.width, r.source.height).rgb }, size));
  return { ...out, objectMasks: masks, emptyGrounds: grounds, cameras: requests.map((r) => r.item!.sourceScene.camera) };
}

/** The editor's size where a decoding reads the objects' pixel masks (a pasting rule, groundMoves, shapeCheck), else undefined: perceivedObjects' `size`. */
function masksSize(model: ModelEditor, gate: GateDecode, options: Partial<EditPipelineOptions>): number | undefined {
  return pastesObject(gate) || options.groundMoves === true || options.shapeCheck === true ? model.config.image : undefined;
}

/** A square mask of side `from` resampled to side `to` by the nearest pixel. */
export function nearestMask(mask: Uint8Array, from: number, to: number): Uint8Array {
  if (from === to) return mask;
  return Uint8Array.from({ length: to * to }, (_, p) => mask[Math.min(from - 1, Math.floor(((Math.floor(p / to) + 0.5) * from) / to)) * from + Math.min(from - 1, Math.floor((((p % to) + 0.5) * from) / to))]);
}

/**
 * The oracle-where diagnostic (not an editor: it reads the ground truth): `model`, whose aligned path
 * has the bilinear where head, edits with the true changed share of each denoiser patch as the where
 * gate in place of its prediction (pipeline.ts EditExtras). Everything else, "what" included, is the
 * model's. Its score against the model's own tells how much of the gap is "where".
 * With `plan: true` (an editor that predicts an edit plan, alignedPlan) the truth's plan (the mean
 * target colour of each patch's changed pixels) also replaces the predicted one: the oracle
 * where-and-plan diagnostic; its score against the oracle-where one tells how much is the plan. With
 * `where: false` as well the gate stays the editor's own (the oracle-plan diagnostic): the four
 * combinations of own and true where and plan split the gap between the two halves. With `where: false` the
 * editor's own gate is decoded by `options.gate`; `object` and `object+free` perceive each source's objects as objectGateEditor does.
 */
export function whereOracleEditor(name: string, model: ModelEditor, options: Partial<EditPipelineOptions> = {}, oracle: { where?: boolean; plan?: boolean } = {}): Editor {
  const size = model.config.image;
  const where = oracle.where ?? true;
  if (oracle.plan === true && !planOn(model.config)) throw new Error("whereOracleEditor: the oracle plan needs an editor that predicts an edit plan (alignedPlan)");
  if (!where && oracle.plan !== true) throw new Error("whereOracleEditor: with where: false give plan: true; an editor with neither oracle half is the editor itself");
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => {
    const { share, plan } = truthPatches(model, requests, "whereOracleEditor: request {i} has no benchmark record (request.item); the oracle gate reads its ground truth");
    const extras: EditExtras = { ...(where ? { whereGate: share } : {}), ...(oracle.plan === true ? { plan } : {}), ...(!where && options.gate !== undefined && needsObjects(options.gate) ? perceivedObjects(requests, size / model.config.dnPatch, "whereOracleEditor") : {}) };
    return runEdits(model, requests.map((r) => r.source), requests.map((r) => r.instruction), options, extras).images;
  };
  return { name, edit: async (request: EditRequest) => (await editBatch([request]))[0], editBatch };
}

/**
 * The truth's offset of a benchmark item in denoiser patches of a grid of side `grid`: how far the first object the edit
 * targets moves from the source scene to the edited scene, rendered at `size` (train/data.ts objectOffset); [0, 0] when the
 * edit is photometric, targets no object, or the object is visible in only one of the two renders.
 */
export function truthOffset(item: TruthItem, size: number, grid: number): [number, number] {
  return truthMove(item, size, grid).offset;
}

type TruthItem = { sourceScene: Scene; editedScene: Scene | null; targets: readonly number[] };

/**
 * The truth's move of a benchmark item: its offset (truthOffset) and how much the first targeted object's visible extent grows
 * between the two renders (train/data.ts objectScale); [0, 0] and 1 when either is undefined (as truthOffset).
 */
export function truthMove(item: TruthItem, size: number, grid: number): { offset: [number, number]; scale: number } {
  if (item.editedScene === null || item.targets.length === 0) return { offset: [0, 0], scale: 1 };
  const at = { width: size, height: size };
  const [source, edited] = [renderScene(item.sourceScene, at).mask, renderScene(item.editedScene, at).mask];
  const [o, s] = [objectOffset(source, edited, item.targets[0]), objectScale(source, edited, item.targets[0])];
  return o === null || s === null ? { offset: [0, 0], scale: 1 } : { offset: [o[0] * grid, o[1] * grid], scale: s };
}

/** The moving rules the oracle-move diagnostic decodes with. */
export type OracleMoveRule = Extract<GateDecode, "object+offset" | "object+offset+ground" | "object+offset+fill" | "object+offset+blend" | "object+offset+paste" | "object+offset+shade" | "object+move" | "object+move+paste">;

/**
 * The oracle-offset diagnostic (not an editor: it reads the ground truth): `model` (the bilinear where head) edits with its
 * gate decoded by `object+offset`, its own object choice and plan, but the chosen object moved by the truth's offset of each
 * item (truthOffset) in place of an offset head's: what a perfect offset would add to the `object` decoding. With
 * `plan: true` (an editor with an edit plan) the truth's plan replaces the editor's everywhere (the object's colour on the
 * patches the move fills included): against the truth's gate and plan (whereOracleEditor) it tells what the decoded gate's
 * shape and object choice cost. `rule` (default `object+offset`) may also be `object+offset+ground` (the ground's colour
 * where the move vacates), any other moving rule, and `object+move` or `object+move+paste` with the truth's scale too
 * (truthMove; a given plan leaves `object+move+paste` the coverage gate, not the pasted share). With `choice: true` the object moved is
 * the one the truth changes (as choiceOracleEditor's), not the editor's choice.
 */
export function offsetOracleEditor(name: string, model: ModelEditor, options: Partial<EditPipelineOptions> = {}, oracle: { plan?: boolean; choice?: boolean; rule?: OracleMoveRule } = {}): Editor {
  const size = model.config.image;
  const grid = size / model.config.dnPatch;
  const rule = oracle.rule ?? "object+offset";
  if (oracle.plan === true && !planOn(model.config)) throw new Error("offsetOracleEditor: the oracle plan needs an editor that predicts an edit plan (alignedPlan)");
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => {
    const moves = requests.map((r, i) => {
      if (!r.item) throw new Error(`offsetOracleEditor: request ${i} has no benchmark record (request.item); the oracle offset reads its edited scene`);
      return truthMove(r.item, size, grid);
    });
    const truth = oracle.plan === true || oracle.choice === true ? truthPatches(model, requests, "offsetOracleEditor: request {i} has no benchmark record (request.item); the oracle plan reads its ground truth") : undefined;
    const seen = perceivedObjects(requests, grid, "offsetOracleEditor", pastesObject(rule) ? size : undefined);
    const objects = seen.objects;
    const extras: EditExtras = { ...seen, offsets: moves.map((m) => m.offset), ...(scalesObject(rule) ? { scales: moves.map((m) => m.scale) } : {}), ...(oracle.plan === true ? { plan: truth!.plan } : {}), ...(oracle.choice === true ? { chosen: truthChoices(objects, truth!.share) } : {}) };
    return runEdits(model, requests.map((r) => r.source), requests.map((r) => r.instruction), { ...options, gate: rule }, extras).images;
  };
  return { name, edit: async (request: EditRequest) => (await editBatch([request]))[0], editBatch };
}

/**
 * The oracle-choice diagnostic (not an editor: it reads the ground truth): `model` edits with its gate decoded by
 * `options.gate` (an object-choosing rule; default `object`), its own offsets, scales and plan, but the object it changes is
 * the one the truth changes most among the perceived objects (object-regions.ts changedObject over the patches the
 * truth changes, as the object-choice probe scores it); items where no perceived object touches the change keep the editor's own choice. Against the editor's own
 * decoding it tells what a perfect object choice would add.
 */
export function choiceOracleEditor(name: string, model: ModelEditor, options: Partial<EditPipelineOptions> = {}): Editor {
  const grid = model.config.image / model.config.dnPatch;
  const gate = options.gate ?? "object";
  if (!needsObjects(gate)) throw new Error(`choiceOracleEditor: gate decoding '${gate}' does not choose among objects`);
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => {
    const seen = perceivedObjects(requests, grid, "choiceOracleEditor", masksSize(model, gate, options));
    const { share } = truthPatches(model, requests, "choiceOracleEditor: request {i} has no benchmark record (request.item); the oracle choice reads its ground truth");
    return runEdits(model, requests.map((r) => r.source), requests.map((r) => r.instruction), { ...options, gate }, { ...seen, chosen: truthChoices(seen.objects, share) }).images;
  };
  return { name, edit: async (request: EditRequest) => (await editBatch([request]))[0], editBatch };
}

/** Per item, the perceived object that covers most of the patches the truth changes (share > 0), -1 when none touches them (the editor's own choice then). */
export function truthChoices(objects: readonly ObjectRegions[], share: readonly Float32Array[]): number[] {
  return objects.map((regions, i) => changedObject(regions, Array.from(share[i], (v) => (v > 0 ? 1 : 0))));
}

/**
 * The truth of each benchmark request at the editor's patches, the whole batch at once: the changed share of each patch
 * ([N]; aligned-targets.ts changedShare) and the edit plan ([N * 3] row-major [N, 3]; planTargets). `missing` is the error
 * for a request without its benchmark record, `{i}` standing for its index.
 */
export function truthPatches(model: ModelEditor, requests: readonly EditRequest[], missing: string): { share: Float32Array[]; plan: Float32Array[] } {
  const size = model.config.image;
  const truths = requests.map((r, i) => {
    if (!r.item) throw new Error(missing.replace("{i}", String(i)));
    return signedAtSize(r.item.truth, size);
  });
  const [shareT, planT] = tf.tidy(() => {
    const source = imageBatch(requests.map((r) => signedAtSize(r.source, size)), size);
    const r0 = editResidual(imageBatch(truths, size), source);
    return [changedShare(r0, model.config.dnPatch), planTargets(r0, source, model.config.dnPatch)];
  });
  const [share, plan] = [shareT.arraySync() as number[][], planT.arraySync() as number[][][]];
  tf.dispose([shareT, planT]);
  return { share: share.map((row) => Float32Array.from(row)), plan: plan.map((rows) => Float32Array.from(rows.flat())) };
}

/**
 * "feature sim (ours)": the editor's own image encoder Enc (frozen after base pre-training, the
 * same weights in every variant of one base) as a feature extractor: images in [0, 1] are resized
 * to the editor's resolution, mapped to [-1, 1], encoded, and the tokens mean-pooled to [B, encD].
 */
export function editorFeatureExtractor(model: ModelEditor, batchSize = 16): FeatureExtractor {
  const c = model.config;
  const p = editorParams(model);
  return tfFeatureExtractor(
    (x) => {
      const sized = x.shape[1] === c.image && x.shape[2] === c.image ? x : tf.image.resizeBilinear(x, [c.image, c.image]);
      const signed = tf.sub(tf.mul(sized, 2), 1) as tf.Tensor4D;
      return tf.mean(encodeImages(p, c, signed).tokens, 1) as tf.Tensor2D; // [B, encD]
    },
    { name: "feature sim (ours)", dim: c.encD, batchSize },
  );
}
