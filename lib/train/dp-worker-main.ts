/**
 * The body of a data-parallel worker (see data-parallel.ts): builds its replica, then on "step"
 * computes its shard's gradients, writes them to its slot of the shared buffer, waits at a barrier,
 * adds all slots in rank order and applies its optimizer.
 */
import * as tf from "@tensorflow/tfjs";
import { parentPort, workerData } from "worker_threads";
import { initBackend, wasmKernels } from "../backend/select";
import { envValue } from "../core/env";
import { shardRows, type ShardTask, type TaskFactory } from "./data-parallel";

interface Data {
  rank: number;
  workers: number;
  factory: TaskFactory;
  control: SharedArrayBuffer;
}

const { rank, workers, factory, control } = workerData as Data;
const port = parentPort!;
const ctl = new Int32Array(control);

/** Sense-reversing barrier over all workers on ctl[0] (arrived) and ctl[1] (generation). */
function barrier(): void {
  const gen = Atomics.load(ctl, 1);
  if (Atomics.add(ctl, 0, 1) === workers - 1) {
    Atomics.store(ctl, 0, 0);
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  } else {
    while (Atomics.load(ctl, 1) === gen) Atomics.wait(ctl, 1, gen);
  }
}

async function main(): Promise<void> {
  const report = await initBackend({ force: envValue("SPATIALEDIT_BACKEND") === "auto" ? "wasm" : envValue("SPATIALEDIT_BACKEND") });
  // on wasm, initBackend registered the tuned kernels (unless SPATIALEDIT_TUNED_KERNELS=0)
  const tuned = report.name === "wasm" ? wasmKernels() : report.name;
  const mod = require(factory.module) as Record<string, (args: unknown) => ShardTask>;
  const make = mod[factory.export];
  if (typeof make !== "function") throw new Error(`${factory.module} has no export '${factory.export}'`);
  const task = make(factory.args);
  const names = Object.keys(task.params).filter((k) => task.params[k].trainable);
  const vars = names.map((k) => task.params[k]);
  const sizes = vars.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const { start, count } = shardRows(task.batch, workers)[rank];
  const scale = count / task.batch;
  let slots: Float32Array | null = null;
  port.postMessage({ type: "ready", names, sizes, backend: report.name, tuned });

  /** This shard's gradients into its slot, barrier, then the sum of all slots (rank order). */
  const globalGrads = (): { loss: number; sum: Float32Array } => {
    const { value, grads } = tf.variableGrads(() => tf.mul(task.loss(start, count), scale) as tf.Scalar, vars);
    const mine = slots!.subarray(rank * total, (rank + 1) * total);
    let off = 0;
    for (const v of vars) {
      mine.set(grads[v.name].dataSync() as Float32Array, off);
      off += v.size;
    }
    const loss = value.dataSync()[0];
    value.dispose();
    tf.dispose(grads);
    barrier();
    const sum = new Float32Array(total);
    for (let w = 0; w < workers; w++) {
      const s = slots!.subarray(w * total, (w + 1) * total);
      for (let i = 0; i < total; i++) sum[i] += s[i];
    }
    barrier(); // nobody overwrites a slot before everyone has read it
    return { loss, sum };
  };

  port.on("message", (m: { cmd: string; grads?: SharedArrayBuffer }) => {
    try {
      if (m.cmd === "buffers") {
        slots = new Float32Array(m.grads!);
      } else if (m.cmd === "step") {
        const { loss, sum } = globalGrads();
        const named: Record<string, tf.Tensor> = {};
        let off = 0;
        vars.forEach((v) => {
          named[v.name] = tf.tensor(sum.subarray(off, off + v.size), v.shape);
          off += v.size;
        });
        task.optimizer.applyGradients(named);
        tf.dispose(Object.values(named));
        port.postMessage({ type: "loss", loss });
      } else if (m.cmd === "grads") {
        const { sum } = globalGrads();
        port.postMessage({ type: "grads", grads: sum });
      } else if (m.cmd === "params") {
        port.postMessage({ type: "params", values: vars.map((v) => v.dataSync() as Float32Array) });
      }
    } catch (e) {
      port.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) });
    }
  });
}

main().catch((e) => port.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) }));
