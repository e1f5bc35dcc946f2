import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { atBrightness, brightness, planBrightnessError, planSplitEditor, splitColour } from "../../lib/eval/plan-split";
import { engineData } from "../../lib/models/editor/train/data";
import { recipeConfig } from "../../lib/models/editor/train/recipes";
import { offsetOracleEditor, truthOffset } from "../../lib/eval/trained-editor";
import { checkEditorConfig, editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../lib/models/editor/model";
import { perturbZeroInit } from "../models/editor/helpers";

beforeAll(async () => {
  await initBackend();
});

describe("the plan-split diagnostic (plan-split.ts)", () => {
  it("brightness is the brightest channel's byte; atBrightness keeps the chromaticity; splitColour picks by source", () => {
    expect(brightness([0, -1, 1])).toBe(255);
    expect(brightness([-1, -1, -1])).toBe(0);
    expect(atBrightness([0, -1, -0.5], 63.75)).toEqual([-0.5, -1, -0.75]); // bytes 127.5, 0, 63.75 halved
    expect(atBrightness([0, -1, 0], 510)).toEqual([1, -1, 1]); // clipped at 255
    expect(atBrightness([-1, -1, -1], 100)).toEqual([-1, -1, -1]); // black has no chromaticity to keep
    expect(splitColour([0, -1, 0], [1, 1, -1], "own")).toEqual([0, -1, 0]);
    expect(splitColour([0, -1, 0], [1, 1, -1], "truth")).toEqual([1, 1, -1]);
    expect(splitColour([0, -1, 0], [1, 1, -1], "own chroma, truth brightness")).toEqual([1, -1, 1]);
  });

  it("all own is the oracle offset and choice with the editor's plan; all truth is it with the truth's plan; the other splits differ; it needs a colour plan and the records", async () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedPlan: true, alignedPlanGate: "open" });
    const e = createEditor(c, new Rng(8));
    perturbZeroInit(e, 8);
    (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
    (editorParams(e)["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(11).normalArray(3 * c.dnD, 0, 0.5), [3, c.dnD]));
    const grid = c.image / c.dnPatch;
    const bench = ensureBenchmark("spatialeval", "tiny");
    try {
      const moves = bench.items.filter((it) => it.kind === "move" && Math.hypot(...truthOffset(it, c.image, grid)) >= 0.5).slice(0, 2);
      expect(moves.length).toBeGreaterThan(0);
      const requests = moves.map((it) => ({ source: it.source, instruction: it.instruction, item: it }));
      const rule = "object+offset+ground" as const;
      const run = (split: Parameters<typeof planSplitEditor>[4]) => planSplitEditor("split", e, { steps: 2 }, rule, split).editBatch!(requests);
      const before = tf.memory().numTensors;
      const own = await run({ fills: "own", vacates: "own", rest: "own" });
      const truth = await run({ fills: "truth", vacates: "truth", rest: "truth" });
      const bright = await run({ fills: "own chroma, truth brightness", vacates: "own chroma, truth brightness", rest: "own chroma, truth brightness" });
      const noisy = await run({ fills: "truth", vacates: "truth", rest: "truth", noise: 0.3 });
      expect(tf.memory().numTensors).toBe(before);
      const oracleOwn = await offsetOracleEditor("o", e, { steps: 2 }, { rule, choice: true }).editBatch!(requests);
      const oracleTruth = await offsetOracleEditor("o", e, { steps: 2 }, { rule, choice: true, plan: true }).editBatch!(requests);
      const maxDiff = (a: typeof own, b: typeof own) => Math.max(...a.map((img, i) => img.data.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i].data[j])), 0)));
      expect(maxDiff(own, oracleOwn)).toBeLessThanOrEqual(1); // one byte of rounding at most
      expect(maxDiff(truth, oracleTruth)).toBe(0);
      expect(maxDiff(own, truth)).toBeGreaterThan(1);
      expect(maxDiff(bright, own)).toBeGreaterThan(1);
      expect(maxDiff(noisy, truth)).toBeGreaterThan(1);
      await expect(planSplitEditor("x", e, { steps: 2 }, rule, { fills: "own", vacates: "own", rest: "own" }).editBatch!([{ source: moves[0].source, instruction: moves[0].instruction }])).rejects.toThrow("planSplitEditor: request 0 has no benchmark record (request.item); the perception needs its source scene's camera");
    } finally {
      disposeEditor(e);
    }
    const palette = createEditor(checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedPlan: "palette" }), new Rng(8));
    try {
      expect(() => planSplitEditor("x", palette, {}, "object+offset+ground", { fills: "own", vacates: "own", rest: "own" })).toThrow("planSplitEditor: the split needs an editor with a colour plan (alignedPlan true or 'attend')");
      expect(() => planBrightnessError(palette, [])).toThrow("planBrightnessError: the error needs an editor with a colour plan (alignedPlan true or 'attend')");
    } finally {
      disposeEditor(palette);
    }
  });

  it("planBrightnessError: the mean brightness gap over the patches an edit changes at least half of; none: NaN", () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedPlan: true });
    const e = createEditor(c, new Rng(3));
    const edits = engineData(recipeConfig("tiny").dataSeed, 6, c.image).edits;
    try {
      const n0 = tf.memory().numTensors;
      const err = planBrightnessError(e, edits, 3);
      expect(tf.memory().numTensors).toBe(n0);
      expect(err).toBeGreaterThan(0);
      expect(err).toBeLessThanOrEqual(255);
      expect(planBrightnessError(e, edits.map((x) => ({ ...x, target: x.source })))).toBeNaN(); // no change: no patch to score
    } finally {
      disposeEditor(e);
    }
  });
});
