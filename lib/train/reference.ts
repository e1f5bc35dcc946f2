/**
 * The reference training workload of the training-engine issue: one pre-LN transformer block,
 * batch 32, sequence 64, d_model 128, FF 256, single-head causal attention, ReLU MLP, biases on all
 * linears, MSE loss, `tf.variableGrads` + Adam(1e-3). Inputs and targets are fixed seeded noise.
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
}

/** The reference step is the same in every profile except `tiny` (small, for tests and leak runs). */
export const REFERENCE_PRESETS: Presets<ReferenceConfig> = {
  tiny: { batch: 4, seq: 8, dModel: 16, dFF: 32, lr: 1e-3 },
  quick: { batch: 32, seq: 64, dModel: 128, dFF: 256, lr: 1e-3 },
  paper: { batch: 32, seq: 64, dModel: 128, dFF: 256, lr: 1e-3 },
};

export function referenceConfig(profile?: string, overrides?: DeepPartial<ReferenceConfig>): ReferenceConfig {
  return resolveConfig(REFERENCE_PRESETS, "reference workload", profile, overrides);
}

/** Matmul FLOPs of one training step: 3 * (2ND^2*4 + 2BT^2D*2 + 2NDF*2), N = B*T (1.812 GFLOP for the reference). */
export function referenceFlops(c: ReferenceConfig): number {
  const N = c.batch * c.seq;
  const D = c.dModel;
  return 3 * (2 * N * D * D * 4 + 2 * c.batch * c.seq * c.seq * D * 2 + 2 * N * D * c.dFF * 2);
}

export function blockConfigOf(c: ReferenceConfig): BlockConfig {
  return { dModel: c.dModel, dFF: c.dFF, nHeads: 1, causal: true };
}

export interface ReferenceTask {
  config: ReferenceConfig;
  params: Params;
  x: tf.Tensor3D;
  y: tf.Tensor3D;
  optimizer: OptimizerLike;
  /** MSE of the block's output against the target, on rows [start, start+count) of the batch (default: all). */
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
  const rng = makeRng(seed);
  const params = initBlock(rng.fork("params"), blockConfigOf(config), "blk");
  const shape: [number, number, number] = [config.batch, config.seq, config.dModel];
  const n = config.batch * config.seq * config.dModel;
  const x = tf.tensor3d(rng.fork("x").normalArray(n), shape);
  const y = tf.tensor3d(rng.fork("y").normalArray(n), shape);
  const optimizer: OptimizerLike = optimizerKind === "fused" ? new FusedAdam(config.lr) : (tf.train.adam(config.lr) as unknown as OptimizerLike);
  const bc = blockConfigOf(config);
  const loss = (start = 0, count = config.batch): tf.Scalar =>
    tf.tidy(() => {
      const xs = count === config.batch ? x : x.slice([start, 0, 0], [count, -1, -1]);
      const ys = count === config.batch ? y : y.slice([start, 0, 0], [count, -1, -1]);
      return tf.losses.meanSquaredError(ys, block(xs, params, "blk", bc)) as tf.Scalar;
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
