/**
 * The plan-split diagnostic (not an editor: it reads the ground truth). With the object the truth changes (and, for moves,
 * the truth's offset: truthMove) an editor with a colour plan edits with a plan made patch by patch from its own
 * and the truth's: the patches a move fills, the patches it vacates, and the rest each take the decoding's own plan (the
 * plan head's, snapped as `planDecode` says, with the moving rule's colours where the move fills and vacates), the truth's
 * (planTargets), or the own plan's chromaticity at the truth's brightness; the truth's plan may also carry a brightness
 * noise. Against the own and the truth's plan it tells which patches, and which part of a colour (its chromaticity or its
 * brightness), cost the editor its score.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/rng";
import { planOn } from "../models/editor/config";
import { decodeObjectMove, movesObject, pastesObject, shadesObject, type GateDecode } from "../models/editor/gate-decode";
import { editorCondition, editorLayout, type Editor as ModelEditor } from "../models/editor/model";
import { snapToPalette } from "../models/editor/palette";
import { editImages, type EditPipelineOptions } from "../models/editor/pipeline";
import { moveFills } from "../models/editor/move-fills";
import { imageBatch } from "../models/editor/train/steps";
import { toBytes } from "../models/editor/train/data";
import type { RgbImage } from "../engine/types";
import type { EditRequest, Editor } from "./editor";
import { perceivedObjects, signedAtSize, truthChoices, truthMove, truthPatches } from "./trained-editor";
import { planAndTruth } from "./plan-probe";

/** Where a patch's plan comes from: the decoding's own, the truth's, or the own colour's chromaticity at the truth's brightness. */
export type PlanSource = "own" | "truth" | "own chroma, truth brightness";

export interface PlanSplit {
  /** The patches the truth's move fills (moved coverage above the object's own). */
  fills: PlanSource;
  /** The patches the truth's move vacates (the object's own coverage above the moved one). */
  vacates: PlanSource;
  /** Every other patch (all patches of an edit that moves nothing). */
  rest: PlanSource;
  /** Brightness noise on the truth's colours (each patch's bytes scaled by exp(noise z), z ~ N(0, 1) per patch; 0: none). */
  noise?: number;
}

/** A colour's brightness: its brightest channel's byte (colours in [-1, 1]). */
export function brightness(c: readonly number[]): number {
  return Math.max(...c.map((v) => (v + 1) * 127.5));
}

/** `c` (in [-1, 1]) with its bytes scaled so that its brightest channel is `bytes` (clipped to 255): its chromaticity kept. Black stays black. */
export function atBrightness(c: readonly number[], bytes: number): number[] {
  const b = brightness(c);
  if (b <= 0) return [...c];
  return c.map((v) => Math.min(255, ((v + 1) * 127.5 * bytes) / b) / 127.5 - 1);
}

/** One patch's plan colour from its own and the truth's colour by `source`. */
export function splitColour(own: readonly number[], truth: readonly number[], source: PlanSource): number[] {
  return source === "own" ? [...own] : source === "truth" ? [...truth] : atBrightness(own, brightness(truth));
}

/**
 * `model` (a colour plan, the bilinear where head) edits each request with the truth's object choice, its gate decoded by
 * `rule` (a moving rule, with the truth's offset for moves and none for the other kinds, whose gate is then `object`'s), and the plan `split`
 * makes (PlanSplit). Items without a changed perceived object keep the editor's own choice.
 */
export function planSplitEditor(name: string, model: ModelEditor, options: Partial<EditPipelineOptions>, rule: Extract<GateDecode, "object+offset+ground" | "object+offset+blend" | "object+offset+paste" | "object+offset+shade">, split: PlanSplit, seed = 0): Editor {
  if (!planOn(model.config) || model.config.alignedPlan === "palette") throw new Error("planSplitEditor: the split needs an editor with a colour plan (alignedPlan true or 'attend')");
  if (!movesObject(rule)) throw new Error(`planSplitEditor: '${rule}' is not a moving rule`);
  const size = model.config.image;
  const patch = model.config.dnPatch;
  const grid = size / patch;
  const N = grid * grid;
  const rng = new Rng(seed);
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => {
    const seen = perceivedObjects(requests, grid, "planSplitEditor", pastesObject(rule) ? size : undefined);
    const truth = truthPatches(model, requests, "planSplitEditor: request {i} has no benchmark record (request.item); the split reads its ground truth");
    const chosen = truthChoices(seen.objects, truth.share);
    const moving = requests.map((r) => r.item!.kind === "move");
    const offsets = requests.map((r, i) => (moving[i] ? truthMove(r.item!, size, grid).offset : ([0, 0] as [number, number])));
    const sources = requests.map((r) => signedAtSize(r.source, size));
    // the decoding's own plan: the plan head's (snapped or not), and the moving rule's colours where the truth's move fills and vacates
    const [own, fills, vacates] = tf.tidy(() => {
      const c = editorCondition(model, imageBatch(sources, size), editorLayout(model, requests.map((r) => r.instruction)));
      const head = options.planDecode === "snap" ? snapToPalette(c.aligned!.plan!) : c.aligned!.plan!;
      const { choices } = decodeObjectMove(c.aligned!.where, rule, { objects: seen.objects, offsets, chosen });
      const moved = moveFills(choices, rule, { objects: seen.objects, sources, patch, N, known: seen.objectColours, masks: seen.objectMasks, grounds: seen.emptyGrounds, plan: shadesObject(rule) ? (head.arraySync() as number[][][]) : undefined });
      const plan = tf.where(tf.expandDims(tf.cast(moved.patches, "bool"), 2), moved.colours, head);
      return [plan.arraySync() as number[][][], choices.map((x) => x.dest?.fills ?? new Array<number>(N).fill(0)), choices.map((x) => x.dest?.vacates ?? new Array<number>(N).fill(0))];
    });
    const plans = requests.map((_, i) =>
      Float32Array.from(
        own[i].flatMap((o, n) => {
          const t0 = Array.from(truth.plan[i].subarray(n * 3, n * 3 + 3));
          const t = split.noise ? atBrightness(t0, brightness(t0) * Math.exp(split.noise * rng.normal())) : t0;
          const source = !moving[i] ? split.rest : fills[i][n] === 1 ? split.fills : vacates[i][n] === 1 ? split.vacates : split.rest;
          return splitColour(o, t, source);
        }),
      ),
    );
    const out = editImages(model, sources, requests.map((r) => r.instruction), { ...options, gate: rule }, { ...seen, chosen, offsets, plan: plans });
    return out.images.map((x) => ({ width: size, height: size, data: toBytes(x) }));
  };
  return { name, edit: async (request: EditRequest) => (await editBatch([request]))[0], editBatch };
}

/**
 * The plan's brightness error: the mean |brightness(plan) - brightness(truth's plan)| (bytes) over the patches the edit
 * changes at least half of, for edits (source, target in [-1, 1], instruction) in batches of `batch`; NaN when no patch is.
 */
export function planBrightnessError(e: ModelEditor, edits: readonly { source: Float32Array; target: Float32Array; instruction: string }[], batch = 64): number {
  if (!planOn(e.config) || e.config.alignedPlan === "palette") throw new Error("planBrightnessError: the error needs an editor with a colour plan (alignedPlan true or 'attend')");
  let [sum, n] = [0, 0];
  for (let i = 0; i < edits.length; i += batch) {
    const part = edits.slice(i, i + batch);
    const [sh, tp, op] = tf.tidy(() => {
      const t = planAndTruth(e, part.map((x) => x.source), part.map((x) => x.target), part.map((x) => x.instruction));
      return [t.share, t.target, t.aligned.plan!];
    });
    const [share, truth, plan] = [sh.arraySync() as number[][], tp.arraySync() as number[][][], op.arraySync() as number[][][]];
    tf.dispose([sh, tp, op]);
    share.forEach((row, b) => row.forEach((v, k) => {
      if (v < 0.5) return;
      sum += Math.abs(brightness(plan[b][k]) - brightness(truth[b][k]));
      n++;
    }));
  }
  return n === 0 ? Number.NaN : sum / n;
}
