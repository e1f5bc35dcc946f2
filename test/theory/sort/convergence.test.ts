import { describe, expect, it } from "vitest";
import { checkConvergence } from "../../../lib/theory/sort/convergence";

const c = { tail: 0.1, relTol: 0.02, lossFloor: 0.05 };

describe("convergence criterion", () => {
  it("a plateau converges, a falling curve does not, a solved task does", () => {
    const plateau = Array.from({ length: 100 }, (_, i) => 1 + Math.exp(-i / 5));
    const falling = Array.from({ length: 100 }, (_, i) => 3 - 0.02 * i);
    const solved = Array.from({ length: 100 }, (_, i) => 0.04 / (1 + i / 10)); // still falls fast in relative terms
    expect(checkConvergence(plateau, c).converged).toBe(true);
    const f = checkConvergence(falling, c);
    expect(f.converged).toBe(false);
    // windows of 10: mean of steps 80-89 = 3 - 0.02 * 84.5 = 1.31, of 90-99 = 1.11
    expect(f.window).toBe(10);
    expect(f.previous).toBeCloseTo(1.31, 10);
    expect(f.last).toBeCloseTo(1.11, 10);
    expect(f.relChange).toBeCloseTo(0.2 / 1.11, 10);
    const s = checkConvergence(solved, c);
    expect(s.relChange).toBeGreaterThan(c.relTol);
    expect(s.converged).toBe(true);
    expect(checkConvergence(solved, { ...c, lossFloor: 0.001 }).converged).toBe(false);
  });
  it("a loss that rises (diverges) counts as a plateau only if it is finite", () => {
    expect(checkConvergence([1, 1, 2, 2], { ...c, tail: 0.5 }).converged).toBe(true);
    expect(checkConvergence([1, 1, NaN, NaN], { ...c, tail: 0.5 }).converged).toBe(false);
  });
  it("bad input says what to fix", () => {
    expect(() => checkConvergence([1], c)).toThrow("checkConvergence: need at least 2 loss values, got 1");
    expect(() => checkConvergence([1, 2, 3], { ...c, tail: 0.7 })).toThrow("checkConvergence: tail must be in (0, 0.5], got 0.7");
  });
});
