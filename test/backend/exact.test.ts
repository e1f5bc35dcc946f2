import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { castSharedConfig, meanGradientRewritten, sliceHeapConfig, registerExactRewrites, unregisterExactRewrites } from "../../lib/backend/kernels/exact";
import { registerTunedKernels, tunedKernelsReport } from "../../lib/backend/kernels/register";
import { Rng } from "../../lib/core/rng";
import { disposeEditor, editorTunable, stage2Loss } from "../../lib/models/editor/model";
import { disposeBatch, perturbZeroInit, stage2Batch, tinyEditor } from "../models/editor/helpers";

beforeAll(async () => {
  await initBackend({ force: "wasm" });
  registerTunedKernels({ route: "wasm" });
});
afterAll(() => registerExactRewrites());

/** Runs `fn` without and with the exact rewrites (the tuned kernels stay in both). */
function both<T>(fn: () => T): [T, T] {
  unregisterExactRewrites();
  try {
    const stock = fn();
    registerExactRewrites();
    return [stock, fn()];
  } finally {
    registerExactRewrites();
  }
}

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

describe("exact rewrites (lib/backend/kernels/exact.ts)", () => {
  it("are registered with the tuned kernels and removed for the comparison", () => {
    expect(tunedKernelsReport().kernels).toEqual(expect.arrayContaining(["Cast", "Slice"]));
    expect([tf.getKernel("Cast", "wasm"), tf.getKernel("Slice", "wasm")]).toEqual([castSharedConfig, sliceHeapConfig]);
    expect(meanGradientRewritten()).toBe(true);
    unregisterExactRewrites();
    expect(meanGradientRewritten()).toBe(false);
    registerExactRewrites();
    expect(meanGradientRewritten()).toBe(true);
  });

  it("Cast to the same dtype shares the data and survives its source; a real conversion converts; no leaks", () => {
    const n0 = tf.memory().numTensors;
    const a = tf.tensor1d([1.5, -2, 3]);
    const b = tf.cast(a, "float32");
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1.5, -2, 3]);
    const c = tf.cast(b, "int32");
    expect([c.dtype, ...Array.from(c.dataSync())]).toEqual(["int32", 1, -2, 3]);
    tf.dispose([b, c]);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it("Slice and SplitV copy what the stock kernel copies, at every rank, contiguous or not, float32 and int32", () => {
    const rng = new Rng(5);
    const cases: [number[], number[], number[]][] = [
      [[7], [2], [4]],
      [[6, 5], [1, 0], [3, 5]], // contiguous rows
      [[6, 5], [1, 2], [4, 2]],
      [[3, 4, 5], [1, 1, 1], [2, -1, 3]],
      [[2, 3, 4, 5], [0, 1, 2, 1], [2, 2, 2, 4]],
      [[2, 2, 3, 2, 4], [1, 0, 1, 1, 1], [1, 2, 2, 1, 3]], // rank 5: the stock kernel's generic path
      [[4, 3], [2, 1], [0, 2]], // empty
    ];
    for (const [shape, begin, size] of cases) {
      const n = shape.reduce((a, d) => a * d, 1);
      for (const dtype of ["float32", "int32"] as const) {
        const vals = dtype === "float32" ? rng.normalArray(n) : Array.from({ length: n }, (_, i) => i * 7 - 50);
        const [stock, ours] = both(() =>
          tf.tidy(() => {
            const y = tf.slice(tf.tensor(vals, shape, dtype), begin, size);
            return [y.shape.join("x"), ...Array.from(y.dataSync())];
          }),
        );
        expect(ours, `${dtype} ${shape} ${begin} ${size}`).toEqual(stock);
      }
    }
    const x = tf.tensor3d(rng.normalArray(2 * 3 * 12), [2, 3, 12]);
    const [stock, ours] = both(() => tf.tidy(() => tf.split(x, [4, 4, 4], -1).map((t) => bits(t))));
    expect(ours).toEqual(stock);
    x.dispose();
  });

  it("Mean's gradient is tfjs' own bit for bit, over every axis pattern, with and without keepDims", () => {
    const rng = new Rng(3);
    const shape = [3, 5, 7];
    const x = tf.tensor3d(rng.normalArray(105), shape as [number, number, number]);
    const w = tf.tensor(rng.normalArray(105), shape);
    for (const axis of [0, 1, 2, -1, [0, 1], [1, 2], [0, 2], [0, 1, 2]]) {
      for (const keepDims of [false, true]) {
        const [stock, ours] = both(() => tf.tidy(() => bits(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.square(tf.mean(tf.mul(t, w), axis, keepDims)), 1.7)))(x))));
        expect(ours, `axis ${JSON.stringify(axis)} keepDims ${keepDims}`).toEqual(stock);
      }
    }
    tf.dispose([x, w]);
  });

  it("leave a tiny editor's Stage II loss and every gradient of the full-tuning varList bit for bit as they were, and leak nothing", () => {
    const run = () => {
      const e = tinyEditor(1);
      perturbZeroInit(e);
      const b = stage2Batch(e, 3);
      const vars = editorTunable(e, "full");
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => stage2Loss(e, b).loss), vars);
      // the variables of two editors have different names: compare the gradients in varList order
      const out = { loss: bits(value), grads: Object.fromEntries(vars.map((v, i) => [`${i}`, bits(grads[v.name])])) };
      tf.dispose([value, grads]);
      disposeBatch(b);
      disposeEditor(e);
      return out;
    };
    const n0 = tf.memory().numTensors;
    const [stock, ours] = both(run);
    expect(tf.memory().numTensors).toBe(n0);
    expect(Object.keys(ours.grads).length).toBeGreaterThan(20);
    expect(ours.loss).toEqual(stock.loss);
    for (const k of Object.keys(stock.grads)) expect(ours.grads[k], k).toEqual(stock.grads[k]);
  });
});
