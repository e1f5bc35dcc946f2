import { describe, expect, it } from "vitest";
import { mergeTimings } from "../../scripts/run-notebooks";

describe("the runner's timings file", () => {
  it("a run replaces its notebooks' entries and keeps the others, sorted by name", () => {
    const before = [
      { notebook: "01-a.ipynb", seconds: 10, ok: true, commit: "c1" },
      { notebook: "02-b.ipynb", seconds: 20, ok: true, commit: "c1" },
      { notebook: "03-c.ipynb", seconds: 30, ok: false, commit: "c1" },
    ];
    const run = [{ notebook: "02-b.ipynb", seconds: 25, ok: true, commit: "c2" }];
    expect(mergeTimings(before, run)).toEqual([before[0], run[0], before[2]]);
    expect(mergeTimings([], run)).toEqual(run);
    expect(mergeTimings(before, [])).toEqual(before);
    expect(mergeTimings([before[2]], [before[0]]).map((t) => t.notebook)).toEqual(["01-a.ipynb", "03-c.ipynb"]);
  });
});
