import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { resolveConfig } from "../../lib/core/profile";
import { Rng } from "../../lib/core/rng";
import { compareMapsToBase } from "../../lib/theory/attention-ranking";
import { matMul2d } from "../../lib/theory/gpt-matmul";
import { allVariables, createGpt, createLora, createPrefix, disposeAdapters, disposeGpt, forwardTokens, LORA_TARGETS } from "../../lib/theory/gpt-model";
import { adaptMethod, runSortExperiment, SORT_PRESETS, sortAttentionMaps, sortGptConfig, summariseSort, trainSort } from "../../lib/theory/sort-experiment";
import { SEP, sortAccuracy, sortBatch } from "../../lib/theory/sort-task";

const tiny = resolveConfig(SORT_PRESETS, "sort", "tiny");

beforeAll(async () => {
  await initBackend();
});

describe("sort task", () => {
  it("builds x SEP sorted(x) and its targets", () => {
    const b = sortBatch(new Rng(1), 3, 4, "descending");
    for (let i = 0; i < 3; i++) {
      const x = Array.from(b.input.slice(i * 8, i * 8 + 4));
      const y = Array.from(b.target.slice(i * 4, i * 4 + 4));
      expect(b.input[i * 8 + 4]).toBe(SEP);
      expect(y).toEqual(x.slice().sort((a, c) => c - a));
      expect(Array.from(b.input.slice(i * 8 + 5, i * 8 + 8))).toEqual(y.slice(0, 3));
    }
  });
  it("accuracy: exact sequence and per token", () => {
    expect(sortAccuracy([1, 2, 3, 4], [1, 2, 3, 5], 2)).toEqual({ sequence: 0.5, token: 0.75 });
  });
  it("rejects bad input", () => {
    expect(() => sortBatch(new Rng(1), 2, 4, "sideways" as never)).toThrow("sortBatch: order must be 'ascending' or 'descending', got 'sideways'");
    expect(() => sortBatch(new Rng(1), 2, 1, "ascending")).toThrow("sortBatch: need at least 2 digits to sort, got n = 1");
  });
});

describe("matMul2d", () => {
  it("has the same values and gradients as tf.matMul", () => {
    tf.tidy(() => {
      const r = new Rng(2);
      const a = tf.tensor2d(r.normalArray(12), [3, 4]);
      const b = tf.tensor2d(r.normalArray(20), [4, 5]);
      const f1 = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D)));
      const f2 = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)));
      const g1 = tf.grads(f1)([a, b]);
      const g2 = tf.grads(f2)([a, b]);
      for (let i = 0; i < 2; i++) Array.from(g1[i].dataSync()).forEach((v, k) => expect(v).toBeCloseTo(g2[i].dataSync()[k], 4));
    });
    expect(() => matMul2d(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D)).toThrow("matMul2d: need [m, k] @ [k, n], got [2,3] @ [2,3]");
  });
});

describe("tiny GPT", () => {
  it("config errors say what to fix", () => {
    expect(() => createGpt({ ...sortGptConfig(tiny), d: 15 }, new Rng(1))).toThrow("createGpt: d (15) must be divisible by heads (2)");
    expect(() => createGpt({ ...sortGptConfig(tiny), layers: 0 }, new Rng(1))).toThrow("createGpt: config.layers must be a positive integer, got 0");
  });
  it("training a few steps lowers the loss and leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const m = createGpt(sortGptConfig(tiny), new Rng(3));
    const losses = await trainSort(m, {}, allVariables(m), "ascending", 12, 1e-2, 32, new Rng(4), "test", true);
    expect(losses.length).toBe(12);
    expect(losses[11]).toBeLessThan(losses[0]);
    disposeGpt(m);
    expect(tf.memory().numTensors).toBe(before);
  });
  it("LoRA starts exactly at the base model (B = 0)", () => {
    const m = createGpt(sortGptConfig(tiny), new Rng(5));
    const lora = createLora(m, 2, LORA_TARGETS, new Rng(6));
    const [a, b] = tf.tidy(() => {
      const x = tf.tensor2d(sortBatch(new Rng(7), 4, tiny.n, "ascending").input, [4, 2 * tiny.n], "int32");
      return [forwardTokens(m, x).logits.dataSync(), forwardTokens(m, x, { lora }).logits.dataSync()];
    });
    expect(Array.from(b)).toEqual(Array.from(a));
    disposeAdapters({ lora });
    disposeGpt(m);
  });
  it("prefix in a causal GPT: layer 1 attention over the input = base x one scalar per row (Eq. 7, Petrov et al.)", () => {
    const m = createGpt({ ...sortGptConfig(tiny), layers: 2, qkStd: 0.5 }, new Rng(8));
    const prefix = createPrefix(m, 3, new Rng(9), 1);
    const ex = sortBatch(new Rng(10), 1, tiny.n, "ascending").input;
    const base = sortAttentionMaps(m, {}, ex);
    const pre = sortAttentionMaps(m, { prefix }, ex);
    expect(pre.extra).toEqual([3, 3]);
    const cmp = compareMapsToBase(base.maps, pre.maps, pre.extra);
    expect(cmp[0].maxRelDiff).toBeLessThan(1e-4);
    expect(cmp[0].meanTV).toBeLessThan(1e-5);
    expect(cmp[0].shift.orderKept).toBe(1);
    expect(cmp[0].meanScale).toBeLessThan(1);
    disposeAdapters({ prefix });
    disposeGpt(m);
  });
  it("unknown method is an error", () => {
    const m = createGpt(sortGptConfig(tiny), new Rng(1));
    expect(() => adaptMethod(m, "bitfit" as never, tiny, new Rng(1))).toThrow("adaptMethod: unknown method 'bitfit'; known: prefix, prompt, attention, lora, full");
    disposeGpt(m);
  });
});

describe("sort experiment (tiny)", () => {
  it("runs every method, summarises, and leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const r = await runSortExperiment(tiny, { silent: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.seeds[0].methods.map((m) => m.method)).toEqual(["prefix", "prompt", "attention", "lora", "full"]);
    const s = summariseSort(r);
    expect(s.length).toBe(5);
    for (const row of s) {
      expect(row.mean).toBeGreaterThanOrEqual(0);
      expect(row.mean).toBeLessThanOrEqual(1);
    }
    expect(s.find((x) => x.method === "prefix")!.params).toBe(tiny.nSoft * tiny.d * tiny.layers);
    expect(Object.keys(r.attention!.methods)).toEqual(["prefix", "prompt", "attention", "lora", "full"]);
    expect(r.attention!.base.maps.length).toBe(tiny.layers);
  });
});
