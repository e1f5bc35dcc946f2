/**
 * Registers the tuned kernels on the wasm backend (replacing the stock ones, which are kept so that
 * `unregisterTunedKernels` restores them), with the exact rewrites of exact.ts (a data-sharing
 * same-dtype Cast and a cheaper Mean gradient). `SPATIALEDIT_TUNED_KERNELS=0` keeps the stock kernels.
 */
import { envValue } from "../../core/env";
import type { KernelConfig } from "@tensorflow/tfjs";
import { loadNativeBlas, nativeBlasStatus } from "../native-blas";
import { batchMatMulTunedConfig, matmulRoute, setMatmulRoute, type MatmulRoute } from "./batch-matmul";
import { unsortedSegmentSumConfig } from "./segment-sum";
import { stockKernels, swapInKernel, swapOutKernel } from "./stock";
import { identityTunedConfig, sumTunedConfig } from "./sum";
import { transposeTunedConfig } from "./transpose";
import { adamWasmConfig } from "./adam";
import { EXACT_KERNELS, registerMeanGradient, restoreMeanGradient } from "./exact";

/** `0` disables the tuned wasm kernels (the stock tfjs-backend-wasm kernels are used). */
export const TUNED_KERNELS_ENV = "SPATIALEDIT_TUNED_KERNELS";


export const TUNED_KERNELS: KernelConfig[] = [batchMatMulTunedConfig, unsortedSegmentSumConfig, sumTunedConfig, identityTunedConfig, transposeTunedConfig, adamWasmConfig, ...EXACT_KERNELS];

let registered = false;

export interface TunedKernelsReport {
  registered: boolean;
  kernels: string[];
  /** BatchMatMul route: "native" (OpenBLAS on the wasm heap) or "wasm" (XNNPACK per slice). */
  route: MatmulRoute;
  native: string;
}

/**
 * Registers the tuned kernels (idempotent). Route: native BLAS when the addon loads (and
 * `SPATIALEDIT_NATIVE_BLAS` is not 0), else pure wasm; `opts.route` forces one.
 */
export function registerTunedKernels(opts: { route?: MatmulRoute } = {}): TunedKernelsReport {
  if (!registered) {
    for (const k of TUNED_KERNELS) swapInKernel(k);
    registerMeanGradient();
    registered = true;
  }
  setMatmulRoute(opts.route ?? (loadNativeBlas() !== null ? "native" : "wasm"));
  return tunedKernelsReport();
}

/** Restores the stock wasm kernels (and removes kernels that wasm did not have). */
export function unregisterTunedKernels(): void {
  if (!registered) return;
  for (const k of TUNED_KERNELS) swapOutKernel(k);
  stockKernels.clear();
  restoreMeanGradient();
  registered = false;
}

export function tunedKernelsReport(): TunedKernelsReport {
  return {
    registered,
    kernels: registered ? TUNED_KERNELS.map((k) => k.kernelName) : [],
    route: matmulRoute(),
    native: nativeBlasStatus().detail,
  };
}

/** True unless `SPATIALEDIT_TUNED_KERNELS=0`. */
export function tunedKernelsEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return envValue(TUNED_KERNELS_ENV, env);
}
