import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { alignedVariantItems, bestVariantText, checkRegionReadings, checkShallowLocalises, layerThirds, LAYER_VARIANTS, readingsConclusion, type VariantMeans } from "../../lib/eval/layer-ablation";
import { editorGrid } from "../../lib/eval/editor-grid";

const N = 40;
const noise = (i: number) => ((i * 7919) % 13) / 1300;

describe("Appendix O readings", () => {
  it("the variants are nodes of the editor grid, and the thirds are the tuning modes' thirds", () => {
    const ids = new Set(editorGrid("quick").map((n) => n.id.replace("@s0", "")));
    for (const v of LAYER_VARIANTS) for (const id of [v.trained, v.stage1, v.evalNode]) expect(ids.has(id)).toBe(true);
    expect(layerThirds(6)).toEqual({ shallow: [0, 1], middle: [2, 3], deep: [4, 5] });
    expect(() => layerThirds(2)).toThrow("selectLayers: 'shallow' needs at least 3 layers (thirds of the stack), the model has 2");
  });

  it("R1 holds when the shallow third carries more object attention, and is contradicted when the deep third does", () => {
    const shallowHigh = Array.from({ length: N }, (_, i) => [0.3 + noise(i), 0.3, 0.1, 0.1, 0.1 + noise(i), 0.1]);
    const r = checkShallowLocalises(shallowHigh, new Rng(1), 300);
    expect(r.verdict).toBe("holds");
    expect(r.parts.map((p) => p.verdict)).toEqual(["holds", "holds"]);
    const deepHigh = shallowHigh.map((row) => [...row].reverse());
    expect(checkShallowLocalises(deepHigh, new Rng(1), 300).verdict).toBe("reversed");
    expect(checkShallowLocalises([], new Rng(1)).verdict).toBe("not measured");
  });

  it("R2 and R3 follow the errors: lower is better, each needs both comparisons", () => {
    const v = (m: number) => Array.from({ length: N }, (_, i) => m + noise(i));
    const paperLike = checkRegionReadings({ shallow: v(0.2), middle: v(0.1), deep: v(0.2) }, { shallow: v(0.5), middle: v(0.5), deep: v(0.3) }, new Rng(2), 300);
    expect(paperLike.map((c) => c.verdict)).toEqual(["holds", "holds"]);
    const flipped = checkRegionReadings({ shallow: v(0.1), middle: v(0.2), deep: v(0.2) }, { shallow: v(0.3), middle: v(0.5), deep: v(0.5) }, new Rng(2), 300);
    expect(flipped.map((c) => c.verdict)).toEqual(["reversed", "reversed"]);
    const half = checkRegionReadings({ shallow: v(0.2), middle: v(0.1), deep: v(0.05) }, { shallow: v(0.5), middle: v(0.5), deep: v(0.5) }, new Rng(2), 300);
    expect(half[0].verdict).toBe("reversed"); // middle beats shallow but loses to deep
    expect(half[1].verdict).toBe("tie");
    const text = readingsConclusion([...paperLike, ...flipped]);
    expect(text).toContain("**R2** (middle layers handle the background");
    expect(text).toContain("reproduces");
    expect(text).toContain("is contradicted");
    const missing = checkRegionReadings({ shallow: [], middle: [], deep: [] }, { shallow: v(0.5), middle: v(0.5), deep: v(0.3) }, new Rng(2), 300);
    expect(missing[0].verdict).toBe("not measured");
    expect(readingsConclusion(missing)).toContain("was not measured");
  });
});

describe("the restricted variants' per-item values, paired", () => {
  it("keys items by seed and item, keeps only those every variant has a finite value for, in the shallow variant's order", () => {
    const run = (seed: number, vals: Record<string, number>) => ({ seed, items: Object.entries(vals).map(([item, x]) => ({ item, metrics: { "L1 (background)": x } })) });
    const runs = {
      shallow: [run(0, { a: 1, b: 2, c: 3 }), run(1, { a: 4, b: NaN })],
      middle: [run(1, { b: 50, a: 40 }), run(0, { c: 30, a: 10, b: 20 })],
      deep: [run(0, { a: 100, c: 300 }), run(1, { a: 400, b: 500 })],
    };
    // b@s0 is missing in deep, b@s1 is NaN in shallow: three pairs remain
    expect(alignedVariantItems(runs, "L1 (background)")).toEqual({ shallow: [1, 3, 4], middle: [10, 30, 40], deep: [100, 300, 400] });
    expect(alignedVariantItems(runs, "L1 (edit region)")).toEqual({ shallow: [], middle: [], deep: [] });
  });
});

describe("benchmark items as region items", () => {
  it("carry the source image, the targets and a mask in which the targets are visible", async () => {
    const { benchmarkRegionItems } = await import("../../lib/eval/layer-ablation");
    const { ensureBenchmark } = await import("../../lib/eval/benchmark-generate");
    const bench = ensureBenchmark("spatialeval", "tiny");
    const items = benchmarkRegionItems(bench.items.slice(0, 6));
    expect(items.length).toBeGreaterThan(0);
    for (const it of items) {
      expect(it.image.length).toBe(it.mask.length * 3);
      expect(it.objects.length).toBeGreaterThan(0);
    }
    expect(items.some((it) => it.mask.some((v) => v === it.objects[0]))).toBe(true);
  });
});

describe("the per-layer notebook's best variant per metric", () => {
  const means = [
    { variant: "shallow layers", m: { "object judge": 0.2, "L1 (background)": 0.05 } },
    { variant: "middle layers", m: { "object judge": 0.4, "L1 (background)": 0.03 } },
    { variant: "deep layers", m: { "object judge": 0.4, "L1 (background)": 0.07 } },
    { variant: "all layers (SpatialEdit)", m: { "object judge": 0.1, "L1 (background)": 0.04 } },
  ];

  it("higher is better for a judge, lower for an error: the same numbers pick other variants", () => {
    expect(bestVariantText(means, "L1 (background)", true)).toBe("middle layers (0.0300)");
    expect(bestVariantText(means, "L1 (background)", false)).toBe("deep layers (0.0700)");
    expect(bestVariantText(means, "object judge", true)).toBe("all layers (SpatialEdit) (0.1000)");
  });

  it("names every variant that ties at the best value, and says when all of them tie", () => {
    expect(bestVariantText(means, "object judge", false)).toBe("middle layers and deep layers (0.4000)");
    const flat = means.map((r) => ({ variant: r.variant, m: { "object judge": 0 } }));
    expect(bestVariantText(flat, "object judge", false)).toBe("all variants tie at 0.0000");
    expect(bestVariantText(flat, "object judge", true)).toBe("all variants tie at 0.0000");
  });

  it("a variant without a finite value is left out; none measured says so", () => {
    const partial: VariantMeans[] = [{ variant: "a", m: { x: NaN } }, { variant: "b", m: { x: 0.5 } }, { variant: "c", m: {} }];
    expect(bestVariantText(partial, "x", true)).toBe("b (0.5000)");
    expect(bestVariantText([{ variant: "a", m: { x: NaN } }], "x", false)).toBe("not measured");
    expect(bestVariantText([], "x", false)).toBe("not measured");
  });
});
