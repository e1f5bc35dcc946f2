import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { decodeVariantsFlag, decodingOptions, decodingText } from "../../../lib/eval/decode-choice";
import { sceneShapeExamples, shapeExamples } from "../../../lib/eval/shape-examples";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { disposeEditor } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { chooseBySaidShape, saidShape, shapeCheckedChoices } from "../../../lib/models/editor/shape-check";
import { EXTENT, initShapeReader, shapeFeatureCount, shapeFeatures, shapeLogProbs } from "../../../lib/models/editor/shape-reader";
import { fitShapeReader, loadShapeReader, saveShapeReader, shapeAccuracy } from "../../../lib/models/editor/train/shape-reader";
import { disposeParams } from "../../../lib/nn/layers";
import { Rng } from "../../../lib/core/rng";
import { sampleScene } from "../../../lib/world/sampler";
import { worldConfig } from "../../../lib/world/config";
import { SHAPES } from "../../../lib/world/types";
import { liveOffsetEditor, masksOf, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

/** A 6 x 6 picture with a rectangle of rows r0..r1, columns c0..c1 (inclusive) on, its brightness growing to the right. */
function picture(r0: number, r1: number, c0: number, c1: number, base = 0.2, step = 0.1) {
  const S = 6;
  const mask = new Uint8Array(S * S);
  const image = new Float32Array(S * S * 3).fill(-1);
  for (let y = r0; y <= r1; y++)
    for (let x = c0; x <= c1; x++) {
      mask[y * S + x] = 1;
      image.fill(base + step * x, (y * S + x) * 3, (y * S + x) * 3 + 3);
    }
  return { mask, image };
}

describe("the shape reader (shape-reader.ts)", () => {
  it("shapeFeatures: the silhouette over the box, shading centred and scaled, the extent; colour and brightness do not enter; errors", () => {
    const { mask, image } = picture(1, 4, 2, 3); // 4 rows x 2 columns
    const f = shapeFeatures(image, mask, 2);
    expect(f.length).toBe(2 * 4 + EXTENT);
    expect(Array.from(f.slice(0, 4))).toEqual([1, 1, 1, 1]); // the box is full
    expect(f[4]).toBeLessThan(0); // the left column is darker than the mean
    expect(f[5]).toBeGreaterThan(0);
    expect(f[4]).toBeCloseTo(-f[5], 5);
    const [aspect, fill, height, bottom, logArea] = Array.from(f.slice(8));
    expect([aspect, fill, height, bottom]).toEqual([Math.fround(Math.log(2)), 1, Math.fround(4 / 6), Math.fround(5 / 6)]);
    expect(logArea).toBeCloseTo(Math.log(8) / Math.log(36), 6);
    // another colour, brighter and with more contrast: the same features
    const other = picture(1, 4, 2, 3, -0.5, 0.3);
    Array.from(shapeFeatures(other.image, other.mask, 2)).forEach((v, i) => expect(v).toBeCloseTo(f[i], 2));
    // a triangle-ish silhouette: part of the box is empty
    const tri = picture(2, 4, 1, 4);
    tri.mask[2 * 6 + 1] = 0;
    tri.mask[2 * 6 + 4] = 0;
    expect(shapeFeatures(tri.image, tri.mask, 2)[9]).toBeCloseTo(10 / 12, 6);
    expect(() => shapeFeatures(image, new Uint8Array(36), 2)).toThrow("shapeFeatures: the mask covers no pixel");
    expect(() => shapeFeatures(image, new Uint8Array(35), 2)).toThrow("shapeFeatures: a mask of 35 pixels and an image of 108 values are not one square picture");
  });

  it("shapeLogProbs: one normalised row per object, the uniform row for an empty mask; no tensors left", () => {
    const c = { cells: 4, hidden: 8 };
    const r = { params: initShapeReader(c, 3), config: c };
    try {
      const { mask, image } = picture(1, 4, 2, 3);
      const before = tf.memory().numTensors;
      const rows = shapeLogProbs(r, image, [mask, new Uint8Array(36)]);
      expect(tf.memory().numTensors).toBe(before);
      expect(rows.length).toBe(2);
      expect(rows[0].reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 5);
      expect(rows[1]).toEqual(SHAPES.map(() => -Math.log(4)));
      expect(shapeLogProbs(r, image, [])).toEqual([]);
    } finally {
      disposeParams(r.params);
    }
  });

  it("engine objects: labelled by the scene object owning most of each perceived mask; a short fit learns the shapes; save and load keep it; errors", () => {
    const o = { size: 32, cells: 4, purity: 0.8 };
    const scene = sampleScene(new Rng(1).fork("shape-0"), worldConfig());
    const xs = sceneShapeExamples(scene, o);
    expect(xs.length).toBeGreaterThan(0);
    expect(xs.length).toBeLessThanOrEqual(scene.objects.length);
    for (const x of xs) expect([x.features.length, SHAPES.includes(SHAPES[x.shape])]).toEqual([shapeFeatureCount({ cells: 4, hidden: 1 }), true]);
    expect(() => shapeExamples(0, 1, 0, { ...o, purity: 0.5 })).toThrow("shapeExamples: purity must be in (0.5, 1], got 0.5");
    expect(() => shapeExamples(0, 0, 0, o)).toThrow("shapeExamples: scenes must be a count >= 1 from an index >= 0, got 0 from 0");
    const train = shapeExamples(0, 150, 1, o);
    const held = shapeExamples(150, 40, 1, o);
    const c = { cells: 4, hidden: 16 };
    const p = initShapeReader(c, 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shape-"));
    try {
      const checks = fitShapeReader(p, c, train, held, { steps: 300, batch: 32, lr: 3e-3, checkEvery: 100, seed: 0 });
      expect(checks.map((k) => k.step)).toEqual([0, 100, 200, 300]);
      const best = Math.max(...checks.map((k) => k.heldOut));
      expect(best).toBeGreaterThan(checks[0].heldOut);
      expect(best).toBeGreaterThan(0.5); // four shapes: chance is about 0.25
      expect(shapeAccuracy(p, c, held)).toBeCloseTo(best, 6); // the kept weights are the best check's
      saveShapeReader(path.join(dir, "r.safetensors"), { params: p, config: c });
      const r = loadShapeReader(path.join(dir, "r.safetensors"));
      const again = loadShapeReader(path.join(dir, "r.safetensors")); // a second copy at once (the drawer and the retexturer are two drawers)
      expect(Array.from(again.params["shape.h.w"].dataSync())).toEqual(Array.from(r.params["shape.h.w"].dataSync()));
      disposeParams(again.params);
      expect(r.config).toEqual(c);
      expect(shapeAccuracy(r.params, r.config, held)).toBeCloseTo(best, 6);
      disposeParams(r.params);
      const small = { cells: 2, hidden: 16 };
      const q = initShapeReader(small, 0);
      saveShapeReader(path.join(dir, "small.safetensors"), { params: q, config: c }); // weights of another config under this one's name
      disposeParams(q);
      expect(() => loadShapeReader(path.join(dir, "small.safetensors"))).toThrow(/loadShapeReader: .*small\.safetensors lacks 'shape\.h\.w' \[37, 16\]; it holds \[13, 16\]/);
      expect(() => fitShapeReader(p, c, [], held, { steps: 1, batch: 1, lr: 1, checkEvery: 1, seed: 0 })).toThrow("fitShapeReader: needs training and held-out examples, got 0 and " + held.length);
      expect(() => fitShapeReader(p, c, train, held, { steps: 0, batch: 1, lr: 1, checkEvery: 1, seed: 0 })).toThrow("fitShapeReader: steps must be a positive integer, got 0");
    } finally {
      disposeParams(p);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("shapeCheck: the choice weighed by the said shape (shape-check.ts)", () => {
  it("saidShape: the first shape of the 'which is' clause, in the engine's words; null without one", () => {
    expect(saidShape("the large yellow striped cylinder, which is the smallest cylinder, is now cyan")).toBe("cylinder");
    expect(saidShape("the medium yellow sphere, which is the ball left of the gray cube, has been removed")).toBe("sphere");
    expect(saidShape("the large cyan cone, which is the cone that is the third rightmost object in the whole image, is replaced with a purple sphere")).toBe("cone");
    expect(saidShape("the small cube, which is the biggest block, is now red")).toBe("cube");
    expect([saidShape("the cube, which is the smallest of the balls, is gone"), saidShape("the cube, which is the largest of the blocks, is gone")]).toEqual(["sphere", "cube"]); // plurals too
    for (const no of ["the small blue cylinder, which is the second smallest object in the whole image, is now purple", "the large cube is now red", "", "which is"]) expect(saidShape(no)).toBeNull();
  });

  it("shapeCheckedChoices: the head's best unless the said shape outweighs it; padding never; no said shape keeps the head's; errors", () => {
    const sphereish = [0.01, 0.97, 0.01, 0.01].map(Math.log);
    const cubeish = [0.97, 0.01, 0.01, 0.01].map(Math.log);
    const row = [2, 1, -1e9]; // the head prefers object 0; object 2 is padding
    const lp = [sphereish, cubeish, cubeish];
    // said "cube": 2 + log 0.01 < 1 + log 0.97, so object 1; "sphere" and no said shape: object 0; "cone" is as unlikely for both: the head's
    expect(shapeCheckedChoices([row, row, row, row], [lp, lp, lp, lp], ["cube", "sphere", null, "cone"])).toEqual([1, 0, 0, 0]);
    // a head margin larger than the shapes' odds keeps its choice
    expect(shapeCheckedChoices([[6, 1, -1e9]], [lp], ["cube"])).toEqual([0]);
    expect(shapeCheckedChoices([[-1e9, -1e9]], [[sphereish, cubeish]], ["cube"])).toEqual([-1]);
    const scores = [row, row, row];
    expect(() => shapeCheckedChoices(scores, [], ["cube", null, null])).toThrow("shapeCheckedChoices: 3 items of scores, 0 of shape log-probabilities and 3 said shapes");
    expect(() => shapeCheckedChoices([[1, 2]], [[sphereish]], ["cube"])).toThrow("shapeCheckedChoices: item 0 has a score for object 1 but no shape log-probabilities for it");
  });

  it("chooseBySaidShape: the conditions' said shapes and the reader's log-probabilities of each object, weighed as shapeCheckedChoices weighs them; errors", () => {
    const c = { cells: 4, hidden: 8 };
    const r = { params: initShapeReader(c, 2), config: c };
    try {
      const tall = picture(0, 5, 2, 3);
      const wide = picture(2, 3, 0, 5);
      const image = Float32Array.from(tall.image, (v, i) => Math.max(v, wide.image[i]));
      const masks = [tall.mask, wide.mask];
      const conditions = ["the red cube, which is the biggest cube, is now blue", "the red cube is now blue"];
      const scores = [[0.1, 0], [0.1, 0]];
      const lp = shapeLogProbs(r, image, masks);
      expect(chooseBySaidShape(r, scores, [image, image], [masks, masks], conditions)).toEqual(shapeCheckedChoices(scores, [lp, lp], ["cube", null]));
      expect(() => chooseBySaidShape(r, scores, [image], [masks, masks], conditions)).toThrow("chooseBySaidShape: 2 items of scores, 1 images, 2 mask lists and 2 conditions");
    } finally {
      disposeParams(r.params);
    }
  });

  it("decode choice: --shape-check joins the cross product; the option reaches the pipeline and the name", () => {
    expect(decodeVariantsFlag("on", "on", "both")).toEqual([{ keepClosed: true, groundMoves: true }, { keepClosed: true, groundMoves: true, shapeCheck: true }]);
    expect(decodeVariantsFlag(undefined, undefined)).toEqual([{}]);
    expect(() => decodeVariantsFlag("off", "off", "yes")).toThrow("--shape-check must be off, on or both, got 'yes'");
    const x = { rule: "object+move+pixels" as const, shapeCheck: true as const };
    expect(decodingText(x)).toBe("object+move+pixels checking the said shape");
    expect(decodingOptions(x, 10, 2)).toEqual({ steps: 10, seed: 2, gate: "object+move+pixels", shapeCheck: true });
  });

  it("editImages: refused without a reader, an object head or the masks; with them, a condition that names no shape keeps the head's choice", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedObjects: 1 });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    const two = objects.map((list, i) => [...list, objects[1 - i][0]]); // two objects per source, so that the choice is one
    const masks = masksOf(two, c);
    try {
      const want = "editImages: shapeCheck needs an object-choosing gate decoding, an editor with a shape reader (Editor.shapeReader; npm run shape-fit) and an object head, each source's object masks (extras.objectMasks) and no given gates; got ";
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object", shapeCheck: true }, { objects: two, objectMasks: masks })).toThrow(want + "'object' without a shape reader");
      e.shapeReader = { params: initShapeReader({ cells: 4, hidden: 8 }, 1), config: { cells: 4, hidden: 8 } };
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object", shapeCheck: true }, { objects: two })).toThrow(want + "'object'");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object", shapeCheck: true }, { objects: two, objectMasks: [masks[0], masks[1].slice(0, 1)] })).toThrow(want + "'object'");
      const said = editImages(e, sources, instructions, { steps: 2, gate: "object", shapeCheck: true, writeCondition: true }, { objects: two, objectMasks: masks });
      expect(said.conditions.map(saidShape)).toEqual([null, null]); // an untrained editor says no "which is" clause
      const plain = editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects: two, objectMasks: masks });
      said.images.forEach((img, i) => expect(Array.from(img)).toEqual(Array.from(plain.images[i])));
    } finally {
      disposeEditor(e);
    }
  });
});
