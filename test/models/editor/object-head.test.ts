import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { objectChoiceLoss, truthObjects } from "../../../lib/models/editor/aligned-targets";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { decodeGate, decodeObjectMove } from "../../../lib/models/editor/gate-decode";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { bestObjects, GEOMETRY, isObjectHeadParam, objectGeometry, objectInputs, objectRanks, objectScores, RANK_SLOTS, RANKS } from "../../../lib/models/editor/object-head";
import { editImages } from "../../../lib/models/editor/pipeline";
import { engineData, heldOutSplit, heldOutStart } from "../../../lib/models/editor/train/data";
import { checkedFitFlags, finishedFromFlag, fittedEditorDir, headFitFlags } from "../../../lib/models/editor/train/finished";
import { projectRoot } from "../../../lib/core/paths";
import * as path from "path";
import { objectRulesFlag } from "../../../lib/eval/decode-choice";
import { cacheObjectReads, cachedObjectAccuracy, fitObjectHead, fitObjectHeadCached, objectHeadAccuracy, objectHeadLoss, trainObjectHead, withChangedObject } from "../../../lib/models/editor/train/object-head";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { imageBatch } from "../../../lib/models/editor/train/steps";
import { perturbZeroInit, scoped } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

const plain = editorConfig("tiny");
const withHead = (layers = 1) => checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear", alignedRefer: 1, alignedOffset: true, alignedObjects: layers });

describe("the object head's inputs", () => {
  it("objectGeometry: centre, root area and edges as fractions of the grid; zeros for an empty coverage; a non-square grid is an error", () => {
    // a 4 x 4 grid; the object covers patches (1, 2) and (2, 2) fully
    const cov = new Array(16).fill(0);
    cov[2 * 4 + 1] = 1;
    cov[2 * 4 + 2] = 1;
    expect(objectGeometry(cov)).toEqual([2 / 4, 2.5 / 4, Math.sqrt(2 / 16), 2 / 4, 3 / 4, 1 / 4, 3 / 4]);
    expect(objectGeometry(new Array(16).fill(0))).toEqual(new Array(GEOMETRY).fill(0));
    const faint = new Array(16).fill(0);
    faint[5] = 0.01; // below the edge threshold: the edges are the centre's patch
    expect(objectGeometry(faint).slice(3)).toEqual([1 / 4, 2 / 4, 1 / 4, 2 / 4]);
    expect(() => objectGeometry([1, 0, 0])).toThrow("objectGeometry: 3 patches do not form a square grid");
  });

  it("objectInputs: rows normalised, padded to the batch's largest count, empty objects invalid; wrong lengths are an error", () => {
    const a = [Float32Array.from([1, 1, 0, 0]), Float32Array.from([0, 0, 0, 0])];
    const b = [Float32Array.from([0, 0.5, 0, 0])];
    const inp = objectInputs([a, b], 4);
    expect(inp.R).toBe(2);
    expect(Array.from(inp.valid)).toEqual([1, 0, 1, 0]);
    expect(Array.from(inp.cover.slice(0, 4))).toEqual([0.5, 0.5, 0, 0]);
    expect(Array.from(inp.cover.slice(8, 12))).toEqual([0, 1, 0, 0]);
    expect(Array.from(inp.geometry.slice(GEOMETRY, 2 * GEOMETRY))).toEqual(new Array(GEOMETRY).fill(0));
    expect(objectInputs([[], []], 4).R).toBe(1);
    expect(() => objectInputs([[Float32Array.from([1, 0])]], 4)).toThrow("objectInputs: object 0 of item 0 covers 2 patches; the grid has 4");
  });

  it("objectRanks: one-hot places from the left, right, biggest, smallest, nearest and farthest; ties keep the order; later places share a slot", () => {
    // geometry rows: [cx, cy, root area, top, bottom, left, right]
    const g = [
      [0.2, 0.5, 0.3, 0.3, 0.6, 0.1, 0.3],
      [0.8, 0.5, 0.1, 0.4, 0.9, 0.7, 0.9],
      [0.5, 0.5, 0.3, 0.2, 0.4, 0.4, 0.6],
    ];
    const places = objectRanks(g).map((row) => Array.from({ length: RANKS / RANK_SLOTS }, (_, o) => row.slice(o * RANK_SLOTS, (o + 1) * RANK_SLOTS).indexOf(1)));
    // left, right, biggest, smallest, nearest (lowest bottom edge first), farthest
    expect(places).toEqual([
      [0, 2, 0, 1, 1, 1],
      [2, 0, 2, 0, 0, 2],
      [1, 1, 1, 2, 2, 0],
    ]);
    expect(objectRanks(g).every((row) => row.reduce((s, v) => s + v, 0) === RANKS / RANK_SLOTS)).toBe(true);
    const many = Array.from({ length: RANK_SLOTS + 2 }, (_, k) => [k / 10, 0.5, 0.1, 0.4, 0.5, 0, 0]);
    expect(objectRanks(many).map((row) => row.slice(0, RANK_SLOTS).indexOf(1))).toEqual([0, 1, 2, 3, 4, 4, 4]);
    expect(objectRanks([])).toEqual([]);
  });

  it("objectInputs: the ranks are among each item's valid objects, zero on padding and empty objects", () => {
    const a = [Float32Array.from([0, 1, 0, 0]), Float32Array.from([0, 0, 0, 0]), Float32Array.from([1, 0, 0, 0])];
    const inp = objectInputs([a, [Float32Array.from([0, 0, 1, 0])]], 4);
    const row = (b: number, r: number) => Array.from(inp.ranks.slice((b * inp.R + r) * RANKS, (b * inp.R + r + 1) * RANKS));
    expect(row(0, 0).slice(0, 2 * RANK_SLOTS)).toEqual([0, 1, 0, 0, 0, 1, 0, 0, 0, 0]); // second from the left, first from the right
    expect(row(0, 2).slice(0, 2 * RANK_SLOTS)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(row(0, 1)).toEqual(new Array(RANKS).fill(0));
    expect(row(1, 0).filter((v) => v === 1).length).toBe(RANKS / RANK_SLOTS); // a lone object is first in every ordering
    expect(row(1, 0).slice(0, RANK_SLOTS)).toEqual([1, 0, 0, 0, 0]);
    expect(row(1, 1)).toEqual(new Array(RANKS).fill(0));
  });

  it("truthObjects: the renderer's objects in id order and the changed one's row; withChangedObject keeps edits of a visible object", () => {
    const c = withHead();
    const edits = engineData(recipeConfig("tiny").dataSeed, 8, c.image).edits;
    const grid = c.image / c.dnPatch;
    const kept = withChangedObject(edits);
    expect(kept.length).toBeGreaterThan(0);
    const { regions, target } = truthObjects(kept.map((x) => x.objects), c.image, grid);
    kept.forEach((x, b) => {
      const ids = [...new Set(Array.from(x.objects!.mask).filter((v) => v >= 0))].sort((p, q) => p - q);
      expect(regions[b].length).toBe(ids.length);
      expect(target[b]).toBe(ids.indexOf(x.objects!.changed));
      expect(target[b]).toBeGreaterThanOrEqual(0);
    });
    expect(truthObjects([undefined], c.image, grid)).toEqual({ regions: [[]], target: Int32Array.from([-1]) });
  });

  it("objectChoiceLoss: the weighted cross-entropy of the changed object's row; no target weighs nothing; no leaks", () => {
    const scores = tf.tensor2d([[0, 0, -1e9], [Math.log(3), 0, 0]]);
    const n0 = tf.memory().numTensors;
    expect(tf.tidy(() => objectChoiceLoss(scores, Int32Array.from([0, 0]), Float32Array.from([1, 1])).dataSync()[0])).toBeCloseTo((Math.log(2) + Math.log(5 / 3)) / 2, 5);
    expect(tf.tidy(() => objectChoiceLoss(scores, Int32Array.from([0, -1]), Float32Array.from([1, 0])).dataSync()[0])).toBeCloseTo(Math.log(2), 5);
    expect(tf.tidy(() => objectChoiceLoss(scores, Int32Array.from([-1, -1]), Float32Array.from([0, 0])).dataSync()[0])).toBeCloseTo(0, 9);
    expect(tf.memory().numTensors).toBe(n0);
    expect(() => objectChoiceLoss(scores, Int32Array.from([0]), Float32Array.from([1, 1]))).toThrow("objectChoiceLoss: 1 targets and 2 weights for 2 items");
    scores.dispose();
  });
});

describe("the object head (editor config alignedObjects)", () => {
  it("needs the bilinear where head and a whole number of layers; keyed only when on; makes its weights in the edit group", () => {
    expect(() => checkEditorConfig({ ...plain, aligned: true, alignedObjects: 1 })).toThrow("editor: alignedObjects needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')");
    expect(() => checkEditorConfig({ ...withHead(), alignedObjects: 0 })).toThrow("editor: alignedObjects must be a positive number of layers, got 0");
    expect(keyedEditorConfig(withHead(2), false).alignedObjects).toBe(2);
    expect("alignedObjects" in keyedEditorConfig({ ...withHead(), alignedObjects: undefined }, false)).toBe(false);
    const e = createEditor(withHead(), new Rng(2));
    try {
      const names = Object.keys(e.groups.edit).filter(isObjectHeadParam);
      expect(names).toContain("edit.loc.obj.score.w");
      expect(names).toContain("edit.loc.obj.0.attn.q.w");
      expect(names).toContain("edit.loc.obj.geo.w");
      expect(names.some((n) => n.startsWith("edit.loc.obj.rank."))).toBe(false);
    } finally {
      disposeEditor(e);
    }
  });

  it("with alignedObjectRanks the objects' places are an input of their own (alignedObjects needed; keyed only when on); they change the scores", () => {
    expect(() => checkEditorConfig({ ...plain, alignedObjectRanks: true })).toThrow("editor: alignedObjectRanks gives the object head the objects' ranks; it needs alignedObjects");
    expect(() => checkEditorConfig({ ...withHead(), alignedObjectRanks: 1 as unknown as boolean })).toThrow("editor: alignedObjectRanks must be true or false, got 1");
    expect(keyedEditorConfig({ ...withHead(), alignedObjectRanks: true }, false).alignedObjectRanks).toBe(true);
    expect("alignedObjectRanks" in keyedEditorConfig({ ...withHead(), alignedObjectRanks: false }, false)).toBe(false);
    const c = checkEditorConfig({ ...withHead(), alignedObjectRanks: true });
    const N = (c.image / c.dnPatch) ** 2;
    const edits = withChangedObject(engineData(recipeConfig("tiny").dataSeed, 6, c.image).edits).slice(0, 3);
    const { regions } = truthObjects(edits.map((x) => x.objects), c.image, c.image / c.dnPatch);
    const e = createEditor(c, new Rng(4));
    perturbZeroInit(e, 4);
    try {
      const p = editorParams(e);
      expect(p["edit.loc.obj.rank.w"].shape).toEqual([RANKS, c.dnD]);
      tf.tidy(() => (p["edit.loc.obj.score.w"] as tf.Variable).assign(tf.randomNormal([c.dnD, 1], 0, 0.5, "float32", 3))); // the score layer starts at zero: let the tokens count
      const inp = objectInputs(regions, N);
      const scores = (ranks: Float32Array) => scoped(() => objectScores(p, c, editorCondition(e, imageBatch(edits.map((x) => x.source), c.image), editorLayout(e, edits.map((x) => x.instruction))).aligned!, { ...inp, ranks }).arraySync());
      const n0 = tf.memory().numTensors;
      const [withPlaces, without] = [scores(inp.ranks), scores(new Float32Array(inp.ranks.length))];
      expect(tf.memory().numTensors).toBe(n0);
      expect(withPlaces.flat().some((v, k) => v > -1e8 && Math.abs(v - without.flat()[k]) > 1e-6)).toBe(true);
    } finally {
      disposeEditor(e);
    }
  });

  it("starts at the where head's choice (its coverage-weighted mean logit); scores are [B, R] with padding at -1e9; no leaks", () => {
    const c = withHead();
    const N = (c.image / c.dnPatch) ** 2;
    const edits = withChangedObject(engineData(recipeConfig("tiny").dataSeed, 6, c.image).edits).slice(0, 3);
    const { regions } = truthObjects(edits.map((x) => x.objects), c.image, c.image / c.dnPatch);
    const e = createEditor(c, new Rng(4));
    perturbZeroInit(e, 4);
    (editorParams(e)["edit.loc.obj.score.w"] as tf.Variable).assign(tf.zeros([c.dnD, 1]));
    try {
      const inp = objectInputs(regions, N);
      const n0 = tf.memory().numTensors;
      const { s, base, shape } = scoped(() => {
        const a = editorCondition(e, imageBatch(edits.map((x) => x.source), c.image), editorLayout(e, edits.map((x) => x.instruction))).aligned!;
        const sc = objectScores(editorParams(e), c, a, inp);
        const b = tf.squeeze(tf.matMul(tf.tensor3d(inp.cover, [3, inp.R, N]), tf.expandDims(a.where, 2)), [2]) as tf.Tensor2D;
        return { s: sc.arraySync(), base: b.arraySync(), shape: sc.shape };
      });
      expect(tf.memory().numTensors).toBe(n0);
      expect(shape).toEqual([3, inp.R]);
      s.forEach((row, b) =>
        row.forEach((v, r) => {
          if (inp.valid[b * inp.R + r] === 1) expect(v).toBeCloseTo(base[b][r], 4);
          else expect(v).toBeLessThan(-1e8);
        }),
      );
      expect(bestObjects(tf.tensor2d(s), inp)).toEqual(s.map((row, b) => row.indexOf(Math.max(...row.filter((_, r) => inp.valid[b * inp.R + r] === 1)))));
    } finally {
      disposeEditor(e);
    }
  });

  it("training alone lowers its loss and moves only its own weights; accuracy is scored per kind; an editor without it refuses", () => {
    const c = withHead();
    const edits = engineData(recipeConfig("tiny").dataSeed, 24, c.image).edits;
    const e = createEditor(c, new Rng(6));
    perturbZeroInit(e, 6);
    try {
      const p = editorParams(e);
      const frozen = Object.keys(p).filter((k) => !isObjectHeadParam(k));
      const before = Object.fromEntries(frozen.map((k) => [k, p[k].dataSync().slice()]));
      const few = withChangedObject(edits).slice(0, 8);
      const l0 = objectHeadLoss(e, few, 4);
      const n0 = tf.memory().numTensors;
      const losses = trainObjectHead(e, few, { steps: 60, batch: 8, lr: 1e-2, seed: 1 });
      expect(tf.memory().numTensors).toBe(n0);
      expect(losses.length).toBe(60);
      expect(objectHeadLoss(e, few, 4)).toBeLessThan(l0 / 2); // it fits the edits it trains on (seeded: 0.97 -> 0.22)
      for (const k of frozen) expect(Array.from(p[k].dataSync())).toEqual(Array.from(before[k]));
      const rows = objectHeadAccuracy(e, edits, 16);
      expect(rows[0].kind).toBe("all");
      expect(rows[0].n).toBe(withChangedObject(edits).length);
      for (const r of rows) for (const v of [r.head, r.where, r.chance]) expect(v).toBeGreaterThanOrEqual(0);
      expect(() => trainObjectHead(e, edits, { steps: 0, batch: 8, lr: 1e-3, seed: 1 })).toThrow("trainObjectHead: steps and batch must be positive integers and lr > 0, got 0, 8, 0.001");
    } finally {
      disposeEditor(e);
    }
    const none = createEditor(checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear" }), new Rng(6));
    try {
      expect(() => trainObjectHead(none, edits, { steps: 1, batch: 8, lr: 1e-3, seed: 1 })).toThrow("trainObjectHead: this editor has no object head (config alignedObjects, with image tokens)");
    } finally {
      disposeEditor(none);
    }
  });

  it("fitObjectHead: checks at step 0, every `every` steps and the last; ends with the best check's weights; no leaks", () => {
    const c = withHead();
    const edits = withChangedObject(engineData(recipeConfig("tiny").dataSeed, 24, c.image).edits);
    const [train, check] = [edits.slice(0, 12), edits.slice(12, 20)];
    const e = createEditor(c, new Rng(6));
    perturbZeroInit(e, 6);
    try {
      const n0 = tf.memory().numTensors;
      const fit = fitObjectHead(e, train, { steps: 25, batch: 8, lr: 1e-2, seed: 1 }, { every: 10, edits: check });
      expect(tf.memory().numTensors).toBe(n0);
      expect(fit.checks.map((x) => x.step)).toEqual([0, 10, 20, 25]);
      expect(fit.losses.length).toBe(25);
      const best = fit.checks.reduce((b, x) => (x.accuracy > b.accuracy ? x : b));
      expect(fit.kept).toBe(best.step);
      expect(objectHeadAccuracy(e, check)[0].head).toBeCloseTo(best.accuracy, 9); // the kept weights are in the head
      expect(() => fitObjectHead(e, train, { steps: 1, batch: 8, lr: 1e-2, seed: 1 }, { every: 0, edits: check })).toThrow("fitObjectHead: checks must come every positive whole number of steps, got 0");
    } finally {
      disposeEditor(e);
    }
  });

  it("the cached fit (reads of the frozen editor kept once per edit) gives fitObjectHead's losses, checks and weights; no leaks", () => {
    const c = withHead();
    const edits = withChangedObject(engineData(recipeConfig("tiny").dataSeed, 24, c.image).edits);
    const [train, check] = [edits.slice(0, 12), edits.slice(12, 20)];
    const [a, b] = [createEditor(c, new Rng(6)), createEditor(c, new Rng(6))];
    perturbZeroInit(a, 6);
    perturbZeroInit(b, 6);
    try {
      const fc = { steps: 25, batch: 8, lr: 1e-2, seed: 1 };
      const direct = fitObjectHead(a, train, fc, { every: 10, edits: check });
      const n0 = tf.memory().numTensors;
      const [trainReads, checkReads] = [cacheObjectReads(b, train, 5), cacheObjectReads(b, check, 3)];
      expect(trainReads.length).toBe(train.length);
      expect(cachedObjectAccuracy(b, checkReads, 3)).toBeCloseTo(objectHeadAccuracy(b, check)[0].head, 9);
      const cached = fitObjectHeadCached(b, trainReads, fc, { every: 10, reads: checkReads });
      expect(tf.memory().numTensors).toBe(n0);
      cached.losses.forEach((l, i) => expect(l).toBeCloseTo(direct.losses[i], 4));
      expect(cached.checks).toEqual(direct.checks);
      expect(cached.kept).toBe(direct.kept);
      const [pa, pb] = [editorParams(a), editorParams(b)];
      // float rounding differs (other padding, other batching of the reads), and Adam turns a gradient's rounding into
      // steps of up to lr: the weights agree to a few lr-sized steps, and score the checks alike (above)
      for (const k of Object.keys(pa).filter(isObjectHeadParam)) expect(maxAbsDiff(pa[k].dataSync(), pb[k].dataSync())).toBeLessThan(2e-2);
      expect(() => cachedObjectAccuracy(b, [])).toThrow("cachedObjectAccuracy: no cached edits");
    } finally {
      disposeEditor(a);
      disposeEditor(b);
    }
  });

  it("the gate decodings take a given choice in place of the where head's; the pipeline gives them the head's; bad choices are an error", () => {
    const one = (at: number) => Float32Array.from({ length: 16 }, (_, n) => (n === at ? 1 : 0));
    const where = tf.tensor2d([Array.from(one(0)), Array.from(one(0))]);
    const objects = [[one(0), one(5)], [one(0), one(5)]];
    const n0 = tf.memory().numTensors;
    const g = decodeGate(where, "object", { objects, chosen: [1, -1] });
    const rows = g.arraySync();
    expect(rows[0]).toEqual(Array.from(one(5))); // the given choice, not the where head's object 0
    expect(Math.max(...rows[1])).toBe(1); // no choice: the max gate
    const own = decodeGate(where, "object", { objects });
    expect(own.arraySync()[0]).toEqual(Array.from(one(0))); // without one, the where head's
    const moved = decodeObjectMove(where, "object+offset", { objects, offsets: [[0, 0], [0, 0]], chosen: [1, 0] });
    expect(moved.choices.map((x) => x.object)).toEqual([1, 0]);
    expect(() => decodeGate(where, "object", { objects, chosen: [2, 0] })).toThrow("decodeGate: the given choices must be one object index (or -1) per item of the 2, within its objects, got [2, 0]");
    tf.dispose([g, own, moved.gate]);
    expect(tf.memory().numTensors).toBe(n0);
    where.dispose();

    // the pipeline: with the head's score layer made large, its choice decides the gate
    const c = withHead();
    const N = (c.image / c.dnPatch) ** 2;
    const edits = engineData(recipeConfig("tiny").dataSeed, 3, c.image).edits.slice(0, 2);
    const regions = [[Float32Array.from({ length: N }, (_, n) => (n === 9 ? 1 : 0)), Float32Array.from({ length: N }, (_, n) => (n === 14 ? 1 : 0))], [Float32Array.from({ length: N }, (_, n) => (n === 9 ? 1 : 0))]];
    const e = createEditor(c, new Rng(9));
    perturbZeroInit(e, 9);
    (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5))); // the gate's vector: what a gated patch gets
    try {
      const run = () => editImages(e, edits.map((x) => x.source), edits.map((x) => x.instruction), { steps: 2, seed: 1, gate: "object" }, { objects: regions }).images.map((im) => Array.from(im));
      const first = run();
      const p = editorParams(e);
      const w = p["edit.loc.obj.score.w"] as tf.Variable;
      const inp = objectInputs(regions, N);
      const choose = () =>
        tf.tidy(() => bestObjects(objectScores(p, c, editorCondition(e, imageBatch(edits.map((x) => x.source), c.image), editorLayout(e, edits.map((x) => x.instruction))).aligned!, inp), inp));
      const was = choose();
      // flip item 0's choice by a large score layer that favours whichever object it did not choose
      for (const sign of [1, -1]) {
        w.assign(tf.mul(tf.randomNormal([c.dnD, 1], 0, 1, "float32", 3), 100 * sign));
        if (choose()[0] !== was[0]) break;
      }
      expect(choose()[0]).not.toBe(was[0]);
      expect(run()[0]).not.toEqual(first[0]);
      expect(choose()[1]).toBe(0); // one object: always it
    } finally {
      disposeEditor(e);
    }
  });
});

describe("heldOutStart", () => {
  it("is the first edit of the last images; needs two images", () => {
    const [a, b, c] = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
    const edits = [{ source: a }, { source: a }, { source: b }, { source: c }, { source: c }];
    expect(heldOutStart(edits, 1)).toBe(3);
    expect(heldOutStart(edits, 2)).toBe(2);
    expect(heldOutStart(edits, 5)).toBe(2);
    expect(() => heldOutStart([{ source: a }], 1)).toThrow("heldOutStart: the edits come from 1 source image(s); at least two are needed to hold some out");
  });

  it("heldOutSplit: the last images' edits held out, their first half checks and their second half tests", () => {
    const imgs = Array.from({ length: 5 }, () => new Float32Array(1));
    const edits = imgs.flatMap((s, i) => [{ source: s, i: 2 * i }, { source: s, i: 2 * i + 1 }]);
    const { train, check, test } = heldOutSplit(edits, 4);
    expect([train.map((x) => x.i), check.map((x) => x.i), test.map((x) => x.i)]).toEqual([[0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]);
  });
});

describe("the head scripts' flags (finished.ts, decode-choice.ts)", () => {
  it("defaults, values and clear errors", () => {
    expect(headFitFlags({})).toEqual({ steps: 1500, batch: 64, lr: 1e-3, seed: 2 });
    expect(headFitFlags({ steps: "10", lr: "0.01" })).toEqual({ steps: 10, batch: 64, lr: 0.01, seed: 2 });
    expect(() => headFitFlags({ lr: "0" })).toThrow("--lr must be > 0, got 0");
    expect(checkedFitFlags({})).toEqual({ scenes: 4000, heldOut: 500, checkEvery: 250, ddim: 10, fresh: false });
    expect(checkedFitFlags({ fresh: "on", scenes: "16000" })).toEqual({ scenes: 16000, heldOut: 500, checkEvery: 250, ddim: 10, fresh: true });
    expect(() => checkedFitFlags({ "held-out": "1" })).toThrow("--held-out must be at least 2 source images (half choose the kept step, half score the head), got 1");
    expect(() => finishedFromFlag(undefined, " with a colour plan")).toThrow("--from is required: the final weights of a stage2-from run with a colour plan (data/generated/curve-cache/<profile>/from/final-<key>)");
    expect(objectRulesFlag(undefined, "object,object+offset+blend")).toEqual(["object", "object+offset+blend"]);
    expect(() => objectRulesFlag("max", "object")).toThrow("--rules takes the object-choosing gate decodings (object, object+free, object+offset, object+offset+ground, object+offset+fill, object+offset+blend, object+offset+paste, object+offset+shade, object+move, object+move+paste, object+move+redraw, object+move+said, object+move+draw and object+move+pixels), got 'max'");
    expect(() => objectRulesFlag(",", "object")).toThrow("--rules needs at least one gate decoding");
  });

  it("a fitted editor is saved in the curve cache's from folder of the profile, whatever --from was (never among committed weights)", () => {
    expect(fittedEditorDir("object-head-x", "paper")).toBe(path.join(projectRoot(), "data/generated/curve-cache/paper/from/object-head-x"));
    expect(() => fittedEditorDir("../weights", "paper")).toThrow('the fitted editor name "../weights" does not follow the naming rule');
  });
});

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}
