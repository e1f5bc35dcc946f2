/**
 * A faster `Transpose` for the wasm backend on the native route (the stock one moved ~0.2 GB/s on
 * 2-D matrices and on rank > 4 here). Axes that stay neighbours are merged first; the addon then
 * copies contiguous runs, does blocked 2-D (or batched 2-D) transposes, or walks the output with
 * source strides, on 32-bit words (float32 and int32 bit-exact). Without the addon (pure-wasm route)
 * and for other dtypes the stock kernel runs: a transpose in JavaScript was not faster here.
 */
import { util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { loadNativeBlas } from "../native-blas";
import { heapOffset, type WasmBackendLike } from "../wasm-heap";
import { matmulRoute } from "./batch-matmul";
import { callStock } from "./stock";

/** Merges input axes that stay adjacent and in order under `perm`: returns the smaller shape and perm. */
export function collapseTranspose(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  // drop size-1 axes (they do not move data) and renumber the others in input order
  const compact = new Map<number, number>();
  shape.forEach((d, a) => {
    if (d !== 1) compact.set(a, compact.size);
  });
  const dims = shape.filter((d) => d !== 1);
  const keep = perm.filter((a) => shape[a] !== 1).map((a) => compact.get(a)!);
  if (keep.length === 0) return { shape: [], perm: [] };
  // groups of axes that are consecutive both in the output and in the input
  const groups: number[][] = [];
  for (const a of keep) {
    const g = groups[groups.length - 1];
    if (g !== undefined && g[g.length - 1] + 1 === a) g.push(a);
    else groups.push([a]);
  }
  const byInput = groups.slice().sort((g1, g2) => g1[0] - g2[0]);
  const newShape = byInput.map((g) => g.reduce((p, a) => p * dims[a], 1));
  const newPerm = groups.map((g) => byInput.indexOf(g));
  return { shape: newShape, perm: newPerm };
}

export function transposeTuned(args: { inputs: { x: TensorInfo }; backend: unknown; attrs: { perm: number[] } }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  const { perm } = args.attrs;
  const blas = matmulRoute() === "native" ? loadNativeBlas() : null;
  const c = collapseTranspose(x.shape, perm);
  if (blas === null || (x.dtype !== "float32" && x.dtype !== "int32") || c.shape.length > 8) return callStock("Transpose", args) as TensorInfo;
  const out = backend.makeOutput(
    perm.map((a) => x.shape[a]),
    x.dtype,
  );
  if (util.sizeFromShape(x.shape) === 0) return out;
  if (c.shape.length === 0) c.shape.push(1), c.perm.push(0);
  blas.permute(backend.wasm.HEAPU8.buffer, heapOffset(backend, x), heapOffset(backend, out), Int32Array.from(c.shape), Int32Array.from(c.perm));
  return out;
}

export const transposeTunedConfig: KernelConfig = {
  kernelName: "Transpose",
  backendName: "wasm",
  kernelFunc: transposeTuned as unknown as KernelFunc,
};
