import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { checkEditorConfig, editorConfig } from "../../../lib/models/editor/config";
import { decodeGate, needsObjects, parseGateDecode, pickObject } from "../../../lib/models/editor/gate-decode";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { engineData } from "../../../lib/models/editor/train/data";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { imageBatch } from "../../../lib/models/editor/train/steps";
import { perturbZeroInit } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

describe("gate decoding", () => {
  // two items, five patches; the second has a tie at its 2nd and 3rd largest logits
  const where = () => tf.tensor2d([[2, -1, 0.5, -3, 1], [0, 4, 1, 1, -2]]);

  it("sigmoid is the sigmoid; max scales each item's largest gate to 1; top<K> marks the K largest logits (ties all), without leaks", () => {
    const w = where();
    const n0 = tf.memory().numTensors;
    const [s, m, t2, t1] = (["sigmoid", "max", "top2", "top1"] as const).map((r) => decodeGate(w, r));
    expect(tf.memory().numTensors).toBe(n0 + 4);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const sv = s.arraySync();
    expect(sv[0][2]).toBeCloseTo(sig(0.5), 6);
    const mv = m.arraySync();
    expect(mv.map((row) => Math.max(...row))).toEqual([1, 1]);
    expect(mv[0][4]).toBeCloseTo(sig(1) / sig(2), 6);
    expect(t2.arraySync()).toEqual([[1, 0, 0, 0, 1], [0, 1, 1, 1, 0]]);
    expect(t1.arraySync()).toEqual([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]);
    tf.dispose([w, s, m, t2, t1]);
  });

  it("object takes the object with the largest coverage-weighted mean logit and gates its coverage; no object falls back to max", () => {
    const w = where();
    // item 0: object A covers patches 0-1 (mean logit (2 - 1) / 2 = 0.5), object B patch 2 fully and patch 4 half ((0.5 + 0.5) / 1.5 = 0.667)
    const a = Float32Array.from([1, 1, 0, 0, 0]);
    const b = Float32Array.from([0, 0, 1, 0, 0.5]);
    expect(pickObject([2, -1, 0.5, -3, 1], [a, b])).toBe(1);
    expect(pickObject([2, -1, 0.5, -3, 1], [Float32Array.from([0, 0, 0, 0, 0]), a])).toBe(1); // an object on no patch is skipped
    expect(pickObject([2, -1, 0.5, -3, 1], [])).toBe(-1);
    const n0 = tf.memory().numTensors;
    const g = decodeGate(w, "object", { objects: [[a, b], []] });
    expect(tf.memory().numTensors).toBe(n0 + 1);
    const gv = g.arraySync();
    expect(gv[0]).toEqual([0, 0, 1, 0, 0.5]);
    const m = decodeGate(w, "max");
    expect(gv[1]).toEqual(m.arraySync()[1]);
    expect(() => decodeGate(w, "object")).toThrow("decodeGate: 'object' needs the objects of each of the 2 items (the engine's perception of the sources), got none");
    expect(() => decodeGate(w, "object", { objects: [[a]] })).toThrow("decodeGate: 'object' needs the objects of each of the 2 items (the engine's perception of the sources), got 1 lists");
    expect(() => pickObject([1, 2], [a])).toThrow("pickObject: object 0 covers 5 patches; the where head has 2");
    expect(parseGateDecode("object")).toBe("object");
    tf.dispose([w, g, m]);
  });

  it("object+free adds the free ground scored at least as high as the chosen object, by its free share", () => {
    // objects a (patches 0-1, score 0.5) and b (patch 2, half of patch 4, score (0.5 + 0.5 * 1) / 1.5 = 0.667): b is chosen;
    // free ground: patch 3 fully, patch 4 half
    const a = Float32Array.from([1, 1, 0, 0, 0]);
    const b = Float32Array.from([0, 0, 1, 0, 0.5]);
    const high = tf.tensor2d([[2, -1, 0.5, 3, 1], [0, 4, 1, 1, -2]]); // patch 3 (free) at 3 >= 0.667: opens
    const low = tf.tensor2d([[2, -1, 0.5, 0.6, 1], [0, 4, 1, 1, -2]]); // patch 3 at 0.6 < 0.667: stays shut
    const n0 = tf.memory().numTensors;
    const gh = decodeGate(high, "object+free", { objects: [[a, b], []] });
    const gl = decodeGate(low, "object+free", { objects: [[a, b], []] });
    expect(tf.memory().numTensors).toBe(n0 + 2);
    expect(gh.arraySync()[0]).toEqual([0, 0, 1, 1, 0.5]); // patch 0 scores 2 but is covered by a: not free
    expect(gl.arraySync()[0]).toEqual([0, 0, 1, 0, 0.5]);
    const plain = decodeGate(high, "object", { objects: [[a, b], []] });
    expect(plain.arraySync()[0]).toEqual([0, 0, 1, 0, 0.5]);
    const m = decodeGate(high, "max");
    expect(gh.arraySync()[1]).toEqual(m.arraySync()[1]); // no object: max
    expect(needsObjects("object+free")).toBe(true);
    expect(needsObjects("object")).toBe(true);
    expect(needsObjects("max")).toBe(false);
    expect(parseGateDecode("object+free")).toBe("object+free");
    expect(() => decodeGate(high, "object+free")).toThrow("decodeGate: 'object+free' needs the objects of each of the 2 items (the engine's perception of the sources), got none");
    tf.dispose([high, low, gh, gl, plain, m]);
  });

  it("bad rules are clear errors", () => {
    expect(parseGateDecode("top8")).toBe("top8");
    for (const bad of ["top0", "top", "top-1", "Top8", "soft", "", "object+", "free"]) expect(() => parseGateDecode(bad)).toThrow(`gate decoding must be sigmoid, max, object, object+free, object+offset, object+offset+ground, object+offset+fill, object+offset+blend, object+offset+paste, object+offset+shade, object+move, object+move+paste, object+move+redraw, object+move+said, object+move+draw, object+move+pixels or top<K> (K a positive integer, e.g. top8), got '${bad}'`);
    const w = where();
    expect(() => decodeGate(w, "top6")).toThrow("decodeGate: top6 asks for 6 patches; the denoiser has 5");
    w.dispose();
  });

  it("the pipeline: 'sigmoid' edits as without the option; top<N> over all N patches edits as a given gate of ones; an editor without the bilinear head refuses", () => {
    const plain = editorConfig("tiny");
    const bil = checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear" });
    const N = (bil.image / bil.dnPatch) ** 2;
    const edits = engineData(recipeConfig("tiny").dataSeed, 3, bil.image).edits.slice(0, 2);
    const sources = edits.map((x) => x.source);
    const instructions = edits.map((x) => x.instruction);
    const e = createEditor(bil, new Rng(8));
    perturbZeroInit(e, 8);
    (editorParams(e)["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(10).normalArray(bil.dnD, 0, 0.5))); // zero at the start: the gate would carry nothing
    try {
      const base = editImages(e, sources, instructions, { steps: 2 });
      const same = editImages(e, sources, instructions, { steps: 2, gate: "sigmoid" });
      const all = editImages(e, sources, instructions, { steps: 2, gate: `top${N}` });
      const ones = editImages(e, sources, instructions, { steps: 2 }, { whereGate: sources.map(() => new Float32Array(N).fill(1)) });
      const maxed = editImages(e, sources, instructions, { steps: 2, gate: "max" });
      const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      expect(maxDiff(same.images[0], base.images[0])).toBe(0);
      expect(maxDiff(all.images[1], ones.images[1])).toBeLessThan(1e-5);
      expect(maxDiff(maxed.images[0], base.images[0])).toBeGreaterThan(1e-4); // the gate reaches the denoiser
      // the logits the rule reads are the editor's own
      const top1 = tf.tidy(() => decodeGate(editorCondition(e, imageBatch(sources, bil.image), editorLayout(e, instructions)).aligned!.where, "top1").arraySync());
      const viaGate = editImages(e, sources, instructions, { steps: 2 }, { whereGate: top1.map((r) => Float32Array.from(r)) });
      expect(maxDiff(editImages(e, sources, instructions, { steps: 2, gate: "top1" }).images[0], viaGate.images[0])).toBeLessThan(1e-5);
      // object: the chosen object's coverage reaches the denoiser as a given gate would
      const objects = [[Float32Array.from({ length: N }, (_, n) => (n < 3 ? 1 : 0)), Float32Array.from({ length: N }, (_, n) => (n >= N - 2 ? 0.5 : 0))], []];
      const objectGate = tf.tidy(() => decodeGate(editorCondition(e, imageBatch(sources, bil.image), editorLayout(e, instructions)).aligned!.where, "object", { objects }).arraySync());
      const viaObject = editImages(e, sources, instructions, { steps: 2 }, { whereGate: objectGate.map((r) => Float32Array.from(r)) });
      expect(maxDiff(editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects }).images[0], viaObject.images[0])).toBeLessThan(1e-5);
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object" })).toThrow("editImages: gate decoding 'object' needs the objects of each source (extras.objects; lib/eval/object-regions.ts)");
      // object+free the same way: the pipeline hands the denoiser decodeGate's gate
      const freeGate = tf.tidy(() => decodeGate(editorCondition(e, imageBatch(sources, bil.image), editorLayout(e, instructions)).aligned!.where, "object+free", { objects }).arraySync());
      const viaFree = editImages(e, sources, instructions, { steps: 2 }, { whereGate: freeGate.map((r) => Float32Array.from(r)) });
      expect(maxDiff(editImages(e, sources, instructions, { steps: 2, gate: "object+free" }, { objects }).images[0], viaFree.images[0])).toBeLessThan(1e-5);
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+free" })).toThrow("editImages: gate decoding 'object+free' needs the objects of each source (extras.objects; lib/eval/object-regions.ts)");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects: [[Float32Array.from([1])], []] })).toThrow(`editImages: object 0 of image 0 covers 1 patches; the denoiser has ${N}`);
    } finally {
      disposeEditor(e);
    }
    const p = createEditor(plain, new Rng(8));
    try {
      expect(() => editImages(p, sources, instructions, { steps: 2, gate: "max" })).toThrow("editImages: gate decoding 'max' needs an editor with the aligned path's bilinear where head (alignedWhere: 'bilinear') and image tokens");
    } finally {
      disposeEditor(p);
    }
  });
});
