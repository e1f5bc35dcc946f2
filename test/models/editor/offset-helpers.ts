/** Shared setup of the offset-editor tests (offset.test.ts, paste.test.ts). */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../lib/core/rng";
import { checkEditorConfig, editorConfig } from "../../../lib/models/editor/config";
import { createEditor, editorParams } from "../../../lib/models/editor/model";
import { planWidth } from "../../../lib/models/editor/aligned";
import { engineData } from "../../../lib/models/editor/train/data";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { perturbZeroInit } from "./helpers";

/** The tiny editor with the bilinear where head, an open palette plan and the offset head. */
export const withOffset = () => checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedPlan: "palette", alignedPlanGate: "open", alignedOffset: true });

/** The largest absolute difference of two images. */
export const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** An editor of config `c` whose gate and plan reach the denoiser (perturbed zero inits), two tiny engine edits, and one object per source (patches 0-1, the last patch). */
export function liveOffsetEditor(c: ReturnType<typeof withOffset>) {
  const N = (c.image / c.dnPatch) ** 2;
  const edits = engineData(recipeConfig("tiny").dataSeed, 3, c.image).edits.slice(0, 2);
  const objects = [[Float32Array.from({ length: N }, (_, n) => (n === 0 || n === 1 ? 1 : 0))], [Float32Array.from({ length: N }, (_, n) => (n === N - 1 ? 1 : 0))]];
  const e = createEditor(c, new Rng(8));
  perturbZeroInit(e, 8);
  const p = editorParams(e);
  (p["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
  const w = planWidth(c);
  (p["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(12).normalArray(w * c.dnD, 0, 0.5), [w, c.dnD]));
  return { N, sources: edits.map((x) => x.source), instructions: edits.map((x) => x.instruction), objects, e, p };
}

/** Pixel masks [S * S] of coverages over the denoiser's patches of config `c`: 1 on every pixel of a patch the object covers. */
export function masksOf(objects: readonly (readonly Float32Array[])[], c: ReturnType<typeof withOffset>): Uint8Array[][] {
  const [S, G] = [c.image, c.image / c.dnPatch];
  return objects.map((regions) => regions.map((cov) => Uint8Array.from({ length: S * S }, (_, p) => (cov[Math.floor(Math.floor(p / S) / c.dnPatch) * G + Math.floor((p % S) / c.dnPatch)] > 0 ? 1 : 0))));
}
