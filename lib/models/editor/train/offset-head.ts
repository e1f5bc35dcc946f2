/**
 * The offset head (aligned.ts, editor config alignedOffset) trained alone on a finished editor: every other weight
 * frozen, so the editor edits exactly as before with every gate decoding but `object+offset` (gate-decode.ts), which
 * alone reads the head. This asks, at the cost of a probe rather than a Stage II run, how much a move's destination
 * adds to a given editor: the same editor decoded by `object` and by `object+offset` differ only there.
 *
 * The head reads the mean [IMG] state (the image and the instruction) and is fitted by Adam to the engine's exact
 * centre shift of the changed object (train/data.ts objectOffset; aligned-targets.ts offsetLoss) on the edits that
 * have one (removals have none).
 */
import { offsetLoss, offsetTargets } from "../aligned-targets";
import type { Editor } from "../model";
import type { EditExample } from "./data";
import { alignedOf, alignedRows, fitHeadAlone, type HeadFitConfig } from "./finished";

export const OFFSET_PREFIX = "edit.loc.offset.";

/** Whether a weight name belongs to the offset head (absent from editors made without it). */
export function isOffsetParam(name: string): boolean {
  return name.startsWith(OFFSET_PREFIX);
}

export type OffsetHeadConfig = HeadFitConfig;

/**
 * The head's squared error (denoiser patches^2) per edit kind on `edits`; `zero` the error of predicting no move (the mean
 * squared true shift), which the head must beat to know anything; `shift` the true shift's mean length (patches).
 */
export interface OffsetErrorRow {
  kind: string;
  n: number;
  error: number;
  zero: number;
  shift: number;
}

/** Edits that have an offset target (the changed object visible in the source and the target). */
export function withOffset(edits: readonly EditExample[]): EditExample[] {
  return edits.filter((x) => x.objects?.offset !== undefined);
}

/** The head's predictions [B][2] (patches) for edits, in batches of `batch`. */
export function predictOffsets(e: Editor, edits: readonly Pick<EditExample, "source" | "instruction">[], batch = 64): [number, number][] {
  if (e.config.alignedOffset !== true || !e.imageTokens) throw new Error("predictOffsets: this editor has no offset head (config alignedOffset, with image tokens)");
  return alignedRows(e, edits, (a) => a.offset!, batch) as [number, number][];
}

/** The head's error per kind (and "all" first) on `edits` that have an offset target. */
export function offsetErrors(e: Editor, edits: readonly EditExample[]): OffsetErrorRow[] {
  const items = withOffset(edits);
  if (items.length === 0) throw new Error("offsetErrors: none of the edits has an offset target");
  const grid = e.config.image / e.config.dnPatch;
  const pred = predictOffsets(e, items);
  const rows = new Map<string, { n: number; error: number; zero: number; shift: number }>();
  items.forEach((x, i) => {
    const [tx, ty] = x.objects!.offset!.map((v) => v * grid);
    const err = (pred[i][0] - tx) ** 2 + (pred[i][1] - ty) ** 2;
    for (const k of ["all", x.kind]) {
      const r = rows.get(k) ?? { n: 0, error: 0, zero: 0, shift: 0 };
      rows.set(k, { n: r.n + 1, error: r.error + err, zero: r.zero + tx * tx + ty * ty, shift: r.shift + Math.hypot(tx, ty) });
    }
  });
  return [...rows.entries()].map(([kind, r]) => ({ kind, n: r.n, error: r.error / r.n, zero: r.zero / r.n, shift: r.shift / r.n }));
}

/**
 * Fits the offset head of `e` (an editor with alignedOffset) on `edits` for `c.steps` Adam steps of `c.batch` edits drawn
 * with `c.seed`, every other weight frozen; `onStep(step, loss)` after each. Returns the losses.
 */
export function trainOffsetHead(e: Editor, edits: readonly EditExample[], c: OffsetHeadConfig, onStep?: (step: number, loss: number) => void): number[] {
  if (e.config.alignedOffset !== true || !e.imageTokens) throw new Error("trainOffsetHead: this editor has no offset head (config alignedOffset, with image tokens)");
  const spec = { isParam: isOffsetParam, who: "trainOffsetHead", stream: "offset-head", empty: "none of the edits has an offset target (the data engine's spatial edits, engineData)" };
  return fitHeadAlone(e, withOffset(edits), c, spec, (batch) => offsetLoss(alignedOf(e, batch).offset!, offsetTargets(batch.map((x) => x.objects), e.config)), onStep);
}
