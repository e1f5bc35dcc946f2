import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../lib/core/profile";
import { SORT_PRESETS, summariseSort, type SortExperimentResult, type SortMethodResult, type SortSummary } from "../../../lib/theory/sort/experiment";
import { SORT_METHODS, type SortMethod } from "../../../lib/theory/sort/methods";
import { prefixCheckConclusion, sortConclusion, sortLossFigure, sortSweepRows, sortTableRows, sortVerdict } from "../../../lib/theory/sort/report";
import type { LayerComparison } from "../../../lib/theory/attention/ranking";

const quick = resolveConfig(SORT_PRESETS, "sort", "quick");
const V = quick.verdict; // margin 0.2, z 2

function summary(method: SortMethod, mean: number, se: number, converged = true): SortSummary {
  return { method, mean, std: 0, se, token: mean, finalLoss: 1 - mean, valLoss: 1 - mean, lrs: [1e-3], convergedSeeds: converged ? 1 : 0, seeds: 1, params: 10 };
}

/** A one-seed result with these test accuracies and convergence flags (everything else fixed). */
function fakeResult(acc: Partial<Record<SortMethod, [number, boolean]>>): SortExperimentResult {
  const methods: SortMethodResult[] = SORT_METHODS.filter((m) => acc[m]).map((method) => {
    const [sequence, converged] = acc[method]!;
    const losses = [2, 1, 1 - sequence / 2, 1 - sequence / 2];
    const conv = { converged, last: 1 - sequence / 2, previous: 1, relChange: 0, window: 1 };
    return {
      method, seed: 1, params: 10, lr: 1e-3, sequence, token: sequence, testLoss: 1, ascendingAfter: 0, finalLoss: conv.last, valLoss: 1, converged, relChange: 0, seconds: 1,
      sweep: [{ lr: 1e-3, valLoss: 1, valSequence: sequence, convergence: conv, losses }, { lr: 3e-3, valLoss: 2, valSequence: 0, convergence: { ...conv, converged: false }, losses }],
    };
  });
  return {
    config: { ...quick, evalSize: 10_000 },
    seeds: [{ seed: 1, pretrainAscending: 1, baseDescending: 0, pretrainSeconds: 1, pretrainLoss: [3, 2], methods, curves: Object.fromEntries(methods.map((m) => [m.method, m.sweep[0].losses])) }],
    attention: null,
  };
}

describe("sortVerdict: the stated test flips on the numbers", () => {
  const rows = (prefix: number, full: number, attention: number, conv = { prefix: true, full: true }) => [
    summary("prefix", prefix, 0.01, conv.prefix),
    summary("attention", attention, 0.01),
    summary("full", full, 0.01, conv.full),
  ];
  it("reproduced: both gaps clear margin + z SE, prefix and the strongest converged", () => {
    const v = sortVerdict(rows(0.0, 0.85, 0.8), V);
    expect(v.kind).toBe("reproduced");
    expect(v.strongest).toBe("full");
    expect(v.gaps.map((g) => g.method)).toEqual(["full", "attention"]);
    expect(v.gaps[0].gap).toBeCloseTo(0.85, 12);
    expect(v.gaps[0].se).toBeCloseTo(Math.sqrt(2) * 0.01, 12);
  });
  it("not reproduced: a gap below margin + z SE (0.2 + 2 * 0.0141 = 0.228)", () => {
    expect(sortVerdict(rows(0.6, 0.82, 0.95), V).kind).toBe("not reproduced"); // full - prefix = 0.22 < 0.228
    expect(sortVerdict(rows(0.6, 0.83, 0.95), V).kind).toBe("reproduced"); // 0.23 >= 0.228
  });
  it("inconclusive: prefix or the strongest method did not converge, whatever the gap", () => {
    expect(sortVerdict(rows(0.0, 0.85, 0.8, { prefix: false, full: true }), V).kind).toBe("inconclusive");
    expect(sortVerdict(rows(0.0, 0.85, 0.8, { prefix: true, full: false }), V).kind).toBe("inconclusive");
    expect(sortVerdict(rows(0.6, 0.62, 0.61, { prefix: false, full: true }), V).kind).toBe("inconclusive");
  });
  it("a larger standard error flips reproduced to not reproduced", () => {
    const r = rows(0.0, 0.3, 0.3);
    expect(sortVerdict(r, V).kind).toBe("reproduced");
    r[0].se = 0.05; // gap 0.3 - 2 * sqrt(0.05^2 + 0.01^2) = 0.198 < 0.2
    expect(sortVerdict(r, V).kind).toBe("not reproduced");
  });
  it("needs prefix, attention and full", () => {
    expect(() => sortVerdict([summary("prefix", 0, 0), summary("full", 1, 0)], V)).toThrow("sortVerdict: needs the attention method in the results (run prefix, attention and full)");
  });
});

describe("sortConclusion, tables and figures", () => {
  const all = (p: number, pc: boolean): Partial<Record<SortMethod, [number, boolean]>> => ({ prefix: [p, pc], "prefix-ln": [0, true], prompt: [0.01, true], attention: [0.97, true], lora: [0.98, true], full: [0.99, true] });
  it("each verdict is a different sentence with the measured numbers", () => {
    const rep = sortConclusion(fakeResult(all(0.2, true)));
    expect(rep).toContain("**Reproduced**");
    expect(rep).toContain("prefix tuning (20.0% ± 0.4%, 1/1 seeds converged)");
    expect(rep).toContain("our prefix reached 20.0%");
    expect(rep).toContain("Petrov et al. published 84.9% (full) and 0.0% (prefix)");
    expect(sortConclusion(fakeResult(all(0.2, false)))).toContain("**Not converged: inconclusive**: prefix 0/1 seeds converged");
    expect(sortConclusion(fakeResult(all(0.9, true)))).toContain("**Not reproduced**");
  });
  it("the table has accuracy, per-token accuracy, losses, chosen rate, convergence and the published numbers", () => {
    const rows = sortTableRows(fakeResult(all(0.2, true)));
    expect(rows.map((r) => r.method)).toEqual(["prefix", "prefix-ln", "prompt", "attention", "lora", "full"]);
    expect(rows[0]).toMatchObject({ "ours: exact-sequence acc.": 0.2, "ours: per-token acc.": 0.2, "chosen lr": "1e-3", converged: "1/1", "Petrov et al. (published)": "0.0%" });
    expect(rows[5]["Petrov et al. (published)"]).toBe("84.9%");
    // full chose 1e-3: the lower edge of quick's weight range [1e-3, 3e-3], the middle of [3e-4, 1e-3, 3e-3]
    expect(rows[5]["chosen at the edge of the sweep"]).toBe(true);
    const mid = fakeResult(all(0.2, true));
    mid.config = { ...mid.config, lrs: { ...mid.config.lrs, weights: [3e-4, 1e-3, 3e-3] } };
    expect(sortTableRows(mid)[5]["chosen at the edge of the sweep"]).toBe(false);
    expect(rows[1]["Petrov et al. (published)"]).toBe("not reported");
    const sweep = sortSweepRows(fakeResult(all(0.2, true)));
    expect(sweep.length).toBe(12);
    expect(sweep.filter((r) => r.chosen).length).toBe(6);
    const fig = sortLossFigure(fakeResult(all(0.2, true)));
    expect(fig.data.length).toBe(1 + 12);
    expect(() => sortLossFigure(fakeResult(all(0.2, true)), 3)).toThrow("sortLossFigure: no seed at index 3 (the run has 1)");
  });
  it("summariseSort: standard error over seeds with two or more seeds", () => {
    const r = fakeResult(all(0.2, true));
    const second = structuredClone(r.seeds[0]);
    second.seed = 2;
    second.methods[0].sequence = 0.4;
    r.seeds.push(second);
    const s = summariseSort(r).find((x) => x.method === "prefix")!;
    expect(s.mean).toBeCloseTo(0.3, 12);
    expect(s.std).toBeCloseTo(Math.SQRT1_2 * 0.2, 12);
    expect(s.se).toBeCloseTo(0.1, 12);
  });
});

describe("prefixCheckConclusion", () => {
  const layer = (maxRelDiff: number, l: number): LayerComparison => ({ layer: l, maxRelDiff, meanTV: 0.01 * l, meanScale: 0.7, shift: { meanTau: 1 - 0.1 * l, minTau: 0, top1Agreement: 1, orderKept: 1, rows: 4 } });
  it("holds below the tolerance, fails above it", () => {
    expect(prefixCheckConclusion("prefix", [layer(1e-6, 0), layer(0.3, 1)], 1e-3)).toContain("below 1e-3, so A^pt_ij = A_ij (1 − A^pt_i0) holds");
    expect(prefixCheckConclusion("prefix", [layer(2e-3, 0)], 1e-3)).toContain("not below 1e-3: the identity did not hold");
    expect(prefixCheckConclusion("prefix", [layer(1e-6, 0), layer(0.3, 1)], 1e-3)).toContain("mean total-variation distance to the base is 0.010");
    expect(() => prefixCheckConclusion("prefix", [], 1e-3)).toThrow("prefixCheckConclusion: no layers to report");
  });
});
