import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { Rng } from "../../lib/core/rng";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { changedObject, objectChoiceSummary, probeObjectChoice } from "../../lib/eval/object-choice-probe";
import { objectRegions, perceiveObjects } from "../../lib/eval/object-regions";
import { choiceOracleEditor, objectGateEditor, offsetOracleEditor, signedAtSize, trainedEditor, truthMove, truthOffset, whereOracleEditor } from "../../lib/eval/trained-editor";
import { editImages } from "../../lib/models/editor/pipeline";
import { toBytes } from "../../lib/models/editor/train/data";
import { tokenCoverage } from "../../lib/models/editor/grounding";
import { checkEditorConfig, editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../lib/models/editor/model";
import { renderScene } from "../../lib/world";
import { initShapeReader } from "../../lib/models/editor/shape-reader";
import { perturbZeroInit } from "../models/editor/helpers";

beforeAll(async () => {
  await initBackend();
});

describe("object regions and the object-choice probe", () => {
  const bench = ensureBenchmark("spatialeval", "tiny");

  it("the perceived objects are disjoint coverages of the patch grid, each matching one rendered object; bad grids are errors", () => {
    let matched = 0;
    let regionsSeen = 0;
    for (const it of bench.items.slice(0, 12)) {
      const size = it.source.width;
      const grid = size / 4;
      const regions = objectRegions(it.source, it.sourceScene.camera, grid);
      expect(regions.length).toBeGreaterThan(0);
      expect(regions.length).toBeLessThanOrEqual(it.sourceScene.objects.length);
      const total = new Float32Array(grid * grid);
      for (const c of regions) {
        expect(c.length).toBe(grid * grid);
        c.forEach((v, n) => {
          expect(v).toBeGreaterThanOrEqual(0);
          total[n] += v;
        });
      }
      for (const v of total) expect(v).toBeLessThanOrEqual(1 + 1e-6); // masks never overlap
      // each region is mostly one rendered object: its coverage overlaps that object's by at least half of its own
      const r = renderScene(it.sourceScene, { width: size, height: size });
      const truth = it.sourceScene.objects.map((o) => tokenCoverage(Array.from(r.mask, (m) => (m === o.id ? 1 : 0)), size, grid));
      for (const c of regions) {
        regionsSeen++;
        const own = c.reduce((s, v) => s + v, 0);
        const best = Math.max(...truth.map((t) => c.reduce((s, v, n) => s + Math.min(v, t[n]), 0)));
        if (best >= 0.5 * own) matched++;
      }
    }
    expect(matched).toBeGreaterThanOrEqual(0.9 * regionsSeen);
    const it0 = bench.items[0];
    expect(() => objectRegions(it0.source, it0.sourceScene.camera, 5)).toThrow(`objectRegions: the image side ${it0.source.width} is not a multiple of the patch grid 5`);
  });

  it("perceiveObjects: the regions of objectRegions and each object's colour, the mean of its own pixels in [-1, 1]", () => {
    const it0 = bench.items.find((it) => objectRegions(it.source, it.sourceScene.camera, it.source.width / 4).length > 1)!;
    const grid = it0.source.width / 4;
    const seen = perceiveObjects(it0.source, it0.sourceScene.camera, grid);
    expect(seen.regions).toEqual(objectRegions(it0.source, it0.sourceScene.camera, grid));
    expect(seen.colours.length).toBe(seen.regions.length);
    // each colour is the mean of the pixels of the patches the object fully covers, or near it: inside [-1, 1], and
    // on a fully covered patch the patch's own mean
    seen.colours.forEach((col, r) => {
      for (const v of col) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      const full = Array.from(seen.regions[r]).findIndex((v) => v === 1);
      if (full < 0) return;
      const side = it0.source.width / grid;
      const [py, px] = [Math.floor(full / grid) * side, (full % grid) * side];
      const mean = [0, 1, 2].map((k) => {
        let sum = 0;
        for (let y = py; y < py + side; y++) for (let x = px; x < px + side; x++) sum += it0.source.data[(y * it0.source.width + x) * 3 + k];
        return sum / (side * side) / 127.5 - 1;
      });
      mean.forEach((v, k) => expect(Math.abs(v - col[k])).toBeLessThan(0.35)); // one object's shading varies, its hue does not
    });
  });

  it("changedObject takes the object covering most of the changed patches, -1 when none touches them", () => {
    const regions = [Float32Array.from([1, 0.5, 0, 0]), Float32Array.from([0, 0.5, 1, 0])];
    expect(changedObject(regions, [0, 1, 1, 0])).toBe(1);
    expect(changedObject(regions, [1, 1, 0, 0])).toBe(0);
    expect(changedObject(regions, [0, 0, 0, 1])).toBe(-1);
    expect(changedObject([], [1, 1, 1, 1])).toBe(-1);
  });

  it("the probe: a where head that prefers nothing picks the first object; correct and chance are in range; no tensor leaks", () => {
    const e = createEditor(checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" }), new Rng(3));
    try {
      // zero query weights: every logit is 0, so every object scores 0 and pickObject keeps the first
      for (const k of ["edit.loc.q.w", "edit.loc.q.b"]) e.groups.edit[k].assign(tf.zerosLike(e.groups.edit[k]));
      const before = tf.memory().numTensors;
      const probe = probeObjectChoice(e, bench, 4);
      expect(tf.memory().numTensors).toBe(before);
      expect(probe.items.length + probe.missed).toBeGreaterThan(0);
      expect(probe.items.length).toBeGreaterThan(0);
      const grid = e.config.image / e.config.dnPatch;
      for (const x of probe.items) {
        expect([0, 1]).toContain(x.correct);
        expect(x.chance).toBeCloseTo(1 / x.objects, 9);
        // with all logits equal the choice is the first object; correct exactly when it is the changed one
        expect(x.chosen).toBe(0);
        expect(x.correct).toBe(x.changed === 0 ? 1 : 0);
        const it = bench.items.find((b) => b.id === x.item)!;
        expect(x.objects).toBe(objectRegions(it.source, it.sourceScene.camera, grid).length);
      }
      const rows = objectChoiceSummary(probe.items);
      expect(rows[0].kind).toBe("all");
      expect(rows[0].n).toBe(probe.items.length);
    } finally {
      disposeEditor(e);
    }
  });

  it("with an object head (alignedObjects) the probe takes the head's choice: at its zero start the where head's, then its own", () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedRefer: 1, alignedObjects: 1 });
    const e = createEditor(c, new Rng(3));
    try {
      const plainPick = probeObjectChoice(e, bench, 4).items.map((x) => x.chosen);
      const w = e.groups.edit["edit.loc.obj.score.w"];
      // scores dominated by the geometry-driven object tokens: a choice the where head's mean logits do not make
      w.assign(tf.mul(tf.randomNormal(w.shape, 0, 1, "float32", 4), 1000));
      const before = tf.memory().numTensors;
      const headPick = probeObjectChoice(e, bench, 4).items.map((x) => x.chosen);
      expect(tf.memory().numTensors).toBe(before);
      expect(headPick.length).toBe(plainPick.length);
      expect(headPick.some((r, i) => r !== plainPick[i])).toBe(true);
      // the shape check needs a reader; an untrained editor's conditions name no shape, so the checked choice is the head's
      expect(() => probeObjectChoice(e, bench, 4, true)).toThrow("probeObjectChoice: the shape check needs an editor with an object head and a shape reader (Editor.shapeReader)");
      e.shapeReader = { params: initShapeReader({ cells: 4, hidden: 8 }, 1), config: { cells: 4, hidden: 8 } };
      const n0 = tf.memory().numTensors;
      expect(probeObjectChoice(e, bench, 4, true).items.map((x) => x.chosen)).toEqual(headPick);
      expect(tf.memory().numTensors).toBe(n0);
    } finally {
      disposeEditor(e);
    }
  });

  it("the object-gate editor edits as the pipeline with the objects it perceives, and refuses requests without a record", async () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
    const e = createEditor(c, new Rng(8));
    perturbZeroInit(e, 8);
    (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
    try {
      const items = bench.items.slice(0, 2);
      const requests = items.map((it) => ({ source: it.source, instruction: it.instruction, item: it }));
      const ed = objectGateEditor("object", e, { steps: 2 });
      const out = await ed.editBatch!(requests);
      const viaMax = await trainedEditor("max", e, { steps: 2, gate: "max" }).editBatch!(requests);
      expect(out.length).toBe(2);
      expect(out[0].width).toBe(c.image);
      expect(out.some((img, i) => img.data.some((v, j) => v !== viaMax[i].data[j]))).toBe(true); // the object gate is not the max gate
      await expect(ed.editBatch!([{ source: items[0].source, instruction: items[0].instruction }])).rejects.toThrow("objectGateEditor: request 0 has no benchmark record (request.item); the perception needs its source scene's camera");
      // object+free goes through the same perception; a rule that chooses no object is refused
      const free = await objectGateEditor("object+free", e, { steps: 2, gate: "object+free" }).editBatch!(requests);
      expect(free.length).toBe(2);
      expect(() => objectGateEditor("max", e, { gate: "max" })).toThrow("objectGateEditor: gate decoding 'max' does not choose among objects; use trainedEditor");
    } finally {
      disposeEditor(e);
    }
  });

  it("the oracle-plan diagnostic decodes the editor's own gate by object when asked, and perceives the objects itself", async () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedPlan: true });
    const e = createEditor(c, new Rng(8));
    perturbZeroInit(e, 8);
    (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
    (editorParams(e)["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(11).normalArray(3 * c.dnD, 0, 0.5), [3, c.dnD]));
    try {
      const requests = bench.items.slice(0, 2).map((it) => ({ source: it.source, instruction: it.instruction, item: it }));
      const before = tf.memory().numTensors;
      const sig = await whereOracleEditor("plan", e, { steps: 2 }, { where: false, plan: true }).editBatch!(requests);
      const obj = await whereOracleEditor("plan, object gate", e, { steps: 2, gate: "object" }, { where: false, plan: true }).editBatch!(requests);
      expect(tf.memory().numTensors).toBe(before);
      expect(obj.some((img, i) => img.data.some((v, j) => v !== sig[i].data[j]))).toBe(true);
    } finally {
      disposeEditor(e);
    }
  });

  it("the oracle-offset diagnostic moves the chosen object by each item's true offset, also with the truth's plan; it needs benchmark records", async () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedPlan: "palette", alignedPlanGate: "open" });
    const e = createEditor(c, new Rng(8));
    perturbZeroInit(e, 8);
    (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
    (editorParams(e)["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(11).normalArray(8 * c.dnD, 0, 0.5), [8, c.dnD]));
    const grid = c.image / c.dnPatch;
    try {
      const moves = bench.items.filter((it) => it.kind === "move" && Math.hypot(...truthOffset(it, c.image, grid)) >= 0.5).slice(0, 2);
      expect(moves.length).toBeGreaterThan(0);
      const requests = moves.map((it) => ({ source: it.source, instruction: it.instruction, item: it }));
      const before = tf.memory().numTensors;
      const object = await objectGateEditor("object", e, { steps: 2 }).editBatch!(requests);
      const moved = await offsetOracleEditor("oracle offset", e, { steps: 2 }).editBatch!(requests);
      const withPlan = await offsetOracleEditor("oracle offset and plan", e, { steps: 2 }, { plan: true }).editBatch!(requests);
      const ground = await offsetOracleEditor("oracle offset, ground plan", e, { steps: 2 }, { rule: "object+offset+ground" }).editBatch!(requests);
      const scaled = await offsetOracleEditor("oracle move", e, { steps: 2 }, { rule: "object+move" }).editBatch!(requests);
      expect(tf.memory().numTensors).toBe(before);
      const differs = (a: typeof object, b: typeof object) => a.some((img, i) => img.data.some((v, j) => v !== b[i].data[j]));
      expect(differs(moved, object)).toBe(true);
      expect(differs(withPlan, moved)).toBe(true);
      expect(differs(ground, moved)).toBe(true); // the vacated patches planned as ground
      // object+move with the truth's scale: the same as the ground rule exactly when every scale is 1 (no scaling)
      const scales = moves.map((it) => truthMove(it, c.image, grid).scale);
      expect(differs(scaled, ground)).toBe(scales.some((v) => v !== 1));
      for (const it of moves) expect(truthMove(it, c.image, grid).offset).toEqual(truthOffset(it, c.image, grid));
      await expect(offsetOracleEditor("oracle offset", e, { steps: 2 }).editBatch!([{ source: moves[0].source, instruction: moves[0].instruction }])).rejects.toThrow("offsetOracleEditor: request 0 has no benchmark record (request.item); the oracle offset reads its edited scene");
    } finally {
      disposeEditor(e);
    }
    const noPlan = createEditor(checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" }), new Rng(8));
    try {
      expect(() => offsetOracleEditor("x", noPlan, {}, { plan: true })).toThrow("offsetOracleEditor: the oracle plan needs an editor that predicts an edit plan (alignedPlan)");
    } finally {
      disposeEditor(noPlan);
    }
  });

  it("the oracle-choice diagnostic takes the object the truth changes; it edits as the given choice through the pipeline; bad choices are errors", async () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
    const e = createEditor(c, new Rng(8));
    perturbZeroInit(e, 8);
    (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(c.dnD, 0, 0.5)));
    const grid = c.image / c.dnPatch;
    try {
      // items whose truth changes a perceived object other than the one the where head chooses
      const probe = probeObjectChoice(e, bench, 4);
      const wrong = probe.items.filter((x) => x.correct === 0).slice(0, 2).map((x) => bench.items.find((b) => b.id === x.item)!);
      expect(wrong.length).toBeGreaterThan(0);
      const requests = wrong.map((it) => ({ source: it.source, instruction: it.instruction, item: it }));
      const before = tf.memory().numTensors;
      const own = await objectGateEditor("object", e, { steps: 2 }).editBatch!(requests);
      const oracle = await choiceOracleEditor("oracle choice", e, { steps: 2 }).editBatch!(requests);
      expect(tf.memory().numTensors).toBe(before);
      expect(oracle.some((img, i) => img.data.some((v, j) => v !== own[i].data[j]))).toBe(true);
      // the same as the pipeline given the probe's changed objects
      const objects = wrong.map((it) => objectRegions(it.source, it.sourceScene.camera, grid));
      const chosen = wrong.map((it) => probe.items.find((x) => x.item === it.id)!.changed);
      const given = editImages(e, wrong.map((it) => signedAtSize(it.source, c.image)), wrong.map((it) => it.instruction), { steps: 2, gate: "object" }, { objects, chosen }).images;
      oracle.forEach((img, i) => expect(Array.from(img.data)).toEqual(Array.from(toBytes(given[i]))));
      // -1: the editor's own choice
      const mine = editImages(e, wrong.map((it) => signedAtSize(it.source, c.image)), wrong.map((it) => it.instruction), { steps: 2, gate: "object" }, { objects, chosen: chosen.map(() => -1) }).images;
      own.forEach((img, i) => expect(Array.from(img.data)).toEqual(Array.from(toBytes(mine[i]))));
      const src = [signedAtSize(wrong[0].source, c.image)];
      expect(() => editImages(e, src, [wrong[0].instruction], { steps: 2, gate: "object" }, { objects: [objects[0]], chosen: [objects[0].length] })).toThrow(`editImages: object choice 0 must be -1 or the index of one of its ${objects[0].length} objects, got ${objects[0].length}`);
      expect(() => editImages(e, src, [wrong[0].instruction], { steps: 2, gate: "max" }, { chosen: [0] })).toThrow("editImages: given object choices (extras.chosen) are read by the object-choosing gate decodings only, not by 'max'");
      expect(() => choiceOracleEditor("x", e, { gate: "max" })).toThrow("choiceOracleEditor: gate decoding 'max' does not choose among objects");
      // the oracle offset with the truth's choice: the truth's offsets applied to the truth's object
      const offsets = wrong.map((it) => truthOffset(it, c.image, grid));
      const both = await offsetOracleEditor("oracle offset and choice", e, { steps: 2 }, { choice: true }).editBatch!(requests);
      const objectColours = wrong.map((it) => perceiveObjects(it.source, it.sourceScene.camera, grid).colours);
      const viaPipeline = editImages(e, wrong.map((it) => signedAtSize(it.source, c.image)), wrong.map((it) => it.instruction), { steps: 2, gate: "object+offset" }, { objects, chosen, offsets, objectColours }).images;
      both.forEach((img, i) => expect(Array.from(img.data)).toEqual(Array.from(toBytes(viaPipeline[i]))));
      expect(() => editImages(e, src, [wrong[0].instruction], { steps: 2, gate: "object+offset" }, { objects: [objects[0]], offsets: [offsets[0]], objectColours: [[]] })).toThrow("editImages: object colours (extras.objectColours) need one colour per object of each image's objects (extras.objects)");
    } finally {
      disposeEditor(e);
    }
  });
});
