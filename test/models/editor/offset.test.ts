import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { offsetLoss, offsetTargets } from "../../../lib/models/editor/aligned-targets";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { decodeGate, decodeObjectMove, FREE_COVERAGE, groundColour, MIN_OFFSET, movesObject, needsObjects, objectColour, offsetDestination, parseGateDecode, plansGround, shiftCoverage } from "../../../lib/models/editor/gate-decode";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { dataEngineConfig } from "../../../lib/data/config";
import { buildScene } from "../../../lib/data/generate";
import { truthMove, truthOffset } from "../../../lib/eval/trained-editor";
import { engineData, genericEditData, objectOffset, objectScale } from "../../../lib/models/editor/train/data";
import { editorPhaseTask, type EditorNodeConfig } from "../../../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig, textPhaseRecipe } from "../../../lib/models/editor/train/recipes";
import { editorScheduler, editStepLoss, imageBatch } from "../../../lib/models/editor/train/steps";
import { perturbZeroInit } from "./helpers";
import { liveOffsetEditor, maxDiff, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

const plain = editorConfig("tiny");

describe("the offset head's truth: how far an edit moves the object it changes", () => {
  it("objectOffset: the shift of the object's visible pixel centre, as fractions of the image side; null when it is absent from either mask", () => {
    // 4 x 4 masks: object 2 fills the top-left 2 x 2 block, then the block one pixel right and two down
    const src = Int32Array.from([2, 2, -1, -1, 2, 2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    const tgt = Int32Array.from([-1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 2, -1, -1, 2, 2, -1]);
    expect(objectOffset(src, tgt, 2)).toEqual([0.25, 0.5]);
    expect(objectOffset(src, src, 2)).toEqual([0, 0]);
    expect(objectOffset(src, new Int32Array(16).fill(-1), 2)).toBeNull(); // removed
    expect(objectOffset(src, tgt, -1)).toBeNull(); // no changed object
    expect(() => objectOffset(src, new Int32Array(9), 2)).toThrow("objectOffset: source mask has 16 pixels, target 9");
    expect(() => objectOffset(new Int32Array(8), new Int32Array(8), 2)).toThrow("objectOffset: a mask of 8 pixels is not square");
  });

  it("the data engine's moves carry an offset, removals none, recolours a zero one; generic edits have no objects", () => {
    const rc = recipeConfig("tiny");
    const edits = engineData(rc.dataSeed, 12, plain.image).edits;
    const of = (kind: string) => edits.filter((x) => x.kind === kind);
    expect(of("move").length).toBeGreaterThan(0);
    for (const x of of("move")) if (x.objects!.offset) expect(Math.hypot(...x.objects!.offset)).toBeGreaterThan(0);
    expect(of("move").some((x) => x.objects!.offset !== undefined)).toBe(true);
    for (const x of of("remove")) expect(x.objects!.offset).toBeUndefined();
    for (const x of of("recolour")) expect(x.objects!.offset).toEqual([0, 0]);
    expect(genericEditData(rc.dataSeed, 2, plain.image).every((x) => x.objects === undefined)).toBe(true);
  });

  it("targets in denoiser patches, weight 0 without an offset; the loss is the mean squared distance over items with one, dropped texts left out; no leaks", () => {
    const t = offsetTargets([{ offset: [0.25, -0.125] }, undefined, {}], { image: 32, dnPatch: 4 }); // an 8 x 8 grid
    expect(Array.from(t.target)).toEqual([2, -1, 0, 0, 0, 0]);
    expect(Array.from(t.weight)).toEqual([1, 0, 0]);
    const pred = tf.tensor2d([[1, 1], [5, 5], [0, 0]]);
    const n0 = tf.memory().numTensors;
    expect(tf.tidy(() => offsetLoss(pred, t).dataSync()[0])).toBeCloseTo(1 + 4, 5); // (2 - 1)^2 + (-1 - 1)^2; the others weigh 0
    const two = offsetTargets([{ offset: [0.25, -0.125] }, { offset: [0, 0] }, {}], { image: 32, dnPatch: 4 });
    expect(tf.tidy(() => offsetLoss(pred, two).dataSync()[0])).toBeCloseTo((5 + 50) / 2, 4);
    expect(tf.tidy(() => offsetLoss(pred, two, [1, 0, 1]).dataSync()[0])).toBeCloseTo(5, 5);
    expect(tf.tidy(() => offsetLoss(pred, offsetTargets([undefined, undefined, undefined], { image: 32, dnPatch: 4 })).dataSync()[0])).toBe(0);
    expect(tf.memory().numTensors).toBe(n0);
    expect(() => offsetLoss(pred, offsetTargets([undefined], { image: 32, dnPatch: 4 }))).toThrow("offsetLoss: targets for 1 items do not match the offsets [3, 2]");
    expect(() => offsetLoss(pred, two, [1])).toThrow("offsetLoss: 1 keep weights for 3 items");
    pred.dispose();
  });
});

describe("the truth's offset of a benchmark item (the oracle-offset diagnostic)", () => {
  it("truthOffset: the first target's centre shift between the rendered source and edited scenes, in patches; [0, 0] without an edited scene or a target", () => {
    const cfg = dataEngineConfig("tiny", { resolution: 32 });
    const scenes = Array.from({ length: 8 }, (_, k) => buildScene(k, recipeConfig("tiny").dataSeed, cfg));
    const moves = scenes.flatMap((s) => s.edits.filter((x) => x.kind === "move").map((x) => ({ s, x })));
    expect(moves.length).toBeGreaterThan(0);
    for (const { s, x } of moves) {
      const o = objectOffset(s.render.mask, x.targetMask, x.targets[0]);
      const t = truthOffset({ sourceScene: s.scene, editedScene: x.edited, targets: x.targets }, 32, 8);
      if (o === null) expect(t).toEqual([0, 0]);
      else expect(t.map((v) => +v.toFixed(9))).toEqual([o[0] * 8, o[1] * 8].map((v) => +v.toFixed(9)));
    }
    expect(moves.some(({ s, x }) => Math.hypot(...truthOffset({ sourceScene: s.scene, editedScene: x.edited, targets: x.targets }, 32, 8)) > 0.5)).toBe(true);
    const { s } = moves[0];
    expect(truthOffset({ sourceScene: s.scene, editedScene: null, targets: [0] }, 32, 8)).toEqual([0, 0]);
    expect(truthOffset({ sourceScene: s.scene, editedScene: s.scene, targets: [] }, 32, 8)).toEqual([0, 0]);
    // truthMove: the same offset and the object's visible growth (1 without an edited scene or a target)
    expect(truthMove({ sourceScene: s.scene, editedScene: null, targets: [0] }, 32, 8)).toEqual({ offset: [0, 0], scale: 1 });
    for (const { s: sc, x } of moves) {
      const m = truthMove({ sourceScene: sc.scene, editedScene: x.edited, targets: x.targets }, 32, 8);
      const scale = objectScale(sc.render.mask, x.targetMask, x.targets[0]);
      expect(m.scale).toBeCloseTo(objectOffset(sc.render.mask, x.targetMask, x.targets[0]) === null || scale === null ? 1 : scale, 9);
    }
  });
});

describe("the offset head (editor config alignedOffset)", () => {
  it("needs the bilinear where head; keeps keys of configs without it; its weights start at 'no move' and its output is [B, 2]", () => {
    expect(() => checkEditorConfig({ ...plain, aligned: true, alignedOffset: true })).toThrow("editor: alignedOffset needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')");
    expect(() => checkEditorConfig({ ...plain, alignedOffset: "yes" as unknown as boolean })).toThrow('editor: alignedOffset must be true or false, got "yes"');
    const c = withOffset();
    expect(keyedEditorConfig(c, false).alignedOffset).toBe(true);
    expect("alignedOffset" in keyedEditorConfig(c, true)).toBe(false); // text phases build no aligned path
    expect("alignedOffset" in keyedEditorConfig({ ...c, alignedOffset: undefined }, false)).toBe(false);
    const e = createEditor(c, new Rng(3));
    try {
      const p = editorParams(e);
      expect(p["edit.loc.offset.h.w"].shape).toEqual([c.d, c.dnD]);
      expect(p["edit.loc.offset.o.w"].shape).toEqual([c.dnD, 2]);
      const edits = engineData(recipeConfig("tiny").dataSeed, 3, c.image).edits.slice(0, 3);
      const n0 = tf.memory().numTensors;
      const off = tf.tidy(() => editorCondition(e, imageBatch(edits.map((x) => x.source), c.image), editorLayout(e, edits.map((x) => x.instruction))).aligned!.offset!.arraySync());
      expect(tf.memory().numTensors).toBe(n0);
      expect(off).toEqual([[0, 0], [0, 0], [0, 0]]);
    } finally {
      disposeEditor(e);
    }
  });

  it("the Stage II step adds weight x the offset loss, whose gradient reaches the head; nodes check the config and the phase; recipe keys stay without it", async () => {
    const c = withOffset();
    const rc = recipeConfig("tiny");
    const edits = engineData(rc.dataSeed, 12, c.image).edits.filter((x) => x.objects!.offset !== undefined).slice(0, 4);
    const e = createEditor(c, new Rng(5));
    perturbZeroInit(e, 5);
    (editorParams(e)["edit.loc.offset.o.w"] as tf.Variable).assign(tf.tensor2d(new Rng(6).normalArray(c.dnD * 2, 0, 0.3), [c.dnD, 2]));
    const sched = editorScheduler(c);
    try {
      const at = (w: number) => tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), { whereOffsetWeight: w }).dataSync()[0]);
      const [l0, l1, l2] = [at(0), at(1), at(2)];
      expect(l1).toBeGreaterThan(l0);
      expect(l2 - l0).toBeCloseTo(2 * (l1 - l0), 4);
      const v = editorParams(e)["edit.loc.offset.h.w"] as tf.Variable;
      const grad = (w: number) => tf.tidy(() => tf.norm(tf.variableGrads(() => editStepLoss(e, edits, sched, new Rng(11), { whereOffsetWeight: w }), [v]).grads[v.name]).dataSync()[0]);
      expect(() => grad(0)).toThrow("Cannot find a connection between any variable and the result of the loss function"); // nothing else reads the head
      expect(grad(1)).toBeGreaterThan(0);
      const generic = genericEditData(rc.dataSeed, 2, c.image);
      expect(() => editStepLoss(e, [edits[0], generic[0]], sched, new Rng(11), { whereOffsetWeight: 1 })).toThrow("editStepLoss: the offset loss needs each edit's objects (the data engine's spatial edits, engineData)");
    } finally {
      disposeEditor(e);
    }
    const noHead = checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear" });
    const b = createEditor(noHead, new Rng(5));
    try {
      expect(() => tf.tidy(() => editStepLoss(b, edits, sched, new Rng(11), { whereOffsetWeight: 1 }))).toThrow("stage2Loss: the offset loss needs the offset head (editor config alignedOffset, with the bilinear where head and image tokens)");
    } finally {
      disposeEditor(b);
    }
    const base = createEditor(plain, new Rng(7));
    const node = (editor = c, phase: EditorNodeConfig["phase"] = "stage2"): EditorNodeConfig => ({ editor, recipe: { ...rc, whereOffsetLossWeight: 1 }, phase, mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 });
    try {
      const task = editorPhaseTask(node(), 0, editorParams(base), null); // the parent has no offset head: it starts from initialisation
      expect(Number.isFinite(await task.step(0))).toBe(true);
      task.dispose();
      expect(() => editorPhaseTask(node(noHead), 0, editorParams(base), null)).toThrow("editor node: whereOffsetLossWeight needs the offset head (editor.alignedOffset, with the bilinear where head) and image tokens");
      expect(() => editorPhaseTask(node(c, "mgie"), 0, editorParams(base), null)).toThrow("editor node: whereOffsetLossWeight needs the data engine's spatial edits (phase stage2), got phase 'mgie'");
    } finally {
      disposeEditor(base);
    }
    expect("whereOffsetLossWeight" in keyedRecipe({ ...rc, whereOffsetLossWeight: 0 })).toBe(false);
    expect(keyedRecipe({ ...rc, whereOffsetLossWeight: 1 }).whereOffsetLossWeight).toBe(1);
    expect("whereOffsetLossWeight" in textPhaseRecipe({ ...rc, whereOffsetLossWeight: 1 })).toBe(false);
  });
});

describe("removals taught no move (recipe whereOffsetStillRemovals)", () => {
  it("the step's offset loss then counts each removal with the target [0, 0], as if its objects said so; off, removals add nothing; nodes and keys check it", async () => {
    const c = withOffset();
    const rc = recipeConfig("tiny");
    const all = engineData(rc.dataSeed, 16, c.image).edits;
    const removal = all.find((x) => x.kind === "remove" && x.objects!.offset === undefined)!;
    const move = all.find((x) => x.kind === "move" && x.objects!.offset !== undefined)!;
    expect(removal).toBeDefined();
    const e = createEditor(c, new Rng(5));
    perturbZeroInit(e, 5);
    (editorParams(e)["edit.loc.offset.o.b"] as tf.Variable).assign(tf.tensor1d([1.5, -0.5])); // the head predicts a move for every item
    const sched = editorScheduler(c);
    try {
      const at = (ex: typeof all, still: boolean) => tf.tidy(() => editStepLoss(e, ex, sched, new Rng(11), { whereOffsetWeight: 1, offsetStillRemovals: still }).dataSync()[0]);
      const asNoMove = { ...removal, objects: { ...removal.objects!, offset: [0, 0] as const } };
      expect(at([move, removal], true)).toBeCloseTo(at([move, asNoMove], false), 6);
      expect(at([move, removal], false)).not.toBeCloseTo(at([move, removal], true), 3);
      expect(at([move, removal], false)).toBeCloseTo(at([move, { ...removal, objects: { ...removal.objects!, offset: undefined } }], false), 6);
    } finally {
      disposeEditor(e);
    }
    const base = createEditor(plain, new Rng(7));
    try {
      const node: EditorNodeConfig = { editor: c, recipe: { ...rc, whereOffsetStillRemovals: true }, phase: "stage2", mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 };
      expect(() => editorPhaseTask(node, 0, editorParams(base), null)).toThrow("editor node: whereOffsetStillRemovals needs the offset loss (whereOffsetLossWeight > 0)");
      const task = editorPhaseTask({ ...node, recipe: { ...rc, whereOffsetLossWeight: 1, whereOffsetStillRemovals: true } }, 0, editorParams(base), null);
      expect(Number.isFinite(await task.step(0))).toBe(true);
      task.dispose();
    } finally {
      disposeEditor(base);
    }
    expect("whereOffsetStillRemovals" in keyedRecipe({ ...rc, whereOffsetStillRemovals: false })).toBe(false);
    expect(keyedRecipe({ ...rc, whereOffsetStillRemovals: true }).whereOffsetStillRemovals).toBe(true);
    expect("whereOffsetStillRemovals" in textPhaseRecipe({ ...rc, whereOffsetStillRemovals: true })).toBe(false);
  });
});

describe("the object+offset gate decoding", () => {
  it("shiftCoverage moves a whole-patch offset exactly, splits a fractional one, drops what leaves the grid", () => {
    // a 3 x 3 grid, the object on the centre patch
    const cov = [0, 0, 0, 0, 1, 0, 0, 0, 0];
    expect(shiftCoverage(cov, 1, 0)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(shiftCoverage(cov, 0, -1)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(shiftCoverage(cov, 0.5, 0).map((x) => +x.toFixed(6))).toEqual([0, 0, 0, 0, 0.5, 0.5, 0, 0, 0]);
    expect(shiftCoverage(cov, 2, 0)).toEqual(new Array(9).fill(0));
    expect(() => shiftCoverage([1, 2, 3], 1, 0)).toThrow("shiftCoverage: 3 patches do not form a square grid");
    expect(() => shiftCoverage(cov, NaN, 0)).toThrow("shiftCoverage: the offset must be finite, got [NaN, 0]");
  });

  it("offsetDestination: none below MIN_OFFSET; the moved coverage and the patches it adds", () => {
    const cov = [0, 0, 0, 0, 1, 0.5, 0, 0, 0];
    expect(offsetDestination(cov, [MIN_OFFSET * 0.9, 0])).toBeNull();
    const d = offsetDestination(cov, [0, 1])!;
    expect(d.moved).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0.5]);
    expect(d.fills).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(d.vacates).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0]);
  });

  it("groundColour: the mean colour of the nearest free patches in the patch's row or below; none when there is none; checks its input", () => {
    // a 6 x 6 image of 2 x 2 patches (a 3 x 3 grid), each patch one colour: patch m has colour [m / 10, -m / 10, 0]
    const G = 3;
    const img = new Float32Array(6 * 6 * 3);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) {
      const m = Math.floor(y / 2) * G + Math.floor(x / 2);
      img.set([m / 10, -m / 10, 0], (y * 6 + x) * 3);
    }
    const cov = (ms: number[], v = 1) => Float32Array.from({ length: 9 }, (_, m) => (ms.includes(m) ? v : 0));
    const near = (c: [number, number, number] | null) => c!.map((v) => +v.toFixed(6));
    // the object on patches 3, 4 and 7; free patches in 4's row or below: 5 (distance 1), 6 and 8 (distance sqrt 2)
    expect(near(groundColour(img, [cov([3, 4, 7])], 4, 2))).toEqual([0.5, -0.5, 0]);
    // from patch 3: 6 (below) is at distance 1, as 5 is not (distance 2): patch 0 above is free but above the row
    expect(near(groundColour(img, [cov([3, 4])], 3, 2))).toEqual([0.6, -0.6, 0]);
    // ties average: the object on 3, 4, 5 and 7; from 4 the nearest free patches in its row or below are 6 and 8 (distance sqrt 2)
    expect(near(groundColour(img, [cov([3, 4, 5, 7])], 4, 2))).toEqual([0.7, -0.7, 0]);
    // summed coverage of at least FREE_COVERAGE is not free: two faint objects on 5 together cover it
    expect(near(groundColour(img, [cov([3, 4, 7]), cov([5], FREE_COVERAGE / 2), cov([5], FREE_COVERAGE / 2)], 4, 2))).toEqual([0.7, -0.7, 0]);
    expect(groundColour(img, [cov([6, 7, 8])], 7, 2)).toBeNull(); // the bottom row is covered: no free ground at or below it
    expect(() => groundColour(img, [], 9, 2)).toThrow("groundColour: patch 9 is not one of the 9 patches");
    expect(() => groundColour(img, [cov([1]).slice(0, 4)], 0, 2)).toThrow("groundColour: object 0 covers 4 patches; the source has 9");
    expect(() => groundColour(img.slice(0, 10), [], 0, 2)).toThrow("groundColour: a source of 10 values does not split into patches of side 2");
  });

  it("decodeGate opens the chosen object and its moved coverage, needs the offsets, and equals `object` with no move; parse knows the rule", () => {
    expect(parseGateDecode("object+offset")).toBe("object+offset");
    expect(parseGateDecode("object+offset+ground")).toBe("object+offset+ground");
    expect([movesObject("object+offset"), movesObject("object+offset+ground"), movesObject("object"), needsObjects("object+offset+ground")]).toEqual([true, true, false, true]);
    const where = tf.tensor2d([[3, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 2]]);
    const objects = [[Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]), Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1])], [Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]), Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1])]];
    const n0 = tf.memory().numTensors;
    const g = decodeGate(where, "object+offset", { objects, offsets: [[2, 0], [0.1, 0]] });
    expect(g.arraySync()).toEqual([[1, 0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 1]]);
    const o = decodeGate(where, "object", { objects });
    const still = decodeGate(where, "object+offset", { objects, offsets: [[0, 0], [0, 0]] });
    expect(still.arraySync()).toEqual(o.arraySync());
    expect(() => decodeGate(where, "object+offset", { objects })).toThrow("decodeGate: 'object+offset' needs the offset head's prediction for each of the 2 items (an editor with alignedOffset), got none");
    const ground = decodeGate(where, "object+offset+ground", { objects, offsets: [[2, 0], [0.1, 0]] }); // the same gate: the rules differ in the plan
    expect(ground.arraySync()).toEqual(g.arraySync());
    expect(() => decodeGate(where, "object+offset+ground", { objects })).toThrow("decodeGate: 'object+offset+ground' needs the offset head's prediction for each of the 2 items (an editor with alignedOffset), got none");
    tf.dispose([g, o, still, ground]);
    expect(tf.memory().numTensors).toBe(n0);
    where.dispose();
  });

  it("decodeObjectMove: decodeGate's gate and, per item, the object and move behind it (none for an item without objects)", () => {
    const where = tf.tensor2d([[3, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 2], [0, 1, 0, 0, 0, 0, 0, 0, 0]]);
    const a = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const b = Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const objects = [[a, b], [a, b], []];
    const offsets: [number, number][] = [[2, 0], [0.1, 0], [1, 1]];
    const n0 = tf.memory().numTensors;
    const { gate, choices } = decodeObjectMove(where, "object+offset", { objects, offsets });
    const g = decodeGate(where, "object+offset", { objects, offsets });
    expect(gate.arraySync()).toEqual(g.arraySync());
    expect(choices.map((c) => c.object)).toEqual([0, 1, -1]);
    expect(choices[0].dest).toEqual(offsetDestination(a, [2, 0]));
    expect(choices[0].dest!.fills).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(choices[1].dest).toBeNull(); // shorter than MIN_OFFSET
    expect(choices[2].dest).toBeNull(); // no object: the `max` gate, no move
    expect(() => decodeObjectMove(where, "object+offset", { objects, offsets: offsets.slice(0, 2) })).toThrow("decodeGate: 'object+offset' needs the offset head's prediction for each of the 3 items (an editor with alignedOffset), got 2");
    tf.dispose([gate, g]);
    expect(tf.memory().numTensors).toBe(n0);
    where.dispose();
  });

  it("objectColour: the patches' mean colours weighted by the square of the coverage", () => {
    // a 4 x 4 image of 2 x 2 patches: top-left patch red, top-right blue
    const img = new Float32Array(4 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) img.set(y < 2 && x < 2 ? [1, -1, -1] : y < 2 ? [-1, -1, 1] : [0, 0, 0], (y * 4 + x) * 3);
    expect(objectColour(img, [1, 0, 0, 0], 2)).toEqual([1, -1, -1]);
    const mixed = objectColour(img, [1, 0.5, 0, 0], 2); // weights 1 and 0.25
    expect(mixed.map((v) => +v.toFixed(6))).toEqual([0.6, -1, -0.6]);
    expect(objectColour(img, [0, 0, 0, 0], 2)).toEqual([0, 0, 0]);
    expect(() => objectColour(img, [1, 0, 0], 2)).toThrow("objectColour: a source of 48 values and 3 patches of side 2 do not fit one square image");
  });

  it("the pipeline: with no move it edits as `object`; a predicted move changes the edit; an editor without the head refuses", () => {
    const c = withOffset();
    const { N, sources, instructions, objects, e, p } = liveOffsetEditor(c);
    try {
      const asObject = editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects });
      const still = editImages(e, sources, instructions, { steps: 2, gate: "object+offset" }, { objects }); // the head starts at no move
      expect(maxDiff(still.images[0], asObject.images[0])).toBe(0);
      (p["edit.loc.offset.o.b"] as tf.Variable).assign(tf.tensor1d([2, 1])); // every item moves two patches right, one down
      const moved = editImages(e, sources, instructions, { steps: 2, gate: "object+offset" }, { objects });
      expect(maxDiff(moved.images[0], asObject.images[0])).toBeGreaterThan(1e-4);
      const viaGiven = editImages(e, sources, instructions, { steps: 2, gate: "object+offset" }, { objects, offsets: [[2, 1], [2, 1]] });
      expect(maxDiff(viaGiven.images[0], moved.images[0])).toBe(0); // the head's offsets and the same given ones edit alike
      // +ground: the same gate, and the patches the move vacates planned as ground, so the edit differs; with no move it is `object`'s
      const ground = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+ground" }, { objects });
      expect(maxDiff(ground.images[0], moved.images[0])).toBeGreaterThan(1e-4);
      const groundStill = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+ground" }, { objects, offsets: [[0, 0], [0, 0]] });
      expect(maxDiff(groundStill.images[0], asObject.images[0])).toBe(0);
      // +fill: a move of one patch right overlaps the object's old place at patch (1, 0), which +ground leaves to the plan head
      // and +fill gives the object's colour; the moves of two patches overlap nothing, so there the two rules edit alike
      const overlap: [number, number][] = [[1, 0], [1, 0]];
      const fill = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+fill" }, { objects, offsets: overlap });
      const groundOverlap = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+ground" }, { objects, offsets: overlap });
      expect(maxDiff(fill.images[0], groundOverlap.images[0])).toBeGreaterThan(1e-4);
      const fillApart = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+fill" }, { objects });
      expect(maxDiff(fillApart.images[0], ground.images[0])).toBe(0);
      expect(maxDiff(editImages(e, sources, instructions, { steps: 2, gate: "object+offset+fill" }, { objects, offsets: [[0, 0], [0, 0]] }).images[0], asObject.images[0])).toBe(0);
      // +blend: a move of 1.5 patches right leaves half the object on patch (1, 0), which it vacates: +ground plans it as ground,
      // +blend as half object, half ground; the moves of two patches leave nothing on the patches they vacate, so there the two edit alike
      // (the object given as red, so that the blend names another palette colour than the ground: this editor's plan is a palette's)
      const half: [number, number][] = [[1.5, 0], [1.5, 0]];
      const redObject: [number, number, number][][] = [[[1, -1, -1]], [[1, -1, -1]]];
      const blendHalf = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+blend" }, { objects, offsets: half, objectColours: redObject });
      expect(maxDiff(blendHalf.images[0], editImages(e, sources, instructions, { steps: 2, gate: "object+offset+ground" }, { objects, offsets: half, objectColours: redObject }).images[0])).toBeGreaterThan(1e-4);
      expect(maxDiff(editImages(e, sources, instructions, { steps: 2, gate: "object+offset+blend" }, { objects }).images[0], ground.images[0])).toBe(0);
      // given object colours (the perception's) plan the place a move fills in place of objectColour's patch estimate
      const red: [number, number, number][][] = [[[1, -1, -1]], [[1, -1, -1]]];
      const coloured = editImages(e, sources, instructions, { steps: 2, gate: "object+offset" }, { objects, objectColours: red });
      expect(maxDiff(coloured.images[0], moved.images[0])).toBeGreaterThan(1e-4);
      expect(maxDiff(editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects, objectColours: red }).images[0], asObject.images[0])).toBe(0); // no move: nothing reads them
      // the gate it hands the denoiser is decodeGate's with the head's offsets (and the object's colour as plan where the move fills)
      const gate = tf.tidy(() => decodeGate(editorCondition(e, imageBatch(sources, c.image), editorLayout(e, instructions)).aligned!.where, "object+offset", { objects, offsets: [[2, 1], [2, 1]] }).arraySync());
      const G = Math.sqrt(N);
      expect([gate[0][0], gate[0][1], gate[0][G + 2], gate[0][G + 3]]).toEqual([1, 1, 1, 1]); // the object on patches (0, 0), (1, 0) and moved to (2, 1), (3, 1)
      expect(gate[0].reduce((s, v) => s + v, 0)).toBe(4);
      expect(gate[1].reduce((s, v) => s + v, 0)).toBe(1); // the last patch moves off the grid
    } finally {
      disposeEditor(e);
    }
    const b = createEditor(checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear" }), new Rng(8));
    try {
      expect(() => editImages(b, sources, instructions, { steps: 2, gate: "object+offset" }, { objects })).toThrow("editImages: gate decoding 'object+offset' needs an editor with the offset head (alignedOffset) or the move head (alignedMoves), or given offsets (extras.offsets)");
      expect(() => editImages(b, sources, instructions, { steps: 2, gate: "object+offset+ground" }, { objects })).toThrow("editImages: gate decoding 'object+offset+ground' needs an editor with the offset head (alignedOffset) or the move head (alignedMoves), or given offsets (extras.offsets)");
      // given offsets (the oracle-offset diagnostic) need no head; they edit as the head's own would
      const given = editImages(b, sources, instructions, { steps: 2, gate: "object+offset" }, { objects, offsets: [[2, 1], [2, 1]] });
      expect(given.images).toHaveLength(2);
      expect(() => editImages(b, sources, instructions, { steps: 2, gate: "object" }, { objects, offsets: [[2, 1], [2, 1]] })).toThrow("editImages: given offsets (extras.offsets) are read by the object+offset, object+offset+ground, object+offset+fill, object+offset+blend, object+offset+paste, object+offset+shade, object+move, object+move+paste, object+move+redraw, object+move+said, object+move+draw and object+move+pixels gate decodings only, not by 'object'");
      expect(() => editImages(b, sources, instructions, { steps: 2, gate: "object+offset" }, { objects, offsets: [[2, 1]] })).toThrow("editImages: 1 offsets for 2 images");
      expect(() => editImages(b, sources, instructions, { steps: 2, gate: "object+offset" }, { objects, offsets: [[2, NaN], [0, 0]] })).toThrow("editImages: offset 0 must be two finite numbers (patches), got [2, NaN]");
    } finally {
      disposeEditor(b);
    }
  });
});
