import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { decodingOptions, decodingText, keepClosedFlag } from "../../../lib/eval/decode-choice";
import { disposeEditor } from "../../../lib/models/editor/model";
import { editImages, keepClosedPatches } from "../../../lib/models/editor/pipeline";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { changedPixel, pasteMove } from "../../../lib/models/editor/paste-move";
import { initRedraw } from "../../../lib/models/editor/redraw";
import { liveOffsetEditor, masksOf, maxDiff, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

describe("keepClosed: the source kept in the patches the gate leaves closed (pipeline.ts)", () => {
  it("keepClosedPatches takes the source's pixels of every patch whose gate is 0; errors", () => {
    const S = 4;
    const edited = Float32Array.from({ length: S * S * 3 }, () => 0.5);
    const source = Float32Array.from({ length: S * S * 3 }, (_, i) => -i / (S * S * 3));
    const out = keepClosedPatches(Float32Array.from(edited), source, [0.2, 0, 0, 1], 2); // patches: top-left open, top-right and bottom-left closed
    for (let p = 0; p < S * S; p++) {
      const [x, y] = [p % S, Math.floor(p / S)];
      const closed = (x >= 2 && y < 2) || (x < 2 && y >= 2);
      for (let c = 0; c < 3; c++) expect(out[p * 3 + c]).toBe(closed ? source[p * 3 + c] : 0.5);
    }
    expect(() => keepClosedPatches(edited, source, [0, 0, 0], 2)).toThrow("keepClosedPatches: a 4 x 4 image, a source of 48 values, 3 gate values do not fit patches of 2");
    // with a pixel prediction: the pixels it does not change are the source's too, in open patches as well
    const drawn = Float32Array.from(source);
    drawn.fill(0.9, 0, 3); // it changes pixel 0 only
    const withDrawn = keepClosedPatches(Float32Array.from(edited), source, [0.2, 0, 0, 1], 2, drawn);
    for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) expect(withDrawn[p * 3 + c]).toBe(p === 0 ? 0.5 : source[p * 3 + c]);
    expect(() => keepClosedPatches(edited, source, [0, 0, 0, 0], 2, new Float32Array(3))).toThrow("keepClosedPatches: a 4 x 4 image, a source of 48 values, 4 gate values and a prediction of 3 values do not fit patches of 2");
  });

  it("editImages: with an object-choosing gate every pixel off the chosen object's patches is the source's; other pixels are the denoiser's; no leaks; a gate that opens everything is refused", () => {
    const c = withOffset();
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    try {
      const o = { steps: 2, gate: "object" as const };
      const n0 = tf.memory().numTensors;
      const plain = editImages(e, sources, instructions, o, { objects }).images;
      const kept = editImages(e, sources, instructions, { ...o, keepClosed: true }, { objects }).images;
      expect(tf.memory().numTensors).toBe(n0);
      const [S, G, P] = [c.image, c.image / c.dnPatch, c.dnPatch];
      for (let b = 0; b < 2; b++) {
        let [open, closedDiffer] = [0, 0];
        for (let p = 0; p < S * S; p++) {
          const n = Math.floor(Math.floor(p / S) / P) * G + Math.floor((p % S) / P);
          for (let k = 0; k < 3; k++) {
            const q = p * 3 + k;
            if (objects[b][0][n] > 0) {
              expect(kept[b][q]).toBe(plain[b][q]);
              open++;
            } else {
              expect(kept[b][q]).toBe(sources[b][q]);
              if (plain[b][q] !== sources[b][q]) closedDiffer++;
            }
          }
        }
        expect(open).toBeGreaterThan(0);
        expect(closedDiffer).toBeGreaterThan(0); // the denoiser drifted there, and keepClosed undid it
      }
      expect(maxDiff(kept[0], plain[0])).toBeGreaterThan(0);
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "max", keepClosed: true }, { objects })).toThrow("editImages: keepClosed needs an object-choosing gate decoding, whose gate is 0 off the chosen object's edit; 'max' opens every patch a little");
    } finally {
      disposeEditor(e);
    }
  });

  it("under object+move+pixels an item with a pasted move is its prediction: the moved pixels, the source elsewhere", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    const dc = { crop: 8, hidden: 8 };
    e.drawer = { params: initRedraw(dc, 3), config: dc };
    try {
      const masks = masksOf(objects, c);
      const grounds = sources.map(() => new Float32Array(c.image * c.image * 3).fill(-0.2));
      const extras = { objects, objectMasks: masks, emptyGrounds: grounds, offsets: [[1, 0], [0, 0]] as [number, number][], scales: [1, 1] };
      const o = { steps: 2, gate: "object+move+pixels" as const };
      const plain = editImages(e, sources, instructions, o, extras).images[0];
      const kept = editImages(e, sources, instructions, { ...o, keepClosed: true }, extras).images[0];
      const pasted = pasteMove(sources[0], masks[0][0], grounds[0], c.dnPatch, 0, c.dnPatch, { scale: 1, byChange: true }).image;
      let changed = 0;
      for (let q = 0; q < kept.length / 3; q++) {
        const moved = changedPixel(pasted, sources[0], q);
        changed += moved ? 1 : 0;
        for (let k = 0; k < 3; k++) expect(kept[q * 3 + k]).toBe(moved ? pasted[q * 3 + k] : sources[0][q * 3 + k]);
      }
      expect(changed).toBeGreaterThan(0);
      expect(maxDiff(plain, kept)).toBeGreaterThan(0); // without keepClosed the denoiser's pixels stay off the moved ones
    } finally {
      disposeEditor(e);
    }
  });

  it("decode-choice: the --keep-closed flag, a decoding's options and name", () => {
    expect([keepClosedFlag(undefined), keepClosedFlag("on"), keepClosedFlag("both")]).toEqual([[false], [true], [false, true]]);
    expect(() => keepClosedFlag("yes")).toThrow("--keep-closed must be off, on or both, got 'yes'");
    expect(decodingOptions({ rule: "object+move+said", planDecode: "soft", keepClosed: true }, 10, 2)).toEqual({ steps: 10, seed: 2, gate: "object+move+said", planDecode: "soft", keepClosed: true });
    expect(decodingOptions({ rule: "object" }, 10, 2)).toEqual({ steps: 10, seed: 2, gate: "object" });
    expect(decodingText({ rule: "object+move+pixels", planDecode: "argmax", keepClosed: true })).toBe("object+move+pixels (plan argmax) keeping the closed patches");
  });
});
