/**
 * A replacement `BatchMatMul` for the wasm backend. The stock kernel sends every product with
 * `transposeA`/`transposeB` or a batch > 1 to a naive C++ loop (~2 GFLOP/s), and autograd produces
 * exactly those. This one
 *  - folds the batch into rows when B is shared by all batch items (`[B, T, D] @ [D, F]` is one matmul);
 *  - "native" route: OpenBLAS sgemm on the wasm heap (transposes as BLAS flags, one call per slice);
 *  - "wasm" route: explicit blocked transposes, then XNNPACK (the stock kernel's fast path) per slice
 *    through tensor ids registered over slices of the heap (no copies of A, B or C).
 * Broadcasting of batch dimensions follows `tf.matMul` (numpy rules).
 */
import { broadcast_util, util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { loadNativeBlas } from "../native-blas";
import { disposeView, heapOffset, makeView, transpose2d, type WasmBackendLike } from "../wasm-heap";

export type MatmulRoute = "native" | "wasm";

let route: MatmulRoute = "wasm";
let wasmBatchMatMul: ((...args: unknown[]) => unknown) | null = null;
let setupFor: WasmBackendLike | null = null;

/** Chooses the route of the tuned BatchMatMul ("native" needs the addon; see `nativeBlasStatus`). */
export function setMatmulRoute(r: MatmulRoute): void {
  if (r === "native" && loadNativeBlas() === null) {
    throw new Error("the native BLAS route is not available: run 'npm run setup' (builds native/blas) or use route 'wasm'");
  }
  route = r;
}

export function matmulRoute(): MatmulRoute {
  return route;
}

function setup(backend: WasmBackendLike): void {
  if (setupFor === backend) return;
  wasmBatchMatMul = backend.wasm.cwrap("BatchMatMul", null, ["number", "array", "number", "number", "array", "number", "number", "number", "number"]);
  setupFor = backend;
}

/** Per output batch item: the batch index into A and into B (numpy broadcasting of the outer dims). */
function batchIndexPairs(aOuter: number[], bOuter: number[], outOuter: number[]): { ai: Int32Array; bi: Int32Array } {
  const n = util.sizeFromShape(outOuter);
  const ai = new Int32Array(n);
  const bi = new Int32Array(n);
  const rank = outOuter.length;
  const aPad = new Array(rank - aOuter.length).fill(1).concat(aOuter) as number[];
  const bPad = new Array(rank - bOuter.length).fill(1).concat(bOuter) as number[];
  const idx = new Array(rank).fill(0) as number[];
  for (let o = 0; o < n; o++) {
    let a = 0;
    let b = 0;
    for (let d = 0; d < rank; d++) {
      a = a * aPad[d] + (aPad[d] === 1 ? 0 : idx[d]);
      b = b * bPad[d] + (bPad[d] === 1 ? 0 : idx[d]);
    }
    ai[o] = a;
    bi[o] = b;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outOuter[d]) break;
      idx[d] = 0;
    }
  }
  return { ai, bi };
}

/** The kernel function (same attrs and error messages as the stock one). */
export function batchMatMulTuned(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: unknown; attrs: { transposeA: boolean; transposeB: boolean } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    throw new Error(`BatchMatMul for non non-float32 tensors not yet supported.`);
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const innerA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const innerB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const M = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const N = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const outOuter = broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  util.assert(
    innerA === innerB,
    () =>
      `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
  const K = innerA;
  const outShape = outOuter.concat([M, N]);
  const out = backend.makeOutput(outShape, "float32");
  const batch = util.sizeFromShape(outOuter);
  if (batch * M * N === 0) return out;
  const aBatch = util.sizeFromShape(aOuter);
  const bBatch = util.sizeFromShape(bOuter);
  let { ai, bi } = batchIndexPairs(aOuter, bOuter, outOuter);
  let m = M;
  // B shared by every batch item and A not transposed: fold the batch into rows ([batch*M, K] @ B).
  if (bBatch === 1 && !transposeA && aBatch === batch && batch > 1) {
    m = batch * M;
    ai = new Int32Array([0]);
    bi = new Int32Array([0]);
  }
  const n = ai.length;
  const aBase = heapOffset(backend, a);
  const bBase = heapOffset(backend, b);
  const cBase = heapOffset(backend, out);
  const aStride = M * K * 4;
  const bStride = K * N * 4;
  const cStride = m * N * 4;
  if (K === 0) {
    backend.wasm.HEAPF32.fill(0, cBase / 4, cBase / 4 + batch * M * N);
    return out;
  }
  const blas = route === "native" ? loadNativeBlas() : null;
  if (blas !== null) {
    const offs = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      offs[3 * i] = aBase + ai[i] * aStride;
      offs[3 * i + 1] = bBase + bi[i] * bStride;
      offs[3 * i + 2] = cBase + i * cStride;
    }
    blas.gemmBatch(backend.wasm.HEAPU8.buffer, offs, m, N, K, transposeA, transposeB);
    return out;
  }
  wasmRoute(backend, { aBase, bBase, cBase, aBatch, bBatch, ai, bi, m, M, N, K, transposeA, transposeB, aStride, bStride, cStride });
  return out;
}

interface Plan {
  aBase: number;
  bBase: number;
  cBase: number;
  aBatch: number;
  bBatch: number;
  ai: Int32Array;
  bi: Int32Array;
  m: number;
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
  aStride: number;
  bStride: number;
  cStride: number;
}

/** Explicit transposes into scratch memory, then XNNPACK per slice through view ids. */
function wasmRoute(backend: WasmBackendLike, p: Plan): void {
  setup(backend);
  const { m, N, K } = p;
  let aBase = p.aBase;
  let bBase = p.bBase;
  const scratch: number[] = [];
  try {
    if (p.transposeA) {
      const ptr = backend.wasm._malloc(p.aBatch * p.aStride) >>> 0;
      scratch.push(ptr);
      const heap = backend.wasm.HEAPF32;
      // each A slice [K, M] -> [M, K]
      for (let i = 0; i < p.aBatch; i++) transpose2d(heap, (aBase + i * p.aStride) / 4, K, p.M, heap, (ptr + i * p.aStride) / 4);
      aBase = ptr;
    }
    if (p.transposeB) {
      const ptr = backend.wasm._malloc(p.bBatch * p.bStride) >>> 0;
      scratch.push(ptr);
      const heap = backend.wasm.HEAPF32;
      // each B slice [N, K] -> [K, N]
      for (let i = 0; i < p.bBatch; i++) transpose2d(heap, (bBase + i * p.bStride) / 4, N, K, heap, (ptr + i * p.bStride) / 4);
      bBase = ptr;
    }
    const aShape = new Uint8Array(new Int32Array([1, m, K]).buffer);
    const bShape = new Uint8Array(new Int32Array([1, K, N]).buffer);
    for (let i = 0; i < p.ai.length; i++) {
      const aId = makeView(backend, aBase + p.ai[i] * p.aStride, m * K);
      const bId = makeView(backend, bBase + p.bi[i] * p.bStride, K * N);
      const cId = makeView(backend, p.cBase + i * p.cStride, m * N);
      wasmBatchMatMul!(aId, aShape, 3, bId, bShape, 3, 0, 0, cId);
      disposeView(backend, aId);
      disposeView(backend, bId);
      disposeView(backend, cId);
    }
  } finally {
    for (const ptr of scratch) backend.wasm._free(ptr);
  }
}

export const batchMatMulTunedConfig: KernelConfig = {
  kernelName: "BatchMatMul",
  backendName: "wasm",
  kernelFunc: batchMatMulTuned as unknown as KernelFunc,
};
