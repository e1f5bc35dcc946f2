import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { crossBlock, crossStack, initCrossBlock, initCrossStack, type CrossBlockConfig } from "../../lib/nn/cross-block";
import { disposeParams, type Params } from "../../lib/nn/layers";

beforeAll(async () => {
  await initBackend();
});

const cfg: CrossBlockConfig = { dModel: 8, nHeads: 2, dFF: 16, modulated: true };

describe("cross-block stack (the one decoder stack of the edit head and the denoiser)", () => {
  it("is N chained cross blocks with the names and Rng forks of a hand-written loop", () => {
    const byStack = initCrossStack(new Rng(3), cfg, 3, "dec", (l) => `dec${l}`);
    let byHand: Params = {};
    for (let l = 0; l < 3; l++) byHand = { ...byHand, ...initCrossBlock(new Rng(3).fork(`dec${l}`), cfg, `dec.${l}`) };
    expect(Object.keys(byStack)).toEqual(Object.keys(byHand));
    for (const k of Object.keys(byHand)) expect(Array.from(byStack[k].dataSync()), k).toEqual(Array.from(byHand[k].dataSync()));
    // make the adaLN-Zero modulation non-zero, so the conditioning vector matters
    for (const [k, v] of Object.entries(byStack)) if (k.includes(".ada.")) v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.1, "float32", 9)));
    const rng = new Rng(4);
    const x = tf.tensor3d(rng.normalArray(2 * 3 * 8), [2, 3, 8]);
    const ctx = tf.tensor3d(rng.normalArray(2 * 5 * 8), [2, 5, 8]);
    const cond = tf.tensor2d(rng.normalArray(2 * 8), [2, 8]);
    const n0 = tf.memory().numTensors;
    const [got, want, nSelf, nCross] = tf.tidy(() => {
      const r = crossStack(x, ctx, byStack, cfg, 3, "dec", { cond, returnAttention: true });
      let h = x;
      for (let l = 0; l < 3; l++) h = crossBlock(h, ctx, byStack, `dec.${l}`, cfg, { cond });
      expect(r.self.map((a) => a.shape)).toEqual([[2, 2, 3, 3], [2, 2, 3, 3], [2, 2, 3, 3]]);
      expect(r.cross.map((a) => a.shape)).toEqual([[2, 2, 3, 5], [2, 2, 3, 5], [2, 2, 3, 5]]);
      return [Array.from(r.hidden.dataSync()), Array.from(h.dataSync()), r.self.length, r.cross.length];
    });
    expect(got).toEqual(want);
    expect([nSelf, nCross]).toEqual([3, 3]);
    expect(tf.memory().numTensors).toBe(n0);
    expect(tf.tidy(() => crossStack(x, ctx, byStack, cfg, 3, "dec", { cond }).self.length)).toBe(0);
    expect(() => initCrossStack(new Rng(1), cfg, 0, "dec")).toThrow("cross stack 'dec': nLayers must be a positive integer, got 0");
    tf.dispose([x, ctx, cond]);
    disposeParams(byStack);
    disposeParams(byHand);
  });
});
