/**
 * The toy grid: what the tests, `npm run grid -- --grid toy` and bench/grid-jobs.ts run while the
 * editor's recipes are written elsewhere. A tiny pre-LN transformer (lib/nn) learns to shift a
 * sequence of seeded noise vectors by `shift` positions (MSE). `toy-base` trains it from its seed;
 * `toy-finetune` starts from the parent's final checkpoint and trains all weights (`full`) or only
 * the attention projections (`attention`, the paper's attention tuning) on another shift. The grid:
 * base -> Stage I -> Stage II for two variants and two seeds, the base shared by both variants.
 */
import * as tf from "@tensorflow/tfjs";
import { mergeConfig, type DeepPartial } from "../../core/profile";
import { Rng } from "../../core/rng";
import { disposeParams, type Params } from "../../nn/layers";
import { initTransformer, transformer, type TransformerConfig } from "../../nn/transformer";
import { tuningVarList, type TuningMode } from "../../nn/tuning";
import { trainStep } from "../adam";
import { hashJson } from "../checkpoint-config";
import { fromPretrained } from "../checkpoint";
import { trainResumable, type ResumableTask } from "../checkpoint-resume";
import type { ShardTask } from "../data-parallel";
import { FusedAdam } from "../fused-adam";
import { registerGrid } from "./grids";
import type { GridNode, KeyedNode } from "./node";
import { registerRecipe, type Recipe } from "./recipes";

/** The lib/nn tuning modes the toy offers (it has no soft tokens or LoRA factors for the other two). */
export const TOY_TUNINGS = ["full", "attention"] as const satisfies readonly TuningMode[];
export type ToyTuning = (typeof TOY_TUNINGS)[number];

export interface ToyConfig {
  /** Model width. */
  dModel: number;
  /** MLP hidden width. */
  dFF: number;
  nHeads: number;
  nLayers: number;
  /** Sequence length and batch size of each step's fresh noise batch. */
  seq: number;
  batch: number;
  /** Optimizer steps, Adam learning rate, checkpoint interval. */
  steps: number;
  lr: number;
  checkpointEvery: number;
  /** Which weights train (lib/nn tuning modes): all (`full`), or the attention projections only (`attention`). */
  tune: ToyTuning;
  /** Target: the input rolled by this many positions along the sequence. */
  shift: number;
}

/** Defaults of the toy model (the `tiny` profile's size). */
export const TOY_DEFAULTS: ToyConfig = { dModel: 8, dFF: 16, nHeads: 2, nLayers: 2, seq: 4, batch: 8, steps: 6, lr: 0.01, checkpointEvery: 2, tune: "full", shift: 1 };

/** The toy config from (partial) JSON: unknown keys and wrong types are errors. */
export function toyConfig(overrides?: unknown): ToyConfig {
  const c = mergeConfig(TOY_DEFAULTS, overrides as DeepPartial<ToyConfig> | undefined, "toy recipe");
  if (!(TOY_TUNINGS as readonly string[]).includes(c.tune)) throw new Error(`toy recipe: tune must be 'full' or 'attention', got '${c.tune}'`);
  return c;
}

function stackConfig(c: ToyConfig): TransformerConfig {
  return { dModel: c.dModel, dFF: c.dFF, nHeads: c.nHeads, nLayers: c.nLayers, causal: false };
}

/** The data the toy trains on, as a hash (the toy's stand-in for a dataset manifest). */
export function toyDataHash(c: ToyConfig): string {
  return hashJson({ generator: "toy-rolled-noise", seq: c.seq, batch: c.batch, dModel: c.dModel, shift: c.shift });
}

function toyLoss(params: Params, c: ToyConfig, x: tf.Tensor3D, y: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => tf.losses.meanSquaredError(y, transformer(x, params, stackConfig(c), "blocks").hidden) as tf.Scalar);
}

function batchOf(rng: Rng, c: ToyConfig): { x: tf.Tensor3D; y: tf.Tensor3D } {
  return tf.tidy(() => {
    const x = tf.tensor3d(rng.normalArray(c.batch * c.seq * c.dModel), [c.batch, c.seq, c.dModel]);
    const s = ((c.shift % c.seq) + c.seq) % c.seq;
    const y = s === 0 ? x.clone() : (tf.concat([x.slice([0, c.seq - s, 0], [-1, s, -1]), x.slice([0, 0, 0], [-1, c.seq - s, -1])], 1) as tf.Tensor3D);
    return { x, y };
  });
}

/**
 * A toy training task from `seed` (or from `start` weights, copied), drawing each step's batch from
 * `rng` (default: the seed's "data" stream). The caller disposes it.
 */
export function makeToyTask(c: ToyConfig, seed: number, rng: Rng | null = null, start: Params | null = null): ResumableTask {
  const root = new Rng(seed);
  const params: Params = {};
  if (start !== null) for (const [k, v] of Object.entries(start)) params[k] = tf.tidy(() => tf.variable(v.clone(), true));
  else Object.assign(params, initTransformer(root.fork("params"), stackConfig(c), "blocks"));
  const data = rng ?? root.fork("data");
  const optimizer = new FusedAdam(c.lr);
  const vars = tuningVarList(c.tune, { params, stack: "blocks", nLayers: c.nLayers, always: [] });
  return {
    params,
    optimizer,
    rng: data,
    step() {
      const { x, y } = batchOf(data, c);
      try {
        return trainStep(optimizer, () => toyLoss(params, c, x, y), params, vars);
      } finally {
        tf.dispose([x, y]);
      }
    },
    dispose() {
      optimizer.dispose();
      disposeParams(params);
    },
  };
}

export interface ToyRecipeOptions {
  /** Per node: stop after this many steps, as a kill would (the recipe then throws; tests). */
  stopAfter?: (node: KeyedNode) => number | undefined;
}

/**
 * The toy recipe: trains a node resumably into `outDir`, from its seed (no parent) or from the
 * parent's final weights; returns the final loss.
 */
export function makeToyRecipe(o: ToyRecipeOptions = {}): Recipe {
  return async (node, parentDir, outDir, progress) => {
    const c = toyConfig(node.config);
    const stopAfter = o.stopAfter?.(node);
    const result = await trainResumable({
      dir: outDir,
      config: c,
      seed: node.seed,
      steps: c.steps,
      checkpointEvery: c.checkpointEvery,
      dataManifestHash: node.dataManifestHash,
      parentHash: node.parentKey,
      progress: progress(c.steps, node.id),
      stopAfter,
      init: ({ rng }) => {
        if (parentDir === null) return makeToyTask(c, node.seed, rng);
        const parent = fromPretrained(parentDir);
        try {
          return makeToyTask(c, node.seed, rng, parent.params);
        } finally {
          disposeParams(parent.params);
        }
      },
    });
    result.task.dispose();
    if (result.losses.length < c.steps) throw new Error(`toy node '${node.id}' stopped after ${result.losses.length} of ${c.steps} steps`);
    return { finalLoss: result.losses[result.losses.length - 1] ?? null, steps: c.steps, resumedFrom: result.resumedFrom };
  };
}

/** Registers the recipes `toy-base` (no parent) and `toy-finetune` (from the parent's weights). */
export function registerToyRecipes(): void {
  registerRecipe("toy-base", makeToyRecipe());
  registerRecipe("toy-finetune", makeToyRecipe());
}

/** Steps of the toy grid's nodes per profile. */
const TOY_STEPS: Record<string, number> = { tiny: 4, quick: 40, paper: 200 };

/** The toy grid: base -> stage1 -> stage2 for variants attention/full and seeds 0, 1 (10 nodes). */
export function toyGrid(profile: string, overrides: Partial<ToyConfig> = {}, seeds: number[] = [0, 1]): GridNode[] {
  const steps = TOY_STEPS[profile];
  if (steps === undefined) throw new Error(`toy grid: unknown profile '${profile}'; known: ${Object.keys(TOY_STEPS).join(", ")}`);
  const cfg = (shift: number, tune: ToyTuning): ToyConfig => toyConfig({ ...overrides, steps: overrides.steps ?? steps, shift, tune });
  const nodes: GridNode[] = [];
  for (const seed of seeds) {
    const base = cfg(1, "full");
    nodes.push({ id: `base@s${seed}`, kind: "toy-base", config: base, seed, dataManifestHash: toyDataHash(base) });
    for (const v of ["attention", "full"] as const) {
      const s1 = cfg(2, v);
      const s2 = cfg(3, v);
      nodes.push({ id: `stage1-${v}@s${seed}`, kind: "toy-finetune", config: s1, seed, dataManifestHash: toyDataHash(s1), parent: `base@s${seed}` });
      nodes.push({ id: `stage2-${v}@s${seed}`, kind: "toy-finetune", config: s2, seed, dataManifestHash: toyDataHash(s2), parent: `stage1-${v}@s${seed}` });
    }
  }
  return nodes;
}

/** Registers the toy recipes and the grid `toy`. */
export function registerToyGrid(): void {
  registerToyRecipes();
  registerGrid("toy", (profile) => toyGrid(profile));
}

/**
 * The toy model as a data-parallel task (lib/train/data-parallel.ts), for bench/grid-jobs.ts: one
 * fixed batch from the seed's data stream, the same model and optimizer as `makeToyTask`; the loss
 * is the mean over the shard's rows (the worker scales it by shard/global).
 */
export function toyShardTask(args: { config: unknown; seed: number }): ShardTask {
  const c = toyConfig(args.config);
  const task = makeToyTask(c, args.seed);
  const { x, y } = batchOf(new Rng(args.seed).fork("data"), c);
  return {
    params: task.params,
    batch: c.batch,
    optimizer: task.optimizer,
    loss: (start, count) =>
      tf.tidy(() => toyLoss(task.params, c, x.slice([start, 0, 0], [count, -1, -1]), y.slice([start, 0, 0], [count, -1, -1]))),
    dispose() {
      tf.dispose([x, y]);
      task.dispose();
    },
  };
}
