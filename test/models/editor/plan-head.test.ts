import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { patchPixels } from "../../../lib/models/editor/aligned";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { engineData } from "../../../lib/models/editor/train/data";
import { fitPlanHead, isPlanHeadParam, isPlanSourceParam, planHeadError } from "../../../lib/models/editor/train/plan-head";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { imageBatch } from "../../../lib/models/editor/train/steps";
import { perturbZeroInit } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

const bil = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
const colour = checkEditorConfig({ ...bil, alignedPlan: true, alignedPlanGate: "open" });
const withSource = checkEditorConfig({ ...colour, alignedPlanSource: true });
const edits = engineData(recipeConfig("tiny").dataSeed, 6, bil.image).edits;

describe("the plan head reads the source patch's pixels (editor config alignedPlanSource)", () => {
  it("patchPixels: each patch's pixels as one row, patches and pixels row-major", () => {
    // a 4 x 4 image of 1 channel holding its pixel index, patches of 2: patch 1 (top right) holds pixels 2, 3, 6, 7
    const img = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
    const rows = tf.tidy(() => patchPixels(img, 2));
    expect(rows.shape).toEqual([1, 4, 4]);
    expect(rows.arraySync()[0]).toEqual([[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]);
    expect(() => tf.tidy(() => patchPixels(img, 3))).toThrow("patchPixels: image 4x4 is not divisible by patch 3");
    tf.dispose([img, rows]);
  });

  it("config: keyed only when on; needs an edit plan; its weights start at zero, so the plan is the editor's without it", () => {
    expect(keyedEditorConfig(withSource, false).alignedPlanSource).toBe(true);
    expect(keyedEditorConfig(colour, false)).not.toHaveProperty("alignedPlanSource");
    expect(() => checkEditorConfig({ ...bil, alignedPlanSource: true })).toThrow('editor: alignedPlanSource needs an edit plan (alignedPlan true, "attend" or "palette")');
    expect(() => checkEditorConfig({ ...colour, alignedPlanSource: false as never })).toThrow("editor: alignedPlanSource must be true (or absent), got false");
    const [a, b] = [createEditor(colour, new Rng(4)), createEditor(withSource, new Rng(4))];
    try {
      expect(editorParams(b)["edit.loc.plan.s.w"].shape).toEqual([withSource.dnPatch * withSource.dnPatch * 3, withSource.dnD]);
      const plan = (e: typeof a) => tf.tidy(() => editorCondition(e, imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image), editorLayout(e, edits.slice(0, 2).map((x) => x.instruction))).aligned!.plan!.arraySync());
      expect(plan(b)).toEqual(plan(a));
      (editorParams(b)["edit.loc.plan.s.w"] as tf.Variable).assign(tf.fill(editorParams(b)["edit.loc.plan.s.w"].shape, 0.1));
      expect(plan(b)).not.toEqual(plan(a));
    } finally {
      disposeEditor(a);
      disposeEditor(b);
    }
  });

  it("fitPlanHead trains the plan head alone (not the denoiser's reading of the plan), keeps the best check, leaks nothing", () => {
    const e = createEditor(withSource, new Rng(5));
    perturbZeroInit(e, 5);
    const p = editorParams(e);
    expect(Object.keys(p).filter(isPlanSourceParam).sort()).toEqual(["edit.loc.plan.s.b", "edit.loc.plan.s.w"]);
    expect(Object.keys(p).filter(isPlanHeadParam).sort()).toEqual(["edit.loc.plan.h.b", "edit.loc.plan.h.w", "edit.loc.plan.o.b", "edit.loc.plan.o.w", "edit.loc.plan.s.b", "edit.loc.plan.s.w"]);
    const others = Object.keys(p).filter((k) => !isPlanHeadParam(k));
    const snapshot = () => others.map((k) => Array.from(p[k].dataSync()));
    try {
      const [train, check] = [edits.slice(0, 8), edits.slice(8, 12)];
      const before = snapshot();
      const error0 = planHeadError(e, check);
      const n0 = tf.memory().numTensors;
      const fit = fitPlanHead(e, train, { steps: 4, batch: 4, lr: 1e-2, seed: 1 }, { every: 2, edits: check });
      expect(tf.memory().numTensors).toBe(n0);
      expect(fit.losses).toHaveLength(4);
      expect(fit.checks.map((x) => x.step)).toEqual([0, 2, 4]);
      expect(fit.checks[0].score).toBeCloseTo(-error0, 6);
      const best = fit.checks.reduce((b, x) => (x.score > b.score ? x : b));
      expect(fit.kept).toBe(best.step);
      expect(planHeadError(e, check)).toBeCloseTo(-best.score, 5); // the kept weights are the best check's
      expect(snapshot()).toEqual(before); // nothing else moved, edit.loc.plan.i included
      expect(() => fitPlanHead(e, train, { steps: 2, batch: 4, lr: 1e-2, seed: 1 }, { every: 0, edits: check })).toThrow("fitPlanHead: checks must come every positive whole number of steps, got 0");
    } finally {
      disposeEditor(e);
    }
    const none = createEditor(bil, new Rng(5));
    try {
      expect(() => planHeadError(none, edits)).toThrow("planHeadError: this editor predicts no edit plan (config alignedPlan, with image tokens)");
    } finally {
      disposeEditor(none);
    }
  });
});
