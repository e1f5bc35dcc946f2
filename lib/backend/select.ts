/**
 * Backend selection for TF.js, the same model code on every machine.
 *
 * Order in `auto` mode:
 *   1. `tensorflow`: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (native libtensorflow;
 *      installed only by `npm run install:native-backend`, which needs internet);
 *   2. `webgpu`: only when asked for (`SPATIALEDIT_WEBGPU=1` or `preferWebgpu`) and a GPU adapter exists
 *      (`@tensorflow/tfjs-backend-webgpu` on Dawn from the npm package `webgpu`);
 *   3. `wasm` (`@tensorflow/tfjs-backend-wasm`, SIMD): the default on our CPU machines;
 *   4. `cpu` (pure JS): always there, slow.
 * `SPATIALEDIT_BACKEND=<name>` forces one; a forced backend that cannot load is an error of one line
 * that says what to install (`BackendUnavailableError`), never a silent fallback.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { envValue } from "../core/env";
import { loadNativeBlas } from "./native-blas";
import { registerTunedKernels, TUNED_KERNELS_ENV, tunedKernelsEnabled, unregisterTunedKernels } from "./kernels/register";

export const BACKEND_NAMES = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Forces a backend: one of BACKEND_NAMES, or `auto`. */
export const BACKEND_ENV = "SPATIALEDIT_BACKEND";
/** `1` lets `auto` mode try WebGPU before wasm. */
export const WEBGPU_ENV = "SPATIALEDIT_WEBGPU";

/** What to install to get each backend (shown when a forced backend is missing). */
export const INSTALL_HINTS: Record<BackendName, string> = {
  tensorflow:
    "run 'npm run install:native-backend' on a machine that can download libtensorflow (add GPU=1 for tfjs-node-gpu with CUDA)",
  webgpu:
    "needs the npm packages 'webgpu' and '@tensorflow/tfjs-backend-webgpu' (run 'npm ci') and a Vulkan driver with a GPU adapter (e.g. the NVIDIA driver, or Debian's mesa-vulkan-drivers for a CPU adapter)",
  wasm: "run 'npm ci' (the package '@tensorflow/tfjs-backend-wasm' is missing or its .wasm files cannot load)",
  cpu: "run 'npm ci' ('@tensorflow/tfjs' is missing)",
};

/** Error thrown when a forced backend cannot be used; its stack is its one-line message. */
export class BackendUnavailableError extends Error {
  declare readonly backend: BackendName;
  constructor(backend: BackendName, why: string) {
    super(`backend '${backend}' is not available (${why}): ${INSTALL_HINTS[backend]}`);
    // non-enumerable, so that a notebook shows the message alone
    Object.defineProperty(this, "backend", { value: backend, enumerable: false });
    Object.defineProperty(this, "name", { value: "BackendUnavailableError", enumerable: false });
    this.stack = `${this.name}: ${this.message}`;
  }
}

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  why: string;
}

export interface BackendReport {
  /** The backend now active in `tf`. */
  name: BackendName;
  /** Why this one: forced, or the first that loaded in auto order. */
  reason: string;
  /** Every backend tried, in order, and why it was or was not taken. */
  tried: BackendAttempt[];
}

export interface BackendOptions {
  /** A backend name or `auto`; default: `SPATIALEDIT_BACKEND`, else `auto`. */
  force?: BackendName | "auto";
  /** Try WebGPU in auto mode; default: `SPATIALEDIT_WEBGPU === "1"`. */
  preferWebgpu?: boolean;
  /** Environment to read (tests pass their own). */
  env?: Record<string, string | undefined>;
}

function errText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0].slice(0, 200);
}

/** True when a Vulkan loader (libvulkan.so.1) is on the usual library paths (Dawn needs it for WebGPU). */
export function hasVulkanLoader(env: Record<string, string | undefined> = process.env): boolean {
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? "").split(":").filter((d) => d !== ""),
    "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
  ];
  return dirs.some((d) => fs.existsSync(path.join(d, "libvulkan.so.1")));
}

/** Loads one backend and makes it active; returns why it failed, or null on success. */
async function tryBackend(name: BackendName, env: Record<string, string | undefined>): Promise<string | null> {
  try {
    if (name === "tensorflow") {
      let loaded = false;
      for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
        try {
          require(pkg);
          if (tf.findBackendFactory("tensorflow") !== null) {
            loaded = true;
            break;
          }
        } catch {
          // not installed or its native binding failed: try the next package
        }
      }
      if (!loaded) return "neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node with a native binding is installed";
    } else if (name === "webgpu") {
      const g = globalThis as Record<string, unknown>;
      if (g.navigator === undefined && !hasVulkanLoader()) return "no Vulkan loader libvulkan.so.1 (Debian package libvulkan1)";
      if (g.navigator === undefined || (g.navigator as Record<string, unknown>).gpu === undefined) {
        const dawn = require("webgpu") as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
        Object.assign(globalThis, dawn.globals);
        g.navigator = { gpu: dawn.create([]) };
      }
      const gpu = (g.navigator as { gpu: { requestAdapter: () => Promise<unknown> } }).gpu;
      const adapter = await gpu.requestAdapter();
      if (adapter === null || adapter === undefined) return "no WebGPU adapter (no Vulkan driver or no GPU)";
      require("@tensorflow/tfjs-backend-webgpu");
    } else if (name === "wasm") {
      require("@tensorflow/tfjs-backend-wasm");
    }
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    if (tf.getBackend() !== name) return `active backend is '${tf.getBackend()}'`;
    if (name === "wasm") lastTunedKernels = applyTunedKernels(env);
    return null;
  } catch (e) {
    return errText(e);
  }
}

let lastReport: BackendReport | null = null;

let lastTunedKernels = "not applied";

/**
 * Registers (or, with SPATIALEDIT_TUNED_KERNELS=0, removes) the tuned wasm kernels of lib/train
 * (fast BatchMatMul, UnsortedSegmentSum, Sum, Identity); a failure leaves the stock kernels.
 */
function applyTunedKernels(env: Record<string, string | undefined>): string {
  try {
    if (!tunedKernelsEnabled(env)) {
      unregisterTunedKernels();
      return `stock (${TUNED_KERNELS_ENV}=0)`;
    }
    // the route follows the env handed to initBackend (SPATIALEDIT_NATIVE_BLAS=0 there means pure wasm), not only process.env
    return `tuned (BatchMatMul route: ${registerTunedKernels({ route: loadNativeBlas(env) !== null ? "native" : "wasm" }).route})`;
  } catch (e) {
    return `stock (tuned kernels failed to load: ${errText(e)})`;
  }
}

/** Which wasm kernels the last wasm activation chose: "tuned (BatchMatMul route: native|wasm)" or "stock (...)". */
export function wasmKernels(): string {
  return lastTunedKernels;
}

/**
 * Selects, loads and activates the TF.js backend (see the module comment for the order).
 * Idempotent for the same request: a second call returns the active backend's report.
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendReport> {
  const env = options.env ?? process.env;
  const force = options.force ?? envValue(BACKEND_ENV, env);
  const preferWebgpu = options.preferWebgpu ?? envValue(WEBGPU_ENV, env);
  tunedKernelsEnabled(env); // a bad SPATIALEDIT_TUNED_KERNELS is an error here, before the wasm step's catch-all could hide it
  if (lastReport !== null && (force === "auto" || force === lastReport.name) && tf.getBackend() === lastReport.name) {
    return lastReport;
  }
  const tried: BackendAttempt[] = [];
  if (force !== "auto") {
    const why = await tryBackend(force, env);
    tried.push({ name: force, ok: why === null, why: why ?? "loaded" });
    if (why !== null) throw new BackendUnavailableError(force, why);
    lastReport = { name: force, reason: `forced by ${options.force ? "caller" : BACKEND_ENV}`, tried };
    return lastReport;
  }
  const order: BackendName[] = preferWebgpu ? ["tensorflow", "webgpu", "wasm", "cpu"] : ["tensorflow", "wasm", "cpu"];
  for (const name of order) {
    const why = await tryBackend(name, env);
    tried.push({ name, ok: why === null, why: why ?? "loaded" });
    if (why === null) {
      const skipped = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.why}`);
      lastReport = {
        name,
        reason: skipped.length === 0 ? "first in auto order" : `auto; skipped ${skipped.join("; ")}`,
        tried,
      };
      return lastReport;
    }
  }
  throw new Error(`no TF.js backend could be loaded: ${tried.map((t) => `${t.name}: ${t.why}`).join("; ")}`);
}

/** One line for setup cells and result files: "wasm (auto; skipped tensorflow: ...)". */
export function describeBackend(report: BackendReport): string {
  return `${report.name} (${report.reason})`;
}

/** The report of the last `initBackend`, or null before it. */
export function backendReport(): BackendReport | null {
  return lastReport;
}
