import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { timeExtraction, timeRender, writeRankAgreementReport } from "../../lib/engine/report";

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-res-"));
  process.env.SPATIALEDIT_RESULTS_DIR = dir;
});
afterAll(() => {
  delete process.env.SPATIALEDIT_RESULTS_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("measurement helpers for the notebook and bench", () => {
  it("writes results/engine-rank-agreement.json with oracle and noisy rates", () => {
    const report = writeRankAgreementReport("tiny", { scenes: 10 });
    expect(report.oracle.summary.overallAgreement).toBe(1);
    const file = JSON.parse(fs.readFileSync(path.join(dir, "engine-rank-agreement.json"), "utf8"));
    expect(file.name).toBe("engine-rank-agreement");
    expect(file.config.report).toEqual({ scenes: 10, resolution: 32, seed: 4242 });
    expect(file.data.noisy.counts.scenes).toBe(10);
  });

  it("timing functions return per-call milliseconds (no thresholds: timings are noisy here)", () => {
    const r = timeRender(32, 32, 3);
    const e = timeExtraction(48, 48, 2);
    expect(r).toMatchObject({ width: 32, height: 32, repeats: 3 });
    expect(e).toMatchObject({ width: 48, height: 48, repeats: 2 });
    expect(r.meanMs).toBeGreaterThan(0);
    expect(e.minMs).toBeLessThanOrEqual(e.meanMs);
  });
});
