import { describe, expect, it } from "vitest";
import type { Row } from "../../lib/core/table";
import { shapeReaderRow, shapeReaderSummary } from "../../lib/eval/shape-summary";

describe("the shape readers (shape-summary.ts)", () => {
  it("one row per npm run shape-fit file: scenes, held-out accuracy overall and per shape, the benchmarks' objects; errors", () => {
    const m = (accuracy: number) => ({ n: 10, accuracy, perShape: [["cube", 0.9], ["sphere", 1], ["cylinder", 0.8], ["cone", 0.7]].map(([shape, a]) => ({ shape: shape as string, n: 2, accuracy: a as number })) });
    const file = { config: { reader: { cells: 8, hidden: 96 }, scenes: 500 }, data: { heldOut: m(0.85), validation: m(0.8), spatialEvalMini: m(0.75) } };
    expect(shapeReaderRow("r", file)).toEqual({ run: "r", scenes: 500, "held-out objects": 10, "held-out accuracy": 0.85, cube: 0.9, sphere: 1, cylinder: 0.8, cone: 0.7, "validation objects' accuracy": 0.8, "SpatialEval-mini objects' accuracy": 0.75 });
    const short = { ...file, data: { ...file.data, heldOut: { ...m(0.85), perShape: m(0).perShape.slice(0, 3) } } };
    expect(() => shapeReaderRow("s", short)).toThrow("shapeReaderRow: 's' has no held-out accuracy for cone");
  });

  it("reads the committed paper readers (seeds 0 and 1, 0.985 and 0.987 of held-out objects); none on tiny", () => {
    const rows = shapeReaderSummary("paper");
    const asTable: Row[] = rows; // notebook 05 shows them with showTable (a type check)
    expect(asTable.length).toBe(rows.length);
    expect(rows.map((r) => [r.run, r.scenes, r["held-out accuracy"].toFixed(3)])).toEqual([["shape-100k-s0", 100000, "0.985"], ["shape-100k-s1", 100000, "0.987"]]);
    expect(shapeReaderSummary("tiny")).toEqual([]);
  });
});
