/**
 * Access to the TF.js wasm backend's heap, for kernels written in TypeScript (or native code) that read
 * and write tensors in place: the backend object, the byte offset of a tensor, typed views, and tensor ids
 * registered over a slice of another tensor ("views") so that the stock C++ kernels can run on slices.
 */
import type { TensorInfo } from "@tensorflow/tfjs";

/** The parts of `BackendWasm` (tfjs-backend-wasm 4.22) that the tuned kernels use. */
export interface WasmModule {
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  cwrap(name: string, ret: null | string, args: string[]): (...args: unknown[]) => unknown;
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
}

export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: string;
  refCount: number;
}

export interface WasmBackendLike {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmTensorData; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: string, memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** A Float32Array over the wasm heap (re-taken after every allocation: the heap may have grown). */
export function f32(backend: WasmBackendLike): Float32Array {
  return backend.wasm.HEAPF32;
}

/** A Float32 view of one tensor's data (valid until the next allocation). */
export function f32Of(backend: WasmBackendLike, t: TensorInfo, size: number): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, t), size);
}

/** An Int32 view of one tensor's data (valid until the next allocation). */
export function i32Of(backend: WasmBackendLike, t: TensorInfo, size: number): Int32Array {
  return new Int32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, t), size);
}

/**
 * Registers a C++ tensor id over `size` floats at `byteOffset` (no copy, no ownership) so that a stock
 * wasm kernel can read or write that slice; free it with `disposeView`.
 */
export function makeView(backend: WasmBackendLike, byteOffset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, byteOffset);
  return id;
}

/** Unregisters a view id (runs the C++ disposal callbacks, e.g. frees a cached XNNPACK operator). */
export function disposeView(backend: WasmBackendLike, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}

/** Transposes a row-major `rows x cols` matrix at float index `src` into `dst` (cols x rows), blocked. */
export function transpose2d(heap: Float32Array, src: number, rows: number, cols: number, out: Float32Array, dst: number): void {
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let i = i0; i < i1; i++) {
        const s = src + i * cols;
        for (let j = j0; j < j1; j++) out[dst + j * rows + i] = heap[s + j];
      }
    }
  }
}
