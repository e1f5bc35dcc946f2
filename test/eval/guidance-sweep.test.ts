import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { BENCHMARK_SEEDS } from "../../lib/data/seeds";
import { benchmarkConfig } from "../../lib/eval/benchmark-config";
import { generateBenchmark } from "../../lib/eval/benchmark-generate";
import { identityEditor, oracleEditor } from "../../lib/eval/editor";
import { guidanceSweep, parseGuidancePairs, type GuidancePair } from "../../lib/eval/guidance-sweep";
import { trainedEditor } from "../../lib/eval/trained-editor";
import { editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor } from "../../lib/models/editor/model";
import { perturbZeroInit } from "../models/editor/helpers";

let tmp = "";
beforeAll(async () => {
  await initBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "guidance-sweep-"));
});

const benches = () => ({
  validation: generateBenchmark("spatialeval", path.join(tmp, "v"), benchmarkConfig("tiny"), BENCHMARK_SEEDS.spatialEvalValidation),
  test: generateBenchmark("spatialeval", path.join(tmp, "t"), benchmarkConfig("tiny"), BENCHMARK_SEEDS.spatialEval),
});

describe("guidance scales chosen on the validation benchmark", () => {
  it("parses 's_T x s_I' pairs; exact errors", () => {
    expect(parseGuidancePairs("1x1,2.5x1.5,,4x1")).toEqual([{ textScale: 1, imageScale: 1 }, { textScale: 2.5, imageScale: 1.5 }, { textScale: 4, imageScale: 1 }]);
    expect(() => parseGuidancePairs("2.5")).toThrow("guidance: '2.5' is not <text scale>x<image scale> (e.g. 2.5x1.5)");
    expect(() => parseGuidancePairs("0.5x1")).toThrow("guidance: scales below 1 ('0.5x1') reverse the condition; use scales >= 1");
    expect(() => parseGuidancePairs(",")).toThrow("guidance: no scale pairs given");
  });

  it("chooses the pair that scores best on validation, and the choice flips with the editor", async () => {
    const { validation, test } = benches();
    // an editor that edits correctly only at one pair: the sweep must find it, whichever it is
    const at = (good: GuidancePair) => (g: GuidancePair) => (g.textScale === good.textScale && g.imageScale === good.imageScale ? oracleEditor() : identityEditor());
    const pairs = parseGuidancePairs("2x1,3x1.5");
    const a = await guidanceSweep(at({ textScale: 3, imageScale: 1.5 }), validation, test, pairs, 0);
    expect(a.validation.map((v) => [v.textScale, v.imageScale])).toEqual([[1, 1], [2, 1], [3, 1.5]]); // 1 x 1 first, always
    expect(a.chosen).toEqual({ textScale: 3, imageScale: 1.5 });
    expect(a.scores.objectJudge).toBeGreaterThan(a.none.objectJudge);
    expect(a.gain.diff).toBeCloseTo(a.scores.objectJudge - a.none.objectJudge, 12);
    expect(a.gain.lo).toBeGreaterThan(0);
    const b = await guidanceSweep(at({ textScale: 1, imageScale: 1 }), validation, test, pairs, 0);
    expect(b.chosen).toEqual({ textScale: 1, imageScale: 1 });
    expect(b.scores).toBe(b.none); // no guidance chosen: nothing else is scored on the test items
    expect(b.gain).toEqual({ diff: 0, lo: 0, hi: 0 });
    await expect(guidanceSweep(at({ textScale: 1, imageScale: 1 }), test, test, pairs, 0)).rejects.toThrow("guidanceSweep: the validation and test benchmarks are the same items; the scales must be chosen on held-out ones");
  }, 120_000);

  it("a real editor: guidance changes its edits, ties go to no guidance, no tensors leak", async () => {
    const { validation, test } = benches();
    const model = createEditor(editorConfig("tiny"), new Rng(3));
    perturbZeroInit(model, 4);
    const n0 = tf.memory().numTensors;
    const r = await guidanceSweep((g) => trainedEditor(`g ${g.textScale}x${g.imageScale}`, model, { steps: 2, seed: 0, ...g }), validation, test, parseGuidancePairs("3x2"), 0);
    expect(tf.memory().numTensors).toBe(n0);
    expect(r.validation.length).toBe(2);
    if (r.validation[1].objectJudge <= r.validation[0].objectJudge) expect(r.chosen).toEqual({ textScale: 1, imageScale: 1 });
    else expect(r.chosen).toEqual({ textScale: 3, imageScale: 2 });
    const img = (g: GuidancePair) => trainedEditor("x", model, { steps: 2, seed: 0, ...g }).edit({ source: test.items[0].source, instruction: test.items[0].instruction } as never);
    const [plain, guided] = [await img({ textScale: 1, imageScale: 1 }), await img({ textScale: 3, imageScale: 2 })];
    expect(Array.from(plain.data).some((v, i) => v !== guided.data[i])).toBe(true);
    disposeEditor(model);
  }, 120_000);
});
