import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend/select";
import { Rng } from "../../../lib/core/rng";
import { attentionLogits, checkEq7, randomEq7Instance, stableSoftmax, sweepEq7 } from "../../../lib/theory/attention/prefix";

beforeAll(async () => {
  await initBackend();
});

describe("stableSoftmax", () => {
  it("matches the textbook softmax and survives logits of 1e4", () => {
    const s = tf.tidy(() => Array.from(stableSoftmax(tf.tensor2d([[1, 2, 3]])).dataSync()));
    const e = [1, 2, 3].map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    s.forEach((v, i) => expect(v).toBeCloseTo(e[i] / z, 6));
    const big = tf.tidy(() => Array.from(stableSoftmax(tf.tensor2d([[1e4, 1e4 - 1, -1e4]])).dataSync()));
    expect(big.every(Number.isFinite)).toBe(true);
    expect(big[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
  });
  it("rejects a non-positive temperature", () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3]) as tf.Tensor2D;
      const w = tf.zeros([2, 3]) as tf.Tensor2D;
      expect(() => attentionLogits(x, x, w, w, 0)).toThrow("attentionLogits: the inverse temperature tau must be > 0 (Eq. 11), got 0");
    });
  });
});

describe("Eq. 7: A^et_ij = A_ij * sum_{r original} A^et_ir", () => {
  it("holds to 1e-5 relative error on random single-head instances, order kept in every row", () => {
    const rng = new Rng(11);
    for (const [p, nt] of [[5, 3], [12, 1], [8, 8], [3, 20]]) {
      const s = sweepEq7(rng.fork(`${p}-${nt}`), 5, { p, nt, dIn: 16, dk: 8, tau: 1.5 });
      expect(s.maxRelError).toBeLessThan(1e-5);
      expect(s.orderKept).toBe(1);
      expect(s.allFinite).toBe(true);
    }
  });
  it("holds per head for multi-head attention (Appendix E.2)", () => {
    const r = checkEq7(randomEq7Instance(new Rng(3), { p: 7, nt: 4, heads: 4, dIn: 16, dk: 4 }));
    expect(r.A.length).toBe(4);
    expect(r.Aet[0][0].length).toBe(11);
    expect(r.maxRelError).toBeLessThan(1e-5);
    expect(r.orderKept).toBe(1);
  });
  it("edge case n_t = 0: A^et = A and every scale is 1", () => {
    const r = checkEq7(randomEq7Instance(new Rng(4), { p: 6, nt: 0 }));
    expect(r.maxRelError).toBeLessThan(1e-5);
    r.scale[0].forEach((s) => expect(s).toBeCloseTo(1, 5));
    expect(r.orderKept).toBe(1);
  });
  it("edge case one original token: A = [[1]], A^et_i1 = s_i", () => {
    const r = checkEq7(randomEq7Instance(new Rng(5), { p: 1, nt: 5 }));
    expect(r.A[0]).toEqual([[1]]);
    expect(r.maxRelError).toBeLessThan(1e-5);
    expect(r.Aet[0][0][5]).toBeCloseTo(r.scale[0][0], 7);
  });
  it("very large logits (tokens x1000): no overflow, identity and order still hold", () => {
    const r = sweepEq7(new Rng(6), 4, { p: 8, nt: 4, scale: 1000 });
    expect(r.allFinite).toBe(true);
    expect(r.maxRelError).toBeLessThan(1e-5);
    expect(r.orderKept).toBe(1);
  });
  it("logits in the hundreds: the error stays under the float32 rounding bound of the softmax", () => {
    const r = sweepEq7(new Rng(12), 10, { p: 16, nt: 4, scale: 10 });
    expect(r.maxAbsLogit).toBeGreaterThan(100);
    expect(r.maxErrorOverBound).toBeLessThan(1);
    expect(r.orderKeptBeyondRounding).toBe(1);
  });
  it("a prefix that takes almost all attention: scales near 0, identity and order still hold", () => {
    const r = sweepEq7(new Rng(8), 4, { p: 6, nt: 3, scale: 3, prefixScale: 10 });
    expect(r.minScale).toBeLessThan(1e-3);
    expect(r.maxRelError).toBeLessThan(1e-5);
    expect(r.orderKept).toBe(1);
  });
  it("rejects bad instances", () => {
    expect(() => randomEq7Instance(new Rng(1), { p: 0, nt: 1 })).toThrow("randomEq7Instance: need at least one original token (p >= 1), got p = 0");
    expect(() => randomEq7Instance(new Rng(1), { p: 2, nt: -1 })).toThrow("randomEq7Instance: n_t must be an integer >= 0, got -1");
    const inst = randomEq7Instance(new Rng(1), { p: 3, nt: 1 });
    expect(() => checkEq7({ ...inst, p: 4 })).toThrow("checkEq7: array sizes do not match p, n_t, d_in, d_k, heads");
  });
  it("leaks no tensors", () => {
    const before = tf.memory().numTensors;
    sweepEq7(new Rng(9), 3, { p: 4, nt: 2, heads: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
