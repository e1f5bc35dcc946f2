import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { registerTunedKernels, tunedKernelsReport, unregisterTunedKernels } from "../../lib/backend/kernels/register";
import { setMatmulRoute } from "../../lib/backend/kernels/batch-matmul";
import { collapseTranspose } from "../../lib/backend/kernels/transpose";
import { compareWithCpu, randInput, routes, type Input } from "../train/helpers";

const TOL = 1e-5;

afterAll(() => unregisterTunedKernels());

// [aShape, bShape] before transposes; transposes are applied by swapping the last two dims of the input.
// Gradients are compared where the batch dims are equal: tfjs-core's own BatchMatMul gradient does not
// reduce broadcast batch dims (it throws on every backend), so broadcasting cases compare values; the
// backward pass only ever calls BatchMatMul with transposes, which the value checks cover. The cpu
// reference of a broadcasting case broadcasts explicitly first (tfjs' own kernels compute only
// max(batchA, batchB) products, wrong when both sides broadcast, e.g. [2,1] x [3]).
const MATMUL_SHAPES: [number[], number[], boolean][] = [
  [[5, 7], [7, 3], true],
  [[1, 1], [1, 1], true],
  [[13, 1], [1, 9], true],
  [[3, 5, 7], [3, 7, 4], true],
  [[2, 64, 40], [2, 40, 64], true],
  [[2, 3, 17, 33], [2, 3, 33, 19], true], // odd sizes, two batch dims
  [[4, 5, 7], [7, 6], false], // B shared: batch folded into rows
  [[5, 7], [2, 7, 6], false], // A shared
  [[2, 1, 5, 7], [3, 7, 4], false], // broadcasting batches -> [2, 3, 5, 4]
  [[1, 3, 17, 33], [2, 1, 33, 19], false], // odd sizes, broadcasting on both sides
];

function broadcastOuter(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const pa = [...new Array(r - a.length).fill(1), ...a];
  const pb = [...new Array(r - b.length).fill(1), ...b];
  return pa.map((d, i) => Math.max(d, pb[i]));
}

function swapLast(shape: number[]): number[] {
  const s = shape.slice();
  [s[s.length - 2], s[s.length - 1]] = [s[s.length - 1], s[s.length - 2]];
  return s;
}

describe("tuned BatchMatMul vs the cpu backend", () => {
  for (const route of routes()) {
    it(`route ${route}: values and gradients within ${TOL} relative, all transposes, batches and broadcasting`, async () => {
      let seed = 1;
      for (const [as, bs, withGrads] of MATMUL_SHAPES) {
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const a = randInput(seed++, tA ? swapLast(as) : as);
            const b = randInput(seed++, tB ? swapLast(bs) : bs);
            const ref = ([x, y]: tf.Tensor[]): tf.Tensor => {
              const outer = broadcastOuter(x.shape.slice(0, -2), y.shape.slice(0, -2));
              return tf.matMul(tf.broadcastTo(x, [...outer, ...x.shape.slice(-2)]), tf.broadcastTo(y, [...outer, ...y.shape.slice(-2)]), tA, tB);
            };
            const err = await compareWithCpu(([x, y]) => tf.matMul(x, y, tA, tB), [a, b], withGrads ? [0, 1] : [], route, ref);
            expect(err, `${route} ${as} x ${bs} tA=${tA} tB=${tB}`).toBeLessThan(TOL);
          }
        }
      }
    });
  }

  it("a shape mismatch fails with the stock message", async () => {
    await initBackend({ force: "wasm" });
    registerTunedKernels({ route: "wasm" });
    expect(() => tf.tidy(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 5])))).toThrow(
      "Error in matMul: inner shapes (3) and (4) of Tensors with shapes 2,3 and 4,5 and transposeA=false and transposeB=false must match.",
    );
  });

  it("an unavailable native route is a clear error", async () => {
    const prev = process.env.SPATIALEDIT_NATIVE_BLAS;
    process.env.SPATIALEDIT_NATIVE_BLAS = "0";
    try {
      expect(() => setMatmulRoute("native")).toThrow(
        "the native BLAS route is not available: run 'npm run setup' (builds native/blas) or use route 'wasm'",
      );
    } finally {
      if (prev === undefined) delete process.env.SPATIALEDIT_NATIVE_BLAS;
      else process.env.SPATIALEDIT_NATIVE_BLAS = prev;
    }
  });
});

describe("tuned Sum and Identity vs the cpu backend", () => {
  for (const route of routes()) {
    it(`route ${route}: sums over leading, trailing and middle axes, with gradients through broadcasting`, async () => {
      const x = randInput(7, [6, 5, 4]);
      for (const axis of [0, [0, 1], 2, [1, 2], 1, [0, 2], [0, 1, 2], -1]) {
        for (const keepDims of [false, true]) {
          const err = await compareWithCpu(([t]) => tf.sum(t, axis, keepDims), [x], [0], route);
          expect(err, `axis ${JSON.stringify(axis)} keepDims ${keepDims}`).toBeLessThan(TOL);
        }
      }
      // bias-style broadcast: the gradient of b is a Sum over the leading axes
      const b = randInput(8, [4]);
      const err = await compareWithCpu(([t, bb]) => tf.square(tf.add(t, bb)), [x, b], [0, 1], route);
      expect(err).toBeLessThan(TOL);
      // LayerNorm-style: mean and variance over the last axis, broadcast back
      const err2 = await compareWithCpu(
        ([t]) => {
          const { mean, variance } = tf.moments(t, -1, true);
          return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-5)));
        },
        [x],
        [0],
        route,
      );
      expect(err2).toBeLessThan(TOL);
    });
  }

  it("a clone survives disposing its source (Identity shares data with a reference count)", async () => {
    await initBackend({ force: "wasm" });
    registerTunedKernels({ route: "wasm" });
    const a = tf.tensor1d([1, 2, 3]);
    const b = a.clone();
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
  });
});

describe("tuned Transpose vs the cpu backend", () => {
  it("merges axes that stay neighbours", () => {
    expect(collapseTranspose([2, 3, 4, 5], [0, 2, 3, 1])).toEqual({ shape: [2, 3, 20], perm: [0, 2, 1] });
    expect(collapseTranspose([2, 1, 4], [1, 0, 2])).toEqual({ shape: [8], perm: [0] });
    expect(collapseTranspose([4, 6], [1, 0])).toEqual({ shape: [4, 6], perm: [1, 0] });
    expect(collapseTranspose([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });

  for (const route of routes()) {
    it(`route ${route}: 2-D, batched, multi-head, rank-6 and size-1 permutations, float32 values and gradients, int32 bit-exact`, async () => {
      const cases: [number[], number[]][] = [
        [[37, 19], [1, 0]],
        [[3, 5, 7], [0, 2, 1]],
        [[2, 5, 3, 4], [0, 2, 1, 3]],
        [[2, 3, 4, 5], [3, 1, 0, 2]],
        [[4, 2, 3, 2, 3, 2], [0, 1, 3, 2, 4, 5]],
        [[3, 1, 5], [2, 1, 0]],
        [[1, 6], [1, 0]],
      ];
      let seed = 40;
      for (const [shape, perm] of cases) {
        const err = await compareWithCpu(([t]) => tf.transpose(t, perm), [randInput(seed++, shape)], [0], route);
        expect(err, `${shape} ${perm}`).toBe(0);
      }
      await initBackend({ force: "wasm" });
      registerTunedKernels({ route });
      const ints = tf.tensor3d(Int32Array.from({ length: 24 }, (_, i) => i * 1000003 - 7), [2, 3, 4], "int32");
      const t = tf.transpose(ints, [2, 0, 1]);
      expect(t.dtype).toBe("int32");
      const want: number[] = [];
      for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push((i * 12 + j * 4 + k) * 1000003 - 7);
      expect(Array.from(t.dataSync())).toEqual(want);
      tf.dispose([ints, t]);
    });
  }
});

describe("UnsortedSegmentSum on wasm (missing in the stock backend)", () => {
  it("matches the cpu backend, and embedding lookups by gather now train", async () => {
    const ids = (v: number[], shape: number[]): Input => ({ shape, data: Int32Array.from(v), dtype: "int32" });
    const cases: [Input, Input, number][] = [
      [randInput(1, [6]), ids([0, 2, 2, 4, 0, 1], [6]), 5],
      [randInput(2, [6, 3]), ids([3, 3, 0, 1, 0, 3], [6]), 4],
      [randInput(3, [6, 2, 2]), ids([1, 0, 1, 2, 2, 0], [6]), 3],
    ];
    for (const [x, s, n] of cases) {
      const err = await compareWithCpu(([t, seg]) => tf.unsortedSegmentSum(t, seg as tf.Tensor1D, n), [x, s], [0], "wasm");
      expect(err).toBeLessThan(TOL);
    }
    // the gradient of gather is UnsortedSegmentSum
    const table = randInput(4, [7, 5]);
    const err = await compareWithCpu(([e, i]) => tf.gather(e, i), [table, ids([1, 6, 1, 0, 3, 3, 3], [7])], [0], "wasm");
    expect(err).toBeLessThan(TOL);
    expect(tunedKernelsReport().kernels).toContain("UnsortedSegmentSum");
  });

  it("the stock wasm backend lacks it (why the kernel exists)", async () => {
    await initBackend({ force: "wasm" });
    unregisterTunedKernels();
    expect(() => tf.tidy(() => tf.unsortedSegmentSum(tf.ones([3]), tf.tensor1d([0, 1, 0], "int32"), 2))).toThrow(
      "Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'",
    );
  });
});

describe("tensor memory", () => {
  it("the tuned kernels leak no tensors and no wasm data", async () => {
    await initBackend({ force: "wasm" });
    registerTunedKernels({ route: "wasm" });
    const before = tf.memory().numTensors;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const a = tf.randomNormal([2, 9, 5]);
        const b = tf.randomNormal([2, 9, 4]);
        const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, true, false)))([a, b]);
        tf.sum(g[0]).dataSync();
        tf.unsortedSegmentSum(tf.ones([4, 2]), tf.tensor1d([0, 1, 1, 0], "int32"), 2).dataSync();
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(backend.numDataIds()).toBe(ids);
  });
});
