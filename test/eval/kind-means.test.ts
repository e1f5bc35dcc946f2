import { describe, expect, it } from "vitest";
import { benchmarkKindMeans, meansByKind } from "../../lib/eval/kind-means";

describe("meansByKind", () => {
  const items = [
    { kind: "move", a: 1, b: 0 },
    { kind: "recolour", a: 0.5, b: Number.NaN },
    { kind: "move", a: 0, b: 2 },
    { kind: "recolour", a: 0.25, b: undefined },
  ];
  const fields = { a: (x: (typeof items)[number]) => x.a, b: (x: (typeof items)[number]) => x.b };

  it("means per kind, sorted; 'all' first when asked; undefined and NaN left out of a field's mean", () => {
    const rows = meansByKind(items, (x) => x.kind, fields, { all: true });
    expect(rows.map((r) => r.kind)).toEqual(["all", "move", "recolour"]);
    expect(rows[0]).toEqual({ kind: "all", n: 4, a: 0.4375, b: 1 });
    expect(rows[1]).toEqual({ kind: "move", n: 2, a: 0.5, b: 1 });
    expect(rows[2].n).toBe(2);
    expect(rows[2].a).toBe(0.375);
    expect(rows[2].b).toBeNaN();
    expect(meansByKind(items, (x) => x.kind, fields).map((r) => r.kind)).toEqual(["move", "recolour"]);
    expect(meansByKind([], (x: { k: string }) => x.k, { v: () => 1 }, { all: true })).toEqual([{ kind: "all", n: 0, v: Number.NaN }]);
  });

  it("benchmarkKindMeans: per kind of a benchmark's items, one column of scores per item in their order; a column short of an item is an error", () => {
    const bench = [{ kind: "move" }, { kind: "remove" }, { kind: "move" }, { kind: null }];
    expect(benchmarkKindMeans(bench, { own: [1, 0, 0, 1], other: [0, 1, 1, 1] }, "t")).toEqual([
      { kind: "move", n: 2, own: 0.5, other: 0.5 },
      { kind: "none", n: 1, own: 1, other: 1 },
      { kind: "remove", n: 1, own: 0, other: 1 },
    ]);
    expect(() => benchmarkKindMeans(bench, { own: [1, 0] }, "offset-head")).toThrow("offset-head: 2 judged items of 4 in 'own'; the per-kind means need every item judged");
  });
});
