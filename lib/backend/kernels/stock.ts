/** The stock wasm kernels that the tuned ones replace (kept for fallbacks and for unregistering). */
import type { KernelConfig } from "@tensorflow/tfjs";

export const stockKernels = new Map<string, KernelConfig | null>();

/** Calls the stock kernel `name` (throws when wasm had none). */
export function callStock(name: string, args: unknown): unknown {
  const k = stockKernels.get(name);
  if (k === undefined || k === null) throw new Error(`no stock wasm kernel '${name}' to fall back to`);
  return (k.kernelFunc as (a: unknown) => unknown)(args);
}
