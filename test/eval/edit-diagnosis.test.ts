import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { Rng } from "../../lib/core/rng";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { attributeMatches, diagnoseEdits, diagnosisSummary, diagnosisText, targetPhrase, type DiagnosisItem } from "../../lib/eval/edit-diagnosis";
import { editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor } from "../../lib/models/editor/model";

const item = (kind: string, targetFound: number, objectJudge: number, l1Region = 0.2): DiagnosisItem => ({
  item: `${kind}-${targetFound}-${objectJudge}`,
  kind,
  targetNamed: 0,
  targetFound,
  attributes: { size: 0, colour: targetFound, material: 1, shape: targetFound },
  objectJudge,
  judgeDone: objectJudge,
  judgeKept: 1,
  l1Region,
  l1Background: l1Region / 10,
  l1: l1Region / 5,
  generated: "",
  truth: "",
});

describe("edit diagnosis readers", () => {
  it("targetPhrase: the words before the first comma, lower-cased, commas spaced or not", () => {
    expect(targetPhrase("the small gray checkered cylinder, which is the nearest cylinder, is now red")).toBe("the small gray checkered cylinder");
    expect(targetPhrase("The Small gray checkered cylinder , which is")).toBe("the small gray checkered cylinder");
    expect(targetPhrase("no comma here")).toBe("no comma here");
    expect(targetPhrase("")).toBe("");
  });

  it("attributeMatches: word by word against 'the <size> <colour> <material> <shape>'; NaN when the truth has another form", () => {
    const truth = "the small gray checkered cylinder, which is the nearest cylinder, is now red";
    expect(attributeMatches("the small gray checkered cylinder , which is", truth)).toEqual({ size: 1, colour: 1, material: 1, shape: 1 });
    expect(attributeMatches("the large gray metal cylinder, which", truth)).toEqual({ size: 0, colour: 1, material: 0, shape: 1 });
    expect(attributeMatches("the gray cylinder", truth)).toEqual({ size: 0, colour: 0, material: 0, shape: 0 });
    const odd = attributeMatches("the small gray checkered cylinder", "the cylinder moving left has moved");
    expect(Object.values(odd).every((x) => Number.isNaN(x))).toBe(true);
  });

  it("diagnosisSummary: one row per kind (sorted) and 'all'; NaN scores are left out of the means", () => {
    const rows = diagnosisSummary([item("remove", 1, 1, 0.1), item("move", 0, 0, 0.3), item("move", 1, Number.NaN, 0.5)]);
    expect(rows.map((r) => r.kind)).toEqual(["move", "remove", "all"]);
    expect(rows[0]).toMatchObject({ kind: "move", n: 2, targetFound: 0.5, objectJudge: 0, attributes: { size: 0, colour: 0.5, material: 1, shape: 0.5 } });
    expect([rows[0].l1Region, rows[0].l1Background, rows[0].l1].map((x) => +x.toFixed(12))).toEqual([0.4, 0.04, 0.08]);
    expect(rows[2].n).toBe(3);
    expect(rows[2].targetFound).toBeCloseTo(2 / 3, 12);
    expect(rows[2].objectJudge).toBeCloseTo(0.5, 12);
    expect(() => diagnosisSummary([])).toThrow("diagnosisSummary: no items");
  });

  it("diagnosisText: localisation, rendering or neither, and the reading flips with the numbers", () => {
    const lost = diagnosisText(diagnosisSummary([item("move", 0, 0), item("move", 1, 0), item("move", 0, 0)]));
    expect(lost).toBe("over 3 items the MLLM's language condition finds the target (colour and shape right) in 33.3% and names it fully in 0.0% (size 0.0%, colour 33.3%, material 100.0%, shape 33.3% right); the object judge passes 0.0% (instructed objects done 0.0%, other objects and the ground kept 100.0%): the MLLM does not yet know which object is meant in most items, so the first bottleneck is localisation (Stage I / the conditioner), not rendering");
    const render = diagnosisText(diagnosisSummary([item("move", 1, 0), item("move", 1, 0), item("move", 0, 0)]));
    expect(render.endsWith("the object judge passes 0.0% (instructed objects done 0.0%, other objects and the ground kept 100.0%): the MLLM mostly finds the target, but the edit head and the denoiser do not render the edit: the bottleneck is after the MLLM")).toBe(true);
    const spread = diagnosisText(diagnosisSummary([{ ...item("move", 1, 0), judgeKept: 0.2 }, { ...item("move", 1, 0), judgeKept: 0.4 }]));
    expect(spread.endsWith("the bottleneck is after the MLLM; and it changes what it should keep in most items (kept 30.0%): its edits spread beyond the target")).toBe(true);
    const fine = diagnosisText(diagnosisSummary([item("move", 1, 1), item("move", 1, 0)]));
    expect(fine.endsWith("the object judge passes 50.0% (instructed objects done 50.0%, other objects and the ground kept 100.0%): the edits pass in at least half of the items where the target is found")).toBe(true);
    expect(() => diagnosisText([])).toThrow("diagnosisText: the summary has no 'all' row");
  });
});

describe("diagnoseEdits on tiny", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("one row per spatial item with the generated and true condition; no tensor leaks", async () => {
    const bench = ensureBenchmark("spatialeval", "tiny");
    const e = createEditor(editorConfig("tiny"), new Rng(3));
    const before = tf.memory().numTensors;
    const items = await diagnoseEdits(e, bench, { ddimSteps: 2, seed: 0, batch: 4 });
    expect(tf.memory().numTensors).toBe(before);
    const spatial = bench.items.filter((x) => x.kind !== null);
    expect(items.map((x) => x.item)).toEqual(spatial.map((x) => x.id));
    for (const [i, x] of items.entries()) {
      expect(x.kind).toBe(spatial[i].kind);
      expect(x.truth).toBe(spatial[i].condition);
      expect([0, 1]).toContain(x.targetNamed);
      if (!Number.isNaN(x.targetFound)) expect(x.targetFound).toBe(x.attributes.colour * x.attributes.shape);
      expect(x.l1Region).toBeGreaterThan(0); // an untrained editor returns the source, which differs from the truth in the edit region
      expect(x.objectJudge).toBe(0); // ... and so fails the object judge
      expect(x.l1Background).toBeLessThan(x.l1Region); // the source differs from the truth mostly where the edit is
      expect(x.l1).toBeGreaterThan(0);
    }
    disposeEditor(e);
  }, 120_000);
});
