/**
 * bench/train-memory: a long run of the tiny reference step (default 2,000 steps) on the active wasm
 * kernels; prints tf.memory().numTensors, wasm data ids and the process's resident memory every 200
 * steps, and writes results/<profile>/train-memory.json. Flat columns mean no leak.
 * Usage: npx tsx bench/train-memory.ts [--steps=2000] [--every=200]
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend, wasmKernels } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { makeReferenceTask, referenceConfig } from "../lib/train/reference";

/** A positive-integer option `--name=N`; anything else is an error that says what is allowed. */
function arg(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (a === undefined) return def;
  const v = Number(a.slice(name.length + 3));
  if (!Number.isInteger(v) || v < 1) throw new Error(`bench/train-memory: --${name} must be a positive integer, got '${a.slice(name.length + 3)}'`);
  return v;
}

async function main(): Promise<number> {
  // validate first: a bad profile used to surface as a stack trace from writeResult after 2,000 steps
  currentProfile();
  const steps = arg("steps", 2000);
  const every = arg("every", 200);
  const unknown = process.argv.slice(2).filter((a) => !/^--(steps|every)=/.test(a));
  if (unknown.length > 0) throw new Error(`bench/train-memory: unknown argument(s) ${unknown.join(" ")}; usage: npx tsx bench/train-memory.ts [--steps=2000] [--every=200]`);
  if (every > steps) throw new Error(`bench/train-memory: --every (${every}) must not exceed --steps (${steps})`);
  const report = await initBackend({ force: "wasm" });
  const cfg = referenceConfig("tiny");
  const task = makeReferenceTask(cfg, 1234);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const rows: { step: number; loss: number; numTensors: number; dataIds: number; rssMiB: number; heapMiB: number }[] = [];
  console.log(`bench/train-memory: ${steps} steps of the tiny reference step on ${report.name}, kernels: ${wasmKernels()}`);
  console.log("step   loss      numTensors  dataIds  rss MiB  js heap MiB");
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    const loss = task.step();
    if (i % every === 0 || i === 1) {
      const m = process.memoryUsage();
      const row = { step: i, loss, numTensors: tf.memory().numTensors, dataIds: backend.numDataIds(), rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20 };
      rows.push(row);
      console.log(`${String(i).padStart(5)}  ${loss.toFixed(5)}  ${String(row.numTensors).padStart(10)}  ${String(row.dataIds).padStart(7)}  ${row.rssMiB.toFixed(1).padStart(7)}  ${row.heapMiB.toFixed(1).padStart(11)}`);
    }
  }
  const ms = (performance.now() - t0) / steps;
  task.dispose();
  const after1 = rows[1];
  const last = rows[rows.length - 1];
  const flat = rows.slice(1).every((r) => r.numTensors === after1.numTensors && r.dataIds === after1.dataIds);
  console.log(`${ms.toFixed(2)} ms/step; numTensors ${flat ? "flat" : "NOT flat"}; rss ${after1.rssMiB.toFixed(1)} -> ${last.rssMiB.toFixed(1)} MiB from step ${after1.step} to ${last.step}`);
  writeResult("train-memory", { config: { ...cfg, steps, every }, seed: 1234, data: { kernels: wasmKernels(), msPerStep: ms, flat, rows } });
  return flat ? 0 : 1;
}

runMain(main);
