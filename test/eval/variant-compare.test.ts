import { describe, expect, it } from "vitest";
import { compareVariants, type VariantScores } from "../../lib/eval/variant-compare";

const v = (name: string, scores: number[]): VariantScores => ({ name, scores: scores.map((score, i) => ({ item: `i${i}`, score })) });

describe("which variant scored highest, and whether its lead exceeds its standard error", () => {
  it("a clear, consistent lead exceeds its standard error", () => {
    const c = compareVariants([v("MGIE", [0, 0, 0, 1]), v("SpatialEdit", [1, 1, 0, 1]), v("w/o S1", [0, 1, 0, 0])], "object judge");
    expect(c.ranking.map((r) => r.name)).toEqual(["SpatialEdit", "MGIE", "w/o S1"]);
    expect(c.best).toBe("SpatialEdit");
    expect(c.runnerUp).toBe("MGIE");
    expect(c.pairedItems).toBe(4);
    expect(c.diff).toBeCloseTo(0.5, 12);
    // d = [1, 1, 0, 0]: sd = sqrt(1/3), se = sd / 2
    expect(c.se).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
    expect(c.exceedsSe).toBe(true);
    expect(c.text).toBe("SpatialEdit scored highest on the object judge (mean 0.750 over 4 items); runner-up MGIE (0.250); the paired difference over 4 items is 0.500 (SE 0.289) = 1.7 standard errors: larger than its standard error");
  });

  it("the same means with noisier differences flip the conclusion; other numbers flip the winner", () => {
    // best 0.6, runner-up 0.5, differences [1, -1, 1, -1, 0.5]: mean 0.1, SE ~0.39
    const noisy = compareVariants([v("SpatialEdit", [1, 0, 1, 0, 1]), v("MGIE", [0, 1, 0, 1, 0.5])], "object judge");
    expect(noisy.best).toBe("SpatialEdit");
    expect(noisy.diff).toBeCloseTo(0.1, 12);
    expect(noisy.exceedsSe).toBe(false);
    expect(noisy.text).toMatch(/: not larger than its standard error, so these items do not separate the two$/);
    const flipped = compareVariants([v("SpatialEdit", [0, 0, 0, 1]), v("MGIE", [1, 1, 0, 1])], "object judge");
    expect(flipped.best).toBe("MGIE");
    expect(flipped.exceedsSe).toBe(true);
  });

  it("lower is better (L1): the lowest mean leads, the lead is positive", () => {
    const c = compareVariants([v("MGIE", [0.08, 0.07, 0.09]), v("SpatialEdit", [0.03, 0.04, 0.03])], "L1", "lower");
    expect(c.best).toBe("SpatialEdit");
    expect(c.diff).toBeCloseTo(0.0466667, 6);
    expect(c.exceedsSe).toBe(true);
    expect(c.text).toMatch(/^SpatialEdit scored lowest \(lower is better\) on the L1 \(mean 0.033 over 3 items\); runner-up MGIE \(0.080\)/);
    const flipped = compareVariants([v("MGIE", [0.08, 0.07, 0.09]), v("SpatialEdit", [0.03, 0.04, 0.03])], "L1", "higher");
    expect(flipped.best).toBe("MGIE");
    expect(() => compareVariants([v("A", [1]), v("B", [0])], "L1", "smaller" as "lower")).toThrow("compareVariants: better must be 'higher' or 'lower', got 'smaller'");
  });

  it("a tie, too few shared items, non-finite scores and bad input", () => {
    const tie = compareVariants([v("A", [0, 0]), v("B", [0, 0])]);
    expect(tie.tie).toBe(true);
    expect(tie.exceedsSe).toBe(false);
    expect(tie.text).toBe("A and B score the same on the score (mean 0.000): no variant leads");
    const three = compareVariants([v("A", [0, 0]), v("B", [0, 0]), v("C", [0, 0])], "object judge");
    expect(three.text).toBe("all 3 variants (A, B, C) score the same on the object judge (mean 0.000): no variant leads");
    const two = compareVariants([v("A", [1, 1]), v("B", [0, 0]), v("C", [1, 1])]);
    expect(two.ranking.map((r) => r.name)).toEqual(["A", "C", "B"]);
    expect(two.text).toBe("A and C score the same on the score (mean 1.000): no variant leads");
    // d = [0.0011, 0.0013, 0.0008]: mean 0.00107, sd 0.000252, SE 0.000145
    const small = compareVariants([v("A", [0.0361, 0.0352, 0.0371]), v("B", [0.0372, 0.0365, 0.0379])], "L1", "lower");
    expect(small.text).toBe("A scored lowest (lower is better) on the L1 (mean 0.036 over 3 items); runner-up B (0.037); the paired difference over 3 items is 0.0011 (SE 0.00015) = 7.3 standard errors: larger than its standard error");
    const apart = compareVariants([{ name: "A", scores: [{ item: "x", score: 1 }] }, { name: "B", scores: [{ item: "y", score: 0 }] }]);
    expect(apart.pairedItems).toBe(0);
    expect(apart.exceedsSe).toBe(false);
    expect(apart.text).toBe("A scored highest on the score (mean 1.000 over 1 items); runner-up B (0.000); they share 0 scored items, too few for a standard error of the difference: no conclusion");
    const nan = compareVariants([v("A", [1, NaN, 1]), v("B", [0, 0, NaN])]);
    expect(nan.ranking.map((r) => r.n)).toEqual([2, 2]);
    expect(nan.pairedItems).toBe(1);
    expect(() => compareVariants([v("A", [1])])).toThrow("compareVariants: needs at least two variants, got 1");
    expect(() => compareVariants([v("A", [1]), v("A", [0])])).toThrow("compareVariants: two variants are named 'A'");
    expect(() => compareVariants([v("A", [1]), v("B", [NaN])])).toThrow("compareVariants: variant 'B' has no finite scores");
    expect(() => compareVariants([v("A", [1]), { name: "B", scores: [{ item: "x", score: 1 }, { item: "x", score: 0 }] }])).toThrow("compareVariants: variant 'B' has item 'x' twice");
    expect(() => compareVariants([v("A", [1]), { name: "", scores: [] }])).toThrow("compareVariants: every variant needs a name");
  });
});
