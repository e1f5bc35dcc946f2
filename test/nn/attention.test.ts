import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { attention, causalMask, initAttention, type AttentionConfig } from "../../lib/nn/attention";
import { createPrefixTokens } from "../../lib/nn/adapters";
import { initTransformer, transformer } from "../../lib/nn/transformer";

beforeAll(async () => {
  await initBackend();
});

/** Attention written out in float64 loops, for one batch item: x [T][d], W [d][d] row-major (x @ W). */
function reference(x: number[][], W: Record<string, Float32Array>, H: number, causal: boolean, ctx?: number[][]): number[][] {
  const d = x[0].length;
  const hd = d / H;
  const mm = (a: number[][], w: Float32Array) => a.map((r) => Array.from({ length: d }, (_, j) => r.reduce((s, v, i) => s + v * w[i * d + j], 0)));
  const src = ctx ?? x;
  const q = mm(x, W.q);
  const k = mm(src, W.k);
  const v = mm(src, W.v);
  const y = x.map(() => new Array(d).fill(0));
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < x.length; i++) {
      const s = src.map((_, j) => (causal && j > i ? -Infinity : q[i].slice(h * hd, (h + 1) * hd).reduce((a, qv, c) => a + qv * k[j][h * hd + c], 0) / Math.sqrt(hd)));
      const mx = Math.max(...s);
      const e = s.map((z) => Math.exp(z - mx));
      const Z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < src.length; j++) for (let c = 0; c < hd; c++) y[i][h * hd + c] += (e[j] / Z) * v[j][h * hd + c];
    }
  }
  return mm(y, W.o);
}

describe("attention", () => {
  const cfg: AttentionConfig = { dModel: 8, nHeads: 2, causal: true, bias: false };

  it("matches a float64 reference (causal self-attention, 2 heads)", () => {
    const p = initAttention(new Rng(1), cfg, "a");
    const xs = new Rng(2).normalArray(2 * 4 * 8);
    const y = tf.tidy(() => attention(tf.tensor3d(xs, [2, 4, 8]), p, "a", cfg).arraySync());
    const W = Object.fromEntries(["q", "k", "v", "o"].map((n) => [n, p[`a.${n}.w`].dataSync() as Float32Array]));
    for (let b = 0; b < 2; b++) {
      const x = Array.from({ length: 4 }, (_, t) => Array.from(xs.slice((b * 4 + t) * 8, (b * 4 + t + 1) * 8)));
      const want = reference(x, W, 2, true);
      want.forEach((row, t) => row.forEach((v, c) => expect(y[b][t][c]).toBeCloseTo(v, 5)));
    }
    tf.dispose(Object.values(p));
  });

  it("cross-attention reads keys/values from the context", () => {
    const c2 = { ...cfg, causal: false };
    const p = initAttention(new Rng(3), c2, "x");
    const xs = new Rng(4).normalArray(3 * 8);
    const cs = new Rng(5).normalArray(5 * 8);
    const y = tf.tidy(() => attention(tf.tensor3d(xs, [1, 3, 8]), p, "x", c2, { context: tf.tensor3d(cs, [1, 5, 8]) }).arraySync());
    const W = Object.fromEntries(["q", "k", "v", "o"].map((n) => [n, p[`x.${n}.w`].dataSync() as Float32Array]));
    const rows = (a: Float32Array, n: number) => Array.from({ length: n }, (_, t) => Array.from(a.slice(t * 8, (t + 1) * 8)));
    const want = reference(rows(xs, 3), W, 2, false, rows(cs, 5));
    want.forEach((row, t) => row.forEach((v, c) => expect(y[0][t][c]).toBeCloseTo(v, 5)));
    expect(() => tf.tidy(() => attention(tf.zeros([1, 3, 8]) as tf.Tensor3D, p, "x", cfg, { context: tf.zeros([1, 5, 8]) as tf.Tensor3D }))).toThrow(
      "attention 'x': a causal mask needs self-attention (no context)",
    );
    tf.dispose(Object.values(p));
  });

  it("the causal mask with a prefix lets every query see the prefix", () => {
    const m = causalMask(3, 2).arraySync();
    expect(m.map((r) => r.map((v) => (v === 0 ? 1 : 0)))).toEqual([
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1],
    ]);
  });

  it("returns the attention of every layer and head; prefix keys come first and rows sum to 1", () => {
    const tc = { dModel: 8, dFF: 16, nHeads: 2, causal: true, nLayers: 3 };
    const p = initTransformer(new Rng(6), tc, "s");
    const prefix = createPrefixTokens(new Rng(7), 3, 2, 8, 1);
    const n0 = tf.memory().numTensors;
    const { shapes, sums, extra } = tf.tidy(() => {
      const r = transformer(tf.tensor3d(new Rng(8).normalArray(2 * 4 * 8), [2, 4, 8]), p, tc, "s", { prefix: prefix as tf.Tensor2D[] }, { returnAttention: true });
      return { shapes: r.attention.map((a) => a.shape), sums: r.attention.map((a) => tf.sum(a, -1).dataSync()), extra: r.extra };
    });
    expect(tf.memory().numTensors).toBe(n0);
    expect(shapes).toEqual([[2, 2, 4, 6], [2, 2, 4, 6], [2, 2, 4, 6]]);
    expect(extra).toEqual([2, 2, 2]);
    for (const s of sums) for (const v of s) expect(v).toBeCloseTo(1, 5);
    expect(() => tf.tidy(() => transformer(tf.zeros([1, 4, 8]) as tf.Tensor3D, p, tc, "s", { prefix: prefix.slice(0, 2) as tf.Tensor2D[] }).hidden)).toThrow(
      "transformer: prefix has 2 layers, the model has 3",
    );
    tf.dispose([...Object.values(p), ...prefix]);
  });

  it("prefix keys/values (Li & Liang) change attention without touching the weights", () => {
    const c2 = { ...cfg, causal: false };
    const p = initAttention(new Rng(9), c2, "a");
    const x = tf.tensor3d(new Rng(10).normalArray(4 * 8), [1, 4, 8]);
    const kv = { k: tf.tensor2d(new Rng(11).normalArray(2 * 8), [2, 8]), v: tf.tensor2d(new Rng(12).normalArray(2 * 8), [2, 8]) };
    let extra = -1;
    const [a, b] = tf.tidy(() => [attention(x, p, "a", c2).dataSync(), attention(x, p, "a", c2, { prefixKV: kv, onAttention: (_, n) => (extra = n) }).dataSync()]);
    expect(extra).toBe(2);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    tf.dispose([...Object.values(p), x, kv.k, kv.v]);
  });

  it("config errors", () => {
    expect(() => initAttention(new Rng(1), { dModel: 10, nHeads: 3, causal: true }, "a")).toThrow("attention: dModel 10 is not divisible by nHeads 3");
    const p = initAttention(new Rng(1), cfg, "a");
    expect(() => tf.tidy(() => attention(tf.zeros([1, 2, 6]) as tf.Tensor3D, p, "a", cfg))).toThrow("attention 'a': input width 6 differs from dModel 8");
    tf.dispose(Object.values(p));
  });
});
