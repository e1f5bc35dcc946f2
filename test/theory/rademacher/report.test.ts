import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { closedFormCheckRows, theorem1Conclusion, THEOREM1_REPORT_PRESETS, theorem1Verdicts } from "../../../lib/theory/rademacher/report";
import { closedFormCheck, MlpStudyRow, Theorem1Row, THEOREM1_PRESETS } from "../../../lib/theory/rademacher/theorem";

const cfg = resolveConfig(THEOREM1_REPORT_PRESETS, "report", "tiny");

/** A Theorem 1 row with the given implied λ and chain constant (paper bracket 1, chain bracket 1). */
function row(n: number, lambda: number, chainC: number, se: number, inputScale = 1): Theorem1Row {
  return {
    n, Lf: 1, Lg: 1, inputScale, lhs: lambda, lhsSe: se, lhsExact: true, tauG: 1, tauF: 1, tauFExact: true,
    paperRhs: 1, impliedLambda: lambda, bG: 1, diamY: 1, chainRhs: lambda / chainC, impliedChainC: chainC,
  };
}
const ns = [4, 16, 64, 256];
const growing = ns.map((n) => row(n, 0.25 * Math.sqrt(n), 0.5, 0.001));
const flat = ns.map((n, i) => row(n, 0.5 + 0.001 * (i % 2), 0.5, 0.001));
const byScale = [1, 2, 4].map((s) => row(16, 0.5 * s, 0.5, 0.001, s));
const mlpRow = (n: number, restarts: number, lambda: number, se: number): MlpStudyRow => ({
  n, restarts, lhs: lambda, lhsSe: se, linearSubclassLower: 0.5 * lambda, restartGain: 0, tauF: 0.5, paperRhs: 1, impliedLambda: lambda, chainRhs: 2 * lambda, impliedChainC: 0.5,
});

describe("Theorem 1 report: verdicts computed from the numbers", () => {
  it("λ growing like √n with small SE: no universal λ, the λ = 1 bound fails from n = 64", () => {
    const v = theorem1Verdicts(growing, byScale, [], cfg);
    expect(v.lambdaGrowsWithN).toBe(true);
    expect(v.lambdaSlopeInN).toBeCloseTo(0.5, 10);
    expect(v.firstNBoundFails).toBe(64);
    expect(v.lambdaGrowsWithScale).toBe(true);
    const text = theorem1Conclusion(growing, byScale, [], cfg);
    expect(text).toContain("no universal λ exists");
    expect(text).toContain("fails by more than 3 SE from n = 64 on");
  });

  it("flat λ, or growth within noise, flips the verdict and the sentence", () => {
    const v = theorem1Verdicts(flat, byScale, [], cfg);
    expect(v.lambdaGrowsWithN).toBe(false);
    expect(v.firstNBoundFails).toBeNull();
    expect(theorem1Conclusion(flat, byScale, [], cfg)).toContain("do not contradict a universal λ");
    const noisy = growing.map((r) => ({ ...r, lhsSe: 2 }));
    expect(theorem1Verdicts(noisy, byScale, [], cfg).lambdaGrowsWithN).toBe(false);
    expect(theorem1Verdicts(noisy, byScale, [], cfg).firstNBoundFails).toBeNull();
  });

  it("the chain rule: held within 3 SE everywhere, or failed on the rows that exceed 1", () => {
    expect(theorem1Verdicts(growing, byScale, [], cfg).chainFailures).toBe(0);
    expect(theorem1Conclusion(growing, byScale, [], cfg)).toContain("held within 3 SE on all 7 instances");
    const bad = growing.map((r, i) => (i === 3 ? { ...r, impliedChainC: 1.5, chainRhs: r.lhs / 1.5 } : r));
    expect(theorem1Verdicts(bad, byScale, [], cfg).chainFailures).toBe(1);
    expect(theorem1Conclusion(bad, byScale, [], cfg)).toContain("failed by more than 3 SE on 1 of 7 instances");
  });

  it("the mixed normalisation: falls and holds from some n when λ/n drops below 1", () => {
    const v = theorem1Verdicts(growing, byScale, [], cfg);
    expect(v.mixedFalls).toBe(true);
    expect(v.mixedHoldsFromN).toBe(4); // 0.125, 0.0625, ... all ≤ 1
    const huge = ns.map((n) => row(n, 10 * n, 0.5, 0.001));
    expect(theorem1Verdicts(huge, byScale, [], cfg).mixedFalls).toBe(false);
    expect(theorem1Conclusion(huge, byScale, [], cfg)).toContain("does not rescue a universal λ");
  });

  it("ReLU: λ growing by more than 3 SE with n, or not", () => {
    const up = [mlpRow(8, 1, 0.5, 0.01), mlpRow(8, 4, 0.6, 0.01), mlpRow(128, 1, 1.5, 0.01), mlpRow(128, 4, 1.6, 0.01)];
    expect(theorem1Verdicts(growing, byScale, up, cfg).reluLambdaGrows).toBe(true);
    expect(theorem1Conclusion(growing, byScale, up, cfg)).toContain("as in the linear case");
    const level = [mlpRow(8, 1, 0.5, 0.1), mlpRow(8, 4, 0.6, 0.1), mlpRow(128, 1, 0.55, 0.1), mlpRow(128, 4, 0.65, 0.1)];
    expect(theorem1Verdicts(growing, byScale, level, cfg).reluLambdaGrows).toBe(false);
    expect(theorem1Conclusion(growing, byScale, level, cfg)).toContain("no growth with n is established here");
  });

  it("the closed-form check row: Monte Carlo against the enumeration", () => {
    const c = closedFormCheck(resolveConfig(THEOREM1_PRESETS, "t1", "tiny"), new Rng(1));
    expect(c.zAbs).toBeLessThan(4);
    expect(Object.keys(closedFormCheckRows(c)[0])).toEqual(["n", "B", "exact (2^12 sign vectors)", "Monte Carlo", "SE", "|MC − exact| / SE"]);
  });
});
