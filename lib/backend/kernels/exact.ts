/**
 * Rewrites of work that tfjs does for nothing, each giving the same values bit for bit (a test
 * compares an editor's gradients with and without them), so they can be switched on under a
 * grid whose cached nodes were trained without them:
 *
 * - `Cast` to the dtype a tensor already has: the stock wasm kernel copies the data. LayerNorm's
 *   `tf.moments` casts its float32 input twice, and the gradients of `Multiply` and `Relu` cast a
 *   float32 operand, at every layer and step. Here it shares the data (as the tuned `Identity`
 *   does); a real conversion still goes to the stock kernel.
 * - `Mean`'s gradient: tfjs multiplies dy by a tensor of ones of the input's size, then divides by
 *   the count; it makes the ones in JavaScript (a new array, a fill loop, an upload to the wasm
 *   heap). Here the same product and quotient take their ones from the backend's `Fill` kernel
 *   (one native fill in place). Dividing first and broadcasting with `Tile` would skip the product
 *   but measured 2x slower on the editor step (bench/exact-rewrites).
 * - `Slice` (and `SplitV`, which slices): the stock wasm kernel first copies the whole input out of
 *   the heap (`readSync`), then copies the slice from that copy. Here the slice is copied straight
 *   from the heap, in runs of the innermost axis.
 */
import * as tf from "@tensorflow/tfjs";
import { backend_util, slice_util, util } from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { f32Of, i32Of, type WasmBackendLike } from "../wasm-heap";
import { callStock, swapInKernel, swapOutKernel } from "./stock";
import { identityShared } from "./sum";

export function castShared(args: { inputs: { x: TensorInfo }; backend: unknown; attrs: { dtype: string } }): TensorInfo {
  const { x } = args.inputs;
  if (args.attrs.dtype !== x.dtype || x.dtype === "string") return callStock("Cast", args) as TensorInfo;
  return identityShared(args);
}

export const castSharedConfig: KernelConfig = {
  kernelName: "Cast",
  backendName: "wasm",
  kernelFunc: castShared as unknown as KernelFunc,
};

export const meanGradConfig: GradConfig = {
  kernelName: "Mean",
  inputsToSave: ["x"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const [, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const count = util.sizeFromShape(reduceShape);
    return {
      x: () => {
        const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d)); // dy with the reduced axes kept as 1
        // tfjs' own arithmetic (dy * ones / count); only the ones come from the backend's Fill kernel
        return tf.div(tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.fill(x.shape, 1, "float32")), count);
      },
    };
  },
};

export function sliceHeap(args: { inputs: { x: TensorInfo }; backend: unknown; attrs: { begin: number | number[]; size: number | number[] } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  if (x.dtype !== "float32" && x.dtype !== "int32") return callStock("Slice", args) as TensorInfo;
  const [begin, size] = slice_util.parseSliceParams(x as unknown as tf.Tensor, args.attrs.begin, args.attrs.size);
  const out = backend.makeOutput(size, x.dtype); // may grow the heap: the views are taken after it
  const n = util.sizeFromShape(size);
  if (n === 0) return out;
  const view = (t: TensorInfo, len: number) => (x.dtype === "float32" ? f32Of(backend, t, len) : i32Of(backend, t, len));
  const xs = view(x, util.sizeFromShape(x.shape));
  const o = view(out, n);
  const strides = util.computeStrides(x.shape); // rank - 1 strides: the innermost is 1
  if (slice_util.isSliceContinous(x.shape, begin, size)) {
    const from = slice_util.computeFlatOffset(begin, strides);
    o.set(xs.subarray(from, from + n));
    return out;
  }
  // every index of the outer axes, in row-major order; each one copies a run of the innermost axis
  const rank = x.shape.length;
  const run = size[rank - 1];
  const idx = new Array<number>(rank - 1).fill(0);
  for (let w = 0; w < n; w += run) {
    let from = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) from += (begin[d] + idx[d]) * strides[d];
    o.set(xs.subarray(from, from + run), w);
    for (let d = rank - 2; d >= 0 && ++idx[d] === size[d]; d--) idx[d] = 0;
  }
  return out;
}

export const sliceHeapConfig: KernelConfig = {
  kernelName: "Slice",
  backendName: "wasm",
  kernelFunc: sliceHeap as unknown as KernelFunc,
};

/** The exact rewrites' wasm kernels, registered and restored with the tuned kernels (register.ts). */
export const EXACT_KERNELS: KernelConfig[] = [castSharedConfig, sliceHeapConfig];

let stockMeanGrad: GradConfig | null = null;

/** Puts the Mean gradient above in the registry, keeping tfjs' own for `restoreMeanGradient` (idempotent). */
export function registerMeanGradient(): void {
  if (stockMeanGrad !== null) return;
  stockMeanGrad = tf.getGradient("Mean") ?? null;
  if (stockMeanGrad === null) throw new Error("registerMeanGradient: tfjs has no gradient for 'Mean' to replace");
  tf.registerGradient(meanGradConfig);
}

/** Puts tfjs' own Mean gradient back (idempotent). */
export function restoreMeanGradient(): void {
  if (stockMeanGrad === null) return;
  tf.registerGradient(stockMeanGrad);
  stockMeanGrad = null;
}

/** Whether `registerMeanGradient` is in force. */
export function meanGradientRewritten(): boolean {
  return stockMeanGrad !== null;
}

/** Registers only the exact rewrites (for comparing with and without them; register.ts does it with the rest). */
export function registerExactRewrites(): void {
  for (const k of EXACT_KERNELS) swapInKernel(k);
  registerMeanGradient();
}

/** Removes the exact rewrites, restoring tfjs' own kernels and gradient. */
export function unregisterExactRewrites(): void {
  for (const k of EXACT_KERNELS) swapOutKernel(k);
  restoreMeanGradient();
}
