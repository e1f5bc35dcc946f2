/**
 * Data-parallel training on one machine: `workers` worker threads (default: one per core), each with a
 * replica of the model built from the same seed, each computing the gradients of its shard of the
 * global batch (its mean loss scaled by shard/global, so the shard gradients add up to the full-batch
 * gradient). Gradients meet in a SharedArrayBuffer; after a barrier every worker adds the shards in the
 * same order (so the replicas stay bit-identical) and applies its optimizer. One worker equals
 * single-process training on the same global batch up to float rounding of the sum.
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import type * as tf from "@tensorflow/tfjs";
import type { OptimizerLike } from "./fused-adam";
import type { Params } from "../nn/layers";

/** What a worker trains: built in the worker by `factory.module`'s export `factory.export`(args). */
export interface ShardTask {
  params: Params;
  /** Global batch size (rows the loss can be sliced over). */
  batch: number;
  /** Mean loss over rows [start, start+count) of the global batch. */
  loss(start: number, count: number): tf.Scalar;
  optimizer: OptimizerLike;
  dispose(): void;
}

export interface TaskFactory {
  /** Absolute path of a module (.ts or .js) that exports the factory. */
  module: string;
  /** Name of the exported function (args) => ShardTask. */
  export: string;
  /** JSON-serialisable arguments (config, seed). */
  args: unknown;
}

export interface DataParallelOptions {
  /** Worker threads (default: the number of CPU cores). */
  workers?: number;
  factory: TaskFactory;
  /** Environment of the workers (default: this process's), e.g. to set SPATIALEDIT_NATIVE_BLAS=0. */
  env?: Record<string, string | undefined>;
}

interface Ready {
  type: "ready";
  names: string[];
  sizes: number[];
  backend: string;
  tuned: string;
}

type Msg = Ready | { type: "loss"; loss: number } | { type: "grads"; grads: Float32Array } | { type: "params"; values: Float32Array[] } | { type: "error"; message: string };

/** Rows of the global batch for each worker: as even as possible, in order. */
export function shardRows(batch: number, workers: number): { start: number; count: number }[] {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`data-parallel: workers must be a positive integer, got ${workers}`);
  if (workers > batch) throw new Error(`data-parallel: ${workers} workers for a batch of ${batch}: use at most one worker per row`);
  const out: { start: number; count: number }[] = [];
  let start = 0;
  for (let w = 0; w < workers; w++) {
    const count = Math.floor(batch / workers) + (w < batch % workers ? 1 : 0);
    out.push({ start, count });
    start += count;
  }
  return out;
}

export class DataParallelTrainer {
  private constructor(
    private readonly workers: Worker[],
    readonly names: string[],
    readonly sizes: number[],
    readonly backend: string,
    readonly tuned: string,
  ) {}

  /** Starts the workers and builds a replica in each (seeded: all replicas are identical). */
  static async create(opts: DataParallelOptions): Promise<DataParallelTrainer> {
    const n = opts.workers ?? (os.availableParallelism?.() ?? os.cpus().length);
    if (!Number.isInteger(n) || n < 1) throw new Error(`data-parallel: workers must be a positive integer, got ${n}`);
    const control = new SharedArrayBuffer(4 * 4); // [arrived, generation]
    const workers: Worker[] = [];
    const readies: Promise<Ready>[] = [];
    for (let w = 0; w < n; w++) {
      const worker = new Worker(path.join(__dirname, "dp-worker.cjs"), {
        workerData: { rank: w, workers: n, factory: opts.factory, control },
        env: opts.env ?? process.env,
      });
      workers.push(worker);
      readies.push(once<Ready>(worker, "ready"));
    }
    let infos: Ready[];
    try {
      infos = await Promise.all(readies);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    const { names, sizes } = infos[0];
    const total = sizes.reduce((a, b) => a + b, 0);
    const grads = new SharedArrayBuffer(4 * total * n);
    for (const w of workers) w.postMessage({ cmd: "buffers", grads });
    return new DataParallelTrainer(workers, names, sizes, infos[0].backend, infos[0].tuned);
  }

  get size(): number {
    return this.workers.length;
  }

  /** One optimizer step on the global batch; returns the global mean loss. */
  async step(): Promise<number> {
    const losses = await Promise.all(this.workers.map((w) => { w.postMessage({ cmd: "step" }); return once<{ type: "loss"; loss: number }>(w, "loss"); }));
    return losses.reduce((a, m) => a + m.loss, 0);
  }

  /** The global-batch gradients (summed shards, flattened in `names` order), without applying them. */
  async gradients(): Promise<Float32Array> {
    const all = await Promise.all(this.workers.map((w) => { w.postMessage({ cmd: "grads" }); return once<{ type: "grads"; grads: Float32Array }>(w, "grads"); }));
    return all[0].grads;
  }

  /** Parameter values of worker `rank`'s replica, in `names` order. */
  async params(rank = 0): Promise<Float32Array[]> {
    const w = this.workers[rank];
    w.postMessage({ cmd: "params" });
    return (await once<{ type: "params"; values: Float32Array[] }>(w, "params")).values;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function once<T extends Msg>(w: Worker, type: T["type"]): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Msg): void => {
      if (m.type === "error") {
        cleanup();
        reject(new Error(`data-parallel worker failed: ${m.message}`));
      } else if (m.type === type) {
        cleanup();
        resolve(m as T);
      }
    };
    const onErr = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`data-parallel worker exited with code ${code}`));
    };
    const cleanup = (): void => {
      w.off("message", onMsg);
      w.off("error", onErr);
      w.off("exit", onExit);
    };
    w.on("message", onMsg);
    w.on("error", onErr);
    w.on("exit", onExit);
  });
}
