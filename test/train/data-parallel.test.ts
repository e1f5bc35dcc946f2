import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { computeGrads } from "../../lib/train/adam";
import { DataParallelTrainer, shardRows } from "../../lib/train/data-parallel";
import { registerTunedKernels, unregisterTunedKernels } from "../../lib/backend/kernels/register";
import { makeReferenceTask, referenceConfig } from "../../lib/train/reference";
import { relErr } from "./helpers";

const cfg = referenceConfig("tiny");
const factory = { module: path.resolve(__dirname, "../../lib/train/reference.ts"), export: "referenceShardTask", args: { config: cfg, seed: 5 } };

afterAll(() => unregisterTunedKernels());

describe("shardRows", () => {
  it("splits the global batch in order, as evenly as possible", () => {
    expect(shardRows(7, 3)).toEqual([
      { start: 0, count: 3 },
      { start: 3, count: 2 },
      { start: 5, count: 2 },
    ]);
    expect(shardRows(4, 1)).toEqual([{ start: 0, count: 4 }]);
  });

  it("rejects impossible splits with a message that says what to do", () => {
    expect(() => shardRows(2, 3)).toThrow("data-parallel: 3 workers for a batch of 2: use at most one worker per row");
    expect(() => shardRows(4, 0)).toThrow("data-parallel: workers must be a positive integer, got 0");
  });
});

describe("data-parallel training over worker threads", () => {
  it("two workers give the single-process gradients and the single-worker parameters (seeded)", async () => {
    // single process, full batch
    await initBackend({ force: "wasm" });
    registerTunedKernels();
    const task = makeReferenceTask(cfg, 5);
    const names = Object.keys(task.params);
    const ref = computeGrads(() => task.loss(), task.params, names);
    task.dispose();

    const one = await DataParallelTrainer.create({ workers: 1, factory });
    const two = await DataParallelTrainer.create({ workers: 2, factory });
    try {
      expect(two.size).toBe(2);
      expect(two.names).toEqual(names);
      const g2 = await two.gradients();
      // relative to the largest gradient of all: the key bias has a true gradient of 0 (softmax is
      // shift-invariant), so its own scale is float noise
      const scale = Math.max(...names.map((n) => Math.max(...Array.from(ref.grads[n], Math.abs))));
      let off = 0;
      for (const n of names) {
        const size = ref.grads[n].length;
        const g = g2.subarray(off, off + size);
        const worst = Math.max(...Array.from(g, (v, i) => Math.abs(v - ref.grads[n][i])));
        expect(worst / scale, n).toBeLessThan(1e-5);
        off += size;
      }
      const l1: number[] = [];
      const l2: number[] = [];
      for (let i = 0; i < 3; i++) {
        l1.push(await one.step());
        l2.push(await two.step());
      }
      l1.forEach((l, i) => expect(Math.abs(l - l2[i]) / l).toBeLessThan(1e-5));
      const p1 = await one.params();
      const p2a = await two.params(0);
      const p2b = await two.params(1);
      p1.forEach((p, i) => {
        // the key bias gets float-noise gradients (true value 0), which Adam turns into steps of about
        // +-lr in either direction: its replicas agree only to a few lr
        if (names[i] === "blk.attn.k.b") expect(Math.max(...Array.from(p2a[i], (v, j) => Math.abs(v - p[j])))).toBeLessThan(3 * 3 * cfg.lr);
        else expect(relErr(p2a[i], p), names[i]).toBeLessThan(1e-5);
        // replicas add the shards in the same order: bit-identical
        expect(Array.from(p2b[i])).toEqual(Array.from(p2a[i]));
      });
      expect(l1[2]).toBeLessThan(l1[0]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("a factory that does not exist fails with the worker's message", async () => {
    await expect(DataParallelTrainer.create({ workers: 1, factory: { ...factory, export: "nope" } })).rejects.toThrow(
      `data-parallel worker failed: ${factory.module} has no export 'nope'`,
    );
  });
});
