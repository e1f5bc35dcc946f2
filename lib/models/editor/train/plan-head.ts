/**
 * The edit plan head (aligned.ts editPlan) fitted alone on a finished editor, with the patch's source pixels as a new input
 * (editor config alignedPlanSource; its weights start at zero, so the fit starts from the editor's own plan): every other
 * weight frozen, the denoiser's reading of the plan (`edit.loc.plan.i`) included, so the editor edits as before except for
 * the plan it hands the gate. The loss is Stage II's plan loss (aligned-targets.ts planLoss, or planPaletteLoss for a
 * palette plan) against the truth's plan, the mean target colour of each patch's changed pixels.
 */
import * as tf from "@tensorflow/tfjs";
import { changedShare, planLoss, planPaletteLoss, planTargets } from "../aligned-targets";
import { planOn } from "../config";
import { editorCondition, editorLayout, type Editor } from "../model";
import { editResidual } from "../residual";
import type { EditExample } from "./data";
import { fitHeadKeepingBest, type CheckedFit, type HeadFitConfig } from "./finished";
import { imageBatch } from "./steps";

/** The source-pixel input's weights, the only plan weights a finished editor without alignedPlanSource lacks. */
export function isPlanSourceParam(name: string): boolean {
  return name.startsWith("edit.loc.plan.s.");
}

/** The plan head's weights: its hidden and output layers, its source-pixel input and (for "attend") its word attention; not `edit.loc.plan.i`, which the denoiser reads. */
export function isPlanHeadParam(name: string): boolean {
  return name.startsWith("edit.loc.plan.") && !name.startsWith("edit.loc.plan.i.");
}

function checkPlan(e: Editor, what: string): void {
  if (!planOn(e.config) || !e.imageTokens) throw new Error(`${what}: this editor predicts no edit plan (config alignedPlan, with image tokens)`);
}

/** Stage II's plan loss on a batch of edits (share-weighted over the changed patches; mean over edits with a change). Call inside tf.tidy or a tape. */
export function planHeadLoss(e: Editor, batch: readonly Pick<EditExample, "source" | "target" | "instruction">[]): tf.Scalar {
  const size = e.config.image;
  const source = imageBatch(batch.map((x) => x.source), size);
  const r0 = editResidual(imageBatch(batch.map((x) => x.target), size), source);
  const a = editorCondition(e, source, editorLayout(e, batch.map((x) => x.instruction))).aligned!;
  const [share, truth] = [changedShare(r0, e.config.dnPatch), planTargets(r0, source, e.config.dnPatch)];
  return a.planLogits !== undefined ? planPaletteLoss(a.planLogits, truth, share) : planLoss(a.plan!, truth, share);
}

/** The plan loss over `edits` in batches of `batch`, weighted by each batch's size (edits without a change count as none). */
export function planHeadError(e: Editor, edits: readonly Pick<EditExample, "source" | "target" | "instruction">[], batch = 64): number {
  checkPlan(e, "planHeadError");
  if (edits.length === 0) throw new Error("planHeadError: no edits to score");
  let [sum, n] = [0, 0];
  for (let i = 0; i < edits.length; i += batch) {
    const part = edits.slice(i, i + batch);
    const l = tf.tidy(() => planHeadLoss(e, part));
    sum += l.dataSync()[0] * part.length;
    n += part.length;
    l.dispose();
  }
  return sum / n;
}

/**
 * Fits the plan head of `e` (isPlanHeadParam) on `edits` for `c.steps` Adam steps of `c.batch` edits drawn with `c.seed`,
 * every other weight frozen, keeping the weights of the check (every `every` steps) with the lowest plan loss on `check`
 * (edits held out from `edits`); `onStep(step, loss)` after each step. The checks' scores are the negated losses.
 */
export function fitPlanHead(e: Editor, edits: readonly EditExample[], c: HeadFitConfig, check: { every: number; edits: readonly EditExample[] }, onStep?: (step: number, loss: number) => void): CheckedFit {
  checkPlan(e, "fitPlanHead");
  const spec = { isParam: isPlanHeadParam, who: "fitPlanHead", stream: "plan-head", empty: "no edits to fit the plan head on" };
  return fitHeadKeepingBest(e, edits, c, spec, (batch) => planHeadLoss(e, batch), { every: check.every, score: () => -planHeadError(e, check.edits) }, onStep);
}
