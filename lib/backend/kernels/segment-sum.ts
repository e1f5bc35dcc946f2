/**
 * `UnsortedSegmentSum` for the wasm backend (missing in tfjs-backend-wasm 4.22). It is the gradient of
 * `tf.gather`, so with it embedding lookups train on wasm. Ids outside [0, numSegments) are dropped,
 * as on the cpu backend.
 */
import { util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { f32Of, i32Of, type WasmBackendLike } from "../wasm-heap";

export function unsortedSegmentSumWasm(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: unknown; attrs: { numSegments: number } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, segmentIds } = args.inputs;
  const { numSegments } = args.attrs;
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 data, got ${x.dtype}`);
  }
  const idsRank = segmentIds.shape.length;
  util.assert(
    util.arraysEqual(x.shape.slice(0, idsRank), segmentIds.shape),
    () => `UnsortedSegmentSum: segmentIds shape ${segmentIds.shape} must be a prefix of x shape ${x.shape}`,
  );
  const nIds = util.sizeFromShape(segmentIds.shape);
  const inner = util.sizeFromShape(x.shape.slice(idsRank));
  const outShape = [numSegments, ...x.shape.slice(idsRank)];
  const out = backend.makeOutput(outShape, x.dtype);
  const total = numSegments * inner;
  // views are taken after makeOutput (the allocation may grow the heap)
  const o = x.dtype === "float32" ? f32Of(backend, out, total) : i32Of(backend, out, total);
  const xs = x.dtype === "float32" ? f32Of(backend, x, nIds * inner) : i32Of(backend, x, nIds * inner);
  const ids = segmentIds.dtype === "int32" ? i32Of(backend, segmentIds, nIds) : f32Of(backend, segmentIds, nIds);
  o.fill(0);
  for (let i = 0; i < nIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: "UnsortedSegmentSum",
  backendName: "wasm",
  kernelFunc: unsortedSegmentSumWasm as unknown as KernelFunc,
};
