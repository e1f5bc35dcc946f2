import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { Rng } from "../../lib/core/rng";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { CURVE_PROGRESS_FILE, checkCurveConfig, curveAtStep, curveVerdict, finalDifference, finalDifferenceText, keepCurve, rawWeightsCurve, stage2Curves, stepsSaved, stepsSavedText, stepsToReach, trainCurve, type Curve, type CurveConfig, type CurvePoint } from "../../lib/eval/learning-curve";
import { editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../lib/models/editor/model";
import { fromPretrained } from "../../lib/train/checkpoint";
import { disposeParams } from "../../lib/nn/layers";
import { recipeConfig } from "../../lib/models/editor/train/recipes";

const pt = (step: number, objectJudge: number): CurvePoint => ({ step, trainSeconds: step, objectJudge, n: 10, l1: 0, l1Background: 0, items: [] });
const curve = (variant: Curve["variant"], scores: [number, number][]): Curve => ({ variant, row: variant, points: scores.map(([s, j]) => pt(s, j)), losses: [] });

describe("learning-curve readers", () => {
  it("stepsToReach: the first evaluated step at or above the target, else null", () => {
    const c = curve("spatialedit", [[100, 0.1], [200, 0.5], [300, 0.4], [400, 0.7]]);
    expect(stepsToReach(c, 0.5)).toBe(200);
    expect(stepsToReach(c, 0.05)).toBe(100);
    expect(stepsToReach(c, 0.8)).toBeNull();
  });

  it("stepsSaved: Stage I saves steps when SpatialEdit reaches w/o S1's final score earlier, and the reading flips", () => {
    const wo = curve("wo-s1", [[100, 0.1], [200, 0.2], [300, 0.3], [400, 0.4]]);
    const fast = curve("spatialedit", [[100, 0.2], [200, 0.45], [300, 0.6], [400, 0.7]]);
    expect(stepsSaved(fast, wo)).toEqual({ target: 0.4, reachedAt: 200, saved: 200 });
    expect(stepsSavedText(stepsSaved(fast, wo), 400)).toBe("steps saved by Stage I: 200 of 400 (w/o S1 reaches 0.400 at step 400; SpatialEdit at step 200)");
    const slow = curve("spatialedit", [[100, 0], [200, 0.1], [300, 0.2], [400, 0.3]]);
    expect(stepsSaved(slow, wo)).toEqual({ target: 0.4, reachedAt: null, saved: null });
    expect(stepsSavedText(stepsSaved(slow, wo), 400)).toMatch(/^steps saved by Stage I: none/);
    const zero = curve("wo-s1", [[100, 0], [400, 0]]);
    expect(stepsSaved(fast, zero).saved).toBeNull();
    expect(stepsSavedText(stepsSaved(fast, zero), 400)).toMatch(/not measurable/);
  });

  it("finalDifference: paired over items at the last step; holds only when the interval excludes 0, and flips", () => {
    const withItems = (row: string, items: number[]): Pick<Curve, "row" | "points"> => ({ row, points: [{ ...pt(10, items.reduce((a, b) => a + b, 0) / items.length), items }] });
    const strong = withItems("A", Array.from({ length: 40 }, (_, i) => (i < 30 ? 1 : 0)));
    const weak = withItems("B", Array.from({ length: 40 }, (_, i) => (i < 5 ? 1 : 0)));
    const d = finalDifference(strong, weak, new Rng(1), 500);
    expect(d.diff).toBeCloseTo(0.625, 12);
    expect(d.paired).toBe(true);
    expect(d.ci.lo).toBeGreaterThan(0);
    expect(d.verdict).toBe("holds");
    expect(finalDifference(weak, strong, new Rng(1), 500).verdict).toBe("reversed");
    const one = withItems("C", Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 0)));
    const none = withItems("D", Array(40).fill(0));
    expect(finalDifference(one, none, new Rng(1), 500).verdict).toBe("holds, not significant");
    expect(finalDifferenceText(d)).toMatch(/^A - B on the object judge at the last step: 0\.625 \[95% CI 0\.\d{3}, 0\.\d{3}, paired over items\]: holds$/);
    expect(() => finalDifference(strong, withItems("E", [1, 0]), new Rng(1))).toThrow("finalDifference: 'A' has 40 scored items and 'E' 2; a paired difference needs the same items");
  });

  it("curveVerdict: the goal needs both the score and the ratio to MGIE-like", () => {
    const mg = curve("mgie", [[400, 0.5]]);
    expect(curveVerdict([curve("spatialedit", [[400, 0.9]]), mg]).reached).toBe(true);
    expect(curveVerdict([curve("spatialedit", [[400, 0.7]]), mg]).reached).toBe(false); // score too low
    const v = curveVerdict([curve("spatialedit", [[400, 0.9]]), curve("mgie", [[400, 0.6]])]);
    expect(v.reached).toBe(false); // ratio 1.5 < 1.55
    expect(v.ratio).toBeCloseTo(1.5, 12);
    expect(v.text).toBe("SpatialEdit 0.900 (goal >= 0.85), ratio 1.50 (goal >= 1.55): goal not reached");
    expect(curveVerdict([mg]).text).toBe("SpatialEdit was not trained in this run");
  });

  it("curveAtStep: the curve up to a scored step, so that finalDifference reads that step; a step never scored is an error", () => {
    const long = curve("spatialedit", [[1000, 0.1], [2000, 0.3], [3000, 0.4]]);
    const at = curveAtStep(long, 2000);
    expect(at.points.map((p) => p.step)).toEqual([1000, 2000]);
    expect(at.points[at.points.length - 1].objectJudge).toBe(0.3);
    expect(long.points.length).toBe(3); // the curve itself is not changed
    expect(() => curveAtStep(long, 1500)).toThrow("'spatialedit' has no point at step 1500 (its points: 1000, 2000, 3000)");
    expect(() => curveAtStep(curve("mgie", []), 1)).toThrow("'mgie' has no point at step 1 (its points: none)");
  });

  it("checkCurveConfig: bad steps and variants are errors that name the field", () => {
    const c: CurveConfig = { editor: editorConfig("tiny"), recipe: recipeConfig("tiny"), seed: 0, variants: ["spatialedit"], evalAt: [1, 2], ddimSteps: 2 };
    expect(checkCurveConfig(c)).toBe(c);
    expect(() => checkCurveConfig({ ...c, evalAt: [2, 1] })).toThrow("learning curve: evalAt must increase, got 2 then 1");
    expect(() => checkCurveConfig({ ...c, evalAt: [1] })).toThrow("learning curve: the last evalAt must be stage2Steps (2), got 1");
    expect(() => checkCurveConfig({ ...c, evalAt: [0, 2] })).toThrow("evalAt[0] must be an integer in 1..2");
    expect(() => checkCurveConfig({ ...c, variants: ["nope" as "mgie"] })).toThrow("learning curve: unknown variant 'nope'; known: spatialedit, wo-s1, mgie");
    expect(() => checkCurveConfig({ ...c, ddimSteps: 0 })).toThrow("ddimSteps must be an integer >= 1, got 0");
  });
});

describe("stage2Curves on tiny", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("scores every variant at every evalAt step, leaks no tensors, and a second run is served from the cache", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "curves-"));
    const bench = ensureBenchmark("spatialeval", "tiny");
    const c: CurveConfig = { editor: editorConfig("tiny"), recipe: recipeConfig("tiny", { stage2Steps: 3 }), seed: 0, variants: ["spatialedit", "wo-s1", "mgie"], evalAt: [1, 3], ddimSteps: 2 };
    const before = tf.memory().numTensors;
    const run = await stage2Curves(c, bench, dir);
    expect(tf.memory().numTensors).toBe(before);
    expect(run.curves.map((x) => x.variant)).toEqual(["spatialedit", "wo-s1", "mgie"]);
    for (const cv of run.curves) {
      expect(cv.points.map((p) => p.step)).toEqual([1, 3]);
      expect(cv.losses.length).toBe(3);
      for (const p of cv.points) {
        expect(p.n).toBeGreaterThan(0);
        expect(p.items.length).toBe(p.n);
        expect(p.objectJudge).toBeGreaterThanOrEqual(0);
        expect(p.objectJudge).toBeLessThanOrEqual(1);
        expect(p.l1Region).toBeGreaterThan(0); // the edit region differs from the truth before training
        expect(p.l1Background).toBeGreaterThanOrEqual(0);
      }
    }
    // each finished curve keeps its final weights (scripts/editor-diagnose.ts reads them)
    const key = fs.readdirSync(dir)[0];
    const finals = fs.readdirSync(path.join(dir, key)).filter((f) => f.startsWith("final-")).sort();
    expect(finals.map((f) => f.split("-").slice(0, -1).join("-"))).toEqual(["final-mgie", "final-spatialedit", "final-wo-s1"]);
    for (const f of finals) expect(fs.existsSync(path.join(dir, key, f, "model.safetensors"))).toBe(true);
    const lines: string[] = [];
    const again = await stage2Curves(c, bench, dir, (l) => lines.push(l));
    expect(lines.filter((l) => l.endsWith("from the cache")).length).toBe(3);
    expect(again.curves).toEqual(run.curves);
    expect(again.baseSeconds).toBe(run.baseSeconds);
    // a longer Stage II budget reuses the cached parents and trains only the new curves
    const longer = await stage2Curves({ ...c, recipe: { ...c.recipe, stage2Steps: 4 }, variants: ["wo-s1"], evalAt: [4] }, bench, dir, (l) => lines.push(l));
    expect(longer.baseSeconds).toBe(run.baseSeconds);
    expect(longer.curves[0].points.map((p) => p.step)).toEqual([4]);
    // an edit-phase-only setting (the edit-region weight) reuses the parents but is a new curve, with its own losses
    const wLines: string[] = [];
    const weighted = await stage2Curves({ ...c, recipe: { ...c.recipe, editRegionWeight: 4 }, variants: ["wo-s1"] }, bench, dir, (l) => wLines.push(l));
    expect(weighted.baseSeconds).toBe(run.baseSeconds);
    expect(wLines.some((l) => l.endsWith("from the cache"))).toBe(false);
    expect(weighted.curves[0].losses).not.toEqual(run.curves[1].losses);
    // with EMA, each point scores the averages and keeps the raw weights' scores beside them; training is unchanged
    const eLines: string[] = [];
    const averaged = await stage2Curves({ ...c, recipe: { ...c.recipe, emaDecay: 0.5 }, variants: ["wo-s1"] }, bench, dir, (l) => eLines.push(l));
    expect(averaged.baseSeconds).toBe(run.baseSeconds);
    expect(averaged.curves[0].losses).toEqual(run.curves[1].losses);
    for (const p of averaged.curves[0].points) expect(p.raw?.items.length).toBe(p.n);
    expect(run.curves[1].points.every((p) => p.raw === undefined)).toBe(true);
    expect(rawWeightsCurve(run.curves[1])).toBeNull();
    const raw = rawWeightsCurve(averaged.curves[0])!;
    expect(raw.row).toBe("SpatialEdit w/o S1 (raw weights)");
    expect(raw.points.map((p) => [p.step, p.objectJudge, p.items])).toEqual(averaged.curves[0].points.map((p) => [p.step, p.raw!.objectJudge, p.raw!.items]));
    expect(eLines.filter((l) => /^wo-s1 step \d+: EMA object judge .*; raw weights object judge /.test(l)).length).toBe(2);
    // Stage I's grounding loss: the same base (one cache folder), its own Stage I and SpatialEdit curve; w/o S1 is served from the cache
    const gLines: string[] = [];
    const grounded = await stage2Curves({ ...c, recipe: { ...c.recipe, groundLossWeight: 1 }, variants: ["spatialedit", "wo-s1"] }, bench, dir, (l) => gLines.push(l));
    expect(fs.readdirSync(dir)).toEqual([key]);
    expect(fs.existsSync(path.join(dir, key, "stage1-ground1", "model.safetensors"))).toBe(true);
    expect(grounded.baseSeconds).toBe(run.baseSeconds);
    expect(gLines.filter((l) => l.endsWith("from the cache"))).toEqual(["wo-s1: from the cache"]);
    expect(grounded.curves[0].losses).not.toEqual(run.curves[0].losses);
    // the aligned [LOC] path and its where loss: the same base and Stage I (one cache folder, no new Stage I), a new SpatialEdit curve
    const aLines: string[] = [];
    const aligned = await stage2Curves({ ...c, editor: { ...c.editor, aligned: true }, recipe: { ...c.recipe, whereLossWeight: 1 }, variants: ["spatialedit"] }, bench, dir, (l) => aLines.push(l));
    expect(fs.readdirSync(dir)).toEqual([key]);
    expect(aligned.baseSeconds).toBe(run.baseSeconds);
    expect(aligned.stage1Seconds).toBe(run.stage1Seconds);
    expect(aLines.some((l) => l.endsWith("from the cache"))).toBe(false);
    expect(aligned.curves[0].losses).not.toEqual(run.curves[0].losses);
    expect(aligned.curves[0].points.map((p) => p.step)).toEqual([1, 3]);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it("trainCurve: a run stopped mid-way continues from its checkpoint with the points it had, and ends as the uninterrupted run", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "curve-resume-"));
    const bench = ensureBenchmark("spatialeval", "tiny");
    const c: CurveConfig = { editor: editorConfig("tiny"), recipe: recipeConfig("tiny", { stage2Steps: 4, emaDecay: 0.5 }), seed: 0, variants: ["wo-s1"], evalAt: [2, 4], ddimSteps: 2 };
    const parentEditor = createEditor(c.editor, new Rng(1).fork("init"), { imageTokens: true });
    const parent = editorParams(parentEditor);
    const dirs = (n: string) => ({ final: path.join(dir, `final-${n}`), run: path.join(dir, `run-${n}`) });
    const before = tf.memory().numTensors;
    const whole = (await trainCurve(c, "wo-s1", parent, bench, dirs("a"), () => {}, { checkpointEvery: 1 }))!;
    expect(whole.points.map((p) => p.step)).toEqual([2, 4]);
    expect(await trainCurve(c, "wo-s1", parent, bench, dirs("b"), () => {}, { checkpointEvery: 1, stopAfter: 3 })).toBeNull();
    expect(fs.existsSync(dirs("b").final)).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    const lines: string[] = [];
    const resumed = (await trainCurve(c, "wo-s1", parent, bench, dirs("b"), (l) => lines.push(l), { checkpointEvery: 1 }))!;
    expect(lines[0]).toBe("wo-s1: resumed at step 3 of 4");
    expect(lines.filter((l) => l.startsWith("wo-s1 step 2:"))).toEqual([]); // step 2's point came from the run folder
    expect(resumed.losses).toEqual(whole.losses);
    expect(resumed.points.map((p) => [p.step, p.objectJudge, p.items, p.l1])).toEqual(whole.points.map((p) => [p.step, p.objectJudge, p.items, p.l1]));
    const [a, b] = [fromPretrained(dirs("a").final).params, fromPretrained(dirs("b").final).params];
    for (const k of Object.keys(a)) expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a[k], b[k]))).dataSync()[0])).toBe(0);
    disposeParams(a);
    disposeParams(b);
    expect(tf.memory().numTensors).toBe(before);
    // keeping the curve removes its checkpoints
    keepCurve(path.join(dir, "curve-b.json"), resumed, dirs("b").run);
    expect(fs.existsSync(dirs("b").run)).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "curve-b.json"), "utf8"))).toEqual(resumed);
    // a run folder whose checkpoint is past a step with no recorded score is an error that says what to do
    expect(await trainCurve(c, "wo-s1", parent, bench, dirs("c"), () => {}, { checkpointEvery: 1, stopAfter: 3 })).toBeNull();
    fs.writeFileSync(path.join(dirs("c").run, CURVE_PROGRESS_FILE), JSON.stringify({ points: [], seconds: {} }));
    await expect(trainCurve(c, "wo-s1", parent, bench, dirs("c"))).rejects.toThrow(`trainCurve: '${dirs("c").run}' holds a checkpoint at step 3 but no score for step 2 (${CURVE_PROGRESS_FILE}); remove the folder to train the curve again`);
    disposeEditor(parentEditor);
  }, 120_000);
});
