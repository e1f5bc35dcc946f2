import { spawnSync } from "child_process";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError, describeBackend, initBackend, wasmKernels } from "../../lib/backend/select";

describe("backend selection", () => {
  it("auto picks a working backend and says why", async () => {
    const r = await initBackend({ env: {} });
    expect(["tensorflow", "wasm", "cpu", "webgpu"]).toContain(r.name);
    expect(tf.getBackend()).toBe(r.name);
    expect(r.tried[r.tried.length - 1]).toEqual({ name: r.name, ok: true, why: "loaded" });
    // the native backend is never installed by npm ci, so auto mode reports why it skipped it
    if (r.name !== "tensorflow") expect(r.reason).toContain("skipped tensorflow");
    expect(describeBackend(r)).toContain(r.name);
    const y = tf.tidy(() => tf.tensor2d([[1, 2]]).matMul(tf.tensor2d([[3], [4]])).dataSync()[0]);
    expect(y).toBe(11);
  });

  it("forcing cpu and wasm works and activates them", async () => {
    expect((await initBackend({ force: "cpu" })).name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect((await initBackend({ env: { SPATIALEDIT_BACKEND: "wasm" } })).reason).toBe("forced by SPATIALEDIT_BACKEND");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("forcing a backend that is not installed is one clear line saying what to install", async () => {
    let err: unknown = null;
    try {
      await initBackend({ env: { SPATIALEDIT_BACKEND: "tensorflow" } });
    } catch (e) {
      err = e;
    }
    // on a machine where the native backend is installed this test has nothing to check
    if (tf.findBackendFactory("tensorflow") !== null) return;
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const e = err as Error;
    expect(e.message).toBe(
      "backend 'tensorflow' is not available (neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node with a native binding is installed): run 'npm run install:native-backend' on a machine that can download libtensorflow (add GPU=1 for tfjs-node-gpu with CUDA)",
    );
    expect(e.stack).toBe(`BackendUnavailableError: ${e.message}`);
    expect(e.stack?.split("\n").length).toBe(1);
    // nothing but the message is shown when a notebook prints the error
    expect(Object.keys(e)).toEqual([]);
  });

  it("a script forcing a missing backend prints one line and exits 1", () => {
    if (tf.findBackendFactory("tensorflow") !== null) return;
    const r = spawnSync(process.execPath, [require.resolve("tsx/cli"), "scripts/backend-info.ts"], {
      env: { ...process.env, SPATIALEDIT_BACKEND: "tensorflow" },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: backend 'tensorflow' is not available .*npm run install:native-backend/)]);
  });

  it("an unknown forced name is a clear error", async () => {
    await expect(initBackend({ env: { SPATIALEDIT_BACKEND: "cuda" } })).rejects.toThrow(
      "SPATIALEDIT_BACKEND='cuda' is not a backend; use one of: auto, tensorflow, webgpu, wasm, cpu",
    );
  });

  it("a bad SPATIALEDIT_TUNED_KERNELS is a clear error, not the tuned kernels by default", async () => {
    await expect(initBackend({ env: { SPATIALEDIT_BACKEND: "wasm", SPATIALEDIT_TUNED_KERNELS: "no" } })).rejects.toThrow(
      "SPATIALEDIT_TUNED_KERNELS='no' is not a switch; use 0 (off) or 1 (on)",
    );
  });

  it("SPATIALEDIT_NATIVE_BLAS=0 in the env handed to initBackend routes BatchMatMul through pure wasm", async () => {
    await initBackend({ force: "cpu" }); // a repeated request for the active backend is a no-op: leave wasm first
    await initBackend({ env: { SPATIALEDIT_BACKEND: "wasm", SPATIALEDIT_NATIVE_BLAS: "0" } });
    expect(wasmKernels()).toBe("tuned (BatchMatMul route: wasm)");
    await initBackend({ force: "cpu" });
    await initBackend({ env: { SPATIALEDIT_BACKEND: "wasm" } }); // back to the default route for later tests
    expect(wasmKernels()).toMatch(/^tuned \(BatchMatMul route: (native|wasm)\)$/);
  });
});
