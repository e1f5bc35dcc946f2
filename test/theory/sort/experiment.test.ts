import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend/select";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { compareMapsToBase } from "../../../lib/theory/attention/ranking";
import { createGpt, createPrefix, createPrefixKV, disposeAdapters, disposeGpt, gptTunable } from "../../../lib/models/gpt";
import { tuningVarList } from "../../../lib/nn/tuning";
import { checkSortConfig, evaluateSort, runSortExperiment, SORT_PRESETS, sortAttentionMaps, sortGptConfig, summariseSort, trainSort } from "../../../lib/theory/sort/experiment";
import { adaptMethod, disposeAdapted } from "../../../lib/theory/sort/methods";
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
  it("standard prefix keys/values: layer 1 keeps the identity too; the keys/values enter unprojected, so they differ from the LN variant", () => {
    const m = createGpt({ ...sortGptConfig(tiny), layers: 2, qkStd: 0.5 }, new Rng(8));
    const kv = createPrefixKV(m, 3, new Rng(9), 1);
    const hid = createPrefix(m, 3, new Rng(9), 1);
    const ex = sortBatch(new Rng(10), 1, tiny.n, "ascending").input;
    const base = sortAttentionMaps(m, {}, ex);
    const withKV = sortAttentionMaps(m, { prefixKV: kv }, ex);
    const withLN = sortAttentionMaps(m, { prefix: hid }, ex);
    expect(withKV.extra).toEqual([3, 3]);
    const cmp = compareMapsToBase(base.maps, withKV.maps, withKV.extra);
    expect(cmp[0].maxRelDiff).toBeLessThan(1e-4);
    expect(cmp[0].meanScale).toBeLessThan(1);
    // the prefix columns of layer 1 are not those of the LN variant (different parametrisation)
    const col = (x: { maps: number[][][][] }) => x.maps[0][0].map((row) => row[0]);
    expect(col(withKV)).not.toEqual(col(withLN));
    disposeAdapters({ prefixKV: kv, prefix: hid });
    disposeGpt(m);
  });
  it("unknown method is an error", () => {
    const m = createGpt(sortGptConfig(tiny), new Rng(1));
    expect(() => adaptMethod(m, "bitfit" as never, tiny, new Rng(1))).toThrow("adaptMethod: unknown method 'bitfit'; known: prefix, prefix-ln, prompt, attention, lora, full");
    disposeGpt(m);
  });
});

describe("prefix and prompt training lower the loss", () => {
  // A pretrained base (ascending) adapted to descending: the loss starts far above ln 11 (the
  // base is confidently wrong), and soft tokens at a sweep rate must bring it down. The held-out
  // loss is measured on the same fresh sequences before and after.
  it.each(["prefix", "prefix-ln", "prompt"] as const)("%s: 60 steps lower the held-out loss by at least 10%%", async (method) => {
    const cfg = { ...tiny, n: 3, d: 16, layers: 1, heads: 2, ff: 32 };
    const base = createGpt(sortGptConfig(cfg), new Rng(31));
    await trainSort(base, {}, tuningVarList("full", gptTunable(base)), "ascending", 150, 1e-2, 32, new Rng(32), "pre", true);
    const before = evaluateSort(base, {}, "descending", 200, new Rng(33)).loss;
    const ad = adaptMethod(base, method, { nSoft: 4, loraRank: 2, softStd: 1 }, new Rng(34));
    const losses = await trainSort(ad.model, ad.adapters, ad.vars, "descending", 60, 0.1, 32, new Rng(35), method, true);
    const after = evaluateSort(ad.model, ad.adapters, "descending", 200, new Rng(33)).loss;
    expect(before).toBeGreaterThan(Math.log(11)); // the ascending model is confidently wrong on descending
    expect(after).toBeLessThan(0.9 * before); // measured: prefix 0.31, prefix-ln 0.85, prompt 0.83 of the base's loss
    expect(losses[59]).toBeLessThan(losses[0]);
    disposeAdapted(ad);
    disposeGpt(base);
  });
});

describe("sort experiment config", () => {
  it("unequal sweep sizes, unknown methods and empty sizes are errors", () => {
    expect(() => checkSortConfig({ ...tiny, lrs: { soft: [1e-2, 3e-2], weights: [1e-3], lora: [1e-2, 3e-2] } })).toThrow(
      "sort experiment: every learning-rate family needs the same number of rates (equal budget), got soft 2, weights 1, lora 2",
    );
    expect(() => checkSortConfig({ ...tiny, methods: ["prefix", "bitfit"] })).toThrow("unknown sort method 'bitfit'; known: prefix, prefix-ln, prompt, attention, lora, full");
    expect(() => checkSortConfig({ ...tiny, valSize: 0 })).toThrow("sort experiment: valSize must be a positive integer, got 0");
    expect(checkSortConfig({ ...tiny, methods: ["full", "prefix"] })).toEqual(["prefix", "full"]);
  });
});

describe("sort experiment (tiny)", () => {
  it("runs every method and rate, picks the lowest validation loss, summarises, and leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const r = await runSortExperiment(tiny, { silent: true });
    expect(tf.memory().numTensors).toBe(before);
    const seed = r.seeds[0];
    expect(seed.methods.map((m) => m.method)).toEqual(["prefix", "prefix-ln", "prompt", "attention", "lora", "full"]);
    const s = summariseSort(r);
    // trainable parameters per method, from the tiny config (d 16, ff 32, 1 layer, vocab 11, maxLen 6, 2 soft tokens, LoRA rank 2)
    const { d, ff, layers, nSoft, loraRank } = tiny;
    const block = 4 * d * d + 2 * 2 * d + d * ff + ff + ff * d + d; // attention (no biases), 2 layer norms, MLP
    const expected = {
      prefix: 2 * nSoft * d * layers, // keys and values
      "prefix-ln": nSoft * d * layers,
      prompt: nSoft * d,
      attention: 4 * d * d * layers,
      lora: layers * (4 * loraRank * (d + d) + loraRank * (d + ff) + loraRank * (ff + d)),
      full: 11 * d + 2 * tiny.n * d + layers * block + 2 * d + d * 11,
    };
    expect(Object.fromEntries(s.map((x) => [x.method, x.params]))).toEqual(expected);
    for (const m of seed.methods) {
      // the same budget: every family's rates, each run the same number of steps
      const family = m.method === "lora" ? tiny.lrs.lora : m.method === "attention" || m.method === "full" ? tiny.lrs.weights : tiny.lrs.soft;
      expect(m.sweep.map((x) => x.lr)).toEqual(family);
      for (const run of m.sweep) expect(run.losses.length).toBe(tiny.adaptSteps);
      // the chosen rate has the lowest validation loss, and its curve and convergence are the reported ones
      const best = m.sweep.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
      expect(m.lr).toBe(best.lr);
      expect(m.valLoss).toBe(best.valLoss);
      expect(seed.curves[m.method]).toBe(best.losses);
      expect(m.finalLoss).toBe(best.convergence.last);
      expect(m.converged).toBe(best.convergence.converged);
      expect(s.find((x) => x.method === m.method)!.mean).toBe(m.sequence);
    }
    // one seed: the standard error is the binomial one of the test set
    const full = s.find((x) => x.method === "full")!;
    expect(full.se).toBeCloseTo(Math.sqrt((full.mean * (1 - full.mean)) / tiny.evalSize), 12);
    expect(Object.keys(r.attention!.methods)).toEqual(["prefix", "prefix-ln", "prompt", "attention", "lora", "full"]);
    expect(r.attention!.base.maps.length).toBe(tiny.layers);
  });
});

describe("sort experiment cache (a killed run resumes by seed)", () => {
  it("a finished seed is read back equal to the computed one; another config or a stale version is not served; a corrupt file is named", async () => {
    const fs = await import("fs");
    const os = await import("os");
    const path = await import("path");
    const { sortSeedCacheFile } = await import("../../../lib/theory/sort/experiment");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sort-cache-"));
    const cfg = { ...tiny, seeds: [1, 2] };
    const first = await runSortExperiment(cfg, { silent: true, cacheDir: dir });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".json")).length).toBe(2);
    // the second run reads both seeds back: the same numbers
    const again = await runSortExperiment(cfg, { silent: true, cacheDir: dir });
    expect(JSON.parse(JSON.stringify(again))).toEqual(JSON.parse(JSON.stringify(first)));
    // seed 2 lost (as if the run was killed during it): seed 1 is read, seed 2 recomputed to the same numbers
    fs.rmSync(sortSeedCacheFile(dir, cfg, 2).file);
    const resumed = await runSortExperiment(cfg, { silent: true, cacheDir: dir });
    expect(JSON.parse(JSON.stringify(resumed.seeds.map((s) => s.methods.map((m) => [m.method, m.lr, m.sequence, m.testLoss]))))).toEqual(JSON.parse(JSON.stringify(first.seeds.map((s) => s.methods.map((m) => [m.method, m.lr, m.sequence, m.testLoss])))));
    // another config has other files
    expect(sortSeedCacheFile(dir, { ...cfg, adaptSteps: cfg.adaptSteps + 1 }, 1).file).not.toBe(sortSeedCacheFile(dir, cfg, 1).file);
    fs.writeFileSync(sortSeedCacheFile(dir, cfg, 1).file, "{ not json");
    await expect(runSortExperiment(cfg, { silent: true, cacheDir: dir })).rejects.toThrow(`sort experiment: the cache file ${sortSeedCacheFile(dir, cfg, 1).file} is not valid JSON`);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
