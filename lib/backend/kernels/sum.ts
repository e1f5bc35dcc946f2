/**
 * A faster `Sum` for the wasm backend. The stock kernel transposes the input whenever the reduced axes
 * are not the innermost ones (bias and LayerNorm gradients reduce the leading axes of [B*T, D]) and
 * then reduces; here leading-axes reductions are column sums and trailing-axes reductions are row sums,
 * both in one pass over the heap, accumulated in float64. Other axis patterns use the stock kernel.
 * Also a copy-free `Identity` (shares the data with a reference count, as the cpu backend does).
 */
import { backend_util, util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { loadNativeBlas } from "../native-blas";
import { f32Of, heapOffset, type WasmBackendLike } from "../wasm-heap";
import { matmulRoute } from "./batch-matmul";
import { callStock } from "./stock";

export function sumTuned(args: { inputs: { x: TensorInfo }; backend: unknown; attrs: { axis: number | number[]; keepDims: boolean } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const size = util.sizeFromShape(x.shape);
  const leading = axes.every((a, i) => a === i);
  const trailing = axes.every((a, i) => a === rank - axes.length + i);
  if (x.dtype !== "float32" || size === 0 || axes.length === 0 || (!leading && !trailing)) return callStock("Sum", args) as TensorInfo;
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const out = backend.makeOutput(outShape, "float32");
  const outSize = util.sizeFromShape(outShape);
  const blas = matmulRoute() === "native" ? loadNativeBlas() : null;
  if (blas !== null) {
    // [outer, inner] with the reduced block leading (column sums) or trailing (row sums)
    const outer = trailing ? outSize : size / outSize;
    blas.sumAxes(backend.wasm.HEAPU8.buffer, heapOffset(backend, x), outer, size / outer, heapOffset(backend, out), !trailing);
    return keepDims ? { dataId: out.dataId, dtype: out.dtype, shape: backend_util.expandShapeToKeepDim(outShape, axes) } : out;
  }
  const xs = f32Of(backend, x, size);
  const o = f32Of(backend, out, outSize);
  if (trailing) {
    const inner = size / outSize;
    for (let i = 0; i < outSize; i++) {
      let s = 0;
      const base = i * inner;
      for (let j = 0; j < inner; j++) s += xs[base + j];
      o[i] = s;
    }
  } else {
    const rows = size / outSize;
    const acc = new Float64Array(outSize);
    for (let i = 0; i < rows; i++) {
      const base = i * outSize;
      for (let j = 0; j < outSize; j++) acc[j] += xs[base + j];
    }
    o.set(acc);
  }
  if (keepDims) {
    return { dataId: out.dataId, dtype: out.dtype, shape: backend_util.expandShapeToKeepDim(outShape, axes) };
  }
  return out;
}

export const sumTunedConfig: KernelConfig = {
  kernelName: "Sum",
  backendName: "wasm",
  kernelFunc: sumTuned as unknown as KernelFunc,
};

export function identityShared(args: { inputs: { x: TensorInfo }; backend: unknown }): TensorInfo {
  const { x } = args.inputs;
  if (x.dtype === "string") return callStock("Identity", args) as TensorInfo;
  (args.backend as { incRef(d: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityTunedConfig: KernelConfig = {
  kernelName: "Identity",
  backendName: "wasm",
  kernelFunc: identityShared as unknown as KernelFunc,
};
