import { describe, expect, it } from "vitest";
import { locateScores, parseLocate } from "../../lib/eval/locate-probe";

describe("locate probe", () => {
  it("parses the data engine's locate answers; other text is null", () => {
    expect(parseLocate("at (0.69, 0.19), top right")).toEqual({ x: 0.69, y: 0.19, region: "top right" });
    expect(parseLocate("At (0.3,0.37) ,  centre")).toEqual({ x: 0.3, y: 0.37, region: "centre" });
    expect(parseLocate("at (0.63, 0.630 centre")).toBeNull();
    expect(parseLocate("no")).toBeNull();
  });

  it("exact answers score 1 and 0 error; constant guesses score their baselines; unreadable answers count sqrt(2)", () => {
    const truths = ["at (0.1, 0.1), top left", "at (0.9, 0.1), top right", "at (0.1, 0.1), top left", "at (0.5, 0.5), centre"];
    const exact = locateScores(truths, truths);
    expect(exact).toEqual({ n: 4, readable: 4, regionAccuracy: 1, majorityRegion: 0.5, meanError: 0, constantError: expect.any(Number) });
    // the mean point is (0.4, 0.2)
    const want = (Math.hypot(0.3, 0.1) * 2 + Math.hypot(0.5, 0.1) + Math.hypot(0.1, 0.3)) / 4;
    expect(exact.constantError).toBeCloseTo(want, 10);
    const constant = locateScores(truths, truths.map(() => "at (0.4, 0.2), top left"));
    expect(constant.regionAccuracy).toBe(0.5);
    expect(constant.meanError).toBeCloseTo(want, 10);
    const broken = locateScores(truths, ["no", "at (0.9, 0.1), top right", "no", "no"]);
    expect(broken.readable).toBe(1);
    expect(broken.meanError).toBeCloseTo((3 * Math.SQRT2) / 4, 10);
    expect(broken.regionAccuracy).toBe(0.25);
  });

  it("bad input is a clear error", () => {
    expect(() => locateScores(["at (0.1, 0.1), top left"], [])).toThrow("locateScores: 1 true answers but 0 predictions");
    expect(() => locateScores([], [])).toThrow("locateScores: no locate questions");
    expect(() => locateScores(["yes"], ["no"])).toThrow("locateScores: true answer 0 ('yes') is not of the form 'at (x, y), region'");
  });
});
