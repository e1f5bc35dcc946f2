import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { crossBlock, initCrossBlock, type CrossBlockConfig } from "../../lib/nn/cross-block";
import { Ema } from "../../lib/nn/ema";
import { attention } from "../../lib/nn/attention";
import { layerNorm, normalVariable, type Params } from "../../lib/nn/layers";
import { initModulation, modulate, modulationChunks, silu } from "../../lib/nn/modulation";
import { sinusoidalEmbedding, timestepTensor } from "../../lib/nn/timestep";

beforeAll(async () => {
  await initBackend();
});

describe("adaLN modulation and timestep embedding", () => {
  it("silu, modulate and zero-initialised chunks", () => {
    const r = tf.tidy(() => {
      const s = silu(tf.tensor1d([0, 1, -2])).arraySync() as number[];
      const x = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]);
      const m = modulate(x, tf.tensor2d([[10, 20]]), tf.tensor2d([[1, -1]])).arraySync(); // x * (1 + scale) + shift
      const p = initModulation(2, 3, "ada");
      const chunks = modulationChunks(tf.tensor2d([[0.5, -3], [2, 1]]), p, "ada", 3).map((c) => c.arraySync());
      return { s, m, chunks, shapes: [p["ada.w"].shape, p["ada.b"].shape] };
    });
    expect(r.s[0]).toBe(0);
    expect(r.s[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(r.s[2]).toBeCloseTo(-2 / (1 + Math.exp(2)), 6);
    expect(r.m).toEqual([[[12, 20], [16, 20]]]);
    expect(r.shapes).toEqual([[2, 6], [6]]);
    expect(r.chunks).toEqual([[[0, 0], [0, 0]], [[0, 0], [0, 0]], [[0, 0], [0, 0]]]);
  });

  it("sinusoidal embedding: [cos, sin] of t times geometric frequencies", () => {
    const e = tf.tidy(() => sinusoidalEmbedding(tf.tensor1d([0, 3]), 4, 100).arraySync());
    // frequencies 1 and 100^(-1/2) = 0.1
    expect(e[0]).toEqual([1, 1, 0, 0]);
    expect(e[1][0]).toBeCloseTo(Math.cos(3), 5);
    expect(e[1][1]).toBeCloseTo(Math.cos(0.3), 5);
    expect(e[1][2]).toBeCloseTo(Math.sin(3), 5);
    expect(e[1][3]).toBeCloseTo(Math.sin(0.3), 5);
    expect(() => sinusoidalEmbedding(tf.tensor1d([0]), 3)).toThrow("sinusoidalEmbedding: dim must be an even integer >= 2, got 3");
  });

  it("timesteps: integers, reals or a tensor, one per item", () => {
    const a = tf.tidy(() => timestepTensor(new Int32Array([1, 999]), 2).arraySync());
    expect(a).toEqual([1, 999]);
    expect(() => timestepTensor([1, 2, 3], 2, "denoiser")).toThrow("denoiser: got 3 timesteps for a batch of 2; give one timestep per item");
    expect(() => timestepTensor([1, NaN], 2)).toThrow("timesteps: timestep 1 is NaN; timesteps must be finite numbers");
  });
});

describe("cross-attention block", () => {
  const cfg: CrossBlockConfig = { dModel: 8, nHeads: 2, dFF: 16, modulated: true };

  it("shapes, attention read-out, and a modulated block with gates 0 is identity plus cross-attention", () => {
    const rng = new Rng(3);
    const p = initCrossBlock(rng, cfg, "b");
    expect(Object.keys(p).filter((k) => k.startsWith("b.ada"))).toEqual(["b.ada.w", "b.ada.b"]);
    const r = tf.tidy(() => {
      const x = tf.tensor3d(rng.fork("x").normalArray(2 * 5 * 8), [2, 5, 8]);
      const ctx = tf.tensor3d(rng.fork("c").normalArray(2 * 3 * 8), [2, 3, 8]);
      const c = tf.tensor2d(rng.fork("t").normalArray(2 * 8), [2, 8]);
      const shapes: number[][] = [];
      const y = crossBlock(x, ctx, p, "b", cfg, { cond: c, onSelf: (a) => shapes.push(a.shape), onCross: (a) => shapes.push(a.shape) });
      // with zero gates the self-attention and MLP branches vanish: y = x + CrossAttn(LN2(x))
      const expected = tf.add(x, attention(layerNorm(x, p, "b.ln2") as tf.Tensor3D, p, "b.cross", { dModel: 8, nHeads: 2, causal: false }, { context: ctx }));
      return { shape: y.shape, shapes, diff: tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0] };
    });
    expect(r.shape).toEqual([2, 5, 8]);
    expect(r.shapes).toEqual([[2, 2, 5, 5], [2, 2, 5, 3]]);
    expect(r.diff).toBeLessThan(1e-6);
    expect(() => tf.tidy(() => crossBlock(tf.zeros([1, 2, 8]), tf.zeros([1, 2, 8]), p, "b", cfg))).toThrow("crossBlock 'b': a modulated block needs the conditioning vector (cond)");
    expect(() => tf.tidy(() => crossBlock(tf.zeros([1, 2, 8]), tf.zeros([1, 2, 4]), p, "b", cfg, { cond: tf.zeros([1, 8]) }))).toThrow("crossBlock 'b': context width 4 differs from dModel 8");
    tf.dispose(Object.values(p));
  });
});

describe("EMA of weights", () => {
  it("shadow = decay * shadow + (1 - decay) * weight; withAverages swaps and restores; no leaks", () => {
    const n0 = tf.memory().numTensors;
    const p: Params = { w: normalVariable(new Rng(1), [2], 1) };
    const w0 = Array.from(p.w.dataSync());
    const ema = new Ema(p, 0.9);
    tf.tidy(() => p.w.assign(tf.tensor1d([1, 1])));
    ema.update();
    const expected = w0.map((v) => 0.9 * v + 0.1);
    Array.from(ema.shadow.w.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    const inside = ema.withAverages(() => Array.from(p.w.dataSync()));
    inside.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(Array.from(p.w.dataSync())).toEqual([1, 1]);
    expect(ema.steps).toBe(1);
    expect(() => new Ema(p, 1)).toThrow("Ema: decay must be in [0, 1), got 1");
    ema.dispose();
    p.w.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it("withAveragesAsync swaps for the whole asynchronous call, restores after it (also on a throw), and leaks nothing", async () => {
    const n0 = tf.memory().numTensors;
    const p: Params = { w: tf.tidy(() => tf.variable(tf.tensor1d([0, 0]))) };
    const ema = new Ema(p, 0.5);
    tf.tidy(() => p.w.assign(tf.tensor1d([2, 4])));
    ema.update(); // shadow = [1, 2]
    const inside = await ema.withAveragesAsync(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return Array.from(p.w.dataSync());
    });
    expect(inside).toEqual([1, 2]);
    expect(Array.from(p.w.dataSync())).toEqual([2, 4]);
    await expect(ema.withAveragesAsync(async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(Array.from(p.w.dataSync())).toEqual([2, 4]);
    ema.copyToParams();
    expect(Array.from(p.w.dataSync())).toEqual([1, 2]);
    ema.dispose();
    p.w.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });
});
