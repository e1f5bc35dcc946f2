import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { decodeVariantsFlag, decodingOptions, decodingText } from "../../../lib/eval/decode-choice";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { disposeEditor } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { initTargetReader, readTargetWords, targetLogits, withReadTargets } from "../../../lib/models/editor/target-reader";
import { engineData } from "../../../lib/models/editor/train/data";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { fitTargetReader, loadTargetReader, saveTargetReader, targetAccuracy, targetExamples, targetLabel, targetLoss, type TargetExample } from "../../../lib/models/editor/train/target-reader";
import { disposeParams } from "../../../lib/nn/layers";
import { liveOffsetEditor, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

/**
 * Synthetic word states of width W: each example's words are noise, and one word, at a random place, carries the label's
 * code (a fixed random vector per shape or material) on top; some examples are padded. A reader that attends to that word
 * reads the label; the noise words say nothing.
 */
function synthetic(n: number, seed: number, W = 8): TargetExample[] {
  const rng = new Rng(seed);
  const codes = new Rng(99);
  const shapeCode = Array.from({ length: 4 }, () => codes.normalArray(W, 0, 2));
  const materialCode = Array.from({ length: 4 }, () => codes.normalArray(W, 0, 2));
  return Array.from({ length: n }, () => {
    const L = rng.int(4, 9);
    const words = rng.int(3, L + 1); // the rest is padding
    const isShape = rng.bool();
    const label = rng.int(0, 4);
    const at = rng.int(0, words);
    const states = new Float32Array(L * W);
    for (let l = 0; l < words; l++) for (let k = 0; k < W; k++) states[l * W + k] = rng.normal() * 0.5 + (l === at ? (isShape ? shapeCode : materialCode)[label][k] : 0);
    return { states, mask: Float32Array.from({ length: L }, (_, l) => (l < words ? 1 : 0)), shape: isShape ? label : -1, material: isShape ? -1 : label, kind: isShape ? "replace" : "recolour" };
  });
}

describe("the target reader (target-reader.ts, train/target-reader.ts)", () => {
  it("targetLabel: a replacement's shape, a retexture's material, null for anything else", () => {
    expect(targetLabel("the large cyan matte cone, which is the nearest object, is replaced with a gray cube")).toEqual({ shape: 0, material: -1 });
    expect(targetLabel("the small green checkered sphere, which is the smallest green sphere, now has a striped surface")).toEqual({ shape: -1, material: 2 });
    for (const no of ["the cube is now red", "the cube is removed", "the cube has moved a little to the left", ""]) expect(targetLabel(no)).toBeNull();
  });

  it("targetLogits: [B, 4] twice; padding words change nothing; a mismatched mask is an error", () => {
    const p = initTargetReader({ width: 8, hidden: 6 }, 3);
    const [x] = synthetic(1, 5);
    const L = x.mask.length;
    const n0 = tf.memory().numTensors;
    const [a, b] = tf.tidy(() => {
      const one = targetLogits(p, tf.tensor3d(x.states, [1, L, 8]), tf.tensor2d(x.mask, [1, L]));
      const padded = targetLogits(p, tf.concat([tf.tensor3d(x.states, [1, L, 8]), tf.fill([1, 3, 8], 7)], 1) as tf.Tensor3D, tf.concat([tf.tensor2d(x.mask, [1, L]), tf.zeros([1, 3])], 1) as tf.Tensor2D);
      expect([one.shape.shape, one.material.shape]).toEqual([[1, 4], [1, 4]]);
      return [tf.concat([one.shape, one.material], 1).arraySync(), tf.concat([padded.shape, padded.material], 1).arraySync()];
    });
    expect(tf.memory().numTensors).toBe(n0);
    a[0].forEach((v, k) => expect(b[0][k]).toBeCloseTo(v, 5));
    expect(() => tf.tidy(() => targetLogits(p, tf.zeros([2, 3, 8]) as tf.Tensor3D, tf.ones([2, 4]) as tf.Tensor2D))).toThrow("targetLogits: word states [2, 3, 8] and a mask [2, 4] of different items or lengths");
    disposeParams(p);
  });

  it("withReadTargets: a replacement's shape and a retexture's material become the reader's; kinds, colours and the rest stay", () => {
    const said = [{ kind: "replace" as const, shape: "cube" as const, colour: "cyan" as const }, { kind: "retexture" as const, material: "striped" as const }, { kind: "recolour" as const, colour: "red" as const }, null];
    expect(withReadTargets(said, { shape: [3, 1, 1, 2], material: [0, 1, 0, 3] })).toEqual([{ kind: "replace", shape: "cone", colour: "cyan" }, { kind: "retexture", material: "metal" }, { kind: "recolour", colour: "red" }, null]);
    expect(() => withReadTargets(said, { shape: [0], material: [0] })).toThrow("withReadTargets: 4 targets and reads of 1 shapes and 1 materials");
  });

  it("fits a synthetic reading (the label's word at a random place) far above chance, keeps the best check, round-trips its file", () => {
    const c = { width: 8, hidden: 16 };
    const [train, held] = [synthetic(600, 1), synthetic(150, 2)];
    const p = initTargetReader(c, 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "target-"));
    try {
      const n0 = tf.memory().numTensors;
      expect(tf.tidy(() => targetLoss(p, c, train.slice(0, 32)).dataSync()[0])).toBeGreaterThan(0.5);
      const checks = fitTargetReader(p, c, train, held, { steps: 400, batch: 32, lr: 3e-3, checkEvery: 100, seed: 0 });
      expect(tf.memory().numTensors).toBe(n0);
      expect(checks.map((k) => k.step)).toEqual([0, 100, 200, 300, 400]);
      const best = Math.max(...checks.map((k) => k.heldOut));
      expect(checks[0].heldOut).toBeLessThan(0.5);
      expect(best).toBeGreaterThan(0.9); // four classes per attribute: chance is about 0.25
      expect(targetAccuracy(p, c, held)).toBeCloseTo(best, 6);
      saveTargetReader(path.join(dir, "t.safetensors"), { params: p, config: c });
      const r = loadTargetReader(path.join(dir, "t.safetensors"));
      expect(r.config).toEqual(c);
      expect(targetAccuracy(r.params, r.config, held)).toBeCloseTo(best, 6);
      disposeParams(r.params);
      const q = initTargetReader({ width: 4, hidden: 16 }, 0);
      saveTargetReader(path.join(dir, "small.safetensors"), { params: q, config: c });
      disposeParams(q);
      expect(() => loadTargetReader(path.join(dir, "small.safetensors"))).toThrow(/loadTargetReader: .*small\.safetensors lacks 'target\.h\.w' \[8, 16\]; it holds \[4, 16\]/);
      expect(() => targetAccuracy(p, c, [])).toThrow("targetAccuracy: no examples");
      expect(() => targetLoss(p, c, [{ ...held[0], states: new Float32Array(3) }])).toThrow(/target reader: an example's states hold 3 values for \d+ words; the reader reads 8 per word/);
    } finally {
      disposeParams(p);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("targetExamples: the labelled engine edits with the editor's word states; readTargetWords reads the editor's words; an editor without an object head is an error", () => {
    const edits = engineData(recipeConfig("tiny").dataSeed, 40, 16).edits;
    const want = edits.filter((x) => targetLabel(x.condition) !== null);
    expect(want.length).toBeGreaterThan(0);
    const c = checkEditorConfig({ ...withOffset(), alignedObjects: 1 });
    const { e } = liveOffsetEditor(c);
    const plain = liveOffsetEditor(withOffset()).e;
    try {
      const n0 = tf.memory().numTensors;
      const xs = targetExamples(e, edits, 4);
      expect(tf.memory().numTensors).toBe(n0);
      expect(xs.map((x) => [x.shape, x.material])).toEqual(want.map((x) => [targetLabel(x.condition)!.shape, targetLabel(x.condition)!.material]));
      for (const x of xs) expect(x.states.length).toBe(x.mask.length * c.d);
      expect(() => targetExamples(plain, edits, 4)).toThrow("targetExamples: this editor keeps no word states for a reader (it needs an object head, config alignedObjects)");
      const reader = { params: initTargetReader({ width: c.d, hidden: 4 }, 1), config: { width: c.d, hidden: 4 } };
      try {
        const read = readTargetWords(reader, { states: tf.tensor3d(xs[0].states, [1, xs[0].mask.length, c.d]), mask: tf.tensor2d(xs[0].mask, [1, xs[0].mask.length]) });
        expect(read.shape[0]).toBeGreaterThanOrEqual(0);
        expect(read.material[0]).toBeLessThan(4);
        expect(() => readTargetWords({ ...reader, config: { width: 3, hidden: 4 } }, { states: tf.zeros([1, 2, c.d]) as tf.Tensor3D, mask: tf.ones([1, 2]) as tf.Tensor2D })).toThrow(`readTargetWords: the words' states have width ${c.d}; the reader reads 3`);
      } finally {
        disposeParams(reader.params);
      }
    } finally {
      disposeEditor(e);
      disposeEditor(plain);
    }
  });

  it("the pipeline refuses readTargets without a redrawing decoding and a target reader; the flag and the decoding's name", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    try {
      const want = "editImages: readTargets needs a redrawing gate decoding (object+move+redraw, said, draw or pixels), an editor with a target reader (Editor.targetReader; npm run target-fit) and an object head; got ";
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object", readTargets: true }, { objects })).toThrow(want + "'object' without a target reader");
    } finally {
      disposeEditor(e);
    }
    expect(decodeVariantsFlag("on", "on", "on", "off", "both")).toEqual([{ keepClosed: true, groundMoves: true, shapeCheck: true }, { keepClosed: true, groundMoves: true, shapeCheck: true, readTargets: true }]);
    expect(() => decodeVariantsFlag("off", "off", "off", "off", "yes")).toThrow("--read-targets must be off, on or both, got 'yes'");
    const x = { rule: "object+move+pixels" as const, readTargets: true as const };
    expect(decodingText(x)).toBe("object+move+pixels reading the targets");
    expect(decodingOptions(x, 10, 2)).toEqual({ steps: 10, seed: 2, gate: "object+move+pixels", readTargets: true });
  });
});
