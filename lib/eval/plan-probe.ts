/**
 * Does the editor's edit plan (lib/models/editor/aligned.ts, `alignedPlan`) predict what the edit
 * paints? Per benchmark item whose truth changes a pixel, over the denoiser's patches weighted by the
 * share of each patch the truth changes (as the plan loss weighs them):
 * - `error`: squared error (summed over RGB, colours in [-1, 1]) of the editor's plan against the
 *   truth's (planTargets: the mean target colour of the changed pixels);
 * - `unchanged`: the same error for the plan "the changed pixels keep their source colour", the plan
 *   of an editor that has not read what the instruction asks for.
 * - `palette`: the share of the changed patches (weighted alike) whose plan names the truth's colour: the palette
 *   colour nearest the plan's (a "palette" plan: its most likely colour) is the one nearest the truth's plan
 *   (aligned.ts paletteOneHot), the colour a named-colour judge would read;
 * `skill` in the summary is 1 - error / unchanged of the kind's means: 1 a perfect plan, 0 no better
 * than keeping the source, below 0 worse. No sampling: one condition pass per batch.
 */
import * as tf from "@tensorflow/tfjs";
import { type AlignedResult } from "../models/editor/aligned";
import { changedPatchMean, changedShare, planTargets } from "../models/editor/aligned-targets";
import { paletteOneHot } from "../models/editor/palette";
import { planOn } from "../models/editor/config";
import { editorCondition, editorLayout, type Editor } from "../models/editor/model";
import { editResidual } from "../models/editor/residual";
import { imageBatch } from "../models/editor/train/steps";
import type { ProbeSet } from "./probe-items";
import { meansByKind } from "./kind-means";
import { signedAtSize } from "./trained-editor";

export interface PlanProbeItem {
  item: string;
  kind: string;
  error: number;
  unchanged: number;
  palette: number;
}

export interface PlanProbeRow {
  kind: string;
  n: number;
  error: number;
  unchanged: number;
  palette: number;
  skill: number;
}

/** Share-weighted mean over patches of the squared error of `plan` against `truth` [B, N, 3], per item [B]. */
function weightedError(plan: tf.Tensor3D, truth: tf.Tensor3D, share: tf.Tensor2D): tf.Tensor1D {
  const se = tf.sum(tf.square(tf.sub(plan, truth)), -1); // [B, N]
  return tf.div(tf.sum(tf.mul(se, share), -1), tf.maximum(tf.sum(share, -1), 1e-6)) as tf.Tensor1D; // [B]
}

/** Share-weighted share of the patches whose plan's palette colour is the truth's, per item [B]. */
function paletteHits(a: AlignedResult, truth: tf.Tensor3D, share: tf.Tensor2D): tf.Tensor1D {
  const mine = a.planLogits !== undefined ? tf.oneHot(tf.argMax(a.planLogits, -1), a.planLogits.shape[2]).toFloat() : paletteOneHot(a.plan!); // [B, N, K]
  const hit = tf.sum(tf.mul(mine, paletteOneHot(truth)), -1); // [B, N] 1 where the colours agree
  return tf.div(tf.sum(tf.mul(hit, share), -1), tf.maximum(tf.sum(share, -1), 1e-6)) as tf.Tensor1D; // [B]
}

/**
 * One batch's plan and its truth: the sources [B, H, W, 3] and the clean residual r0 of the targets, the editor's aligned
 * result for (sources, instructions), each patch's changed share [B, N] and the truth's plan [B, N, 3] (images
 * [size * size * 3] in [-1, 1] at the editor's size). Call inside tf.tidy.
 */
export function planAndTruth(e: Editor, sources: readonly Float32Array[], targets: readonly Float32Array[], instructions: readonly string[]): { aligned: AlignedResult; source: tf.Tensor4D; r0: tf.Tensor4D; share: tf.Tensor2D; target: tf.Tensor3D } {
  const size = e.config.image;
  const source = imageBatch(sources, size);
  const r0 = editResidual(imageBatch(targets, size), source);
  const aligned = editorCondition(e, source, editorLayout(e, [...instructions])).aligned!;
  return { aligned, source, r0, share: changedShare(r0, e.config.dnPatch), target: planTargets(r0, source, e.config.dnPatch) };
}

/** The plan's error per item (batches of `batch`); an error when the editor predicts no edit plan. */
export function probePlanHead(e: Editor, bench: ProbeSet, batch = 32): PlanProbeItem[] {
  if (e.config.aligned !== true || !planOn(e.config) || !e.imageTokens) throw new Error("probePlanHead: this editor predicts no edit plan (config alignedPlan off, or no image tokens)");
  const size = e.config.image;
  const out: PlanProbeItem[] = [];
  for (let i = 0; i < bench.items.length; i += batch) {
    const items = bench.items.slice(i, i + batch);
    const [err, kept, hits, changed] = tf.tidy(() => {
      const { aligned, r0, source, share, target } = planAndTruth(e, items.map((it) => signedAtSize(it.source, size)), items.map((it) => signedAtSize(it.truth, size)), items.map((it) => it.instruction));
      return [weightedError(aligned.plan!, target, share), weightedError(changedPatchMean(r0, source, e.config.dnPatch), target, share), paletteHits(aligned, target, share), tf.sum(share, -1)];
    });
    const [ev, kv, hv, cv] = [err.dataSync(), kept.dataSync(), hits.dataSync(), changed.dataSync()];
    tf.dispose([err, kept, hits, changed]);
    items.forEach((it, b) => {
      if (!(cv[b] > 0)) return;
      out.push({ item: it.id, kind: it.kind ?? "none", error: ev[b], unchanged: kv[b], palette: hv[b] });
    });
  }
  return out;
}

/** Means per edit kind and over all items ("all" first), with each row's skill 1 - error / unchanged. */
export function planProbeSummary(items: readonly PlanProbeItem[]): PlanProbeRow[] {
  return meansByKind(items, (x) => x.kind, { error: (x) => x.error, unchanged: (x) => x.unchanged, palette: (x) => x.palette }, { all: true }).map((r) => ({ ...r, skill: 1 - r.error / r.unchanged }));
}
