/** The stock wasm kernels that the tuned ones replace (kept for fallbacks and for unregistering). */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig } from "@tensorflow/tfjs";

export const stockKernels = new Map<string, KernelConfig | null>();

/** Calls the stock kernel `name` (throws when wasm had none). */
export function callStock(name: string, args: unknown): unknown {
  const k = stockKernels.get(name);
  if (k === undefined || k === null) throw new Error(`no stock wasm kernel '${name}' to fall back to`);
  return (k.kernelFunc as (a: unknown) => unknown)(args);
}

/** Puts `k` in the place of its backend's kernel of that name, keeping the one it replaces as the stock kernel (idempotent). */
export function swapInKernel(k: KernelConfig): void {
  const current = tf.getKernel(k.kernelName, k.backendName) ?? null;
  if (current === k) return;
  if (!stockKernels.has(k.kernelName)) stockKernels.set(k.kernelName, current);
  if (current !== null) tf.unregisterKernel(k.kernelName, k.backendName);
  tf.registerKernel(k);
}

/** Puts the stock kernel back in the place of `k` (none when the backend had none; idempotent). */
export function swapOutKernel(k: KernelConfig): void {
  if (tf.getKernel(k.kernelName, k.backendName) !== k) return;
  tf.unregisterKernel(k.kernelName, k.backendName);
  const prev = stockKernels.get(k.kernelName) ?? null;
  if (prev !== null) tf.registerKernel(prev);
}
