import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { objectWhereTargets, whereObjectLoss } from "../../../lib/models/editor/aligned-targets";
import { checkEditorConfig, editorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../../lib/models/editor/model";
import { changedObjectId, engineData, genericEditData } from "../../../lib/models/editor/train/data";
import { editorPhaseTask, type EditorNodeConfig } from "../../../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig, textPhaseRecipe } from "../../../lib/models/editor/train/recipes";
import { editorScheduler, editStepLoss } from "../../../lib/models/editor/train/steps";
import { perturbZeroInit } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

describe("the object-level where loss (recipe whereObjectLossWeight)", () => {
  it("changedObjectId: the object with the most changed pixels, ties to the lower id, -1 when no object pixel changes", () => {
    const mask = Int32Array.from([-1, 2, 2, 5, 5, 5]);
    expect(changedObjectId(mask, Uint8Array.from([1, 1, 0, 1, 1, 0]))).toBe(5);
    expect(changedObjectId(mask, Uint8Array.from([0, 1, 0, 1, 0, 0]))).toBe(2);
    expect(changedObjectId(mask, Uint8Array.from([1, 0, 0, 0, 0, 0]))).toBe(-1);
    expect(() => changedObjectId(mask, new Uint8Array(3))).toThrow("changedObjectId: mask has 6 pixels, changed 3");
  });

  it("targets: per item its objects' normalised coverage rows (ids in order), padded; the changed object's row; no objects or an unknown id weigh 0", () => {
    // image 4, patch 2: a 2 x 2 patch grid; object 7 fills the top-left patch and half the top-right, object 3 the bottom-right patch
    const m = Int32Array.from([7, 7, 7, -1, 7, 7, 7, -1, -1, -1, 3, 3, -1, -1, 3, 3]);
    const t = objectWhereTargets([{ mask: m, changed: 7 }, undefined, { mask: m, changed: 9 }], { image: 4, dnPatch: 2 });
    expect(t.R).toBe(2);
    // item 0: row 0 = object 3 (bottom-right), row 1 = object 7 (1 of the top-left, 0.5 of the top-right, normalised by 1.5)
    expect(Array.from(t.cover.slice(0, 8))).toEqual([0, 0, 0, 1, 1 / 1.5, 0.5 / 1.5, 0, 0].map((v) => Math.fround(v)));
    expect(Array.from(t.valid)).toEqual([1, 1, 0, 0, 1, 1]);
    expect(Array.from(t.target)).toEqual([1, -1, -1]);
    expect(Array.from(t.weight)).toEqual([1, 0, 0]);
  });

  it("the loss is the cross-entropy of the objects' mean logits; its gradient reaches the covered patches only; no leaks", () => {
    const m = Int32Array.from([7, 7, 7, -1, 7, 7, 7, -1, -1, -1, 3, 3, -1, -1, 3, 3]);
    const t = objectWhereTargets([{ mask: m, changed: 7 }, undefined], { image: 4, dnPatch: 2 });
    const where = tf.tensor2d([[1, -2, 0.5, 3], [0, 0, 0, 0]]);
    const n0 = tf.memory().numTensors;
    const loss = tf.tidy(() => whereObjectLoss(where, t).dataSync()[0]);
    const s7 = (1 * 1 + 0.5 * -2) / 1.5;
    const s3 = 3;
    expect(loss).toBeCloseTo(-(s7 - Math.log(Math.exp(s7) + Math.exp(s3))), 5);
    const g = tf.tidy(() => tf.grad((w: tf.Tensor) => whereObjectLoss(w as tf.Tensor2D, t))(where).arraySync() as number[][]);
    expect(g[0][2]).toBe(0); // patch 2 belongs to no object
    expect(g[0][0]).toBeLessThan(0); // raising the changed object's logits lowers the loss
    expect(g[0][3]).toBeGreaterThan(0);
    expect(g[1]).toEqual([0, 0, 0, 0]); // the item without objects
    expect(tf.memory().numTensors).toBe(n0);
    where.dispose();
  });

  it("the data engine's edits carry their objects, generic edits none; the Stage II step adds weight x the loss, and refuses edits without objects", () => {
    const bil = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
    const rc = recipeConfig("tiny");
    const edits = engineData(rc.dataSeed, 3, bil.image).edits;
    expect(edits.length).toBeGreaterThan(0);
    for (const x of edits) expect(x.objects!.mask.length).toBe(bil.image * bil.image);
    expect(edits.filter((x) => x.objects!.changed >= 0).length).toBeGreaterThanOrEqual(0.8 * edits.length);
    const generic = genericEditData(rc.dataSeed, 2, bil.image);
    expect(generic.every((x) => x.objects === undefined)).toBe(true);
    const e = createEditor(bil, new Rng(5));
    perturbZeroInit(e, 5);
    const sched = editorScheduler(bil);
    const batch = edits.slice(0, 4);
    try {
      const at = (w: number) => tf.tidy(() => editStepLoss(e, batch, sched, new Rng(11), { whereObjectWeight: w }).dataSync()[0]);
      const l0 = at(0);
      const l1 = at(1);
      const l2 = at(2);
      expect(l1).not.toBe(l0);
      expect(l2 - l0).toBeCloseTo(2 * (l1 - l0), 4);
      expect(() => editStepLoss(e, [...batch.slice(0, 1), ...generic.slice(0, 1)], sched, new Rng(11), { whereObjectWeight: 1 })).toThrow("editStepLoss: the object-level where loss needs each edit's objects (the data engine's spatial edits, engineData)");
    } finally {
      disposeEditor(e);
    }
  });

  it("a node with it needs the aligned path and Stage II; keys are unchanged while 0; bad values are errors", async () => {
    const plain = editorConfig("tiny");
    const bil = checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear" });
    const rc = recipeConfig("tiny");
    const base = createEditor(plain, new Rng(7));
    const node = (editor = bil, phase: EditorNodeConfig["phase"] = "stage2"): EditorNodeConfig => ({ editor, recipe: { ...rc, whereObjectLossWeight: 1 }, phase, mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 });
    try {
      const task = editorPhaseTask(node(), 0, editorParams(base), null);
      expect(Number.isFinite(await task.step(0))).toBe(true);
      task.dispose();
      expect(() => editorPhaseTask(node(plain), 0, editorParams(base), null)).toThrow("editor node: whereObjectLossWeight needs the aligned path (editor.aligned) and image tokens");
      expect(() => editorPhaseTask(node(bil, "mgie"), 0, editorParams(base), null)).toThrow("editor node: whereObjectLossWeight needs the data engine's spatial edits (phase stage2), got phase 'mgie'");
    } finally {
      disposeEditor(base);
    }
    expect("whereObjectLossWeight" in keyedRecipe({ ...rc, whereObjectLossWeight: 0 })).toBe(false);
    expect(keyedRecipe({ ...rc, whereObjectLossWeight: 1 }).whereObjectLossWeight).toBe(1);
    expect("whereObjectLossWeight" in textPhaseRecipe({ ...rc, whereObjectLossWeight: 1 })).toBe(false);
    expect(() => recipeConfig("tiny", { whereObjectLossWeight: -1 })).toThrow("editor recipes: whereObjectLossWeight must be a finite number >= 0, got -1");
  });
});
