import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { decodeObjectMove, movesObject, pastesObject, plansGround, shadesObject } from "../../../lib/models/editor/gate-decode";
import { disposeEditor, editorCondition, editorLayout } from "../../../lib/models/editor/model";
import { pasteMove, shadeObject } from "../../../lib/models/editor/paste-move";
import { editImages } from "../../../lib/models/editor/pipeline";
import { moveFills } from "../../../lib/models/editor/move-fills";
import { imageBatch } from "../../../lib/models/editor/train/steps";
import { objectGateEditor } from "../../../lib/eval/trained-editor";
import { ensureBenchmark } from "../../../lib/eval/benchmark-generate";
import { liveOffsetEditor, masksOf, maxDiff, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

describe("object+offset+paste: the plan of a move pasted from the object's own pixels (paste-move.ts pasteMove)", () => {
  it("pasteMove: the object's pixels over the empty ground where it was, each changed patch's mean of its changed pixels; errors", () => {
    // a 4 x 4 image (1 channel shown as 3) of patches of 2: the object is pixel (0, 0) of value 1, the ground is 0.5, the rest 0
    const S = 4;
    const source = new Float32Array(S * S * 3);
    source.fill(1, 0, 3);
    const mask = Uint8Array.from({ length: S * S }, (_, p) => (p === 0 ? 1 : 0));
    const ground = new Float32Array(S * S * 3).fill(0.5);
    const one = pasteMove(source, mask, ground, 3, 0, 2); // to pixel (3, 0): patch 0 left by it, patch 1 reached by it
    expect(one.patches).toEqual([1, 1, 0, 0]);
    expect(Array.from(one.colours)).toEqual([0.5, 0.5, 0.5, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const still = pasteMove(source, mask, ground, 0, 0, 2); // no move: the object's pixel "changes" to itself
    expect(Array.from(still.colours.subarray(0, 3))).toEqual([1, 1, 1]);
    const off = pasteMove(source, mask, ground, 5, 0, 2); // moved off the image: only the ground it leaves
    expect(off.patches).toEqual([1, 0, 0, 0]);
    expect(() => pasteMove(source, mask, ground, 0.5, 0, 2)).toThrow("pasteMove: the offset must be whole pixels, got [0.5, 0]");
    expect(() => pasteMove(source, mask, ground, 1, 0, 3)).toThrow("pasteMove: the image side 4 is not a multiple of the patch 3");
    expect(() => pasteMove(source.subarray(3), mask, ground, 1, 0, 2)).toThrow("pasteMove: a mask of 16 pixels, a source of 45 values and a ground of 48 do not fit one square image");
    expect([pastesObject("object+offset+paste"), pastesObject("object+offset+blend"), movesObject("object+offset+paste"), plansGround("object+offset+paste")]).toEqual([true, false, true, true]);
  });

  it("the pipeline: it edits unlike the blend when a move pastes, needs the masks and the empty ground; the objectGateEditor gives them", async () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true }); // a colour plan: the pasted colours reach the gate as they are
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    const S = c.image;
    const objectMasks = masksOf(objects, c);
    const emptyGrounds = sources.map(() => new Float32Array(S * S * 3).fill(-0.2));
    try {
      const n0 = tf.memory().numTensors;
      const offsets: [number, number][] = [[2, 1], [2, 1]];
      const paste = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+paste" }, { objects, offsets, objectMasks, emptyGrounds });
      const blend = editImages(e, sources, instructions, { steps: 2, gate: "object+offset+blend" }, { objects, offsets });
      expect(tf.memory().numTensors).toBe(n0);
      expect(maxDiff(paste.images[0], blend.images[0])).toBeGreaterThan(1e-4);
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+offset+paste" }, { objects, offsets })).toThrow("editImages: gate decoding 'object+offset+paste' needs each source's object masks and empty ground (extras.objectMasks, extras.emptyGrounds; lib/eval/object-regions.ts)");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+offset+paste" }, { objects, offsets, objectMasks, emptyGrounds: [emptyGrounds[0], new Float32Array(3)] })).toThrow(`editImages: empty ground 1 has 3 values; the editor's images have ${S * S * 3}`);
      const bench = ensureBenchmark("spatialeval", "tiny");
      const reqs = bench.items.slice(0, 2).map((it) => ({ source: it.source, instruction: it.instruction, item: it }));
      const viaEditor = await objectGateEditor("paste", e, { steps: 2, gate: "object+offset+paste" }).editBatch!(reqs);
      expect(viaEditor).toHaveLength(2);
    } finally {
      disposeEditor(e);
    }
  });
});

describe("object+offset+shade: a still object planned from its own pixels (paste-move.ts shadeObject)", () => {
  // a 4 x 4 image of patches of 2 (N = 4): the object covers patch 0 (pixels 0, 1, 4, 5) and pixel 2 of patch 1, a red
  // (0.8, 0.2, 0.2) shaded by k = 1 or 0.5 per pixel; the ground is grey, brighter to the right; colours in [-1, 1]
  const S = 4;
  const k = new Map([[0, 1], [1, 0.5], [4, 1], [5, 0.5], [2, 1]]);
  const signed = (u: number) => u * 2 - 1;
  const mask = Uint8Array.from({ length: S * S }, (_, p) => (k.has(p) ? 1 : 0));
  const source = Float32Array.from({ length: S * S * 3 }, (_, i) => signed(k.has(Math.floor(i / 3)) ? [0.8, 0.2, 0.2][i % 3] * k.get(Math.floor(i / 3))! : 0.3));
  const ground = Float32Array.from({ length: S * S * 3 }, (_, i) => signed(0.4 + 0.1 * ((Math.floor(i / 3) % S) / S)));
  const green = [0.2, 0.8, 0.2];
  // the truth of a recolour to green with the same shading: patch 0's mean k is 0.75, patch 1's pixel has k = 1
  const recolourPlan = Float32Array.from([...green.map((g) => signed(g * 0.75)), ...green.map(signed), 0, 0, 0, 0, 0, 0]);
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));

  it("a plan that is the object's shading in a new colour comes back exactly; one that is the empty ground comes back as the ground's means", () => {
    const rec = shadeObject(source, mask, ground, recolourPlan, 2);
    expect(rec.kind).toBe("recolour");
    expect(rec.patches).toEqual([1, 1, 0, 0]);
    close(rec.colours, recolourPlan);
    // the ground's means over the object's pixels: patch 0 over columns 0, 1, 0, 1; patch 1 over column 2
    const g0 = signed(0.4 + 0.1 * (0.5 / 4));
    const g1 = signed(0.4 + 0.1 * (2 / 4));
    const rem = shadeObject(source, mask, ground, Float32Array.from([g0, g0, g0, g1, g1, g1, 0, 0, 0, 0, 0, 0]), 2);
    expect(rem.kind).toBe("ground");
    close(rem.colours, [g0, g0, g0, g1, g1, g1, 0, 0, 0, 0, 0, 0]);
    // a plan of white everywhere: the fit gives rgb = sum k_n r_n / sum k_n r_n^2 (r = 0.9375, 1.25 by the shading; k = 4, 1
    // pixels) ~ 0.985 per channel, and each pixel rgb * 1.25 k clips at 1 where k = 1: patch 0 the mean of 1, 1 and two at k = 0.5
    const white = shadeObject(source, mask, ground, new Float32Array(12).fill(1), 2);
    const rgb = (4 * 0.9375 + 1.25) / (4 * 0.9375 ** 2 + 1.25 ** 2);
    expect(white.kind).toBe("recolour");
    close(white.colours.subarray(0, 6), [...Array(3).fill(signed((2 + 2 * rgb * 1.25 * 0.5) / 4)), 1, 1, 1]);
  });

  it("errors: sizes that do not fit, a plan of the wrong length", () => {
    expect(() => shadeObject(source, mask, ground, new Float32Array(9), 2)).toThrow("shadeObject: a plan of 9 values for 4 patches x 3 colours");
    expect(() => shadeObject(source, mask, ground, recolourPlan, 3)).toThrow("shadeObject: the image side 4 is not a multiple of the patch 3");
    expect(() => shadeObject(source.subarray(3), mask, ground, recolourPlan, 2)).toThrow("shadeObject: a mask of 16 pixels, a source of 45 values and a ground of 48 do not fit one square image");
    expect([shadesObject("object+offset+shade"), shadesObject("object+offset+paste"), pastesObject("object+offset+shade"), movesObject("object+offset+shade"), plansGround("object+offset+shade")]).toEqual([true, false, true, true, true]);
  });

  it("the pipeline: with no move it edits unlike paste, with a move alike; moveFills needs the plan head's plan", async () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true });
    const { N, sources, instructions, objects, e } = liveOffsetEditor(c);
    const objectMasks = masksOf(objects, c);
    const emptyGrounds = sources.map(() => new Float32Array(c.image * c.image * 3).fill(-0.2));
    try {
      const n0 = tf.memory().numTensors;
      const edit = (gate: "object+offset+paste" | "object+offset+shade", offsets: [number, number][]) => editImages(e, sources, instructions, { steps: 2, gate }, { objects, offsets, objectMasks, emptyGrounds }).images[0];
      const still: [number, number][] = [[0, 0], [0, 0]];
      const moved: [number, number][] = [[2, 1], [2, 1]];
      expect(maxDiff(edit("object+offset+shade", still), edit("object+offset+paste", still))).toBeGreaterThan(1e-4);
      expect(maxDiff(edit("object+offset+shade", moved), edit("object+offset+paste", moved))).toBe(0);
      expect(tf.memory().numTensors).toBe(n0);
      tf.tidy(() => {
        const a = editorCondition(e, imageBatch(sources, c.image), editorLayout(e, instructions)).aligned!;
        const { choices } = decodeObjectMove(a.where, "object+offset+shade", { objects, offsets: still });
        expect(() => moveFills(choices, "object+offset+shade", { objects, sources, patch: c.dnPatch, N, masks: objectMasks, grounds: emptyGrounds })).toThrow("moveFills: 'object+offset+shade' needs the plan head's plan of each item");
        expect(() => moveFills(choices, "object+offset+paste", { objects, sources, patch: c.dnPatch, N })).toThrow("moveFills: 'object+offset+paste' needs each source's object masks and empty ground");
      });
      const bench = ensureBenchmark("spatialeval", "tiny");
      const reqs = bench.items.slice(0, 2).map((it) => ({ source: it.source, instruction: it.instruction, item: it }));
      expect(await objectGateEditor("shade", e, { steps: 2, gate: "object+offset+shade" }).editBatch!(reqs)).toHaveLength(2);
    } finally {
      disposeEditor(e);
    }
  });
});
