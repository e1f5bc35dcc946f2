import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { stage1Cells, stage1Comparisons, stage1Conclusion, stage1Figure, stage1TableRows, type VqaRun } from "../../lib/eval/stage1-report";

const FAM = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? "height" : "direction"));
/** A run whose first `k` questions are right. */
const run = (row: string, seed: number, k: number): VqaRun => ({ row, seed, families: FAM, correct: FAM.map((_, i) => (i < k ? 1 : 0)) });
const EMB = "Stage I, embedding tuning";
const ATT = "Stage I, attention tuning";
const claim = { a: ATT, b: EMB };

describe("Stage I report", () => {
  it("cells: accuracy per family and overall, mean over seeds, CI around it", () => {
    const runs = [run(ATT, 0, 30), run(ATT, 1, 40)];
    const cells = stage1Cells(runs, [ATT], new Rng(1), 200);
    expect(cells.map((c) => c.family)).toEqual(["height", "direction", "all"]);
    const all = cells.find((c) => c.family === "all")!;
    expect(all.acc).toBeCloseTo((30 / 60 + 40 / 60) / 2, 12);
    expect(all.n).toBe(120);
    expect(all.seeds).toEqual([0, 1]);
    expect(all.ci.lo).toBeLessThanOrEqual(all.acc);
    expect(all.ci.hi).toBeGreaterThanOrEqual(all.acc);
    expect(cells.find((c) => c.family === "height")!.acc).toBeCloseTo((15 / 30 + 20 / 30) / 2, 12);
    const rows = stage1TableRows(cells);
    expect(rows[0]).toMatchObject({ model: ATT, seeds: 2, questions: 120 });
    expect(String(rows[0].all)).toMatch(/^0\.583 \[/);
    const fig = stage1Figure(cells, "t");
    expect(fig.data.length).toBe(1);
    expect((fig.data[0] as { x: string[] }).x).toEqual(["height", "direction", "all"]);
  });

  it("the verdict is computed: it holds, flips, or stays open with the numbers", () => {
    const holds = stage1Comparisons([run(ATT, 0, 50), run(EMB, 0, 10)], [[ATT, EMB]], new Rng(2), 500);
    expect(holds[0].verdict).toBe("holds");
    expect(holds[0].paired).toBe(true);
    expect(stage1Conclusion(holds, claim)).toContain("The paper's claim reproduces here");
    const reversed = stage1Comparisons([run(ATT, 0, 10), run(EMB, 0, 50)], [[ATT, EMB]], new Rng(2), 500);
    expect(reversed[0].verdict).toBe("reversed");
    expect(stage1Conclusion(reversed, claim)).toContain("The paper's claim is reversed here");
    const open = stage1Comparisons([run(ATT, 0, 31), run(EMB, 0, 30)], [[ATT, EMB]], new Rng(2), 500);
    expect(open[0].verdict).toBe("holds, not significant");
    expect(stage1Conclusion(open, claim)).toContain("The paper's claim is not established here (holds, not significant)");
    const missing = stage1Comparisons([run(ATT, 0, 31)], [[ATT, EMB]], new Rng(2), 500);
    expect(missing[0].verdict).toBe("not measured");
    expect(stage1Conclusion(missing, claim)).toContain("was not measured here");
  });

  it("refuses runs whose answers and questions do not line up", () => {
    expect(() => stage1Cells([{ row: ATT, seed: 0, correct: [1], families: [] }], [ATT], new Rng(1))).toThrow(`stage1: run '${ATT}' seed 0 has 1 answers for 0 questions`);
    expect(() => stage1Comparisons([{ row: ATT, seed: 0, correct: [2], families: ["height"] }], [[ATT, EMB]], new Rng(1))).toThrow(`stage1: run '${ATT}' seed 0: correct must be 0 or 1 per question`);
  });
});

describe("region-mass comparison", () => {
  it("is computed from the per-question shares and flips with them", async () => {
    const { regionMassComparison, regionMassConclusion } = await import("../../lib/eval/stage1-report");
    const hi = Array.from({ length: 30 }, (_, i) => [0.5 + (i % 3) * 0.01, 0.6]);
    const lo = Array.from({ length: 30 }, (_, i) => [0.1 + (i % 3) * 0.01, 0.2]);
    const rows = [{ model: ATT, perItem: hi }, { model: EMB, perItem: lo }];
    const c = regionMassComparison(rows, ATT, EMB, new Rng(3), 300);
    expect(c.diff).toBeCloseTo(0.4, 10);
    expect(c.verdict).toBe("holds");
    expect(regionMassConclusion(c)).toMatch(/^Stage I, attention tuning puts more of the spatial word's image attention on the object than Stage I, embedding tuning: mean share difference 0\.400/);
    const r = regionMassComparison(rows, EMB, ATT, new Rng(3), 300);
    expect(r.verdict).toBe("reversed");
    expect(regionMassConclusion(r)).toMatch(/^Stage I, attention tuning puts more/);
    const same = regionMassComparison([{ model: ATT, perItem: hi }, { model: EMB, perItem: hi }], ATT, EMB, new Rng(3), 300);
    expect(same.verdict).toBe("tie");
    expect(regionMassConclusion(same)).toContain("no difference between");
    expect(() => regionMassComparison(rows, "x", EMB, new Rng(3))).toThrow(`regionMassComparison: no model 'x'; have ${ATT}, ${EMB}`);
  });
});
