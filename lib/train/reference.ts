/**
 * The reference training workload of the training-engine issue: one pre-LN transformer block,
 * batch 32, sequence 64, d_model 128, FF 256, single-head causal attention, ReLU MLP, biases on all
 * linears, MSE loss, `tf.variableGrads` + Adam(1e-3). Inputs and targets are fixed seeded noise.
 * `layers` and `heads` (1 and 1 in the reference) stack more blocks with multi-head attention: the
 * editor-sized step of the sizing issue (EDITOR_STEP_CONFIG) is 4 blocks of 4 heads.
 */
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, type DeepPartial, type Presets } from "../core/profile";
import { makeRng } from "../core/rng";
import { disposeParams, type Params } from "../nn/layers";
import { trainStep, trainStepAsync } from "./adam";
import { FusedAdam, type OptimizerLike } from "./fused-adam";
import { block, initBlock, type BlockConfig } from "../nn/transformer";

export interface ReferenceConfig {
  /** Batch size (32 in the reference). */
  batch: number;
  /** Sequence length (64). */
  seq: number;
  /** Model width (128). */
  dModel: number;
  /** MLP hidden width (256). */
  dFF: number;
  /** Adam learning rate (1e-3). */
  lr: number;
  /** Transformer blocks, stacked (1). */
  layers: number;
  /** Causal attention heads per block (1); dModel must be divisible by it. */
  heads: number;
}

/** The reference step is the same in every profile except `tiny` (small, for tests and leak runs). */
export const REFERENCE_PRESETS: Presets<ReferenceConfig> = {
  tiny: { batch: 4, seq: 8, dModel: 16, dFF: 32, lr: 1e-3, layers: 1, heads: 1 },
  quick: { batch: 32, seq: 64, dModel: 128, dFF: 256, lr: 1e-3, layers: 1, heads: 1 },
  paper: { batch: 32, seq: 64, dModel: 128, dFF: 256, lr: 1e-3, layers: 1, heads: 1 },
};

/**
 * The editor-sized step of the sizing issue (issue 9): 4 blocks, d 64, 4 heads, FF 256, batch 64,
 * 80 tokens, Adam(1e-3); the same in every profile. `bench/train-step.ts --workload=editor`.
 */
export const EDITOR_STEP_CONFIG: Readonly<ReferenceConfig> = Object.freeze({ batch: 64, seq: 80, dModel: 64, dFF: 256, lr: 1e-3, layers: 4, heads: 4 });

/** The workloads of bench/train-step (`--workload=<name>`): the reference step (its quick preset) and the editor-sized one. */
export const TRAIN_STEP_WORKLOADS = { reference: REFERENCE_PRESETS.quick, editor: EDITOR_STEP_CONFIG } as const;
export type TrainStepWorkload = keyof typeof TRAIN_STEP_WORKLOADS;

/** The config of a named bench workload (a copy); unknown names are an error that lists the known ones. */
export function trainStepWorkload(name: string): ReferenceConfig {
  if (!Object.prototype.hasOwnProperty.call(TRAIN_STEP_WORKLOADS, name)) {
    throw new Error(`unknown train-step workload '${name}'; known: ${Object.keys(TRAIN_STEP_WORKLOADS).join(", ")}`);
  }
  return checkReferenceConfig({ ...TRAIN_STEP_WORKLOADS[name as TrainStepWorkload] });
}

const POSITIVE_INTEGER_FIELDS = ["batch", "seq", "dModel", "dFF", "layers", "heads"] as const;

/** Throws a message naming the field on a non-integer or non-positive size, a bad lr, or dModel not divisible by heads. */
export function checkReferenceConfig(c: ReferenceConfig): ReferenceConfig {
  for (const k of POSITIVE_INTEGER_FIELDS) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`reference workload: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!(Number.isFinite(c.lr) && c.lr > 0)) throw new Error(`reference workload: lr must be a positive number, got ${c.lr}`);
  if (c.dModel % c.heads !== 0) throw new Error(`reference workload: dModel ${c.dModel} is not divisible by heads ${c.heads}`);
  return c;
}

export function referenceConfig(profile?: string, overrides?: DeepPartial<ReferenceConfig>): ReferenceConfig {
  return checkReferenceConfig(resolveConfig(REFERENCE_PRESETS, "reference workload", profile, overrides));
}

/**
 * Matmul FLOPs of one training step (forward + the two backward matmuls of each: x3), N = B*T:
 * 3 * L * (2ND^2*4 + 2BT^2D*2 + 2NDF*2). Per block: the q, k, v, o projections, the scores and
 * probs @ v (the full T x T products, masked half included; H heads of width D/H sum to the same
 * 2BT^2D as one head), the two MLP matmuls. 1.812 GFLOP for the reference, 7.298 for the editor step.
 */
export function referenceFlops(c: ReferenceConfig): number {
  checkReferenceConfig(c);
  const N = c.batch * c.seq;
  const D = c.dModel;
  return 3 * c.layers * (2 * N * D * D * 4 + 2 * c.batch * c.seq * c.seq * D * 2 + 2 * N * D * c.dFF * 2);
}

export function blockConfigOf(c: ReferenceConfig): BlockConfig {
  return { dModel: c.dModel, dFF: c.dFF, nHeads: c.heads, causal: true };
}

/**
 * Parameter prefix and Rng fork label of block `l`: block 0 is `blk` from fork "params" (the names and
 * values of the one-block reference), block l > 0 is `blk${l}` from fork `params${l}`.
 */
export function referenceBlock(l: number): { prefix: string; label: string } {
  return l === 0 ? { prefix: "blk", label: "params" } : { prefix: `blk${l}`, label: `params${l}` };
}

export interface ReferenceTask {
  config: ReferenceConfig;
  params: Params;
  x: tf.Tensor3D;
  y: tf.Tensor3D;
  optimizer: OptimizerLike;
  /** MSE of the last block's output against the target, on rows [start, start+count) of the batch (default: all). */
  loss(start?: number, count?: number): tf.Scalar;
  /** One Adam step on all parameters; returns the loss. */
  step(): number;
  /** The same step with an asynchronous loss read-back (GPU backends). */
  stepAsync(): Promise<number>;
  dispose(): void;
}

/**
 * Builds the reference model, data and optimizer on the active backend, seeded. `optimizer`: "tf" is
 * `tf.train.adam` (the definition), "fused" the same update as one kernel per variable
 * (FusedAdam; used by the tuned modes of bench/train-step).
 */
export function makeReferenceTask(config: ReferenceConfig, seed: number, optimizerKind: "tf" | "fused" = "tf"): ReferenceTask {
  checkReferenceConfig(config);
  const rng = makeRng(seed);
  const bc = blockConfigOf(config);
  const blocks = Array.from({ length: config.layers }, (_, l) => referenceBlock(l));
  let params: Params = {};
  for (const b of blocks) params = { ...params, ...initBlock(rng.fork(b.label), bc, b.prefix) };
  const shape: [number, number, number] = [config.batch, config.seq, config.dModel];
  const n = config.batch * config.seq * config.dModel;
  const x = tf.tensor3d(rng.fork("x").normalArray(n), shape);
  const y = tf.tensor3d(rng.fork("y").normalArray(n), shape);
  const optimizer: OptimizerLike = optimizerKind === "fused" ? new FusedAdam(config.lr) : (tf.train.adam(config.lr) as unknown as OptimizerLike);
  const loss = (start = 0, count = config.batch): tf.Scalar =>
    tf.tidy(() => {
      const xs = count === config.batch ? x : x.slice([start, 0, 0], [count, -1, -1]);
      const ys = count === config.batch ? y : y.slice([start, 0, 0], [count, -1, -1]);
      let h = xs;
      for (const b of blocks) h = block(h, params, b.prefix, bc); // heads batched: [B, H, T, D/H] in one matmul (nn/attention)
      return tf.losses.meanSquaredError(ys, h) as tf.Scalar;
    });
  return {
    config,
    params,
    x,
    y,
    optimizer,
    loss,
    step: () => trainStep(optimizer, () => loss(), params),
    stepAsync: () => trainStepAsync(optimizer, () => loss(), params),
    dispose: () => {
      disposeParams(params);
      x.dispose();
      y.dispose();
      optimizer.dispose();
    },
  };
}

/** Data-parallel factory (see data-parallel.ts): the reference task from `{ config, seed }`. */
export function referenceShardTask(args: { config: ReferenceConfig; seed: number; optimizer?: "tf" | "fused" }): ReferenceTask & { batch: number } {
  const t = makeReferenceTask(args.config, args.seed, args.optimizer ?? "tf");
  return Object.assign(t, { batch: args.config.batch });
}
