import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { disposeParams, type Params } from "../../lib/nn/layers";
import { canonicalJson, diffConfig, hashJson } from "../../lib/train/checkpoint-config";
import { CheckpointMismatchError, fromPretrained, loadCheckpoint, readCheckpointMeta, saveCheckpoint } from "../../lib/train/checkpoint";
import type { Progress } from "../../lib/core/progress";
import { latestStep, trainResumable } from "../../lib/train/checkpoint-resume";
import { makeToyTask, toyConfig, type ToyConfig } from "../../lib/train/grid/toy";

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-"));

function values(p: Params): Record<string, number[]> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.from(v.dataSync())]));
}

/** Largest |a - b| over every parameter (the names must agree). */
function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const k of Object.keys(a)) a[k].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i]))));
  return worst;
}

async function run(dir: string, c: ToyConfig, seed: number, stopAfter?: number) {
  return trainResumable({ dir, config: c, seed, steps: c.steps, checkpointEvery: c.checkpointEvery, silent: true, stopAfter, dataManifestHash: "data-1", init: ({ rng }) => makeToyTask(c, seed, rng) });
}

beforeAll(async () => {
  await initBackend({ force: "wasm" });
});

describe("config identity", () => {
  it("canonical JSON and its hash ignore key order; diffConfig lists every differing leaf", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(hashJson({ x: 1, y: 2 })).toBe(hashJson({ y: 2, x: 1 }));
    expect(hashJson({ x: 1, y: 2 })).not.toBe(hashJson({ x: 1, y: 3 }));
    expect(() => canonicalJson({ a: undefined })).toThrow("config.a: a undefined (undefined) is not plain JSON data");
    expect(diffConfig({ a: 1, b: { c: 2 }, d: [1, 2] }, { a: 1, b: { c: 3 }, e: true, d: [1, 2] })).toEqual([
      { path: "b.c", actual: 2, expected: 3 },
      { path: "e", actual: undefined, expected: true },
    ]);
  });
});

describe("checkpoints", () => {
  it("a resumed run shows its checkpoint's steps as skipped on the progress bar, not as this run's work", async () => {
    const c = toyConfig({ steps: 6, checkpointEvery: 2 });
    const dir = tmp();
    (await run(dir, c, 3, 3)).task.dispose(); // checkpoint at step 2, killed in step 3
    const calls: string[] = [];
    const bar: Progress = { tick: (n = 1) => void calls.push(`tick ${n}`), skip: (n) => void calls.push(`skip ${n}`), done: () => void calls.push("done"), count: 0, elapsedMs: 0 };
    const r = await trainResumable({ dir, config: c, seed: 3, steps: c.steps, checkpointEvery: c.checkpointEvery, progress: bar, dataManifestHash: "data-1", init: ({ rng }) => makeToyTask(c, 3, rng) });
    r.task.dispose();
    expect(calls).toEqual(["skip 2", "tick 1", "tick 1", "tick 1", "tick 1", "done"]);
  });
  it("`after` is awaited after each step, before the last step's finish and before the step's checkpoint", async () => {
    const c = toyConfig({ steps: 3, checkpointEvery: 2 });
    const dir = tmp();
    const calls: string[] = [];
    const r = await trainResumable({
      dir,
      config: c,
      seed: 4,
      steps: c.steps,
      checkpointEvery: c.checkpointEvery,
      silent: true,
      dataManifestHash: "data-1",
      init: ({ rng }) => {
        const task = makeToyTask(c, 4, rng);
        return { ...task, step: (i: number) => (calls.push(`step ${i}`), task.step(i)), finish: () => void calls.push("finish") };
      },
      after: async (step) => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        calls.push(`after ${step}: checkpoint ${latestStep(dir)}`);
      },
    });
    r.task.dispose();
    expect(calls).toEqual(["step 0", "after 1: checkpoint null", "step 1", "after 2: checkpoint null", "step 2", "after 3: checkpoint 2", "finish"]);
    expect(latestStep(dir)).toBe(3);
  });
  it("resume after a kill ends with the weights and losses of an uninterrupted run (full and attention tuning)", async () => {
    for (const [tune, steps] of [["full", 10], ["attention", 6]] as const) {
      const c = toyConfig({ steps, checkpointEvery: 2, tune });
      const straight = await run(tmp(), c, 3);
      const want = values(straight.task.params);
      straight.task.dispose();

      const dir = tmp();
      // train 5 steps (checkpoint at 4), then "kill": drop the process state without saving step 5
      const first = await run(dir, c, 3, 5);
      expect(first.losses.length).toBe(5);
      first.task.dispose();
      expect(latestStep(dir)).toBe(4);

      const resumed = await run(dir, c, 3);
      expect(resumed.resumedFrom).toBe(4);
      expect(resumed.ran).toBe(steps - 4);
      const got = values(resumed.task.params);
      resumed.task.dispose();
      // every piece of state is restored bit for bit, so on one backend the runs agree exactly
      expect(maxDiff(got, want), tune).toBeLessThanOrEqual(1e-6);
      expect(resumed.losses).toEqual(straight.losses);
      // the finished folder holds only the newest checkpoint and no partial folders
      expect(fs.readdirSync(dir).sort()).toEqual(["latest.json", `step-${String(steps).padStart(6, "0")}`]);
    }
  });

  it("save / load round trip: weights, optimizer step count, Rng stream, provenance", async () => {
    const c = toyConfig({ steps: 3 });
    const dir = tmp();
    const r = await trainResumable({ dir, config: c, seed: 9, steps: 3, checkpointEvery: 3, silent: true, dataManifestHash: "m", parentHash: "p", init: ({ rng }) => makeToyTask(c, 9, rng) });
    const meta = readCheckpointMeta(dir);
    expect(meta).toMatchObject({ config: c, seed: 9, step: 3, dataManifestHash: "m", parentHash: "p", backend: "wasm" });
    expect(meta.optimizer).toMatchObject({ kind: "FusedAdam", t: 3, learningRate: c.lr });
    expect(meta.gitCommit).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
    expect(meta.rng?.s).toEqual(r.task.rng!.state().s);
    const loaded = fromPretrained(dir, { expectedConfig: c });
    expect(maxDiff(values(loaded.params), values(r.task.params))).toBe(0);
    const ckpt = loadCheckpoint(dir, c, { seed: 9 });
    expect(Object.keys(ckpt.optimizer!).length).toBe(2 * Object.keys(r.task.params).length);
    disposeParams(loaded.params);
    r.task.dispose();
  });

  it("a checkpoint with another config is a clear error listing the differing keys", async () => {
    const c = toyConfig({ steps: 2, checkpointEvery: 1 });
    const dir = tmp();
    const r = await run(dir, c, 1);
    r.task.dispose();
    const other = { ...c, lr: 0.5, dModel: 16 };
    let err: unknown;
    try {
      loadCheckpoint(dir, other, { seed: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointMismatchError);
    const msg = (err as Error).message;
    expect(msg).toContain(`checkpoint '${path.join(dir, "step-000002")}' was made with a different config (3 differences):`);
    expect(msg).toContain("  config.dModel: checkpoint 8, expected 16");
    expect(msg).toContain("  config.lr: checkpoint 0.01, expected 0.5");
    expect(msg).toContain("  seed: checkpoint 1, expected 2");
    expect(msg).toContain("use the config it was trained with, or train into a new folder");
    // resuming with another config refuses too, and leaks nothing
    const before = tf.memory().numTensors;
    await expect(run(dir, toyConfig({ steps: 2, checkpointEvery: 1, shift: 2 }), 1)).rejects.toThrow("config.shift: checkpoint 1, expected 2");
    expect(tf.memory().numTensors).toBe(before);
    expect(() => loadCheckpoint(tmp(), c)).toThrow("no checkpoint at");
  });

  it("saving over an existing checkpoint folder replaces it whole", () => {
    const c = toyConfig({});
    const dir = path.join(tmp(), "ckpt");
    const a = makeToyTask(c, 1);
    const b = makeToyTask(c, 2);
    saveCheckpoint(dir, { params: a.params, config: c, seed: 1, step: 0 });
    saveCheckpoint(dir, { params: b.params, config: c, seed: 2, step: 0 });
    expect(fs.readdirSync(path.dirname(dir))).toEqual(["ckpt"]);
    const back = fromPretrained(dir);
    expect(back.meta.seed).toBe(2);
    expect(maxDiff(values(back.params), values(b.params))).toBe(0);
    expect(back.meta.optimizer).toBeNull();
    disposeParams(back.params);
    a.dispose();
    b.dispose();
  });

  it("leaks no tensors over train, kill, resume, load", async () => {
    const c = toyConfig({ steps: 4, checkpointEvery: 2 });
    const dir = tmp();
    (await run(dir, c, 5)).task.dispose(); // warm-up: kernels and caches that live for the process
    const before = tf.memory().numTensors;
    const dir2 = tmp();
    (await run(dir2, c, 5, 3)).task.dispose();
    (await run(dir2, c, 5)).task.dispose();
    disposeParams(fromPretrained(dir2).params);
    expect(tf.memory().numTensors).toBe(before);
  });
});
