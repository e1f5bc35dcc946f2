import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { createGpt, createGptLora, createPrefix, createPrefixKV, disposeAdapters, disposeGpt, forwardTokens, gptTunable, TINY_GPT } from "../../lib/models/gpt";
import { layerNorm, linear } from "../../lib/nn/layers";
import { BLOCK_MATRICES } from "../../lib/nn/transformer";
import { tuningVarList } from "../../lib/nn/tuning";

beforeAll(async () => {
  await initBackend();
});

describe("GPT on lib/nn", () => {
  it("config errors say what to fix", () => {
    expect(() => createGpt({ ...TINY_GPT, d: 15 }, new Rng(1))).toThrow("createGpt: d (15) must be divisible by heads (2)");
    expect(() => createGpt({ ...TINY_GPT, layers: 0 }, new Rng(1))).toThrow("createGpt: config.layers must be a positive integer, got 0");
    const m = createGpt(TINY_GPT, new Rng(1));
    expect(() => tf.tidy(() => forwardTokens(m, tf.zeros([1, 7], "int32") as tf.Tensor2D).logits)).toThrow("embedTokens: sequence length 7 exceeds the model's maxLen 6");
    disposeGpt(m);
  });

  it("shapes: logits [B*T, vocab], attention per layer [B, H, T, T]", () => {
    const m = createGpt(TINY_GPT, new Rng(2));
    const r = tf.tidy(() => {
      const out = forwardTokens(m, tf.tensor2d([1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5], [2, 6], "int32"), {}, { returnAttention: true });
      return { logits: out.logits.shape, att: out.attention.map((a) => a.shape) };
    });
    expect(r.logits).toEqual([12, 11]);
    expect(r.att).toEqual([[2, 2, 6, 6], [2, 2, 6, 6]]);
    disposeGpt(m);
  });

  it("LoRA starts exactly at the base model (B = 0)", () => {
    const m = createGpt(TINY_GPT, new Rng(5));
    const lora = createGptLora(m, 2, BLOCK_MATRICES, new Rng(6));
    const [a, b] = tf.tidy(() => {
      const x = tf.tensor2d([1, 2, 3, 10, 1, 2], [1, 6], "int32");
      return [forwardTokens(m, x).logits.dataSync(), forwardTokens(m, x, { lora }).logits.dataSync()];
    });
    expect(Array.from(b)).toEqual(Array.from(a));
    disposeAdapters({ lora });
    disposeGpt(m);
  });

  it("tuning modes see the GPT's names: attention = 4 d^2 per layer, full = every weight", () => {
    const m = createGpt(TINY_GPT, new Rng(7));
    const count = (vs: tf.Variable[]) => vs.reduce((s, v) => s + v.size, 0);
    expect(count(tuningVarList("attention", gptTunable(m)))).toBe(4 * 16 * 16 * 2);
    expect(count(tuningVarList("attention", gptTunable(m), { layers: [1], projections: ["q", "k"] }))).toBe(2 * 16 * 16);
    expect(count(tuningVarList("full", gptTunable(m)))).toBe(Object.values(m.params).reduce((s, v) => s + v.size, 0));
    disposeGpt(m);
  });

  it("standard prefix keys/values: the LN variant is the special case k = LN1(h) W_K, v = LN1(h) W_V", () => {
    const m = createGpt({ ...TINY_GPT, qkStd: 0.3 }, new Rng(9));
    const hidden = createPrefix(m, 3, new Rng(10), 1);
    const x = tf.tensor2d([1, 2, 3, 10, 1, 2, 4, 4, 0, 10, 0, 4], [2, 6], "int32");
    const kv = hidden.map((h, l) => tf.tidy(() => {
      const n = layerNorm(h, m.params, `blocks.${l}.ln1`);
      return { k: tf.variable(linear(n, m.params, `blocks.${l}.attn.k`)), v: tf.variable(linear(n, m.params, `blocks.${l}.attn.v`)) };
    }));
    const [a, b] = tf.tidy(() => [forwardTokens(m, x, { prefix: hidden }).logits.dataSync(), forwardTokens(m, x, { prefixKV: kv }).logits.dataSync()]);
    Array.from(b).forEach((v, i) => expect(v).toBeCloseTo(a[i], 5));
    // the tuning modes see the keys and values as soft tokens: trainable in embedding mode, 2 n d per layer
    const fresh = createPrefixKV(m, 3, new Rng(11));
    const vars = tuningVarList("embedding", gptTunable(m, { prefixKV: fresh }));
    expect(vars.length).toBe(2 * TINY_GPT.layers);
    expect(vars.reduce((s, v) => s + v.size, 0)).toBe(2 * 3 * TINY_GPT.d * TINY_GPT.layers);
    expect(() => createPrefixKV(m, 0, new Rng(1))).toThrow("createPrefixKV: need at least one prefix position, got 0");
    disposeAdapters({ prefix: hidden, prefixKV: fresh });
    tf.dispose([x, ...kv.flatMap((p) => [p.k, p.v])]);
    disposeGpt(m);
  });

  it("leaks no tensors", () => {
    const n0 = tf.memory().numTensors;
    const m = createGpt(TINY_GPT, new Rng(8));
    tf.tidy(() => {
      forwardTokens(m, tf.tensor2d([1, 2, 3, 10, 1, 2], [1, 6], "int32"), {}, { returnAttention: true });
    });
    disposeGpt(m);
    expect(tf.memory().numTensors).toBe(n0);
  });
});
