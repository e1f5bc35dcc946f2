/**
 * The native OpenBLAS route's kernel choice: pinned to Haswell's kernels by default, so that a seeded
 * run gives the same bits on Intel and AMD machines (lib/backend/native-blas.ts `blasCoreType`).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { blasCoreType, cpuFlags } from "../../lib/backend/native-blas";

const root = path.resolve(__dirname, "../..");

/** Runs a seeded sgemm through the addon in a fresh process (OpenBLAS picks its kernels once per process). */
function gemmInChild(env: Record<string, string | undefined>): { available: boolean; detail: string; bits: string } {
  const script = `
    const { loadNativeBlas, nativeBlasStatus } = require("./lib/backend/native-blas");
    const crypto = require("crypto");
    const blas = loadNativeBlas();
    const status = nativeBlasStatus();
    let bits = "";
    if (blas !== null) {
      const m = 37, n = 29, k = 301;
      const heap = new ArrayBuffer(4 * (m * k + k * n + m * n));
      const f = new Float32Array(heap);
      let s = 12345;
      for (let i = 0; i < m * k + k * n; i++) { s = (s * 1103515245 + 12345) % 2147483648; f[i] = s / 2147483648 - 0.5; }
      blas.gemmBatch(heap, new Float64Array([0, 4 * m * k, 4 * (m * k + k * n)]), m, n, k, false, false);
      bits = crypto.createHash("sha256").update(Buffer.from(heap, 4 * (m * k + k * n), 4 * m * n)).digest("hex").slice(0, 16);
    }
    process.stdout.write(JSON.stringify({ available: status.available, detail: status.detail, bits }));
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe("OpenBLAS kernel choice", () => {
  it("pins Haswell's kernels where the CPU has AVX2 and FMA, and otherwise says why not", () => {
    expect(blasCoreType("Haswell", undefined, ["sse2", "avx2", "fma", "avx512f"])).toEqual({ coreType: "Haswell", why: "Haswell kernels pinned (SPATIALEDIT_BLAS_CORETYPE): the same bits on every CPU with AVX2 and FMA" });
    expect(blasCoreType("Haswell", undefined, ["sse2", "avx"])).toEqual({ coreType: null, why: "the CPU lacks AVX2 and FMA: OpenBLAS's own kernel choice, whose bits may differ from other machines'" });
    expect(blasCoreType("Haswell", undefined, null).coreType).toBeNull();
    expect(blasCoreType("auto", undefined, ["avx2", "fma"])).toEqual({ coreType: null, why: "OpenBLAS's own kernel choice (SPATIALEDIT_BLAS_CORETYPE=auto)" });
    expect(blasCoreType("Haswell", "Zen", ["avx2", "fma"])).toEqual({ coreType: null, why: "OPENBLAS_CORETYPE=Zen set by the caller" });
    expect(blasCoreType("Haswell", "", ["avx2", "fma"]).coreType).toBe("Haswell");
  });

  it("gives the same sgemm bits on every machine with AVX2 and FMA (golden hash), which OpenBLAS's own choice need not", () => {
    const flags = cpuFlags();
    const pinned = gemmInChild({ OPENBLAS_CORETYPE: undefined, SPATIALEDIT_BLAS_CORETYPE: undefined });
    if (!pinned.available || flags === null || !flags.includes("avx2") || !flags.includes("fma")) {
      console.warn(`skipped: native BLAS route or AVX2/FMA not available here (${pinned.detail})`);
      return;
    }
    expect(pinned.detail).toContain("Haswell");
    expect(pinned.detail).toContain("Haswell kernels pinned (SPATIALEDIT_BLAS_CORETYPE)");
    // measured with Haswell's kernels on an Intel Xeon (AVX-512) and equal to the AMD EPYC runs' bits
    expect(pinned.bits).toBe("3bf0189503195ce0");
    const own = gemmInChild({ OPENBLAS_CORETYPE: undefined, SPATIALEDIT_BLAS_CORETYPE: "auto" });
    expect(own.detail).toContain("OpenBLAS's own kernel choice (SPATIALEDIT_BLAS_CORETYPE=auto)");
    // on an AVX-512 Xeon OpenBLAS itself picks SkylakeX's kernels, and their bits differ (362f6c627fa1c039 there)
    if (own.detail.includes("SkylakeX")) expect(own.bits).not.toBe(pinned.bits);
    if (!flags.includes("avx512f")) expect(own.bits).toBe(pinned.bits); // without AVX-512 OpenBLAS picks Haswell-class kernels itself
  });
});
