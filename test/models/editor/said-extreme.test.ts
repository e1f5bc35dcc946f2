import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { decodeVariantsFlag, decodingOptions, decodingText } from "../../../lib/eval/decode-choice";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { disposeEditor } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { chooseBySaidExtreme, extremeChoice, saidExtreme } from "../../../lib/models/editor/said-extreme";
import { initShapeReader, shapeLogProbs } from "../../../lib/models/editor/shape-reader";
import { SHAPES } from "../../../lib/world/types";
import { disposeParams } from "../../../lib/nn/layers";
import { liveOffsetEditor, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

// an 8 x 8 image: three objects, A (2 x 2 at columns 0-1, rows 2-3), B (3 x 3 at columns 3-5, rows 0-2), C (1 pixel at column 7, row 6)
const S = 8;
const block = (cols: number[], rows: number[]) => Uint8Array.from({ length: S * S }, (_, p) => (cols.includes(p % S) && rows.includes(Math.floor(p / S)) ? 1 : 0));
const [A, B, C] = [block([0, 1], [2, 3]), block([3, 4, 5], [0, 1, 2]), block([7], [6])];

describe("saidExtremes: a plain extreme the condition says, chosen on the objects' pixels (said-extreme.ts)", () => {
  it("saidExtreme reads a 'which is the <extreme> [<colour>] <shape or object>,' clause; anything else is null", () => {
    expect(saidExtreme("the large cyan metal cone, which is the leftmost cone, is now red")).toEqual({ extreme: "leftmost", shape: "cone", colour: null });
    expect(saidExtreme("the small red matte cylinder, which is the smallest red cylinder, is now gray")).toEqual({ extreme: "smallest", shape: "cylinder", colour: "red" });
    expect(saidExtreme("the medium blue cube, which is the farthest object, is removed and the ground behind it is visible")).toEqual({ extreme: "farthest", shape: null, colour: null });
    for (const no of ["the cube, which is the second leftmost cube among the cubes, is now red", "the cone, which is the cone that is the second smallest object in the whole image, is now red", "the cube, which is the cube left of the red sphere, is now red", "the cube is now red", ""]) expect(saidExtreme(no)).toBeNull();
  });

  it("extremeChoice: columns, lowest rows and pixel counts among the objects that fit the clause; ties keep the head's pick; none fits: -1", () => {
    const masks = [A, B, C];
    const any = (extreme: "leftmost") => ({ extreme, shape: null, colour: null });
    const shapes = ["cube", "cone", "cone"] as const;
    const colours = ["red", "red", "blue"] as const;
    const pick = (extreme: string, o: Partial<{ shape: "cone" | "cube"; colour: "red" | "blue" }> = {}, head = -1) => extremeChoice({ ...any("leftmost"), extreme: extreme as "leftmost", ...o }, masks, [...shapes], [...colours], head);
    expect(["leftmost", "rightmost", "nearest", "farthest", "smallest", "biggest"].map((x) => pick(x))).toEqual([0, 2, 2, 1, 2, 1]);
    expect([pick("leftmost", { shape: "cone" }), pick("smallest", { shape: "cone", colour: "red" }), pick("biggest", { colour: "blue" })]).toEqual([1, 1, 2]);
    expect(pick("leftmost", { shape: "cube", colour: "blue" })).toBe(-1);
    // A and a copy of A tie on every measure: the head's pick when it is one of them, else the first
    expect(extremeChoice(any("leftmost"), [A, Uint8Array.from(A)], [null, null], [null, null], 1)).toBe(1);
    expect(extremeChoice(any("leftmost"), [A, Uint8Array.from(A)], [null, null], [null, null], -1)).toBe(0);
    expect(extremeChoice(any("leftmost"), [new Uint8Array(S * S), C], [null, null], [null, null], 0)).toBe(1); // an empty mask never fits
    expect(() => extremeChoice(any("leftmost"), masks, [null], [null, null, null], 0)).toThrow("extremeChoice: 3 masks, 1 shapes and 3 colours");
  });

  it("chooseBySaidExtreme: the said extreme where the clause is one, else the head's pick; errors", () => {
    const reader = { params: initShapeReader({ cells: 4, hidden: 8 }, 0), config: { cells: 4, hidden: 8 } };
    try {
      const image = Float32Array.from({ length: S * S * 3 }, (_, i) => (A[Math.floor(i / 3)] || B[Math.floor(i / 3)] || C[Math.floor(i / 3)] ? 0.3 : -0.2));
      const n0 = tf.memory().numTensors;
      const logp = shapeLogProbs(reader, image, [A, B, C]);
      expect(tf.memory().numTensors).toBe(n0);
      const got = chooseBySaidExtreme([0, 0, 2], [image, image, image], [[A, B, C], [A, B, C], [A, B, C]], ["the cube, which is the biggest object, is now red", "the cube, which is the second biggest object in the whole image, is now red", "the cube, which is the leftmost object, is removed"], [logp, logp, logp]);
      expect(got).toEqual([1, 0, 0]);
      // a said shape: the objects the reader reads as that shape only (here the one it reads B as)
      const shapeOfB = SHAPES[logp[1].indexOf(Math.max(...logp[1]))];
      expect(chooseBySaidExtreme([0], [image], [[A, B, C]], [`the cube, which is the leftmost ${shapeOfB}, is now red`], [logp])[0]).toBe(logp.findIndex((row) => SHAPES[row.indexOf(Math.max(...row))] === shapeOfB));
      expect(() => chooseBySaidExtreme([0], [image, image], [[A]], ["x"], [logp])).toThrow("chooseBySaidExtreme: 1 choices, 2 images, 1 mask lists, 1 conditions and 1 lists of shape log-probabilities");
    } finally {
      disposeParams(reader.params);
    }
  });

  it("the pipeline refuses saidExtremes without an object-choosing decoding and a shape reader; the flag and the decoding's name", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    try {
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object", saidExtremes: true }, { objects })).toThrow("editImages: saidExtremes needs an object-choosing gate decoding, an editor with a shape reader (Editor.shapeReader; npm run shape-fit) and an object head, each source's object masks (extras.objectMasks) and no given gates; got 'object' without a shape reader");
    } finally {
      disposeEditor(e);
    }
    expect(decodeVariantsFlag("on", "off", "on", "off", "off", "both")).toEqual([{ keepClosed: true, shapeCheck: true }, { keepClosed: true, shapeCheck: true, saidExtremes: true }]);
    expect(() => decodeVariantsFlag("off", "off", "off", "off", "off", "sometimes")).toThrow("--said-extremes must be off, on or both, got 'sometimes'");
    expect(() => decodeVariantsFlag("off", "off", "off", "off", "off", "off", "off")).toThrow("decodeVariantsFlag: 6 option flags after --keep-closed, at most 5");
    const x = { rule: "object+move+pixels" as const, shapeCheck: true as const, saidExtremes: true as const };
    expect(decodingText(x)).toBe("object+move+pixels checking the said shape choosing said extremes");
    expect(decodingOptions(x, 10, 2)).toEqual({ steps: 10, seed: 2, gate: "object+move+pixels", shapeCheck: true, saidExtremes: true });
  });
});
