import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { scaleLoss, scaleTargets } from "../../../lib/models/editor/aligned-targets";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { blendsVacated, decodeGate, decodeObjectMove, fillsMoved, MIN_LOG_SCALE, MIN_OFFSET, moveCoverage, moveDestination, movesObject, parseGateDecode, plansGround, shiftCoverage } from "../../../lib/models/editor/gate-decode";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { engineData, genericEditData, objectScale } from "../../../lib/models/editor/train/data";
import { editorPhaseTask, type EditorNodeConfig } from "../../../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig, textPhaseRecipe } from "../../../lib/models/editor/train/recipes";
import { editorScheduler, editStepLoss, imageBatch } from "../../../lib/models/editor/train/steps";
import { perturbZeroInit } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

const plain = editorConfig("tiny");
const withMove = () => checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear", alignedPlan: "palette", alignedPlanGate: "open", alignedOffset: true, alignedScale: true });

describe("the scale head's truth: how much an edit grows the object it changes", () => {
  it("objectScale: the square root of the object's visible pixels in the target over the source; null when it is absent from either", () => {
    // 4 x 4 masks: object 2 covers 1 pixel, then 4
    const src = Int32Array.from([2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    const tgt = Int32Array.from([2, 2, -1, -1, 2, 2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    expect(objectScale(src, tgt, 2)).toBe(2);
    expect(objectScale(tgt, src, 2)).toBe(0.5);
    expect(objectScale(src, src, 2)).toBe(1);
    expect(objectScale(src, new Int32Array(16).fill(-1), 2)).toBeNull();
    expect(objectScale(src, tgt, -1)).toBeNull();
    expect(() => objectScale(src, new Int32Array(9), 2)).toThrow("objectScale: source mask has 16 pixels, target 9");
  });

  it("the data engine's edits carry a scale where they carry an offset: recolours 1, resizes away from 1, removals none", () => {
    const rc = recipeConfig("tiny");
    const edits = engineData(rc.dataSeed, 16, plain.image).edits;
    const of = (kind: string) => edits.filter((x) => x.kind === kind);
    for (const x of edits) expect(x.objects!.scale === undefined).toBe(x.objects!.offset === undefined);
    for (const x of of("recolour")) expect(x.objects!.scale).toBe(1);
    for (const x of of("remove")) expect(x.objects!.scale).toBeUndefined();
    expect(of("resize").some((x) => x.objects!.scale !== undefined && Math.abs(Math.log(x.objects!.scale)) > MIN_LOG_SCALE)).toBe(true);
    expect(genericEditData(rc.dataSeed, 2, plain.image).every((x) => x.objects === undefined)).toBe(true);
  });

  it("targets are log scales, weight 0 without one; the loss is the mean squared difference over items with one, dropped texts left out; no leaks", () => {
    const t = scaleTargets([{ scale: Math.E }, undefined, {}]);
    expect(Array.from(t.target).map((v) => +v.toFixed(6))).toEqual([1, 0, 0]);
    expect(Array.from(t.weight)).toEqual([1, 0, 0]);
    const pred = tf.tensor2d([[0.5], [3], [0]]);
    const n0 = tf.memory().numTensors;
    expect(tf.tidy(() => scaleLoss(pred, t).dataSync()[0])).toBeCloseTo(0.25, 5);
    const two = scaleTargets([{ scale: Math.E }, { scale: 1 }, {}]);
    expect(tf.tidy(() => scaleLoss(pred, two).dataSync()[0])).toBeCloseTo((0.25 + 9) / 2, 4);
    expect(tf.tidy(() => scaleLoss(pred, two, [1, 0, 1]).dataSync()[0])).toBeCloseTo(0.25, 5);
    expect(tf.tidy(() => scaleLoss(pred, scaleTargets([undefined, undefined, undefined])).dataSync()[0])).toBe(0);
    expect(tf.memory().numTensors).toBe(n0);
    expect(() => scaleLoss(pred, scaleTargets([undefined]))).toThrow("scaleLoss: targets for 1 items do not match the log scales [3, 1]");
    expect(() => scaleLoss(pred, two, [1])).toThrow("scaleLoss: 1 keep weights for 3 items");
    expect(() => scaleTargets([{ scale: 0 }])).toThrow("scaleTargets: item 0's scale must be a finite number > 0, got 0");
    pred.dispose();
  });
});

describe("the scale head (editor config alignedScale)", () => {
  it("needs the bilinear where head; keeps keys of configs without it; its weights start at scale 1 and its output is [B, 1]", () => {
    expect(() => checkEditorConfig({ ...plain, aligned: true, alignedScale: true })).toThrow("editor: alignedScale needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')");
    expect(() => checkEditorConfig({ ...plain, alignedScale: 1 as unknown as boolean })).toThrow("editor: alignedScale must be true or false, got 1");
    const c = withMove();
    expect(keyedEditorConfig(c, false).alignedScale).toBe(true);
    expect("alignedScale" in keyedEditorConfig(c, true)).toBe(false);
    expect("alignedScale" in keyedEditorConfig({ ...c, alignedScale: undefined }, false)).toBe(false);
    const e = createEditor(c, new Rng(3));
    try {
      const p = editorParams(e);
      expect(p["edit.loc.scale.h.w"].shape).toEqual([c.d, c.dnD]);
      expect(p["edit.loc.scale.o.w"].shape).toEqual([c.dnD, 1]);
      const edits = engineData(recipeConfig("tiny").dataSeed, 3, c.image).edits.slice(0, 3);
      const n0 = tf.memory().numTensors;
      const s = tf.tidy(() => editorCondition(e, imageBatch(edits.map((x) => x.source), c.image), editorLayout(e, edits.map((x) => x.instruction))).aligned!.logScale!.arraySync());
      expect(tf.memory().numTensors).toBe(n0);
      expect(s).toEqual([[0], [0], [0]]);
    } finally {
      disposeEditor(e);
    }
  });

  it("the Stage II step adds weight x the scale loss, whose gradient reaches the head; nodes check the config and the phase; recipe keys stay without it", async () => {
    const c = withMove();
    const rc = recipeConfig("tiny");
    const edits = engineData(rc.dataSeed, 16, c.image).edits.filter((x) => x.objects!.scale !== undefined).slice(0, 4);
    const e = createEditor(c, new Rng(5));
    perturbZeroInit(e, 5);
    (editorParams(e)["edit.loc.scale.o.w"] as tf.Variable).assign(tf.tensor2d(new Rng(6).normalArray(c.dnD, 0, 0.3), [c.dnD, 1]));
    const sched = editorScheduler(c);
    try {
      const at = (w: number) => tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), { whereScaleWeight: w }).dataSync()[0]);
      const [l0, l1, l2] = [at(0), at(1), at(2)];
      expect(l1).toBeGreaterThan(l0);
      expect(l2 - l0).toBeCloseTo(2 * (l1 - l0), 4);
      const v = editorParams(e)["edit.loc.scale.h.w"] as tf.Variable;
      const grad = (w: number) => tf.tidy(() => tf.norm(tf.variableGrads(() => editStepLoss(e, edits, sched, new Rng(11), { whereScaleWeight: w }), [v]).grads[v.name]).dataSync()[0]);
      expect(() => grad(0)).toThrow("Cannot find a connection between any variable and the result of the loss function");
      expect(grad(1)).toBeGreaterThan(0);
      const generic = genericEditData(rc.dataSeed, 2, c.image);
      expect(() => editStepLoss(e, [edits[0], generic[0]], sched, new Rng(11), { whereScaleWeight: 1 })).toThrow("editStepLoss: the scale loss needs each edit's objects (the data engine's spatial edits, engineData)");
    } finally {
      disposeEditor(e);
    }
    const noHead = checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear", alignedOffset: true });
    const b = createEditor(noHead, new Rng(5));
    try {
      expect(() => tf.tidy(() => editStepLoss(b, edits, sched, new Rng(11), { whereScaleWeight: 1 }))).toThrow("stage2Loss: the scale loss needs the scale head (editor config alignedScale, with the bilinear where head and image tokens)");
    } finally {
      disposeEditor(b);
    }
    const base = createEditor(plain, new Rng(7));
    const node = (editor = c, phase: EditorNodeConfig["phase"] = "stage2"): EditorNodeConfig => ({ editor, recipe: { ...rc, whereOffsetLossWeight: 1, whereScaleLossWeight: 1 }, phase, mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 });
    try {
      const task = editorPhaseTask(node(), 0, editorParams(base), null);
      expect(Number.isFinite(await task.step(0))).toBe(true);
      task.dispose();
      expect(() => editorPhaseTask(node(noHead), 0, editorParams(base), null)).toThrow("editor node: whereScaleLossWeight needs the scale head (editor.alignedScale, with the bilinear where head) and image tokens");
      expect(() => editorPhaseTask(node(c, "mgie"), 0, editorParams(base), null)).toThrow("editor node: whereOffsetLossWeight needs the data engine's spatial edits (phase stage2), got phase 'mgie'");
    } finally {
      disposeEditor(base);
    }
    expect("whereScaleLossWeight" in keyedRecipe({ ...rc, whereScaleLossWeight: 0 })).toBe(false);
    expect(keyedRecipe({ ...rc, whereScaleLossWeight: 1 }).whereScaleLossWeight).toBe(1);
    expect("whereScaleLossWeight" in textPhaseRecipe({ ...rc, whereScaleLossWeight: 1 })).toBe(false);
  });
});

describe("the object+move gate decoding", () => {
  const one = (G: number, at: number) => Array.from({ length: G * G }, (_, n) => (n === at ? 1 : 0));

  it("moveCoverage: scale 1 is the shift; a scale grows the extent about the coverage's centre, which the offset moves; bad input is an error", () => {
    const cov = [0, 0, 1, 1, 0, 0, 1, 1, 0]; // a 3 x 3 grid
    expect(moveCoverage(cov, 1, -1, 1)).toEqual(shiftCoverage(cov, 1, -1));
    // one patch at the centre of a 5 x 5 grid, twice as large: the row through it samples 1.5, 2, 2.5 of the source row
    const g = moveCoverage(one(5, 12), 0, 0, 2);
    expect(g.slice(10, 15)).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(g.slice(5, 10)).toEqual([0, 0.25, 0.5, 0.25, 0]);
    expect(g.reduce((s, v) => s + v, 0)).toBeCloseTo(4, 9); // the area grows by scale^2
    const moved = moveCoverage(one(5, 12), 1, 0, 2); // and moved one patch right
    expect(moved.slice(10, 15)).toEqual([0, 0, 0.5, 1, 0.5]);
    expect(moveCoverage(one(5, 12), 0, 0, 0.5).reduce((s, v) => s + v, 0)).toBe(1); // half as large: the patch itself, the sample lands on it
    expect(moveCoverage(new Array(9).fill(0), 1, 1, 2)).toEqual(new Array(9).fill(0));
    expect(() => moveCoverage(cov, 0, 0, 0)).toThrow("moveCoverage: the scale must be a finite number > 0, got 0");
    expect(() => moveCoverage([1, 2, 3], 0, 0, 2)).toThrow("moveCoverage: 3 patches do not form a square grid");
    expect(() => moveCoverage(cov, Infinity, 0, 2)).toThrow("moveCoverage: the offset must be finite, got [Infinity, 0]");
  });

  it("moveDestination: no move below both thresholds; a scale alone moves; fills and vacates as offsetDestination's", () => {
    const cov = one(5, 12);
    expect(moveDestination(cov, [MIN_OFFSET * 0.9, 0], Math.exp(MIN_LOG_SCALE * 0.9))).toBeNull();
    const grow = moveDestination(cov, [0, 0], 2)!;
    expect(grow.moved).toEqual(moveCoverage(cov, 0, 0, 2));
    expect(grow.fills[11]).toBe(1);
    expect(grow.vacates.every((v) => v === 0)).toBe(true);
    const shrink = moveDestination([0, 0, 0, 0, 1, 1, 0, 1, 1].map(Number), [0, 0], 0.5)!;
    expect(shrink.vacates.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
    expect(moveDestination(cov, [1, 0], 1)!.moved).toEqual(shiftCoverage(cov, 1, 0));
    expect(() => moveDestination(cov, [0, 0], -1)).toThrow("moveDestination: the scale must be a finite number > 0, got -1");
  });

  it("decodeGate and decodeObjectMove gate the share of each patch the move changes, |moved - own|; need the scales; parse knows the rule", () => {
    expect(parseGateDecode("object+move")).toBe("object+move");
    expect([plansGround("object+move"), plansGround("object+offset+ground"), plansGround("object+offset+fill"), plansGround("object+offset")]).toEqual([true, true, true, false]);
    expect([fillsMoved("object+offset+fill"), fillsMoved("object+offset+ground"), movesObject("object+offset+fill")]).toEqual([true, false, true]);
    expect([parseGateDecode("object+offset+blend"), movesObject("object+offset+blend"), plansGround("object+offset+blend"), fillsMoved("object+offset+blend")]).toEqual(["object+offset+blend", true, true, false]);
    expect([blendsVacated("object+offset+blend"), blendsVacated("object+offset+ground"), blendsVacated("object+move")]).toEqual([true, false, false]);
    const where = tf.tensor2d([one(5, 12), one(5, 0)]);
    const objects = [[Float32Array.from(one(5, 12)), Float32Array.from(one(5, 0))], [Float32Array.from(one(5, 12)), Float32Array.from(one(5, 0))]];
    const n0 = tf.memory().numTensors;
    const g = decodeGate(where, "object+move", { objects, offsets: [[0, 0], [0, 0]], scales: [2, 1] });
    const rows = g.arraySync();
    expect(rows[0]).toEqual(moveCoverage(one(5, 12), 0, 0, 2).map((v, n) => Math.abs(v - one(5, 12)[n]))); // the share the move changes
    expect(rows[0][12]).toBe(0); // the centre patch stays covered: unchanged
    expect(rows[1]).toEqual(one(5, 0)); // scale 1 and no offset: the object alone
    const { gate, choices } = decodeObjectMove(where, "object+move", { objects, offsets: [[0, 0], [0, 0]], scales: [2, 1] });
    expect(gate.arraySync()).toEqual(rows);
    expect(choices.map((c) => c.object)).toEqual([0, 1]);
    expect(choices[1].dest).toBeNull();
    expect(() => decodeGate(where, "object+move", { objects, offsets: [[0, 0], [0, 0]] })).toThrow("decodeGate: 'object+move' needs the scale head's prediction for each of the 2 items (an editor with alignedScale), got none");
    expect(() => decodeObjectMove(where, "object", { objects, offsets: [[0, 0], [0, 0]] })).toThrow("decodeObjectMove: 'object' moves no object (the moving rules are object+offset, object+offset+ground, object+offset+fill, object+offset+blend, object+offset+paste, object+offset+shade, object+move, object+move+paste, object+move+redraw, object+move+said, object+move+draw and object+move+pixels)");
    tf.dispose([g, gate]);
    expect(tf.memory().numTensors).toBe(n0);
    where.dispose();
  });

  it("the pipeline: at scale 1 and no move it edits as `object`; a predicted scale changes the edit; given scales need given offsets; an editor without the head refuses", () => {
    const c = withMove();
    const N = (c.image / c.dnPatch) ** 2;
    const edits = engineData(recipeConfig("tiny").dataSeed, 3, c.image).edits.slice(0, 2);
    const sources = edits.map((x) => x.source);
    const instructions = edits.map((x) => x.instruction);
    const objects = [[Float32Array.from({ length: N }, (_, n) => (n === 9 || n === 10 ? 1 : 0))], [Float32Array.from({ length: N }, (_, n) => (n === 27 ? 1 : 0))]];
    const e = createEditor(c, new Rng(8));
    perturbZeroInit(e, 8);
    const p = editorParams(e);
    (p["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
    (p["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(12).normalArray((p["edit.loc.plan.i.w"] as tf.Variable).shape[0] * c.dnD, 0, 0.5), [(p["edit.loc.plan.i.w"] as tf.Variable).shape[0], c.dnD]));
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    try {
      const asObject = editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects });
      const still = editImages(e, sources, instructions, { steps: 2, gate: "object+move" }, { objects }); // both heads start at "no move"
      expect(maxDiff(still.images[0], asObject.images[0])).toBe(0);
      (p["edit.loc.scale.o.b"] as tf.Variable).assign(tf.tensor1d([Math.log(2)]));
      const grown = editImages(e, sources, instructions, { steps: 2, gate: "object+move" }, { objects });
      expect(maxDiff(grown.images[0], asObject.images[0])).toBeGreaterThan(1e-4);
      const viaGiven = editImages(e, sources, instructions, { steps: 2, gate: "object+move" }, { objects, offsets: [[0, 0], [0, 0]], scales: [2, 2] });
      expect(maxDiff(viaGiven.images[0], grown.images[0])).toBeLessThan(1e-5); // the head's scale exp(log 2) and a given 2 edit alike
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+move" }, { objects, scales: [2, 2] })).toThrow("editImages: given scales (extras.scales) are read by the object+move, object+move+paste, object+move+redraw, object+move+said, object+move+draw and object+move+pixels gate decodings only, with given offsets (extras.offsets); got 'object+move' without offsets");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+move" }, { objects, offsets: [[0, 0], [0, 0]], scales: [2] })).toThrow("editImages: 1 scales for 2 images");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+move" }, { objects, offsets: [[0, 0], [0, 0]], scales: [2, 0] })).toThrow("editImages: scale 1 must be a finite number > 0, got 0");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+move" }, { objects, offsets: [[0, 0], [0, 0]] })).toThrow("editImages: gate decoding 'object+move' needs an editor with the scale head (alignedScale) or the move head (alignedMoves), or given scales with given offsets (extras.scales, extras.offsets)");
    } finally {
      disposeEditor(e);
    }
    const b = createEditor(checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear", alignedOffset: true }), new Rng(8));
    try {
      expect(() => editImages(b, sources, instructions, { steps: 2, gate: "object+move" }, { objects })).toThrow("editImages: gate decoding 'object+move' needs an editor with the scale head (alignedScale) or the move head (alignedMoves), or given scales with given offsets (extras.scales, extras.offsets)");
      expect(editImages(b, sources, instructions, { steps: 2, gate: "object+move" }, { objects, offsets: [[1, 0], [0, 0]], scales: [1.5, 1] }).images).toHaveLength(2);
    } finally {
      disposeEditor(b);
    }
  });
});
