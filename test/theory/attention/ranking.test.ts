import { describe, expect, it } from "vitest";
import { argmax, argsortDesc, compareMapsToBase, kendallTau, orderPreserved, rankShift } from "../../../lib/theory/attention/ranking";

describe("kendallTau", () => {
  it("golden values", () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // one swapped pair out of 6: (5 - 1) / 6
    expect(kendallTau([1, 2, 3, 4], [2, 1, 3, 4])).toBeCloseTo(4 / 6, 12);
    // tau-b with a tie in b: pairs (0,1) tied in b; C = 5, D = 0, n0 = 5, tiesB = 1 -> 5 / sqrt(5 * 6)
    expect(kendallTau([1, 2, 3, 4], [1, 1, 3, 4])).toBeCloseTo(5 / Math.sqrt(30), 12);
  });
  it("rows without order", () => {
    expect(kendallTau([0.5], [0.1])).toBe(1);
    expect(kendallTau([1, 1], [1, 1])).toBe(1);
    expect(kendallTau([1, 1], [1, 2])).toBe(0);
  });
  it("rejects mismatched rows", () => {
    expect(() => kendallTau([1, 2], [1])).toThrow("kendallTau: rows must have the same length, got 2 and 1");
    expect(() => kendallTau([], [])).toThrow("kendallTau: rows must not be empty");
  });
});

describe("order helpers", () => {
  it("argmax and argsort", () => {
    expect(argmax([0.1, 0.7, 0.7, 0.2])).toBe(1);
    expect(argsortDesc([0.1, 0.7, 0.7, 0.2])).toEqual([1, 2, 3, 0]);
    expect(() => argmax([])).toThrow("argmax: row must not be empty");
  });
  it("orderPreserved: scaling keeps order, ties may appear only from strict pairs, never reversals", () => {
    expect(orderPreserved([0.2, 0.5, 0.3], [0.02, 0.05, 0.03])).toBe(true);
    expect(orderPreserved([0.2, 0.5, 0.3], [0, 0.05, 0])).toBe(true); // underflow merges, no reversal
    expect(orderPreserved([0.2, 0.5, 0.3], [0.03, 0.05, 0.02])).toBe(false);
    expect(orderPreserved([0.2, 0.2], [0.1, 0.3])).toBe(false); // a tie may not be split
    // with a tolerance, near-ties (here 0.5% apart) may swap, clear pairs may not
    expect(orderPreserved([0.2, 0.201, 0.5], [0.21, 0.2, 0.5], 0.01)).toBe(true);
    expect(orderPreserved([0.2, 0.201, 0.5], [0.21, 0.2, 0.5])).toBe(false);
    expect(orderPreserved([0.2, 0.5], [0.6, 0.5], 0.01)).toBe(false);
  });
  it("compareMapsToBase: a rescaled row is the base; a moved row has its TV distance", () => {
    const base = [[[[0.5, 0.5], [0.25, 0.75]]]]; // [layer][head][q][k]
    const maps = [[[[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]]]]; // one extra key in front
    const [c] = compareMapsToBase(base, maps, [1]);
    expect(c.maxRelDiff).toBeCloseTo(2, 12); // row 2 renormalised: [0.75, 0.25] vs [0.25, 0.75]: |0.75 - 0.25| / 0.25
    expect(c.meanTV).toBeCloseTo(0.25, 12); // (0 + 0.5) / 2
    expect(c.meanScale).toBeCloseTo(0.65, 12);
    expect(() => compareMapsToBase(base, maps, [])).toThrow("compareMapsToBase: need the same number of layers, got 1, 1 and 0 extra counts");
  });
  it("rankShift summarises rows", () => {
    const r = rankShift([[1, 2, 3], [3, 2, 1]], [[1, 2, 3], [1, 2, 3]]);
    expect(r).toEqual({ meanTau: 0, minTau: -1, top1Agreement: 0.5, orderKept: 0.5, rows: 2 });
    expect(() => rankShift([], [])).toThrow("rankShift: no rows to compare");
  });
});
