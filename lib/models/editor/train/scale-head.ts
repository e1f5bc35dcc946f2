/**
 * The scale head (aligned.ts, editor config alignedScale) fitted alone on a finished editor, with early stopping on held-out
 * edits: every other weight frozen, so the editor edits as before with every gate decoding but those that scale the chosen
 * object (gate-decode.ts scalesObject: `object+move`, `object+move+paste`), which alone read the head. The head reads the mean
 * [IMG] state (the image and the instruction) and is fitted to the log of the engine's exact growth of the changed
 * object's visible extent (train/data.ts objectScale; aligned-targets.ts scaleLoss) on the edits that have one.
 */
import { scaleLoss, scaleTargets } from "../aligned-targets";
import type { Editor } from "../model";
import type { EditExample } from "./data";
import { alignedOf, alignedRows, fitHeadKeepingBest, type CheckedFit, type HeadFitConfig } from "./finished";

/** Whether a weight name belongs to the scale head (absent from editors made without it). */
export function isScaleParam(name: string): boolean {
  return name.startsWith("edit.loc.scale.");
}

/**
 * Edits that have a scale target (the changed object visible in the source and the target), each with it; with
 * `stillRemovals` also the removals, taught scale 1 ("no change", as recipe whereOffsetStillRemovals teaches the offset
 * head no move): a removed object has no extent in the target, and a head never shown one scales it at random, which the
 * scaling decodings then paste.
 */
export function withScale(edits: readonly EditExample[], stillRemovals = false): EditExample[] {
  return edits.flatMap((x) => (x.objects?.scale !== undefined ? [x] : stillRemovals && x.kind === "remove" && x.objects !== undefined ? [{ ...x, objects: { ...x.objects, scale: 1 } }] : []));
}

function checkScale(e: Editor, what: string): void {
  if (e.config.alignedScale !== true || !e.imageTokens) throw new Error(`${what}: this editor has no scale head (config alignedScale, with image tokens)`);
}

/** The head's predicted log scales [B] for edits, in batches of `batch`. */
export function predictLogScales(e: Editor, edits: readonly Pick<EditExample, "source" | "instruction">[], batch = 64): number[] {
  checkScale(e, "predictLogScales");
  return alignedRows(e, edits, (a) => a.logScale!, batch).map((r) => r[0]);
}

/** The head's squared error of the log scale per edit kind ("all" first) on `edits` with a scale target (withScale); `zero` the error of predicting no change (the mean squared true log scale). */
export interface ScaleErrorRow {
  kind: string;
  n: number;
  error: number;
  zero: number;
}

export function scaleErrors(e: Editor, edits: readonly EditExample[], stillRemovals = false): ScaleErrorRow[] {
  const items = withScale(edits, stillRemovals);
  if (items.length === 0) throw new Error("scaleErrors: none of the edits has a scale target");
  const pred = predictLogScales(e, items);
  const rows = new Map<string, { n: number; error: number; zero: number }>();
  items.forEach((x, i) => {
    const t = Math.log(x.objects!.scale!);
    for (const k of ["all", x.kind]) {
      const r = rows.get(k) ?? { n: 0, error: 0, zero: 0 };
      rows.set(k, { n: r.n + 1, error: r.error + (pred[i] - t) ** 2, zero: r.zero + t * t });
    }
  });
  return [...rows.entries()].map(([kind, r]) => ({ kind, n: r.n, error: r.error / r.n, zero: r.zero / r.n }));
}

/**
 * Fits the scale head of `e` (isScaleParam) on `edits` with a scale target for `c.steps` Adam steps of `c.batch` edits drawn
 * with `c.seed`, every other weight frozen, keeping the weights of the check (every `every` steps) with the lowest error on
 * `check` (edits held out from `edits`); `onStep(step, loss)` after each step; `stillRemovals` (withScale) teaches the
 * removals scale 1. The checks' scores are the negated errors.
 */
export function fitScaleHead(e: Editor, edits: readonly EditExample[], c: HeadFitConfig, check: { every: number; edits: readonly EditExample[] }, onStep?: (step: number, loss: number) => void, stillRemovals = false): CheckedFit {
  checkScale(e, "fitScaleHead");
  const spec = { isParam: isScaleParam, who: "fitScaleHead", stream: "scale-head", empty: "none of the edits has a scale target (the data engine's spatial edits, engineData)" };
  const lossOf = (batch: EditExample[]) => scaleLoss(alignedOf(e, batch).logScale!, scaleTargets(batch.map((x) => x.objects)));
  return fitHeadKeepingBest(e, withScale(edits, stillRemovals), c, spec, lossOf, { every: check.every, score: () => -scaleErrors(e, check.edits, stillRemovals)[0].error }, onStep);
}
