import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend/select";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { compareMapsToBase } from "../../../lib/theory/attention/ranking";
import { createGpt, createPrefix, disposeAdapters, disposeGpt, gptTunable } from "../../../lib/models/gpt";
import { tuningVarList } from "../../../lib/nn/tuning";
import { adaptMethod, runSortExperiment, SORT_PRESETS, sortAttentionMaps, sortGptConfig, summariseSort, trainSort } from "../../../lib/theory/sort/experiment";
import { SEP, sortAccuracy, sortBatch } from "../../../lib/theory/sort/task";

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

describe("sort GPT", () => {
  it("config errors say what to fix", () => {
    expect(() => createGpt({ ...sortGptConfig(tiny), d: 15 }, new Rng(1))).toThrow("createGpt: d (15) must be divisible by heads (2)");
    expect(() => createGpt({ ...sortGptConfig(tiny), layers: 0 }, new Rng(1))).toThrow("createGpt: config.layers must be a positive integer, got 0");
  });
  it("training a few steps lowers the loss and leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const m = createGpt(sortGptConfig(tiny), new Rng(3));
    const losses = await trainSort(m, {}, tuningVarList("full", gptTunable(m)), "ascending", 12, 1e-2, 32, new Rng(4), "test", true);
    expect(losses.length).toBe(12);
    expect(losses[11]).toBeLessThan(losses[0]);
    disposeGpt(m);
    expect(tf.memory().numTensors).toBe(before);
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
    // trainable parameters per method, from the tiny config (d 16, ff 32, 1 layer, vocab 11, maxLen 6, 2 soft tokens, LoRA rank 2)
    const { d, ff, layers, nSoft, loraRank } = tiny;
    const block = 4 * d * d + 2 * 2 * d + d * ff + ff + ff * d + d; // attention (no biases), 2 layer norms, MLP
    const expected = {
      prefix: nSoft * d * layers,
      prompt: nSoft * d,
      attention: 4 * d * d * layers,
      lora: layers * (4 * loraRank * (d + d) + loraRank * (d + ff) + loraRank * (ff + d)),
      full: 11 * d + 2 * tiny.n * d + layers * block + 2 * d + d * 11,
    };
    expect(Object.fromEntries(s.map((x) => [x.method, x.params]))).toEqual(expected);
    // every curve has one loss per adaptation step, and the summary repeats the per-seed numbers
    for (const m of r.seeds[0].methods) {
      expect(r.seeds[0].curves[m.method].length).toBe(tiny.adaptSteps);
      expect(s.find((x) => x.method === m.method)!.mean).toBe(m.sequence);
    }
    expect(Object.keys(r.attention!.methods)).toEqual(["prefix", "prompt", "attention", "lora", "full"]);
    expect(r.attention!.base.maps.length).toBe(tiny.layers);
  });
});
