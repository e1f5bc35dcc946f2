/**
 * The optional native BLAS route: `native/blas` (a Node-API addon built by `scripts/setup.sh` with
 * node-gyp) runs OpenBLAS `cblas_sgemm` directly on the wasm heap. When the addon was not built, or
 * OpenBLAS is missing, or `SPATIALEDIT_NATIVE_BLAS=0`, the tuned kernels use the pure-wasm route.
 */
import * as path from "path";
import { envValue } from "../core/env";
import { projectRoot } from "../core/paths";

/** `0` disables the native BLAS route (the pure-wasm kernels are used instead). */
export const NATIVE_BLAS_ENV = "SPATIALEDIT_NATIVE_BLAS";
/** Threads OpenBLAS may use (default 1: one per worker, like PyTorch with `torch.set_num_threads(1)`). */
export const BLAS_THREADS_ENV = "SPATIALEDIT_BLAS_THREADS";

export interface NativeBlas {
  info(): { ok: boolean; lib: string; error: string; config: string; threads: number };
  setThreads(n: number): void;
  /** C[i] = op(A[i]) @ op(B[i]) for byte offsets [a, b, c] per batch item, all in `heap`. */
  gemmBatch(heap: ArrayBufferLike, offsets: Float64Array, m: number, n: number, k: number, transA: boolean, transB: boolean): void;
  /** Sums of an [outer, inner] float32 matrix: over rows (`leading`, out [inner]) or over columns (out [outer]). */
  sumAxes(heap: ArrayBufferLike, xByte: number, outer: number, inner: number, outByte: number, leading: boolean): void;
  /** out = transpose(x, perm) on 32-bit words (shape and perm already merged, rank 1..8). */
  permute(heap: ArrayBufferLike, srcByte: number, dstByte: number, shape: Int32Array, perm: Int32Array): void;
}

export interface NativeBlasStatus {
  available: boolean;
  /** Why not, or which library and configuration. */
  detail: string;
}

let cached: { blas: NativeBlas | null; status: NativeBlasStatus } | null = null;

/** The compiled addon's path (under the project root). */
export function nativeBlasPath(): string {
  return path.join(projectRoot(), "native", "blas", "build", "Release", "spatialedit_blas.node");
}

/** Loads the addon once; returns null (and a reason in `nativeBlasStatus()`) when it cannot be used. */
export function loadNativeBlas(env: Record<string, string | undefined> = process.env): NativeBlas | null {
  if (!envValue(NATIVE_BLAS_ENV, env)) return null;
  if (cached !== null) return cached.blas;
  const threads = envValue(BLAS_THREADS_ENV, env);
  let blas: NativeBlas | null = null;
  let detail: string;
  try {
    const mod = require(nativeBlasPath()) as NativeBlas;
    const info = mod.info();
    if (info.ok && (typeof mod.sumAxes !== "function" || typeof mod.permute !== "function")) {
      detail = "addon is out of date (no sumAxes/permute); run 'npm run setup' to rebuild native/blas";
    } else if (info.ok) {
      blas = mod;
      mod.setThreads(threads);
      detail = `${info.lib}: ${info.config}, ${mod.info().threads} thread(s)`;
    } else {
      detail = `addon built but no BLAS library loaded (${info.error}); install libopenblas0-pthread`;
    }
  } catch (e) {
    detail = `addon not built (${(e instanceof Error ? e.message : String(e)).split("\n")[0]}); run 'npm run setup'`;
  }
  cached = { blas, status: { available: blas !== null, detail } };
  return blas;
}

/** Whether the native route is usable and why (or why not). */
export function nativeBlasStatus(env: Record<string, string | undefined> = process.env): NativeBlasStatus {
  if (!envValue(NATIVE_BLAS_ENV, env)) return { available: false, detail: `disabled by ${NATIVE_BLAS_ENV}=0` };
  loadNativeBlas(env);
  return cached!.status;
}
