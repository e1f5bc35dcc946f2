import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { ensureBenchmark, ensureValidationBenchmark } from "../../lib/eval/benchmark-generate";
import { compareHeadFit, measureHeadFit } from "../../lib/eval/head-fit-compare";
import { checkEditorConfig, editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../lib/models/editor/model";
import { perturbZeroInit } from "../models/editor/helpers";

beforeAll(async () => {
  await initBackend();
});

describe("a head's fit compared before and after (head-fit-compare.ts)", () => {
  it("measures and decodes each side, fits between them, pairs after - before; a fit that changes the decoding shows in the gain", async () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedPlan: true, alignedPlanGate: "open" });
    const e = createEditor(c, new Rng(8));
    perturbZeroInit(e, 8);
    const gate = editorParams(e)["edit.loc.gate"] as tf.Variable;
    gate.assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
    const bench = ensureBenchmark("spatialeval", "tiny");
    const small = { ...bench, items: bench.items.slice(0, 6) };
    const validation = { ...ensureValidationBenchmark("tiny"), items: ensureValidationBenchmark("tiny").items.slice(0, 4) };
    const lines: string[] = [];
    const labels: string[] = [];
    const base = { e, rules: ["object" as const], validation, bench: small, ddim: 2, seed: 1, stream: "test", log: (l: string) => lines.push(l), measure: (label: string) => labels.push(label) };
    try {
      const still = await compareHeadFit({ ...base, fit: () => ({ losses: Array.from({ length: 12 }, (_, i) => i), checks: [{ step: 0, score: -1 }], kept: 0 }) });
      expect(labels).toEqual(["before", "after"]);
      expect(still.before.measure).toBe(1);
      expect(still.fit.losses).toEqual([9, 11]); // every tenth and the last
      expect(still.gain).toEqual({ diff: 0, lo: 0, hi: 0 }); // nothing changed, so the decodings edit alike
      expect(still.kinds.length).toBeGreaterThan(0);
      expect(lines.filter((l) => l.startsWith("before: validation object"))).toHaveLength(2); // soft and snap
      expect(lines.some((l) => l.startsWith("after minus before on SpatialEval-mini: 0.000"))).toBe(true);
      const moved = await compareHeadFit({ ...base, fit: () => (gate.assign(tf.neg(gate)), { losses: [1], checks: [{ step: 0, score: -1 }], kept: 0 }) });
      expect(moved.after.decoded.scores.l1).not.toBe(moved.before.decoded.scores.l1); // the judge of an untrained editor may stay 0; its edits change
    } finally {
      disposeEditor(e);
    }
  });

  it("measureHeadFit: the measure before and after the fit, no decodings; the fit's losses thinned alike", () => {
    const lines: string[] = [];
    let weight = 1;
    const out = measureHeadFit({ measure: (label) => `${label} ${weight}`, fit: () => ((weight = 2), { losses: Array.from({ length: 21 }, (_, i) => i), checks: [{ step: 0, score: -3 }, { step: 20, score: -1 }], kept: 20 }), log: (l) => lines.push(l) });
    expect(out.before.measure).toBe("before 1");
    expect(out.after.measure).toBe("after 2");
    expect(out.fit.losses).toEqual([9, 19, 20]);
    expect(out.fit.kept).toBe(20);
    expect(lines).toEqual(["the check scores: step 0 -3.0000, step 20 -1.0000; kept step 20"]);
  });
});
