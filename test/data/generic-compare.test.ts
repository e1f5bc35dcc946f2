import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { isSpatialInstruction, spatialShareOfJsonl } from "../../lib/data/classifier";
import { compare2dWithExact } from "../../lib/data/compare2d";
import { dataEngineConfig, genericConfig } from "../../lib/data/config";
import { applyPixelOp, generateGeneric, genericUnit } from "../../lib/data/generic";
import { readMetadata } from "../../lib/data/writer";

describe("generic (IPr2Pr stand-in) editing data", () => {
  it("the spatial share follows the parameter, and the classifier agrees with the generator", () => {
    for (const share of [0, 0.073, 0.5]) {
      const cfg = genericConfig("tiny", { scenes: 40, spatialShare: share });
      let n = 0;
      let spatial = 0;
      for (let k = 0; k < cfg.scenes; k++) {
        for (const r of genericUnit(k, 3, cfg).records) {
          n++;
          if (r.spatial_intended) spatial++;
          expect(isSpatialInstruction(r.instruction as string), r.instruction as string).toBe(r.spatial_intended);
        }
      }
      expect(n).toBeGreaterThan(100);
      if (share === 0) expect(spatial).toBe(0);
      else expect(Math.abs(spatial / n - share)).toBeLessThan(4 * Math.sqrt((share * (1 - share)) / n));
    }
  });

  it("writes a dataset whose JSONL share the classifier reports", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gen-"));
    const m = generateGeneric(dir, genericConfig("tiny", { spatialShare: 0.3 }), 8);
    const recs = readMetadata(dir);
    expect(recs.length).toBe(m.records);
    const s = spatialShareOfJsonl(path.join(dir, "train", "metadata.jsonl"));
    expect(s.total).toBe(recs.length);
    expect(s.spatial).toBe(recs.filter((r) => r.spatial_intended).length);
    expect(() => genericConfig("tiny", { spatialShare: 1.5 })).toThrow("generic: spatialShare must be in [0, 1], got 1.5");
  });

  it("photometric edits are exact pixel operations", () => {
    const img = { width: 1, height: 1, data: new Uint8Array([100, 200, 50]) };
    expect(Array.from(applyPixelOp(img, "darker").data)).toEqual([60, 120, 30]);
    expect(Array.from(applyPixelOp(img, "grayscale").data)).toEqual([153, 153, 153]);
  });
});

describe("2D path vs exact re-render", () => {
  it("reports per-kind pixel errors, each below doing nothing", () => {
    const rows = compare2dWithExact(new Rng(2), { scenes: 8, resolution: 32, moveStep: 0.6 });
    expect(rows.map((r) => r.kind)).toEqual(["recolour", "remove", "move", "resize"]);
    for (const r of rows) {
      expect(r.n).toBeGreaterThan(0);
      expect(r.maeRegion).toBeLessThan(r.maeNoEditRegion);
      expect(r.maeImage).toBeLessThan(r.maeRegion);
    }
  });

  it("config errors are clear", () => {
    expect(() => dataEngineConfig("tiny", { perception: "lidar" })).toThrow("dataEngine: perception must be one of oracle, noisy, noisy-labels, truth, got 'lidar'");
    expect(() => dataEngineConfig("tiny", { resolution: 3 })).toThrow("dataEngine: resolution must be an integer in [8, 1024], got 3");
  });
});
