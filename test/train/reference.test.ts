/**
 * The reference workload with `layers` and `heads` (the editor-sized step of the sizing issue):
 * stacked blocks, batched heads, the FLOP count, the config errors and the tensor bookkeeping.
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { registerTunedKernels, unregisterTunedKernels } from "../../lib/backend/kernels/register";
import { block } from "../../lib/nn/transformer";
import {
  blockConfigOf,
  EDITOR_STEP_CONFIG,
  makeReferenceTask,
  REFERENCE_PRESETS,
  referenceConfig,
  referenceFlops,
  trainStepWorkload,
  type ReferenceConfig,
} from "../../lib/train/reference";

afterAll(() => unregisterTunedKernels());

describe("reference workload with layers and heads", () => {
  it("every profile's preset is the one-block, one-head reference; the editor step is 4 blocks of 4 heads", () => {
    for (const p of Object.values(REFERENCE_PRESETS)) expect([p.layers, p.heads]).toEqual([1, 1]);
    expect(trainStepWorkload("reference")).toEqual(REFERENCE_PRESETS.quick);
    expect(trainStepWorkload("editor")).toEqual({ batch: 64, seq: 80, dModel: 64, dFF: 256, lr: 1e-3, layers: 4, heads: 4 });
    expect(trainStepWorkload("editor")).not.toBe(EDITOR_STEP_CONFIG); // a copy
    expect(() => trainStepWorkload("big")).toThrow("unknown train-step workload 'big'; known: reference, editor");
  });

  it("layers=2, heads=2 (tiny): parameter shapes, the loss is the two stacked blocks' MSE, and it falls; no tensor leaks", async () => {
    await initBackend({ force: "wasm" });
    registerTunedKernels();
    const cfg = referenceConfig("tiny", { layers: 2, heads: 2 });
    const before = tf.memory().numTensors;
    const t = makeReferenceTask(cfg, 9);
    const D = cfg.dModel;
    const F = cfg.dFF;
    expect(Object.keys(t.params).length).toBe(2 * 16);
    for (const b of ["blk", "blk1"]) {
      expect(t.params[`${b}.ln1.g`].shape).toEqual([D]);
      for (const m of ["q", "k", "v", "o"]) {
        expect(t.params[`${b}.attn.${m}.w`].shape).toEqual([D, D]);
        expect(t.params[`${b}.attn.${m}.b`].shape).toEqual([D]);
      }
      expect(t.params[`${b}.mlp.fc1.w`].shape).toEqual([D, F]);
      expect(t.params[`${b}.mlp.fc2.w`].shape).toEqual([F, D]);
    }
    // block 0 is the one-block reference's block, names and values (same seed)
    const one = makeReferenceTask({ ...cfg, layers: 1, heads: 2 }, 9);
    for (const [n, v] of Object.entries(one.params)) expect(Array.from(t.params[n].dataSync()), n).toEqual(Array.from(v.dataSync()));
    one.dispose();
    // the loss is MSE(y, blk1(blk(x))), on all rows and on a slice of rows
    const bc = blockConfigOf(cfg);
    expect(bc.nHeads).toBe(2);
    const manual = (start: number, count: number): number =>
      tf.tidy(() => {
        const xs = t.x.slice([start, 0, 0], [count, -1, -1]);
        const ys = t.y.slice([start, 0, 0], [count, -1, -1]);
        return tf.losses.meanSquaredError(ys, block(block(xs, t.params, "blk", bc), t.params, "blk1", bc)).dataSync()[0];
      });
    const lossAll = t.loss();
    const lossPart = t.loss(1, 2);
    expect(lossAll.shape).toEqual([]);
    expect(lossAll.dataSync()[0]).toBeCloseTo(manual(0, cfg.batch), 5);
    expect(lossPart.dataSync()[0]).toBeCloseTo(manual(1, 2), 5);
    tf.dispose([lossAll, lossPart]);
    const losses = [t.step()]; // the first step makes the optimizer's state
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) losses.push(t.step());
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[5]).toBeLessThan(losses[0]);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the fused optimizer trains the multi-block model on wasm as tf.train.adam does, and leaks nothing", async () => {
    await initBackend({ force: "wasm" });
    registerTunedKernels();
    const cfg = referenceConfig("tiny", { layers: 2, heads: 4 });
    const before = tf.memory().numTensors;
    const run = (kind: "tf" | "fused"): number[] => {
      const t = makeReferenceTask(cfg, 3, kind);
      const losses = Array.from({ length: 4 }, () => t.step());
      t.dispose();
      return losses;
    };
    const a = run("tf");
    const b = run("fused");
    a.forEach((l, i) => expect(Math.abs(b[i] - l) / l).toBeLessThan(1e-4));
    expect(tf.memory().numTensors).toBe(before);
  });

  it("referenceFlops equals a hand count of every matmul for 2 blocks of 2 heads, and 7.298 GFLOP for the editor step", () => {
    const c: ReferenceConfig = { batch: 2, seq: 3, dModel: 4, dFF: 8, lr: 1e-3, layers: 2, heads: 2 };
    const B = 2, T = 3, D = 4, F = 8, H = 2, dh = D / H, N = B * T;
    // forward matmuls of one block as [m, k, n, how many]: x @ W for q, k, v, o; per (batch, head)
    // q k^T [T, dh] x [dh, T] and probs @ v [T, T] x [T, dh]; the two MLP matmuls
    const forward: [number, number, number, number][] = [
      [N, D, D, 4],
      [T, dh, T, B * H],
      [T, T, dh, B * H],
      [N, D, F, 1],
      [N, F, D, 1],
    ];
    const perBlock = forward.reduce((s, [m, k, n, count]) => s + 2 * m * k * n * count, 0);
    // the backward pass has two matmuls of the same size per forward matmul (dX and dW)
    const hand = 2 * 3 * perBlock;
    expect(hand).toBe(3 * 2 * (4 * 2 * 6 * 4 * 4 + 4 * 2 * 3 * 2 * 3 * 2 + 2 * 6 * 4 * 8 * 2));
    expect(referenceFlops(c)).toBe(hand);
    // heads do not change the count, layers multiply it
    expect(referenceFlops({ ...c, heads: 1 })).toBe(hand);
    expect(referenceFlops({ ...c, layers: 1 })).toBe(hand / 2);
    expect(referenceFlops(EDITOR_STEP_CONFIG)).toBe(7_298_088_960);
    expect(referenceFlops(referenceConfig("quick")) / 1e9).toBeCloseTo(1.812, 3);
  });

  it("bad layers or heads are errors that name the field, before any tensor is made", async () => {
    await initBackend({ force: "wasm" });
    const cfg = referenceConfig("tiny");
    expect(() => referenceConfig("tiny", { layers: 0 })).toThrow("reference workload: layers must be a positive integer, got 0");
    expect(() => referenceConfig("tiny", { heads: 1.5 })).toThrow("reference workload: heads must be a positive integer, got 1.5");
    expect(() => referenceConfig("tiny", { heads: -2 })).toThrow("reference workload: heads must be a positive integer, got -2");
    expect(() => referenceConfig("tiny", { heads: 3 })).toThrow("reference workload: dModel 16 is not divisible by heads 3");
    expect(() => referenceConfig("tiny", { layers: "2" as unknown as number })).toThrow(/reference workload/);
    const before = tf.memory().numTensors;
    expect(() => makeReferenceTask({ ...cfg, layers: 2.5 }, 1)).toThrow("reference workload: layers must be a positive integer, got 2.5");
    expect(() => makeReferenceTask({ ...cfg, heads: 5 }, 1)).toThrow("reference workload: dModel 16 is not divisible by heads 5");
    expect(() => makeReferenceTask({ ...cfg, heads: undefined } as unknown as ReferenceConfig, 1)).toThrow("reference workload: heads must be a positive integer, got undefined");
    expect(() => makeReferenceTask({ ...cfg, dModel: 0 }, 1)).toThrow("reference workload: dModel must be a positive integer, got 0");
    expect(() => makeReferenceTask({ ...cfg, lr: Number.NaN }, 1)).toThrow("reference workload: lr must be a positive number, got NaN");
    expect(tf.memory().numTensors).toBe(before);
    expect(() => referenceFlops({ ...cfg, layers: 0 })).toThrow("reference workload: layers must be a positive integer, got 0");
    expect(() => referenceFlops({ ...cfg, heads: 32 })).toThrow("reference workload: dModel 16 is not divisible by heads 32");
  });
});
