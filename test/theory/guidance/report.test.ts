import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../lib/core/profile";
import { ConvergenceRow, DecompositionCheck, GuidanceRow } from "../../../lib/theory/guidance/guidance";
import { ClassifierEvalRow } from "../../../lib/theory/guidance/learned";
import { convergenceConclusion, convergenceVerdicts, guidanceConclusion, GUIDANCE_REPORT_PRESETS, guidanceVerdicts, learnedConclusion, learnedVerdicts } from "../../../lib/theory/guidance/report";
import { showMarkdown } from "../../../lib/core/notebook";

const cfg = resolveConfig(GUIDANCE_REPORT_PRESETS, "report", "tiny");
const check = (err: number): DecompositionCheck => ({ alphaBar: 0.5, y: 1, points: 25, maxErrUncondScore: err, maxErrCondScore: err, maxErrIdentity: err, maxErrEq32: err, maxClassifierNorm: 1 });
const grow = (scale: number, post: number, spread: number, tilted: number, se = 0.01): GuidanceRow => ({
  scale, meanPosterior: post, meanPosteriorSe: se, argmaxShare: post, spread, meanLogCond: -1, tiltedMeanPosterior: tilted, tiltedSpread: spread,
});
const prior = 0.3;
const rows = [grow(0, 0.3, 1.2, 0.3), grow(1, 0.6, 0.8, 0.6), grow(4, 0.9, 0.5, 0.97)];

describe("guidance report: verdicts computed from the numbers", () => {
  it("Eq. 31-32 hold below the finite-difference tolerance, and not above it", () => {
    expect(guidanceVerdicts([check(1e-9)], rows, prior, cfg).identityHolds).toBe(true);
    expect(guidanceConclusion([check(1e-9)], rows, prior, 40, cfg)).toContain("**Eq. 31 and 32 hold to finite-difference precision**");
    expect(guidanceVerdicts([check(1e-3)], rows, prior, cfg).identityHolds).toBe(false);
    expect(guidanceConclusion([check(1e-3)], rows, prior, 40, cfg)).toContain("NOT confirmed");
  });

  it("scale 0 against the prior and scale 1 against the exact conditional, in SE; the step count is the study's", () => {
    const v = guidanceVerdicts([check(1e-9)], rows, prior, cfg);
    expect(v.priorZ).toBeCloseTo(0, 12);
    expect(v.exactZ).toBeCloseTo(0, 12);
    const text = guidanceConclusion([check(1e-9)], rows, prior, 40, cfg);
    expect(text).toContain("40 denoising steps");
    expect(text).toContain("within 3 SE");
    const off = [grow(0, 0.5, 1.2, 0.3), rows[1], rows[2]];
    expect(guidanceVerdicts([check(1e-9)], off, prior, cfg).priorZ).toBeCloseTo(20, 10);
    expect(guidanceConclusion([check(1e-9)], off, prior, 40, cfg)).toContain("20.0 SE away, more than 3 SE");
  });

  it("fidelity bought with diversity only when both move; the tilted-target gap only beyond 3 SE", () => {
    expect(guidanceConclusion([check(1e-9)], rows, prior, 40, cfg)).toContain("fidelity is bought with diversity");
    const sameSpread = [grow(0, 0.3, 1.2, 0.3), rows[1], grow(4, 0.9, 1.19, 0.97)];
    expect(guidanceVerdicts([check(1e-9)], sameSpread, prior, cfg).spreadFalls).toBe(false);
    expect(guidanceConclusion([check(1e-9)], sameSpread, prior, 40, cfg)).toContain("the spread does not fall by more than 5%");
    expect(guidanceVerdicts([check(1e-9)], rows, prior, cfg).tiltedGapScales).toEqual([4]);
    const onTarget = [rows[0], rows[1], grow(4, 0.96, 0.5, 0.97)];
    expect(guidanceVerdicts([check(1e-9)], onTarget, prior, cfg).tiltedGapScales).toEqual([]);
    expect(guidanceConclusion([check(1e-9)], onTarget, prior, 40, cfg)).toContain("a gap is not established at this sample size");
  });

  it("learned classifier: 'sharper form' only when it predicts well, its gradient is wrong and the samples move", () => {
    const ev = (acc: number, grad: number): ClassifierEvalRow[] => [{ alphaBar: 0.5, accuracyLearned: acc, accuracyBayes: 0.8, crossEntropyLearned: 0.6, crossEntropyBayes: 0.55, gradRelError: grad }];
    const exact = [{ mean: 0.3, se: 0.01 }, { mean: 0.6, se: 0.01 }];
    const moved = [{ mean: 0.3, se: 0.01 }, { mean: 0.5, se: 0.01 }];
    const v = learnedVerdicts(ev(0.79, 0.6), [0, 1], exact, moved, cfg);
    expect([v.predictsWell, v.gradientWrong, v.differingScales.map((d) => d.scale)]).toEqual([true, true, [1]]);
    expect(learnedConclusion(ev(0.79, 0.6), [0, 1], exact, moved, cfg)).toContain("holds here in a sharper form");
    expect(learnedConclusion(ev(0.79, 0.1), [0, 1], exact, exact, cfg)).toContain("a close stand-in for the exact one");
    expect(learnedConclusion(ev(0.79, 0.6), [0, 1], exact, exact, cfg)).toContain("the samples do not differ measurably");
    expect(learnedConclusion(ev(0.5, 0.6), [0, 1], exact, moved, cfg)).toContain("trails the Bayes classifier");
  });

  it("discretisation check: the finest sampler within 3 SE at s = 1 and a gap at s = 4, or not", () => {
    const conv = (p1: number, p4: number): ConvergenceRow[] => [
      { steps: 10, scale: 1, meanPosterior: 0.5, se: 0.01, tiltedMeanPosterior: 0.6 },
      { steps: 40, scale: 1, meanPosterior: p1, se: 0.01, tiltedMeanPosterior: 0.6 },
      { steps: 10, scale: 4, meanPosterior: 0.8, se: 0.01, tiltedMeanPosterior: 0.95 },
      { steps: 40, scale: 4, meanPosterior: p4, se: 0.01, tiltedMeanPosterior: 0.95 },
    ];
    expect(convergenceVerdicts(conv(0.605, 0.85), cfg)).toEqual({ z1: expect.closeTo(0.5, 8), z4: expect.closeTo(-10, 8), exactAtScale1: true, gapAtScale4: true });
    const text = convergenceConclusion(conv(0.605, 0.85), 40, cfg);
    expect(text).toContain("a gap in the main study at 40 steps is finite-step error");
    expect(text).toContain("a property of guidance, not of the step count");
    const flipped = convergenceConclusion(conv(0.5, 0.95), 100, cfg);
    expect(flipped).toContain("more than 3 SE from the exact conditional");
    expect(flipped).toContain("a gap at 100 steps is not established");
  });

  it("showMarkdown prints outside a notebook (and returns nothing for a notebook to echo)", () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (s: string) => lines.push(s);
    try {
      expect(showMarkdown("**x**")).toBeUndefined();
    } finally {
      console.log = orig;
    }
    expect(lines).toEqual(["**x**"]);
  });
});
