/**
 * The training loop every experiment uses: `steps` optimizer steps of `trainStep` over a chosen
 * varList (the tuning mode's), a fresh batch per step, a progress display, and a yield to the
 * event loop after every step (long synchronous loops made the tslab kernel die with "Socket is
 * busy writing": its progress messages could not be flushed). Returns the loss per step.
 */
import * as tf from "@tensorflow/tfjs";
import { progress } from "../core/progress";
import { trainStep } from "./adam";
import { FusedAdam, type OptimizerLike } from "./fused-adam";

/** Lets pending I/O (notebook output) run between training steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface TrainLoopOptions {
  steps: number;
  /** Learning rate of the default optimizer (FusedAdam = tfjs' Adam update). */
  lr?: number;
  /** An optimizer to use instead (the loop disposes only the one it made). */
  optimizer?: OptimizerLike;
  label?: string;
  silent?: boolean;
}

/**
 * Runs `steps` steps; `batchLoss(step)` builds the step's batch and returns the scalar loss
 * (called inside the gradient tape; tensors it creates are freed with the step). Only `vars`
 * train: the gradients of every other variable are never computed.
 */
export async function trainLoop(vars: tf.Variable[], batchLoss: (step: number) => tf.Scalar, o: TrainLoopOptions): Promise<number[]> {
  if (vars.length === 0) throw new Error(`trainLoop${o.label ? ` '${o.label}'` : ""}: nothing to train (empty variable list)`);
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new Error(`trainLoop: steps must be a non-negative integer, got ${o.steps}`);
  const own = o.optimizer === undefined;
  const opt = o.optimizer ?? new FusedAdam(o.lr ?? 1e-3);
  const losses: number[] = [];
  const bar = progress({ total: o.steps, label: o.label ?? "train", silent: o.silent });
  try {
    for (let s = 0; s < o.steps; s++) {
      const loss = trainStep(opt, () => tf.tidy(() => batchLoss(s)), {}, vars);
      losses.push(loss);
      bar.tick(1, { loss });
      await yieldToEventLoop();
    }
  } finally {
    bar.done();
    if (own) opt.dispose();
  }
  return losses;
}
