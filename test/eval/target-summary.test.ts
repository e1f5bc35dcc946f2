import { describe, expect, it } from "vitest";
import { readerGain, targetReaderRows, targetReaderSummary } from "../../lib/eval/target-summary";

const file = (conditionRight: number, readRight: number) => ({
  config: { reader: { width: 64, hidden: 64 }, scenes: 1000 },
  data: {
    heldOut: { all: { n: 50, accuracy: 0.9 } },
    validation: { replace: { n: 10, condition: conditionRight, read: readRight }, retexture: { n: 4, condition: 1, read: 1 } },
    spatialEvalMini: { replace: { n: 8, condition: 8, read: 8 }, retexture: { n: 2, condition: 0, read: 0 } },
  },
});

describe("targetReaderSummary: the target readers against the language condition (notebook 05)", () => {
  it("two rows per results file; readerGain counts what the reader names right beyond the condition, and flips when the condition does better", () => {
    const rows = targetReaderRows("t", file(6, 9));
    expect(rows.map((r) => [r.benchmark, r.replacements, r["shape right: condition"], r["shape right: reader"], r.retextures])).toEqual([["validation", 10, 6, 9, 4], ["SpatialEval-mini", 8, 8, 8, 2]]);
    expect(readerGain(rows)).toEqual({ gain: 3, items: 24 });
    expect(readerGain(targetReaderRows("t", file(9, 6))).gain).toBe(-3);
    expect(readerGain([])).toEqual({ gain: 0, items: 0 });
  });

  it("reads the committed paper run: the reader names 39 of validation's 39 new shapes and 34 of SpatialEval-mini's 34 (the condition 37 and 29); no files on tiny", () => {
    const rows = targetReaderSummary("paper");
    const t = rows.filter((r) => r.run === "target-64k-s2");
    expect(t.map((r) => [r.benchmark, r.replacements, r["shape right: condition"], r["shape right: reader"], r.retextures, r["material right: condition"], r["material right: reader"]])).toEqual([
      ["validation", 39, 37, 39, 11, 2, 9],
      ["SpatialEval-mini", 34, 29, 34, 10, 5, 9],
    ]);
    expect(t[0]["held-out accuracy"]).toBeGreaterThan(0.99);
    expect(readerGain(t)).toEqual({ gain: 18, items: 94 });
    expect(targetReaderSummary("tiny")).toEqual([]);
  });
});
