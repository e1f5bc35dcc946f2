/**
 * The fused Adam update as one wasm kernel per variable (`SpatialEditAdam`), registered with the
 * tuned kernels; lib/train/fused-adam.ts calls it (or the same update as tf ops elsewhere):
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
 *   p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { util } from "@tensorflow/tfjs";
import { f32Of, type WasmBackendLike } from "../wasm-heap";

export const ADAM_KERNEL = "SpatialEditAdam";

export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t */
  c1: number;
  c2: number;
}

/** The wasm kernel: inputs p, g, m, v (float32, same shape) -> [p', m', v']. */
export function adamWasm(args: { inputs: { p: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo }; backend: unknown; attrs: AdamAttrs }): TensorInfo[] {
  const backend = args.backend as WasmBackendLike;
  const { p, g, m, v } = args.inputs;
  const { lr, beta1, beta2, epsilon, c1, c2 } = args.attrs;
  for (const t of [g, m, v]) {
    if (!util.arraysEqual(t.shape, p.shape)) throw new Error(`${ADAM_KERNEL}: all inputs need the shape of the variable ${p.shape}, got ${t.shape}`);
  }
  const n = util.sizeFromShape(p.shape);
  const po = backend.makeOutput(p.shape, "float32");
  const mo = backend.makeOutput(p.shape, "float32");
  const vo = backend.makeOutput(p.shape, "float32");
  const P = f32Of(backend, p, n);
  const G = f32Of(backend, g, n);
  const M = f32Of(backend, m, n);
  const V = f32Of(backend, v, n);
  const Po = f32Of(backend, po, n);
  const Mo = f32Of(backend, mo, n);
  const Vo = f32Of(backend, vo, n);
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const gi = G[i];
    const mi = beta1 * M[i] + a1 * gi;
    const vi = beta2 * V[i] + a2 * gi * gi;
    Mo[i] = mi;
    Vo[i] = vi;
    Po[i] = P[i] - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
  }
  return [po, mo, vo];
}

export const adamWasmConfig: KernelConfig = {
  kernelName: ADAM_KERNEL,
  backendName: "wasm",
  kernelFunc: adamWasm as unknown as KernelFunc,
};

