import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { Rng } from "../../lib/core/rng";
import { mapProbeSummary, probeWhereHead } from "../../lib/eval/edit-map-probe";
import { trainingProbeItems } from "../../lib/eval/probe-items";
import { signedAtSize } from "../../lib/eval/trained-editor";
import { checkEditorConfig, editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor } from "../../lib/models/editor/model";
import { engineData } from "../../lib/models/editor/train/data";
import { recipeConfig } from "../../lib/models/editor/train/recipes";

beforeAll(async () => {
  await initBackend();
});

describe("training edits as probe items", () => {
  const cfg = editorConfig("tiny");
  const edits = engineData(recipeConfig("tiny").dataSeed, 6, cfg.image).edits;

  it("takes n evenly spaced edits in order, with their kind, family and instruction; the images round-trip to 8 bits", () => {
    expect(edits.length).toBeGreaterThanOrEqual(4);
    const set = trainingProbeItems(edits, 3, cfg.image);
    const idx = [0, 1, 2].map((k) => Math.floor((k * edits.length) / 3));
    expect(set.items.map((x) => x.id)).toEqual(idx.map((i) => `train-${i}`));
    set.items.forEach((x, k) => {
      const e = edits[idx[k]];
      expect([x.kind, x.family, x.instruction]).toEqual([e.kind, e.family, e.instruction]);
      expect(e.family).toMatch(/^[a-z]+$/); // the engine's edits carry their template family
      const back = signedAtSize(x.truth, cfg.image);
      expect(Math.max(...back.map((v, i) => Math.abs(v - e.target[i])))).toBeLessThanOrEqual(1 / 127.5);
    });
    // more than there are: all of them
    expect(trainingProbeItems(edits, edits.length + 5, cfg.image).items.map((x) => x.id)).toEqual(edits.map((_, i) => `train-${i}`));
  });

  it("a probe reads them as it reads a benchmark, grouped by kind or by family", () => {
    const e = createEditor(checkEditorConfig({ ...cfg, aligned: true }), new Rng(3));
    try {
      const items = probeWhereHead(e, trainingProbeItems(edits, 6, cfg.image), 4);
      expect(items.length).toBeGreaterThan(0);
      for (const x of items) expect(x.item.startsWith("train-")).toBe(true);
      const families = mapProbeSummary(items, "family");
      expect(families[0].kind).toBe("all");
      expect(families.slice(1).map((r) => r.kind).sort()).toEqual([...new Set(items.map((x) => x.family))].sort());
    } finally {
      disposeEditor(e);
    }
  });

  it("bad input is a clear error", () => {
    expect(() => trainingProbeItems(edits, 0, cfg.image)).toThrow("trainingProbeItems: n must be a positive integer, got 0");
    expect(() => trainingProbeItems([], 4, cfg.image)).toThrow("trainingProbeItems: no training edits");
    expect(() => trainingProbeItems(edits, 2, cfg.image * 2)).toThrow(`trainingProbeItems: edit 0's source has ${cfg.image * cfg.image * 3} values, expected ${cfg.image * 2}x${cfg.image * 2}x3 = ${cfg.image * cfg.image * 12}`);
  });
});
