import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { checkEditorConfig, editorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../../lib/models/editor/model";
import { engineData } from "../../../lib/models/editor/train/data";
import { isOffsetParam, offsetErrors, predictOffsets, trainOffsetHead, withOffset } from "../../../lib/models/editor/train/offset-head";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";

beforeAll(async () => {
  await initBackend();
});

describe("the offset head fitted alone on a finished editor", () => {
  const plain = editorConfig("tiny");
  const c = checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear", alignedOffset: true });
  const edits = engineData(recipeConfig("tiny").dataSeed, 12, c.image).edits;

  it("lowers its loss, changes only the head's weights, and leaks no tensors", () => {
    const e = createEditor(c, new Rng(4));
    try {
      const p = editorParams(e);
      const before = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.from(v.dataSync())]));
      const moves = edits.filter((x) => x.kind === "move");
      const errorBefore = offsetErrors(e, moves)[0];
      const n0 = tf.memory().numTensors;
      const losses = trainOffsetHead(e, moves, { steps: 60, batch: 8, lr: 0.003, seed: 3 });
      expect(tf.memory().numTensors).toBe(n0);
      expect(losses).toHaveLength(60);
      const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
      expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)));
      expect(offsetErrors(e, moves)[0].error).toBeLessThan(errorBefore.error);
      for (const [k, v] of Object.entries(p)) {
        const same = Array.from(v.dataSync()).every((x, i) => x === before[k][i]);
        expect([k, same]).toEqual([k, !isOffsetParam(k)]); // the head's four weights move, nothing else
      }
    } finally {
      disposeEditor(e);
    }
  });

  it("errors per kind, 'all' first, on the edits with a target; predictions one pair per edit", () => {
    const e = createEditor(c, new Rng(4));
    try {
      const rows = offsetErrors(e, edits);
      expect(rows[0].kind).toBe("all");
      expect(rows[0].n).toBe(withOffset(edits).length);
      expect(rows.find((r) => r.kind === "remove")).toBeUndefined(); // removals have no offset
      const grid = c.image / c.dnPatch;
      expect(rows[0].error).toBeCloseTo(withOffset(edits).reduce((s, x) => s + (x.objects!.offset![0] * grid) ** 2 + (x.objects!.offset![1] * grid) ** 2, 0) / rows[0].n, 4); // the head starts at no move
      for (const r of rows) expect(r.error).toBeCloseTo(r.zero, 5);
      expect(predictOffsets(e, edits.slice(0, 3))).toEqual([[0, 0], [0, 0], [0, 0]]);
      expect(() => trainOffsetHead(e, edits, { steps: 0, batch: 8, lr: 0.01, seed: 3 })).toThrow("trainOffsetHead: steps and batch must be positive integers and lr > 0, got 0, 8, 0.01");
      expect(() => trainOffsetHead(e, edits.filter((x) => x.kind === "remove"), { steps: 1, batch: 8, lr: 0.01, seed: 3 })).toThrow("trainOffsetHead: none of the edits has an offset target (the data engine's spatial edits, engineData)");
      expect(() => offsetErrors(e, [])).toThrow("offsetErrors: none of the edits has an offset target");
    } finally {
      disposeEditor(e);
    }
    const b = createEditor(checkEditorConfig({ ...plain, aligned: true, alignedWhere: "bilinear" }), new Rng(4));
    try {
      expect(() => trainOffsetHead(b, edits, { steps: 1, batch: 8, lr: 0.01, seed: 3 })).toThrow("trainOffsetHead: this editor has no offset head (config alignedOffset, with image tokens)");
      expect(() => predictOffsets(b, edits)).toThrow("predictOffsets: this editor has no offset head (config alignedOffset, with image tokens)");
    } finally {
      disposeEditor(b);
    }
  });
});
