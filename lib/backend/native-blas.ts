/**
 * The optional native BLAS route: `native/blas` (a Node-API addon built by `scripts/setup.sh` with
 * node-gyp) runs OpenBLAS `cblas_sgemm` directly on the wasm heap. When the addon was not built, or
 * OpenBLAS is missing, or `SPATIALEDIT_NATIVE_BLAS=0`, the tuned kernels use the pure-wasm route.
 */
import * as fs from "fs";
import * as path from "path";
import { envValue } from "../core/env";
import { projectRoot } from "../core/paths";

/** `0` disables the native BLAS route (the pure-wasm kernels are used instead). */
export const NATIVE_BLAS_ENV = "SPATIALEDIT_NATIVE_BLAS";
/** Threads OpenBLAS may use (default 1: one per worker, like PyTorch with `torch.set_num_threads(1)`). */
export const BLAS_THREADS_ENV = "SPATIALEDIT_BLAS_THREADS";
/** OpenBLAS kernels: `Haswell` (default) pins them where the CPU allows, `auto` leaves the choice to OpenBLAS. */
export const BLAS_CORETYPE_ENV = "SPATIALEDIT_BLAS_CORETYPE";

/**
 * The OpenBLAS core type to ask for before the library loads (OpenBLAS's own `OPENBLAS_CORETYPE`),
 * or null to leave its choice, and why. Debian's OpenBLAS is built with DYNAMIC_ARCH: it picks its
 * kernels per CPU (SkylakeX's AVX-512 kernels on recent Intel Xeons, Haswell's AVX2 kernels on AMD
 * EPYC), and they round sums differently, so the same seeded run gave other bits on another machine
 * (base@s1 of the paper grid: the second step's loss differed in the 7th digit, the final loss 0.5793
 * against 0.5694). Haswell's kernels run on every x86-64 CPU with AVX2 and FMA and give the same bits.
 */
export function blasCoreType(setting: "Haswell" | "auto", openblasEnv: string | undefined, cpuFlags: readonly string[] | null): { coreType: string | null; why: string } {
  if (openblasEnv !== undefined && openblasEnv !== "") return { coreType: null, why: `OPENBLAS_CORETYPE=${openblasEnv} set by the caller` };
  if (setting === "auto") return { coreType: null, why: `OpenBLAS's own kernel choice (${BLAS_CORETYPE_ENV}=auto)` };
  if (cpuFlags === null) return { coreType: null, why: "CPU flags unknown (not x86-64 Linux): OpenBLAS's own kernel choice" };
  const lacking = ["avx2", "fma"].filter((f) => !cpuFlags.includes(f));
  if (lacking.length > 0) return { coreType: null, why: `the CPU lacks ${lacking.map((f) => f.toUpperCase()).join(" and ")}: OpenBLAS's own kernel choice, whose bits may differ from other machines'` };
  return { coreType: setting, why: `${setting} kernels pinned (${BLAS_CORETYPE_ENV}): the same bits on every CPU with AVX2 and FMA` };
}

/** The CPU's feature flags on x86-64 Linux (/proc/cpuinfo), else null. */
export function cpuFlags(): string[] | null {
  if (process.platform !== "linux" || process.arch !== "x64") return null;
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
    return line === undefined ? null : line.slice(line.indexOf(":") + 1).trim().split(/\s+/);
  } catch {
    return null;
  }
}

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
  // OpenBLAS reads OPENBLAS_CORETYPE once, when the addon's dlopen loads it: set it before the require
  const core = blasCoreType(envValue(BLAS_CORETYPE_ENV, env), env.OPENBLAS_CORETYPE, cpuFlags());
  if (core.coreType !== null) process.env.OPENBLAS_CORETYPE = core.coreType;
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
      detail = `${info.lib}: ${info.config}, ${mod.info().threads} thread(s); ${core.why}`;
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
