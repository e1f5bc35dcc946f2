import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { pastesObject, scalesObject, shadesObject } from "../../../lib/models/editor/gate-decode";
import { createEditor, disposeEditor, editorParams } from "../../../lib/models/editor/model";
import { pasteMove } from "../../../lib/models/editor/paste-move";
import { editImages } from "../../../lib/models/editor/pipeline";
import { engineData } from "../../../lib/models/editor/train/data";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { fitScaleHead, isScaleParam, scaleErrors, withScale } from "../../../lib/models/editor/train/scale-head";
import { perturbZeroInit } from "./helpers";
import { liveOffsetEditor, masksOf, maxDiff, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

describe("object+move+paste: moves and resizes pasted from the object's pixels, gated by the share they change", () => {
  it("pasteMove with a scale: the object grows about its pixel centre; the share of each patch's changed pixels", () => {
    // an 8 x 8 image, patches of 4: the object is the 2 x 2 block at columns 3-4, rows 6-7 (value 1), its centre at (4, 7)
    const S = 8;
    const on = (p: number) => [3, 4].includes(p % S) && [6, 7].includes(Math.floor(p / S));
    const mask = Uint8Array.from({ length: S * S }, (_, p) => (on(p) ? 1 : 0));
    const source = Float32Array.from({ length: S * S * 3 }, (_, i) => (on(Math.floor(i / 3)) ? 1 : 0));
    const ground = new Float32Array(S * S * 3).fill(0.5);
    const same = pasteMove(source, mask, ground, 0, 0, 4);
    expect(same.share).toEqual([0, 0, 2 / 16, 2 / 16]); // its own pixels, half in each bottom patch
    const twice = pasteMove(source, mask, ground, 0, 0, 4, { scale: 2 }); // a 4 x 4 block at columns 2-5, rows 5-8 (row 8 off the image)
    expect(twice.share).toEqual([0, 0, 6 / 16, 6 / 16]);
    expect(Array.from(twice.colours.subarray(6, 9))).toEqual([1, 1, 1]); // every changed pixel is the object's
    const half = pasteMove(source, mask, ground, 0, 0, 4, { scale: 0.5 }); // one pixel left, at column 3, row 6 (up-left of the centre); the rest ground
    expect(half.share).toEqual(same.share);
    expect(Array.from(half.colours.subarray(6, 12))).toEqual([0.75, 0.75, 0.75, 0.5, 0.5, 0.5]);
    // byChange: a pixel counts only where the prediction differs from the source; the object pasted onto itself changes none
    expect(pasteMove(source, mask, ground, 0, 0, 4, { byChange: true }).share).toEqual([0, 0, 0, 0]);
    const down = pasteMove(source, mask, ground, 0, 1, 4, { byChange: true }); // one row down, the bottom row off the image: row 6 becomes ground, row 7 stays the object
    expect(down.share).toEqual([0, 0, 1 / 16, 1 / 16]);
    expect(Array.from(down.colours.subarray(6, 9))).toEqual([0.5, 0.5, 0.5]);
    expect(() => pasteMove(source, mask, ground, 0, 0, 4, { scale: 0 })).toThrow("pasteMove: the scale must be a finite number > 0, got 0");
    expect([scalesObject("object+move+paste"), pastesObject("object+move+paste"), shadesObject("object+move+paste"), scalesObject("object+offset+paste")]).toEqual([true, true, true, false]);
  });

  it("the pipeline: still it edits as object+offset+shade; a move edits unlike it (its gate is the share it changes); a scale changes the edit; it needs scales", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    const objectMasks = masksOf(objects, c);
    const emptyGrounds = sources.map(() => new Float32Array(c.image * c.image * 3).fill(-0.2));
    const extras = { objects, objectMasks, emptyGrounds };
    try {
      const n0 = tf.memory().numTensors;
      const [still, moved]: [number, number][][] = [[[0, 0], [0, 0]], [[2, 1], [2, 1]]];
      const move = (offsets: [number, number][], scales: number[]) => editImages(e, sources, instructions, { steps: 2, gate: "object+move+paste" }, { ...extras, offsets, scales }).images[0];
      const shade = (offsets: [number, number][]) => editImages(e, sources, instructions, { steps: 2, gate: "object+offset+shade" }, { ...extras, offsets }).images[0];
      expect(maxDiff(move(still, [1, 1]), shade(still))).toBe(0);
      const [plain, scaled] = [move(moved, [1, 1]), move(moved, [2, 2])];
      expect(maxDiff(plain, shade(moved))).toBeGreaterThan(1e-4); // the gate is the share the move changes, not the coverage
      expect(maxDiff(scaled, plain)).toBeGreaterThan(1e-4);
      expect(tf.memory().numTensors).toBe(n0);
      // the head's own scales (zero at the start: scale 1) with its offsets edit as the same rule given those
      expect(maxDiff(editImages(e, sources, instructions, { steps: 2, gate: "object+move+paste" }, extras).images[0], move(still, [1, 1]))).toBe(0);
    } finally {
      disposeEditor(e);
    }
    const noScale = liveOffsetEditor(checkEditorConfig({ ...withOffset(), alignedPlan: true }));
    try {
      expect(() => editImages(noScale.e, noScale.sources, noScale.instructions, { steps: 2, gate: "object+move+paste" }, { objects: noScale.objects, objectMasks: masksOf(noScale.objects, c), emptyGrounds })).toThrow("editImages: gate decoding 'object+move+paste' needs an editor with the scale head (alignedScale) or the move head (alignedMoves), or given scales with given offsets (extras.scales, extras.offsets)");
    } finally {
      disposeEditor(noScale.e);
    }
  });
});

describe("the scale head fitted alone (train/scale-head.ts)", () => {
  it("fitScaleHead trains the scale head alone, keeps the best check, leaks nothing; errors per kind; an editor without the head is refused", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const edits = engineData(recipeConfig("tiny").dataSeed, 8, c.image).edits;
    const e = createEditor(c, new Rng(5));
    perturbZeroInit(e, 5);
    const p = editorParams(e);
    expect(Object.keys(p).filter(isScaleParam).sort()).toEqual(["edit.loc.scale.h.b", "edit.loc.scale.h.w", "edit.loc.scale.o.b", "edit.loc.scale.o.w"]);
    const others = Object.keys(p).filter((k) => !isScaleParam(k));
    const snapshot = () => others.map((k) => Array.from(p[k].dataSync()));
    try {
      const [train, check] = [edits.slice(0, 10), edits.slice(10)];
      const rows = scaleErrors(e, check);
      expect(rows[0].kind).toBe("all");
      expect(rows[0].n).toBe(withScale(check).length);
      const before = snapshot();
      const n0 = tf.memory().numTensors;
      const fit = fitScaleHead(e, train, { steps: 4, batch: 4, lr: 1e-2, seed: 1 }, { every: 2, edits: check });
      expect(tf.memory().numTensors).toBe(n0);
      expect(fit.checks.map((x) => x.step)).toEqual([0, 2, 4]);
      expect(fit.checks[0].score).toBeCloseTo(-rows[0].error, 6);
      const best = fit.checks.reduce((b, x) => (x.score > b.score ? x : b));
      expect(fit.kept).toBe(best.step);
      expect(scaleErrors(e, check)[0].error).toBeCloseTo(-best.score, 5);
      expect(snapshot()).toEqual(before);
      expect(() => scaleErrors(e, check.filter((x) => x.objects?.scale === undefined))).toThrow("scaleErrors: none of the edits has a scale target");
      // removals taught scale 1: they join the fit with target 1, the other edits keep theirs
      const removals = edits.filter((x) => x.kind === "remove" && x.objects !== undefined);
      expect(removals.length).toBeGreaterThan(0);
      const still = withScale(edits, true);
      expect(still).toHaveLength(withScale(edits).length + removals.length);
      expect(still.filter((x) => x.kind === "remove").every((x) => x.objects!.scale === 1)).toBe(true);
      expect(removals.every((x) => x.objects!.scale === undefined)).toBe(true); // the edits themselves are not changed
      expect(scaleErrors(e, edits, true).find((r) => r.kind === "remove")).toMatchObject({ n: removals.length, zero: 0 });
    } finally {
      disposeEditor(e);
    }
    const none = createEditor(checkEditorConfig({ ...withOffset(), alignedPlan: true }), new Rng(5));
    try {
      expect(() => fitScaleHead(none, edits, { steps: 1, batch: 2, lr: 1e-2, seed: 1 }, { every: 1, edits })).toThrow("fitScaleHead: this editor has no scale head (config alignedScale, with image tokens)");
    } finally {
      disposeEditor(none);
    }
  });
});
