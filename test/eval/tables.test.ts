import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core";
import {
  bootstrapCi,
  bootstrapDiffCi,
  buildTable,
  buildTable3,
  buildTable4,
  checkOrderings,
  formatVerdicts,
  claimsReport,
  Measurement,
  paperNumbers,
  paperRows,
  paperValue,
  quantile,
  sd,
  shareFigure,
  TABLE1_SPEC,
  TABLE2_SPEC,
  TABLE5_SPEC,
  tableFigure,
  validatePaperNumbers,
  wilsonCi,
} from "../../lib/eval";

describe("stats", () => {
  it("known values", () => {
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935299395, 12);
    expect(sd([3])).toBe(0);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    // Wilson 95% for 8/10 (a textbook value: 0.4902 .. 0.9433)
    const w = wilsonCi(8, 10);
    expect(w.lo).toBeCloseTo(0.4902, 4);
    expect(w.hi).toBeCloseTo(0.9433, 4);
  });
  it("bootstrap: constant data gives a point interval; it is seeded", () => {
    expect(bootstrapCi([[0.5, 0.5, 0.5]], new Rng(1))).toEqual({ lo: 0.5, hi: 0.5 });
    const g = [[0, 1, 1, 0, 1, 1, 1, 0]];
    expect(bootstrapCi(g, new Rng(7))).toEqual(bootstrapCi(g, new Rng(7)));
    const ci = bootstrapCi(g, new Rng(7), 2000);
    expect(ci.lo).toBeLessThan(0.625);
    expect(ci.hi).toBeGreaterThan(0.625);
    const d = bootstrapDiffCi([[1, 1, 1]], [[0, 0, 0]], new Rng(3));
    expect(d).toEqual({ lo: 1, hi: 1, paired: true });
  });
  it("bootstrap: golden intervals on two seeds with an empty one, paired and unpaired (the values of the first implementation, which built every resample)", () => {
    const a = [[0.1, 0.4, 0.35, 0.8, 0.05], [0.6, 0.2, 0.9], []];
    const b = [[0.0, 0.5, 0.3, 0.7, 0.1], [0.5, 0.1, 0.95], []];
    const c = [[0.2, 0.3], [0.9, 0.1, 0.4, 0.6]];
    expect(bootstrapCi(a, new Rng(11), 500)).toEqual({ lo: 0.23, hi: 0.7333333333333334 });
    expect(bootstrapDiffCi(a, b, new Rng(12), 500)).toEqual({ lo: -0.019999999999999983, hi: 0.09999999999999998, paired: true });
    expect(bootstrapDiffCi(a, c, new Rng(13), 500)).toEqual({ lo: -0.2789374999999999, hi: 0.3972499999999995, paired: false });
  });
});

describe("the paper's numbers (data/paper/spatialedit-tables.json)", () => {
  it("have every table's rows and columns, as transcribed", () => {
    const e = paperNumbers();
    expect(e.length).toBe(9 * 3 + 8 * 13 + 5 * 2 + 4 * 4 + 5 * 3);
    expect(paperRows("1")).toEqual(TABLE1_SPEC.rows);
    expect(paperRows("5")).toEqual(TABLE5_SPEC.rows);
    expect(paperValue("1", "SpatialEdit", "GPT4V")).toBe(0.73);
    expect(paperValue("1", "SpatialEdit w/o S2", "GPT3.5")).toBe(0.29);
    expect(paperValue("2", "MGIE", "DINO", "MagicBrush")).toBeCloseTo(0.822, 12);
    expect(paperValue("2", "SpatialEdit w/o S1", "LPIPS", "MA5k")).toBe(0.098);
    expect(paperValue("3", "SpatialEdit", "Spatial Instruction")).toBeCloseTo(0.443, 12);
    expect(paperValue("4", "MagicBrush", "Spatial")).toBeCloseTo(0.452, 12);
    expect(paperValue("5", "SpatialEdit-LoRA", "CLIP-I")).toBe(0.649);
    expect(paperValue("1", "SpatialEdit", "DINO")).toBeNull();
    expect(e.filter((x) => !x.miniature && x.table === "1").map((x) => x.row)).toEqual(["Dalle3", "Dalle3", "Dalle3", "Seed-X", "Seed-X", "Seed-X"]);
  });
  it("the validator refuses bad entries with the field named", () => {
    const ok = { table: "1", row: "A", column: "GPT4V", value: 0.5, better: "higher", scale: 1, miniature: true };
    expect(() => validatePaperNumbers({ entries: [{ ...ok, table: "7" }] })).toThrow(/has a bad 'table'$/);
    expect(() => validatePaperNumbers({ entries: [{ ...ok, value: 2 }] })).toThrow(/has a bad 'value'$/);
    expect(() => validatePaperNumbers({ entries: [{ ...ok, table: "2" }] })).toThrow(/has a bad 'dataset'$/);
    expect(() => validatePaperNumbers({ entries: [ok, ok] })).toThrow("paper numbers: entry 1 repeats table 1, A, GPT4V");
    expect(() => validatePaperNumbers({})).toThrow("paper numbers: the document needs a non-empty 'entries' array");
  });
  it("the paper's own numbers follow its claims on every paper column the claims use", () => {
    for (const spec of [TABLE1_SPEC, TABLE2_SPEC, TABLE5_SPEC]) {
      for (const v of checkOrderings(spec, [], new Rng(1))) if (v.paper) expect([spec.table, v.a, v.b, v.metric, v.paper.holds]).toEqual([spec.table, v.a, v.b, v.metric, true]);
    }
  });
});

const per = (method: string, metric: string, seed: number, values: number[]): Measurement[] => values.map((value, i) => ({ method, metric, seed, item: `i${i}`, value }));

describe("buildTable", () => {
  const ms = [...per("SpatialEdit", "object judge", 1, [1, 1, 0, 1]), ...per("SpatialEdit", "object judge", 2, [1, 0, 0, 1]), ...per("oracle", "object judge", 0, [1, 1, 1, 1])];
  const t = buildTable(TABLE1_SPEC, ms, { rng: new Rng(5), resamples: 300 });
  it("mean over seeds, spread, CI, paper beside, row status", () => {
    const row = t.rows.find((r) => r.method === "SpatialEdit")!;
    expect(row["object judge (ours)"]).toBeCloseTo((0.75 + 0.5) / 2, 12);
    expect(row["object judge sd"]).toBeCloseTo(Math.SQRT1_2 * 0.25, 6);
    expect(row["paper GPT4V"]).toBe(0.73);
    expect(row.seeds).toBe(2);
    expect(row.rows).toBe("ours + paper");
    expect((row["object judge CI lo"] as number) <= 0.625 && (row["object judge CI hi"] as number) >= 0.625).toBe(true);
    expect(t.rows.find((r) => r.method === "Dalle3")!.rows).toBe("paper only (not in the miniature)");
    expect(t.rows.find((r) => r.method === "MGIE")!.rows).toBe("paper; ours not measured yet");
    expect(t.rows.find((r) => r.method === "oracle")).toMatchObject({ rows: "ours only (reference)", "object judge (ours)": 1, "paper GPT4V": null });
    expect(t.methods.slice(-1)).toEqual(["oracle"]);
  });
  it("the figure has ours with CIs and the paper beside, hover lists seeds", () => {
    const f = tableFigure(t);
    const ours = f.data.find((d) => d.name === "ours: object judge")!;
    expect((ours.customdata as string[])[t.methods.indexOf("SpatialEdit")]).toBe("seed 1: 0.750<br>seed 2: 0.500");
    expect(f.data.find((d) => d.name === "paper: GPT4V")!.y).toEqual(t.methods.map((m) => paperValue("1", m, "GPT4V")));
  });
  it("bad input: unknown method, unknown metric, NaN", () => {
    expect(() => buildTable(TABLE1_SPEC, per("SpatialEdt", "object judge", 0, [1]), { rng: new Rng(1) })).toThrow(/^Table 1: unknown method 'SpatialEdt'; known: InsPix2Pix, MGIE, .*oracle, identity \(pass extraMethods for new variants\)$/);
    expect(() => buildTable(TABLE1_SPEC, per("oracle", "GPT4V", 0, [1]), { rng: new Rng(1) })).toThrow("Table 1: unknown metric 'GPT4V'; known: object judge, perception judge, pixel agreement (masked)");
    expect(() => buildTable(TABLE1_SPEC, per("oracle", "object judge", 0, [NaN]), { rng: new Rng(1) })).toThrow("Table 1: oracle / object judge / seed 0 / i0 is NaN; leave out items a judge cannot score instead");
    expect(buildTable(TABLE1_SPEC, per("mine", "object judge", 0, [1]), { rng: new Rng(1), extraMethods: ["mine"] }).methods).toContain("mine");
  });
});

describe("ordering check", () => {
  const chain = (a: number[], b: number[], c: number[]) => [...per("SpatialEdit", "object judge", 0, a), ...per("SpatialEdit w/o S1", "object judge", 0, b), ...per("SpatialEdit w/o S2", "object judge", 0, c)];
  const verdicts = (ms: Measurement[]) => checkOrderings(TABLE1_SPEC, ms, new Rng(9), 500).filter((v) => v.metric === "object judge" && v.text.startsWith("both stages"));
  it("holds when the numbers follow the paper, and flips when they do not", () => {
    const good = verdicts(chain([1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]));
    expect(good.map((v) => v.verdict)).toEqual(["holds", "holds"]);
    const flipped = verdicts(chain([0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]));
    expect(flipped.map((v) => v.verdict)).toEqual(["reversed", "holds"]);
    const noisy = verdicts(chain([1, 0, 1, 0, 1, 0, 1, 1], [1, 0, 1, 0, 1, 0, 1, 0], [1, 0, 1, 0, 0, 1, 0, 1]));
    expect(noisy.map((v) => v.verdict)).toEqual(["holds, not significant", "tie"]);
    expect(formatVerdicts(good).split("\n")[0]).toMatch(/^SpatialEdit > SpatialEdit w\/o S1 on object judge \(higher is better\): HOLDS — ours 1\.000 vs 0\.500, difference 0\.500 \[95% CI 0\.\d{3}, 0\.\d{3}, paired; seeds 0\]; paper 0\.730 vs 0\.660 \(holds\)$/);
  });
  it("claimsReport sorts the paper's claims into reproduced / contradicted / not established / not measured, and moves with the numbers", () => {
    const ms = (se: number[], wo: number[]) => [...per("SpatialEdit", "object judge", 0, se), ...per("SpatialEdit w/o S1", "object judge", 0, wo)];
    const report = (m: Measurement[]) => claimsReport([{ table: "1", verdicts: checkOrderings(TABLE1_SPEC, m, new Rng(4), 300).filter((v) => v.metric === "object judge") }]);
    const up = report(ms([1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]));
    expect(up.split("\n")[0]).toBe("Of 6 checks of the paper's claims: 1 reproduced, 0 contradicted, 0 not established, 5 not measured.");
    expect(up).toContain("**Reproduced (our 95% interval excludes 0 in the paper's direction)**\n- Table 1, object judge: SpatialEdit > SpatialEdit w/o S1: +1.000 [+1.000, +1.000], seeds 0");
    const down = report(ms([0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]));
    expect(down.split("\n")[0]).toBe("Of 6 checks of the paper's claims: 0 reproduced, 1 contradicted, 0 not established, 5 not measured.");
    expect(down).toContain("- Table 1, object judge: SpatialEdit > SpatialEdit w/o S1: -1.000 [-1.000, -1.000], seeds 0");
    expect(report(ms([1, 0, 1, 0], [0, 1, 1, 0])).split("\n")[0]).toBe("Of 6 checks of the paper's claims: 0 reproduced, 0 contradicted, 1 not established, 5 not measured.");
  });
  it("compares two methods over the seeds both have: another seed of one method does not enter, no common seed is not measured", () => {
    const se = [...per("SpatialEdit", "object judge", 0, [1, 1, 0, 0]), ...per("SpatialEdit", "object judge", 1, [0, 0, 0, 0])];
    const v = (ms: Measurement[]) => checkOrderings(TABLE1_SPEC, ms, new Rng(2), 300).find((x) => x.metric === "object judge" && x.b === "InsPix2Pix")!;
    const one = v([...se, ...per("InsPix2Pix", "object judge", 0, [0, 0, 0, 0])]);
    // over seed 0 only: 0.5 vs 0 (over both of SpatialEdit's seeds it would be 0.25 vs 0)
    expect([one.ours!.a, one.ours!.b, one.ours!.diff, one.ours!.seeds, one.ours!.paired]).toEqual([0.5, 0, 0.5, [0], true]);
    const none = v([...se.filter((m) => m.seed === 1), ...per("InsPix2Pix", "object judge", 0, [0, 0, 0, 0])]);
    expect([none.verdict, none.ours]).toEqual(["not measured", null]);
  });
  it("lower-is-better metrics flip the sign (L1 on Table 5)", () => {
    const ms = [...per("SpatialEdit", "L1", 0, [0.1, 0.1, 0.1]), ...per("SpatialEdit-LoRA", "L1", 0, [0.3, 0.3, 0.3])];
    const v = checkOrderings(TABLE5_SPEC, ms, new Rng(1)).find((x) => x.metric === "L1" && x.b === "SpatialEdit-LoRA")!;
    expect(v.verdict).toBe("holds");
    expect(v.ours!.diff).toBeCloseTo(0.2, 12);
  });
});

describe("Table 3 and Table 4 plumbing", () => {
  it("Table 3: ours beside the paper, classifier accuracy beside every share, paper-only rows", () => {
    const t = buildTable3([{ corpus: "engine data", paperRow: "SpatialEdit", n: 100, spatialShare: 0.9, ci: { lo: 0.8, hi: 0.95 }, source: "test" }], { accuracy: 0.95, n: 40, heldOut: false, source: "dev cases" });
    expect(t.rows[0]).toMatchObject({ corpus: "engine data", "spatial share (ours)": 0.9, "paper spatial share": 0.443, "classifier accuracy": 0.95 });
    expect(t.rows.slice(1).map((r) => r.corpus)).toEqual(["IPr2Pr", "MagicBrush", "MA5K", "Seed-X"]);
    expect(t.caption).toBe("Table 3: share of spatial instructions; classifier: isSpatialInstruction, NOT held-out accuracy 95.0% on 40 labelled instructions (dev cases)");
    expect(() => buildTable3([{ corpus: "x", paperRow: "COCO", n: 1, spatialShare: 0, ci: { lo: 0, hi: 1 }, source: "" }], { accuracy: 1, n: 1, heldOut: true, source: "" })).toThrow("buildTable3: unknown paper row 'COCO'; known: IPr2Pr, MagicBrush, MA5K, Seed-X, SpatialEdit");
    const f = shareFigure(t.rows, "corpus", [{ ours: "spatial share", paper: "paper spatial share" }], "t3");
    expect(f.data[0].y).toEqual([0.9, null, null, null, null]);
  });
  it("Table 4: each measure beside its paper column", () => {
    const s = (k: number, n: number) => ({ k, n, share: k / n, ci: wilsonCi(k, n) });
    const t = buildTable4([{ dataset: "engine data", paperRow: "SpatialEdit", records: 10, groundTruthExact: s(9, 10), parsesToOneReferent: s(10, 10), spatial: s(10, 10), examples: [] }]);
    expect(t.rows[0]).toMatchObject({ "ground truth exact (ours)": 0.9, "paper Helpfulness": 0.704, "spatial (ours)": 1, "paper Spatial": 0.783 });
    expect(t.rows.slice(1).map((r) => r.dataset)).toEqual(["IPr2Pr", "MagicBrush", "Seed-X"]);
    expect(t.caption).toContain("groundTruthExact = executeInstruction(text, truth) renders to the record's ground truth");
  });
});
