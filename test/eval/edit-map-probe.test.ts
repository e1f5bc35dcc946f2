import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { Rng } from "../../lib/core/rng";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { gateProbeSummary, gateRowText, mapProbeSummary, mapRowText, probeEditMap, probeWhereGate, probeWhereHead, type MapProbeItem } from "../../lib/eval/edit-map-probe";
import { checkEditorConfig, editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor } from "../../lib/models/editor/model";

beforeAll(async () => {
  await initBackend();
});

describe("edit-map probe", () => {
  const bench = ensureBenchmark("spatialeval", "tiny");

  it("a uniform map puts exactly the chance mass on the changed patches; every number is in range; no tensor leaks", () => {
    const e = createEditor(editorConfig("tiny", { editMap: true }), new Rng(3));
    try {
      // zero query weights: every logit is 0, so the map is uniform over the patches
      for (const k of ["edit.map.q.w", "edit.map.q.b"]) e.groups.edit[k].assign(tf.zerosLike(e.groups.edit[k]));
      const before = tf.memory().numTensors;
      const items = probeEditMap(e, bench, 4);
      expect(tf.memory().numTensors).toBe(before);
      expect(items.length).toBeGreaterThan(0);
      expect(items.length).toBeLessThanOrEqual(bench.items.length);
      for (const x of items) {
        expect(x.mass).toBeCloseTo(x.chance, 5);
        expect(x.chance).toBeGreaterThan(0);
        expect(x.chance).toBeLessThanOrEqual(1);
        expect([0, 1]).toContain(x.top);
      }
    } finally {
      disposeEditor(e);
    }
  });

  it("the where head of the aligned path: constant logits put the chance mass on the changed patches; an editor without it is an error", () => {
    const e = createEditor(checkEditorConfig({ ...editorConfig("tiny"), aligned: true }), new Rng(3));
    const plain = createEditor(editorConfig("tiny"), new Rng(3));
    try {
      e.groups.edit["edit.loc.where.w"].assign(tf.zerosLike(e.groups.edit["edit.loc.where.w"]));
      const before = tf.memory().numTensors;
      const items = probeWhereHead(e, bench, 4);
      expect(tf.memory().numTensors).toBe(before);
      expect(items.length).toBeGreaterThan(0);
      for (const x of items) expect(x.mass).toBeCloseTo(x.chance, 5);
      // the mismatched-instruction control scores the same items (and the same chance)
      const other = probeWhereHead(e, bench, 4, true);
      expect(other.map((x) => [x.item, x.chance])).toEqual(items.map((x) => [x.item, x.chance]));
      expect(tf.memory().numTensors).toBe(before);
      expect(() => probeWhereHead(plain, bench)).toThrow("probeWhereHead: this editor has no aligned path (config.aligned off, or no image tokens)");
    } finally {
      disposeEditor(e);
      disposeEditor(plain);
    }
  });

  it("the bilinear head's gate: logits 0 give 0.5 inside and outside and spill 1 - chance; summaries per kind; other editors are an error", () => {
    const e = createEditor(checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" }), new Rng(3));
    const additive = createEditor(checkEditorConfig({ ...editorConfig("tiny"), aligned: true }), new Rng(3));
    try {
      for (const k of ["edit.loc.q.w", "edit.loc.q.b"]) e.groups.edit[k].assign(tf.zerosLike(e.groups.edit[k]));
      const before = tf.memory().numTensors;
      const gates = probeWhereGate(e, bench, 4);
      const heads = probeWhereHead(e, bench, 4);
      expect(tf.memory().numTensors).toBe(before);
      expect(gates.map((g) => g.item)).toEqual(heads.map((h) => h.item));
      gates.forEach((g, i) => {
        expect(g.inside).toBeCloseTo(0.5, 6);
        expect(g.outside).toBeCloseTo(0.5, 6);
        expect(g.spill).toBeCloseTo(1 - heads[i].chance, 6);
      });
      const rows = gateProbeSummary(gates);
      expect(rows[0].kind).toBe("all");
      expect(rows[0].n).toBe(gates.length);
      expect(rows.slice(1).reduce((a, r) => a + r.n, 0)).toBe(gates.length);
      expect(() => probeWhereGate(additive, bench)).toThrow("probeWhereGate: this editor has no bilinear where head (config alignedWhere: 'bilinear', image tokens)");
    } finally {
      disposeEditor(e);
      disposeEditor(additive);
    }
  });

  it("an editor without the map is a clear error", () => {
    const e = createEditor(editorConfig("tiny"), new Rng(3));
    try {
      expect(() => probeEditMap(e, bench)).toThrow("probeEditMap: this editor has no edit map (config.editMap off, or no image tokens)");
    } finally {
      disposeEditor(e);
    }
  });

  it("the summary: means over all items first, then per kind", () => {
    const x = (kind: string, mass: number, top: number, family = "depth"): MapProbeItem => ({ item: `${kind}${mass}`, kind, family, mass, chance: 0.1, top });
    const items = [x("move", 0.5, 1), x("move", 0.3, 0, "volume"), x("remove", 0.1, 0)];
    const rows = mapProbeSummary(items);
    expect(rows.map((r) => [r.kind, r.n, +r.mass.toFixed(4), +r.top.toFixed(4)])).toEqual([["all", 3, 0.3, 0.3333], ["move", 2, 0.4, 0.5], ["remove", 1, 0.1, 0]]);
    // grouped by template family instead: the same "all" row, then one row per family
    const families = mapProbeSummary(items, "family");
    expect(families.map((r) => [r.kind, r.n, +r.mass.toFixed(4)])).toEqual([["all", 3, 0.3], ["depth", 2, 0.3], ["volume", 1, 0.3]]);
  });

  it("the rows as the scripts print them", () => {
    expect(mapRowText({ kind: "move", n: 2, mass: 0.4, chance: 0.1, top: 0.5 })).toBe("move (2) 0.400 / 0.100 / 0.500");
    expect(gateRowText({ kind: "all", n: 3, inside: 0.71234, outside: 0.05, spill: 0.2 })).toBe("all (3) 0.712 / 0.050 / 0.200");
  });
});
