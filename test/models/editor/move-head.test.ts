import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../../lib/models/editor/model";
import { chosenMoves, editMoveBase, isMoveHeadParam, moveHeadOutputs } from "../../../lib/models/editor/move-head";
import { objectInputs, objectReadsOf } from "../../../lib/models/editor/object-head";
import { editImages } from "../../../lib/models/editor/pipeline";
import { engineData } from "../../../lib/models/editor/train/data";
import { alignedOf } from "../../../lib/models/editor/train/finished";
import { cachedMoveErrors, fitMoveHeadCached, moveLoss, withMoveTarget } from "../../../lib/models/editor/train/move-head";
import { cacheObjectReads, moveTruth, withChangedObject } from "../../../lib/models/editor/train/object-head";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { perturbZeroInit } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

const plain = editorConfig("tiny");
const objectsOnly = checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear", alignedRefer: 1, alignedOffset: true, alignedObjects: 1 });
const withMoves = (layers = 1) => checkEditorConfig({ ...objectsOnly, alignedMoves: layers });

describe("the move head (editor config alignedMoves)", () => {
  it("needs the object head and a whole number of layers; keyed only when on; makes its weights in the edit group, its output at zero", () => {
    expect(() => checkEditorConfig({ ...objectsOnly, alignedObjects: undefined, alignedMoves: 1 })).toThrow("editor: alignedMoves moves the object the object head chooses; it needs alignedObjects");
    expect(() => checkEditorConfig({ ...objectsOnly, alignedMoves: 0 })).toThrow("editor: alignedMoves must be a positive number of layers, got 0");
    expect(keyedEditorConfig(withMoves(2), false).alignedMoves).toBe(2);
    expect("alignedMoves" in keyedEditorConfig(objectsOnly, false)).toBe(false);
    const e = createEditor(withMoves(), new Rng(3));
    try {
      const names = Object.keys(e.groups.edit).filter(isMoveHeadParam);
      expect(names).toContain("edit.loc.move.out.w");
      expect(names).toContain("edit.loc.move.geo.w");
      expect(names.some((k) => k.startsWith("edit.loc.move.0."))).toBe(true);
      expect(Array.from(e.groups.edit["edit.loc.move.out.w"].dataSync()).every((v) => v === 0)).toBe(true);
    } finally {
      disposeEditor(e);
    }
  });

  it("starts at the editor's own move of the edit for every object; chosenMoves takes the chosen row (-1: no move); no leaks", () => {
    const c = withMoves();
    const N = (c.image / c.dnPatch) ** 2;
    const edits = engineData(recipeConfig("tiny").dataSeed, 3, c.image).edits.slice(0, 2);
    const regions = [[Float32Array.from({ length: N }, (_, n) => (n === 9 ? 1 : 0)), Float32Array.from({ length: N }, (_, n) => (n === 14 ? 1 : 0))], [Float32Array.from({ length: N }, (_, n) => (n === 9 ? 1 : 0))]];
    const e = createEditor(c, new Rng(4));
    perturbZeroInit(e, 4);
    try {
      const n0 = tf.memory().numTensors;
      const [moves, base] = tf.tidy(() => {
        const a = alignedOf(e, edits);
        const inp = objectInputs(regions, N);
        const b = editMoveBase(a, 2);
        return [moveHeadOutputs(editorParams(e), c, objectReadsOf(a, inp), inp, b), b];
      });
      expect(moves.shape).toEqual([2, 2, 3]);
      const [m, b] = [moves.arraySync(), base.arraySync()];
      for (const r of [0, 1]) m[0][r].forEach((v, k) => expect(v).toBeCloseTo(b[0][k], 6));
      expect(b[0][2]).toBe(0); // no scale head: log scale 0
      const chosen = chosenMoves(moves, [1, -1]);
      expect(chosen.offsets[0][0]).toBeCloseTo(m[0][1][0], 6);
      expect(chosen.offsets[1]).toEqual([0, 0]);
      expect(chosen.scales[1]).toBe(1);
      expect(() => chosenMoves(moves, [2, 0])).toThrow("chosenMoves: one object index (or -1) per item of the 2, each below 2, got [2, 0]");
      tf.dispose([moves, base]);
      expect(tf.memory().numTensors).toBe(n0);
      expect(() => tf.tidy(() => editMoveBase({ offset: tf.zeros([3, 2]) }, 2))).toThrow("editMoveBase: the offset [3, 2] and log scale [2, 1] are not those of 2 items");
    } finally {
      disposeEditor(e);
    }
  });

  it("the cached reads carry the truth's move (patches, log scale; a removal none) and the editor's own", () => {
    const c = withMoves();
    const grid = c.image / c.dnPatch;
    const edits = withChangedObject(engineData(recipeConfig("tiny").dataSeed, 16, c.image).edits);
    const e = createEditor(c, new Rng(5));
    perturbZeroInit(e, 5);
    try {
      const reads = cacheObjectReads(e, edits, 4);
      const base = tf.tidy(() => alignedOf(e, edits.slice(0, 4)).offset!.arraySync());
      reads.slice(0, 4).forEach((x, b) => {
        expect(x.moveBase[0]).toBeCloseTo(base[b][0], 5);
        expect(x.moveBase[2]).toBe(0);
      });
      reads.forEach((x, i) => {
        expect(x.kind).toBe(edits[i].kind);
        expect(x.family).toBe(edits[i].family);
        const o = edits[i].objects!;
        if (o.offset !== undefined) expect(Array.from(x.moveTarget!)).toEqual(Array.from(Float32Array.of(o.offset[0] * grid, o.offset[1] * grid, Math.log(o.scale!))));
        else if (edits[i].kind === "remove") expect(Array.from(x.moveTarget!)).toEqual([0, 0, 0]);
        else expect(x.moveTarget).toBeUndefined();
      });
      expect(reads.some((x) => x.kind === "move" && Math.hypot(x.moveTarget![0], x.moveTarget![1]) > 0.1)).toBe(true);
      expect(moveTruth({ kind: "recolour", objects: undefined }, grid)).toBeUndefined();
    } finally {
      disposeEditor(e);
    }
  });

  it("fitted alone on cached reads: lowers its error, moves only its own weights, keeps the best check; no leaks; an editor without it refuses", () => {
    const c = withMoves();
    const edits = withChangedObject(engineData(recipeConfig("tiny").dataSeed, 40, c.image).edits);
    const e = createEditor(c, new Rng(6));
    perturbZeroInit(e, 6);
    const other = createEditor(objectsOnly, new Rng(6));
    try {
      const reads = cacheObjectReads(e, edits, 8);
      const [train, check] = [reads.slice(0, 30), reads.slice(30)];
      const p = editorParams(e);
      const frozen = Object.keys(p).filter((k) => !isMoveHeadParam(k));
      const before = Object.fromEntries(frozen.map((k) => [k, Array.from(p[k].dataSync())]));
      const err0 = cachedMoveErrors(e, train)[0];
      expect(err0.offset).toBeCloseTo(err0.offsetBefore, 5); // at zero: the editor's own move
      const byFamily = cachedMoveErrors(e, train, 256, (x) => `${x.kind} (${x.family})`);
      expect(byFamily[0]).toEqual(err0); // "all" first, whatever the grouping
      expect(byFamily.slice(1).reduce((s, r) => s + r.n, 0)).toBe(err0.n);
      expect(byFamily.slice(1).every((r) => / \((direction|depth|volume|contour|rank|movement)\)$/.test(r.kind))).toBe(true);
      const loss0 = tf.tidy(() => moveLoss(e, withMoveTarget(train), 4).dataSync()[0]);
      const n0 = tf.memory().numTensors;
      const fit = fitMoveHeadCached(e, train, { steps: 60, batch: 8, lr: 1e-2, seed: 1, scaleWeight: 4 }, { every: 20, reads: check });
      expect(tf.memory().numTensors).toBe(n0);
      expect(fit.checks.map((x) => x.step)).toEqual([0, 20, 40, 60]);
      expect(fit.checks.find((x) => x.step === fit.kept)!.score).toBe(Math.max(...fit.checks.map((x) => x.score)));
      const err1 = cachedMoveErrors(e, check)[0];
      expect(-(err1.offset + 4 * err1.scale)).toBeCloseTo(fit.checks.find((x) => x.step === fit.kept)!.score, 4);
      // trained longer without early stopping, the training error falls
      fitMoveHeadCached(e, train, { steps: 120, batch: 8, lr: 1e-2, seed: 2, scaleWeight: 4 }, { every: 120, reads: train });
      expect(tf.tidy(() => moveLoss(e, withMoveTarget(train), 4).dataSync()[0])).toBeLessThan(loss0);
      for (const k of frozen) expect(Array.from(p[k].dataSync())).toEqual(before[k]);
      expect(() => fitMoveHeadCached(other, train, { steps: 1, batch: 8, lr: 1e-2, seed: 1, scaleWeight: 4 }, { every: 1, reads: check })).toThrow("fitMoveHeadCached: this editor has no move head (config alignedMoves, with image tokens)");
      expect(() => fitMoveHeadCached(e, train, { steps: 1, batch: 8, lr: 1e-2, seed: 1, scaleWeight: -1 }, { every: 1, reads: check })).toThrow("fitMoveHeadCached: scaleWeight must be a finite number >= 0, got -1");
    } finally {
      disposeEditor(e);
      disposeEditor(other);
    }
  });

  it("the pipeline moves the chosen object by its row: at zero as the editor without the head, a learned shift changes the edit; object+move needs a scale or move head", () => {
    const N = (objectsOnly.image / objectsOnly.dnPatch) ** 2;
    const edits = engineData(recipeConfig("tiny").dataSeed, 3, objectsOnly.image).edits.slice(0, 2);
    const regions = [[Float32Array.from({ length: N }, (_, n) => (n === 9 || n === 10 ? 1 : 0))], [Float32Array.from({ length: N }, (_, n) => (n === 5 ? 1 : 0))]];
    const [a, b] = [createEditor(objectsOnly, new Rng(9)), createEditor(withMoves(), new Rng(9))];
    for (const e of [a, b]) {
      perturbZeroInit(e, 9);
      (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(objectsOnly.dnD, 0, 0.5)));
      (editorParams(e)["edit.loc.offset.o.b"] as tf.Variable).assign(tf.tensor1d([0, 0])); // the edit's own offset: about none
    }
    try {
      const run = (e: typeof a, gate: "object+offset" | "object+move") => editImages(e, edits.map((x) => x.source), edits.map((x) => x.instruction), { steps: 2, seed: 1, gate }, { objects: regions }).images.map((im) => Array.from(im));
      const first = run(b, "object+offset");
      expect(first).toEqual(run(a, "object+offset"));
      (editorParams(b)["edit.loc.move.out.b"] as tf.Variable).assign(tf.tensor1d([2, 0, 0])); // every object two patches to the right
      expect(run(b, "object+offset")[0]).not.toEqual(first[0]);
      expect(() => run(a, "object+move")).toThrow("editImages: gate decoding 'object+move' needs an editor with the scale head (alignedScale) or the move head (alignedMoves), or given scales with given offsets (extras.scales, extras.offsets)");
      expect(run(b, "object+move")).toHaveLength(2);
    } finally {
      disposeEditor(a);
      disposeEditor(b);
    }
  });
});
