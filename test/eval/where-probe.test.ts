import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { Rng } from "../../lib/core/rng";
import { spatialVqaItems } from "../../lib/eval/vqa";
import { disjointPartners, probeQuestionWhere, whereProbeSummary } from "../../lib/eval/where-probe";
import { checkEditorConfig, editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor } from "../../lib/models/editor/model";

beforeAll(async () => {
  await initBackend();
});

describe("the where probe on questions", () => {
  it("partners: another question of the same scene about none of the item's objects", () => {
    const items = [
      { scene: 0, objects: [1, 2] },
      { scene: 0, objects: [2] },
      { scene: 0, objects: [3] },
      { scene: 1, objects: [1] },
      { scene: 1, objects: [] },
    ];
    expect(disjointPartners(items)).toEqual([2, 2, 0, -1, 3]);
  });

  it("constant logits put the chance mass on the question's objects with either question; no tensor leaks; an editor without the path is an error", () => {
    const cfg = checkEditorConfig({ ...editorConfig("tiny"), aligned: true });
    const e = createEditor(cfg, new Rng(3));
    const plain = createEditor(editorConfig("tiny"), new Rng(3));
    try {
      for (const k of ["edit.loc.where.w", "edit.loc.where.b"]) e.groups.edit[k].assign(tf.zerosLike(e.groups.edit[k]));
      const items = spatialVqaItems(2, cfg.image, "tiny");
      const before = tf.memory().numTensors;
      const r = probeQuestionWhere(e, items, 3);
      expect(tf.memory().numTensors).toBe(before);
      expect(r.length).toBeGreaterThan(0);
      for (const x of r) {
        expect(x.mass).toBeCloseTo(x.chance, 5);
        expect(x.otherMass).toBeCloseTo(x.chance, 5);
        expect(x.chance).toBeGreaterThan(0);
        expect(x.question).not.toBe(x.other);
      }
      const s = whereProbeSummary(r);
      expect(s.n).toBe(r.length);
      expect(s.mass).toBeCloseTo(s.chance, 5);
      expect(() => probeQuestionWhere(plain, items, 3)).toThrow("probeQuestionWhere: this editor has no aligned path (config.aligned off, or no image tokens)");
      expect(() => probeQuestionWhere(e, items.slice(0, 1), 3)).toThrow("probeQuestionWhere: none of the 1 questions has another question of its scene about other objects");
    } finally {
      disposeEditor(e);
      disposeEditor(plain);
    }
  });
});
