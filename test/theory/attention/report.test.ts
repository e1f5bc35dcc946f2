import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { initBackend } from "../../../lib/backend/select";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { checkEq7, randomEq7Instance, type Eq7Sweep } from "../../../lib/theory/attention/prefix";
import { ATTENTION_REPORT_PRESETS, eq7Conclusion, eq7Holds, layer1TableRows, layer1TargetConclusion, tuningConclusion } from "../../../lib/theory/attention/report";
import { attentionHeatmapFigure, eq7ScatterFigure, heatmapMargins, TICK_CHAR_PX } from "../../../lib/theory/attention/plots";
import { showMarkdown } from "../../../lib/core/notebook";
import { notebook02Summary } from "../../../lib/theory/attention/summary";
import { ATTENTION_TUNING_PRESETS, type AttentionTuningResult, type TuningMethodResult } from "../../../lib/theory/attention/tuning";
import { SORT_PRESETS, type SortExperimentResult } from "../../../lib/theory/sort/experiment";

const T = resolveConfig(ATTENTION_REPORT_PRESETS, "attention report", "quick");

beforeAll(async () => {
  await initBackend();
});

function sweep(o: Partial<Eq7Sweep> = {}): Eq7Sweep {
  return { instances: 3, maxRelError: 1e-7, maxAbsError: 1e-8, orderKept: 1, orderKeptBeyondRounding: 1, allFinite: true, minScale: 0.2, maxScale: 0.9, maxAbsLogit: 5, maxErrorOverBound: 0.01, ...o };
}

function method(name: TuningMethodResult["method"], targetMass: number, taus: number[]): TuningMethodResult {
  return { method: name, params: 1, targetMass, top1Hit: 0.5, perLayer: taus.map((t) => ({ meanTau: t, minTau: t, top1Agreement: 1, orderKept: t === 1 ? 1 : 0.5, rows: 10 })), finalLoss: 1, losses: [1], seconds: 1 };
}

function tuning(o: { promptMass?: number; attnMass?: number; deepTau?: number } = {}): AttentionTuningResult {
  const config = resolveConfig(ATTENTION_TUNING_PRESETS, "attention tuning", "tiny");
  return {
    config,
    base: method("base", 0.1, [1, 1]),
    methods: [method("prompt", o.promptMass ?? 0.3, [1, o.deepTau ?? 0.5]), method("prefix", 0.2, [1, o.deepTau ?? 0.5]), method("image-embedding", 0.5, [0.7, 0.6]), method("attention", o.attnMass ?? 0.8, [0.6, 0.5]), method("lora", 0.7, [0.8, 0.6])],
    example: { layout: [], target: [], maps: {} },
  };
}

describe("report presets", () => {
  it("one per profile; the study size grows with the profile, the thresholds are the same", () => {
    expect(["tiny", "quick", "paper"].map((p) => resolveConfig(ATTENTION_REPORT_PRESETS, "r", p).eq7Instances)).toEqual([3, 20, 200]);
    expect(() => resolveConfig(ATTENTION_REPORT_PRESETS, "attention report", "quick", { eq7Tolerance: 1 } as never)).toThrow("unknown config key 'eq7Tolerance'");
  });
});

describe("eq7Conclusion flips on the numbers", () => {
  it("holds when every case is below tol, or within the float32 bound, with order kept and finite values", () => {
    const ok = [{ name: "a", sweep: sweep() }, { name: "big", sweep: sweep({ maxRelError: 3e-4, maxErrorOverBound: 0.5 }) }];
    expect(eq7Holds(ok, T.eq7Tol)).toBe(true);
    expect(eq7Conclusion(ok, T.eq7Tol)).toMatch(/^\*\*Eq. 7 holds to float32 precision\*\* on all 6 instances/);
    expect(eq7Conclusion(ok, T.eq7Tol)).toContain('except in "big" (3.00e-4');
  });
  it("fails above the float32 bound, on a swapped row, or on an overflow", () => {
    const bad = [{ name: "a", sweep: sweep({ maxRelError: 3e-4, maxErrorOverBound: 1.5 }) }];
    expect(eq7Holds(bad, T.eq7Tol)).toBe(false);
    expect(eq7Conclusion(bad, T.eq7Tol)).toMatch(/^\*\*Eq. 7 did not hold to float32 precision\*\*/);
    expect(eq7Holds([{ name: "a", sweep: sweep({ orderKeptBeyondRounding: 0.99 }) }], T.eq7Tol)).toBe(false);
    expect(eq7Holds([{ name: "a", sweep: sweep({ allFinite: false }) }], T.eq7Tol)).toBe(false);
    // the same error passes with a looser tolerance
    expect(eq7Holds([{ name: "a", sweep: sweep({ maxRelError: 3e-4, maxErrorOverBound: 1.5 }) }], 1e-3)).toBe(true);
  });
});

describe("tuningConclusion flips on the thresholds", () => {
  it("deep rankings moved iff the last-layer tau is below deepTau", () => {
    expect(tuningConclusion(tuning({ deepTau: 0.5 }), T)).toContain("So the exact statement of Eq. 7 is a **one-layer** statement");
    expect(tuningConclusion(tuning({ deepTau: 0.95 }), T)).toContain("the deeper layers also stayed close to the base rankings under prompt and prefix tuning (mean tau >= 0.9");
  });
  it("less flexible iff the weakest weight method leads the best soft method by flexMargin", () => {
    expect(tuningConclusion(tuning({ promptMass: 0.3 }), T)).toContain("*Less flexible*, measured: the best soft-token method puts 0.300");
    expect(tuningConclusion(tuning({ promptMass: 0.68 }), T)).toContain("*Less flexible* is **not** what we measured here: the best soft-token method reaches 0.680 target mass, the weakest weight-based method 0.700");
  });
  it("layer-1 target: unchanged iff prompt and prefix moved by less than unchangedTol", () => {
    const r = tuning();
    r.methods[0].targetMass = 0.1 + 5e-4;
    r.methods[1].targetMass = 0.1 - 5e-4;
    expect(layer1TargetConclusion(r, T.unchangedTol)).toContain("i.e. no change (both moved by less than 1e-3), as Eq. 7 predicts");
    r.methods[1].targetMass = 0.1 - 2e-3;
    expect(layer1TargetConclusion(r, T.unchangedTol)).toContain("a change of 2.00e-3 (at least 1e-3) that Eq. 7 says should not happen");
    expect(() => layer1TargetConclusion({ ...r, methods: r.methods.slice(0, 2) }, T.unchangedTol)).toThrow("layer1TargetConclusion: needs the image-embedding method in the results");
  });
});

describe("notebook02Summary and showMarkdown", () => {
  afterEach(() => vi.restoreAllMocks());
  it("one line per question, each verdict from the tests", () => {
    const sortCfg = resolveConfig(SORT_PRESETS, "sort", "quick");
    const m = (method: string, sequence: number, converged: boolean) => ({ method, seed: 1, params: 1, lr: 1e-3, sequence, token: sequence, testLoss: 1, ascendingAfter: 0, finalLoss: 1, valLoss: 1, converged, relChange: 0, seconds: 1, sweep: [] });
    const sort = { config: sortCfg, attention: null, seeds: [{ seed: 1, pretrainAscending: 1, baseDescending: 0, pretrainSeconds: 1, pretrainLoss: [], curves: {}, methods: [m("prefix", 0, true), m("attention", 0.9, true), m("full", 0.95, true)] }] } as unknown as SortExperimentResult;
    const run = { eq7: [{ name: "a", sweep: sweep() }], att: tuning(), sort, seconds: 12.3, profile: "quick", backend: "wasm", machine: "2 CPUs" };
    const text = notebook02Summary(run, T);
    expect(text.split("\n\n").length).toBe(4);
    expect(text).toContain("1. Eq. 7 in one layer: holds to float32 precision");
    expect(text).toContain("Layer-1 rankings under prompt/prefix tuning kept exactly: yes");
    expect(text).toContain("prefix 0.0% (1/1 converged)");
    expect(text).toContain("Verdict: **reproduced**");
    sort.seeds[0].methods[0].converged = false;
    run.eq7[0].sweep.allFinite = false;
    const text2 = notebook02Summary(run, T);
    expect(text2).toContain("Verdict: **inconclusive**");
    expect(text2).toContain("did **not** hold");
  });
  it("showMarkdown prints the text outside a notebook", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    showMarkdown("**hello**");
    expect(log).toHaveBeenCalledWith("**hello**");
  });
});

describe("heatmap layout", () => {
  it("the left margin holds the longest y tick label and the axis title; the dropdown sits under the title", () => {
    const tokens = ["change", "the", "leftmost", "object"];
    const fig = attentionHeatmapFigure([{ name: "base", maps: [[[[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0.3, 0.3, 0.4, 0], [0.25, 0.25, 0.25, 0.25]]]], extra: [0] }], tokens, "a long title that the dropdown must not cover");
    const layout = fig.layout as { margin: { l: number; t: number; b: number }; title: { yanchor: string; yref: string }; updatemenus: { y: number; yanchor: string }[]; sliders: { pad: { t: number } }[] };
    const longestY = "2:leftmost".length * TICK_CHAR_PX;
    expect(layout.margin.l).toBeGreaterThanOrEqual(longestY + 30);
    // title pinned to the top of the figure; dropdown anchored by its bottom just above the plot area
    expect(layout.title.yref).toBe("container");
    expect(layout.title.yanchor).toBe("top");
    expect(layout.updatemenus[0].yanchor).toBe("bottom");
    expect(layout.updatemenus[0].y).toBeGreaterThanOrEqual(1);
    expect(layout.margin.t).toBeGreaterThanOrEqual(40 + 40); // title line + dropdown height
    expect(layout.sliders[0].pad.t).toBeLessThan(layout.margin.b);
    // longer labels give a wider margin
    expect(heatmapMargins(["0:a-much-longer-token"], ["x"]).l).toBeGreaterThan(heatmapMargins(["0:a"], ["x"]).l);
  });
});

describe("eq7ScatterFigure and layer1TableRows", () => {
  it("one point per (head, query, original key); the x value is A_ij s_i, the y value the A^et entry after the prefix columns", () => {
    const r = checkEq7(randomEq7Instance(new Rng(3), { p: 5, nt: 2, heads: 2, dk: 4 }));
    const fig = eq7ScatterFigure(r, 2, "t");
    const d = fig.data as { x: number[]; y: number[] }[];
    expect(d.length).toBe(3); // 2 heads + the diagonal
    expect(d[0].x.length).toBe(25);
    expect(d[1].x[7]).toBeCloseTo(r.A[1][1][2] * r.scale[1][1], 12);
    expect(d[1].y[7]).toBe(r.Aet[1][1][2 + 2]);
  });
  it("layer1TableRows: base first, one row per method", () => {
    const rows = layer1TableRows(tuning());
    expect(rows.map((r) => r.method)).toEqual(["base", "prompt", "prefix", "image-embedding", "attention", "lora"]);
    expect(rows[1]).toEqual({ method: "prompt", "target mass (layer 1)": 0.3, "top-1 on target": 0.5, "tau L1": 1, "order kept L1": 1 });
  });
});
