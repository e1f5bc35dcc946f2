import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { editorConfig, keyedEditorConfig, TINY_EDITOR } from "../../../lib/models/editor/config";
import { Rng } from "../../../lib/core/rng";
import { guidanceBranches } from "../../../lib/models/editor/denoiser";
import { editImages } from "../../../lib/models/editor/pipeline";
import { changedPatches, editMap, gridResampleMatrix, isEditMapParam, mapLoss } from "../../../lib/models/editor/edit-map";
import { disposeEditor, dropRows, editorCondition, editorParams, editorTunable, stage2Loss, type Editor } from "../../../lib/models/editor/model";
import { loadEditorWeights } from "../../../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig, textPhaseRecipe } from "../../../lib/models/editor/train/recipes";
import { disposeBatch, perturbZeroInit, scoped, stage2Batch, tinyEditor } from "./helpers";

const MAP = { ...TINY_EDITOR, editMap: true };

let e: Editor;
beforeAll(async () => {
  await initBackend();
  e = tinyEditor(1, {}, MAP);
});
afterAll(() => disposeEditor(e));

describe("the aligned edit map (tiny: 4x4 encoder grid, 2x2 MLLM image tokens, 4x4 denoiser patches)", () => {
  it("grid resampling picks the cell that contains each target cell's centre; equal grids are the identity", () => {
    const m = gridResampleMatrix(2, 4); // [16, 4]
    const picked = Array.from({ length: 16 }, (_, r) => Array.from(m.subarray(r * 4, r * 4 + 4)).indexOf(1));
    expect(picked).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    expect(Array.from(m).reduce((a, b) => a + b, 0)).toBe(16);
    const id = gridResampleMatrix(3, 3);
    for (let r = 0; r < 9; r++) for (let c = 0; c < 9; c++) expect(id[r * 9 + c]).toBe(r === c ? 1 : 0);
    expect(Array.from(gridResampleMatrix(4, 2)).map((x, i) => (x ? i % 16 : -1)).filter((x) => x >= 0)).toEqual([5, 7, 13, 15]);
    expect(() => gridResampleMatrix(0, 2)).toThrow("gridResampleMatrix: grid sides must be positive integers, got 0 and 2");
  });

  it("map [B, Q, N] with rows summing to 1 and spatial condition [B, N, dnD]; only with config.editMap and image tokens", () => {
    const b = stage2Batch(e, 3);
    const r = scoped(() => {
      const c = editorCondition(e, b.source, b.layout);
      const sums = tf.sum(c.map!.map, 2).dataSync();
      return { map: c.map!.map.shape, spatial: c.map!.spatial.shape, rowErr: Math.max(...Array.from(sums, (s) => Math.abs(s - 1))) };
    });
    expect(r).toEqual({ map: [3, 4, 16], spatial: [3, 16, 16], rowErr: expect.any(Number) });
    expect(r.rowErr).toBeLessThan(1e-5);
    const plain = tinyEditor(1);
    const lgie = tinyEditor(1, { imageTokens: false }, MAP);
    try {
      expect(Object.keys(editorParams(e)).filter(isEditMapParam).sort()).toEqual(["edit.map.kenc.b", "edit.map.kenc.w", "edit.map.kimg.b", "edit.map.kimg.w", "edit.map.q.b", "edit.map.q.w", "edit.map.v.b", "edit.map.v.w"]);
      expect(Object.keys(editorParams(plain)).filter(isEditMapParam)).toEqual([]);
      // the map weights are in the edit group: every tuning mode trains them
      const names = new Set(editorTunable(e, "embedding"));
      for (const k of Object.keys(editorParams(e)).filter(isEditMapParam)) expect(names.has(editorParams(e)[k])).toBe(true);
      expect(scoped(() => editorCondition(plain, b.source, b.layout).map)).toBeNull();
      const lgieLayout = { ...b, layout: stage2Batch(lgie, 3).layout };
      expect(scoped(() => editorCondition(lgie, null, lgieLayout.layout).map)).toBeNull();
    } finally {
      disposeEditor(plain);
      disposeEditor(lgie);
      disposeBatch(b);
    }
  });

  it("a condition token whose query matches one patch's key puts its value on that patch", () => {
    // hand-made weights: keys = encoder tokens, queries = condition tokens (identity maps), values = condition tokens
    const c = { ...TINY_EDITOR, editMap: true, encD: 16, dnD: 16 };
    const eye = tf.eye(16);
    const zeros = tf.zeros([16]);
    const p = { "edit.map.q.w": eye, "edit.map.q.b": zeros, "edit.map.kenc.w": eye, "edit.map.kenc.b": zeros, "edit.map.kimg.w": tf.zeros([16, 16]), "edit.map.kimg.b": zeros, "edit.map.v.w": eye, "edit.map.v.b": zeros } as unknown as Parameters<typeof editMap>[0];
    const r = scoped(() => {
      const enc = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i), "int32"), 16).mul(40).reshape([1, 16, 16]) as tf.Tensor3D; // patch n: 40 e_n
      const tokens = tf.oneHot(tf.tensor1d([5], "int32"), 16).reshape([1, 1, 16]) as tf.Tensor3D; // e_5
      const out = editMap(p, c, tokens, enc, tf.zeros([1, 4, 16]) as tf.Tensor3D);
      return { map: Array.from(out.map.dataSync()), spatial: out.spatial.arraySync()[0] };
    });
    tf.dispose([eye, zeros, p["edit.map.kimg.w"]]);
    expect(r.map.indexOf(Math.max(...r.map))).toBe(5);
    expect(r.map[5]).toBeGreaterThan(0.99);
    expect(r.spatial[5][5]).toBeGreaterThan(0.99);
    expect(Math.abs(r.spatial[4][5])).toBeLessThan(0.01);
  });

  it("changed patches and the localisation loss: log N for a uniform map, ~0 on the changed patch, 0 with no change", () => {
    const r = scoped(() => {
      const r0 = tf.buffer([2, 8, 8, 3]);
      r0.set(0.5, 0, 5, 6, 1); // item 0: a pixel in patch (1, 1) of a 2x2 grid of 4-pixel patches
      const changed = changedPatches(r0.toTensor() as tf.Tensor4D, 4);
      const uniform = tf.fill([2, 3, 4], 0.25) as tf.Tensor3D;
      const onPatch = tf.tensor3d([[[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]], [[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]]);
      return { changed: changed.arraySync(), uniform: mapLoss(uniform, changed).dataSync()[0], onPatch: mapLoss(onPatch, changed).dataSync()[0], none: mapLoss(uniform, tf.zeros([2, 4]) as tf.Tensor2D).dataSync()[0] };
    });
    expect(r.changed).toEqual([[0, 0, 0, 1], [0, 0, 0, 0]]);
    expect(r.uniform).toBeCloseTo(Math.log(4), 5);
    expect(r.onPatch).toBeLessThan(1e-6);
    expect(r.none).toBe(0);
    expect(() => scoped(() => mapLoss(tf.zeros([2, 3, 4]) as tf.Tensor3D, tf.zeros([2, 5]) as tf.Tensor2D))).toThrow("mapLoss: changed patches [2, 5] do not match the map [2, 3, 4]");
    expect(() => scoped(() => changedPatches(tf.zeros([1, 6, 6, 3]) as tf.Tensor4D, 4))).toThrow("changedPatches: image 6x6 is not divisible by patch 4");
  });

  it("Stage II loss: gradients reach every map weight (with and without the localisation loss); no tensor leaks", () => {
    const e2 = tinyEditor(3, {}, MAP);
    perturbZeroInit(e2);
    const b = stage2Batch(e2, 3);
    const mapVars = Object.entries(editorParams(e2)).filter(([k]) => isEditMapParam(k));
    const before = tf.memory().numTensors;
    const norms = (weight: number) => {
      const { grads, value } = tf.variableGrads(() => stage2Loss(e2, { ...b, mapTarget: { r0: b.target, weight } }).loss, mapVars.map(([, v]) => v));
      const out = Object.fromEntries(mapVars.map(([k, v]) => [k, scoped(() => tf.norm(grads[v.name]).dataSync()[0])]));
      const loss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return { out, loss };
    };
    const plain = norms(0);
    const withLoss = norms(1);
    const parts = scoped(() => {
      const r = stage2Loss(e2, { ...b, mapTarget: { r0: b.target, weight: 1 } });
      return { map: r.map!.dataSync()[0], none: stage2Loss(e2, b).map };
    });
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(b);
    disposeEditor(e2);
    for (const [k, g] of Object.entries(plain.out)) expect(g, k).toBeGreaterThan(0);
    // the localisation loss adds its value and reaches the query and key weights
    expect(withLoss.loss - plain.loss).toBeCloseTo(parts.map, 4);
    expect(parts.map).toBeGreaterThan(0);
    expect(parts.none).toBeNull();
    expect(withLoss.out["edit.map.q.w"]).not.toBeCloseTo(plain.out["edit.map.q.w"], 6);
  });

  it("guidance: the null-text branches get no spatial condition; the conditional branch gets it", () => {
    const e2 = tinyEditor(4, {}, MAP);
    perturbZeroInit(e2);
    const b = stage2Batch(e2, 2);
    const r = scoped(() => {
      const p = editorParams(e2);
      const c = editorCondition(e2, b.source, b.layout);
      const input = { noisy: b.noisy, source: b.source, t: b.t, cond: c.edit.tokens };
      const withMap = guidanceBranches(p, e2.config, { ...input, spatial: c.map!.spatial });
      const without = guidanceBranches(p, e2.config, input);
      const diff = (x: tf.Tensor, y: tf.Tensor) => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0];
      return { full: diff(withMap.full, without.full), imageOnly: diff(withMap.imageOnly, without.imageOnly), uncond: diff(withMap.uncond, without.uncond) };
    });
    disposeBatch(b);
    disposeEditor(e2);
    expect(r.full).toBeGreaterThan(1e-5);
    expect(r.imageOnly).toBe(0);
    expect(r.uncond).toBe(0);
  });

  it("the edit pipeline feeds the map to the denoiser, with and without guidance", () => {
    const e2 = tinyEditor(7, {}, MAP);
    perturbZeroInit(e2);
    const src = [new Rng(8).uniformArray(16 * 16 * 3, -1, 1)];
    const ins = ["turn the leftmost cube into red"];
    try {
      const run = (o: Parameters<typeof editImages>[3]) => editImages(e2, src, ins, { steps: 2, ...o }).images[0];
      const before = { plain: run({}), guided: run({ textScale: 3, imageScale: 1.5 }) };
      // values of zero put nothing on the patches: the same call then gives another image
      for (const k of ["edit.map.v.w", "edit.map.v.b"]) e2.groups.edit[k].assign(tf.zerosLike(e2.groups.edit[k]));
      const after = { plain: run({}), guided: run({ textScale: 3, imageScale: 1.5 }) };
      const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
      expect(before.plain.length).toBe(16 * 16 * 3);
      expect(maxDiff(before.plain, after.plain)).toBeGreaterThan(1e-5);
      expect(maxDiff(before.guided, after.guided)).toBeGreaterThan(1e-5);
    } finally {
      disposeEditor(e2);
    }
  });

  it("dropRows zeroes the rows of dropped items; bad flags are an error", () => {
    const r = scoped(() => dropRows(tf.ones([3, 2, 2]), [false, true, false]).arraySync());
    expect(r).toEqual([[[1, 1], [1, 1]], [[0, 0], [0, 0]], [[1, 1], [1, 1]]]);
    expect(() => scoped(() => dropRows(tf.ones([3, 2]), [true]))).toThrow("dropRows: 1 flags for 3 rows");
  });

  it("an edit phase loads a parent made without the map (the map keeps its initialisation); otherwise missing weights are an error", () => {
    const parent = tinyEditor(5);
    const child = tinyEditor(6, {}, MAP);
    try {
      const init = editorParams(child)["edit.map.q.w"].dataSync().slice();
      loadEditorWeights(child, editorParams(parent), "test", isEditMapParam);
      expect(Array.from(editorParams(child)["edit.map.q.w"].dataSync())).toEqual(Array.from(init));
      expect(Array.from(editorParams(child)["dn.pos.e"].dataSync())).toEqual(Array.from(editorParams(parent)["dn.pos.e"].dataSync()));
      expect(() => loadEditorWeights(child, editorParams(parent), "test")).toThrow("test: the weights do not fit this editor (missing edit.map.kenc.b, edit.map.kenc.w, edit.map.kimg.b, edit.map.kimg.w; unexpected none)");
    } finally {
      disposeEditor(parent);
      disposeEditor(child);
    }
  });

  it("keys: the map and its loss are left out while off and for the text phases; bad values are errors", () => {
    const quick = editorConfig("quick");
    expect("editMap" in keyedEditorConfig(quick, false)).toBe(false);
    expect("editMap" in keyedEditorConfig({ ...quick, editMap: true }, true)).toBe(false);
    expect(keyedEditorConfig({ ...quick, editMap: true }, false).editMap).toBe(true);
    const r = recipeConfig("quick");
    expect("editMapLossWeight" in keyedRecipe(r)).toBe(false);
    expect(keyedRecipe({ ...r, editMapLossWeight: 0.5 }).editMapLossWeight).toBe(0.5);
    expect("editMapLossWeight" in textPhaseRecipe({ ...r, editMapLossWeight: 0.5 })).toBe(false);
    expect(() => editorConfig("quick", { editMap: 1 as unknown as boolean })).toThrow("config key 'editMap' must be boolean, got number (1)");
    expect(() => recipeConfig("quick", { editMapLossWeight: -1 })).toThrow("editor recipes: editMapLossWeight must be a finite number >= 0, got -1");
  });
});
