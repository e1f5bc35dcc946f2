/**
 * What the no-sampling probes (lib/eval/edit-map-probe.ts, lib/eval/plan-probe.ts) read: edits with a
 * source, an instruction and the exact ground truth. A benchmark is one such set; `trainingProbeItems`
 * makes another from the edits a model was trained on, so that the same probe on both tells a head that
 * has not fitted its training data (underfitting: poor on both) from one that does not carry over to
 * held-out scenes (overfitting: good on the training edits only).
 */
import type { EditExample } from "../models/editor/train/data";
import { engineData, toBytes } from "../models/editor/train/data";
import type { RecipeConfig } from "../models/editor/train/recipes";
import type { BenchmarkItem } from "./benchmark-io";

/** What a probe reads of an edit: a benchmark item, or a training edit as one. */
export type ProbeItem = Pick<BenchmarkItem, "id" | "kind" | "family" | "instruction" | "source" | "truth">;

/** The items a probe reads (a Benchmark is one). */
export interface ProbeSet {
  items: readonly ProbeItem[];
}

/**
 * `n` of the training `edits` as probe items, evenly spaced over the list (all of them when there are
 * at most `n`), in order; images are `size` x `size` in [-1, 1] as the training data holds them.
 * Ids are "train-<index in edits>".
 */
export function trainingProbeItems(edits: readonly EditExample[], n: number, size: number): ProbeSet {
  if (!Number.isInteger(n) || n < 1) throw new Error(`trainingProbeItems: n must be a positive integer, got ${n}`);
  if (edits.length === 0) throw new Error("trainingProbeItems: no training edits");
  const count = Math.min(n, edits.length);
  const image = (x: Float32Array, what: string, i: number) => {
    if (x.length !== size * size * 3) throw new Error(`trainingProbeItems: edit ${i}'s ${what} has ${x.length} values, expected ${size}x${size}x3 = ${size * size * 3}`);
    return { width: size, height: size, data: toBytes(x) };
  };
  const items: ProbeItem[] = [];
  for (let k = 0; k < count; k++) {
    const i = Math.floor((k * edits.length) / count);
    const e = edits[i];
    items.push({ id: `train-${i}`, kind: e.kind, family: e.family ?? null, instruction: e.instruction, source: image(e.source, "source", i), truth: image(e.target, "target", i) });
  }
  return { items };
}

/**
 * `n` of the data engine's spatial training edits of a recipe (its data seed and scene count; the edits
 * Stage II trains on, and Stage I with `stage1EditShare`) as probe items, `size` x `size` images.
 */
export function engineTrainingProbeItems(recipe: Pick<RecipeConfig, "dataSeed" | "engineScenes">, size: number, n: number): ProbeSet {
  return trainingProbeItems(engineData(recipe.dataSeed, recipe.engineScenes, size).edits, n, size);
}
