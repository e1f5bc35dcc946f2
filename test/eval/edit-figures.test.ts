import { describe, expect, it } from "vitest";
import { editFigureConfig, imageGridFigure, lossCurvesFigure, movingAverage, wrapText } from "../../lib/eval/edit-figures";

const img = (w: number, h: number, v: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v) });

describe("the editing notebook's figures", () => {
  it("items shown per instruction type: one on tiny, two otherwise; checked", () => {
    expect(editFigureConfig("tiny").itemsPerType).toBe(1);
    expect(editFigureConfig("quick").itemsPerType).toBe(2);
    expect(editFigureConfig("paper").itemsPerType).toBe(2);
    expect(editFigureConfig("quick", { itemsPerType: 3 }).itemsPerType).toBe(3);
    expect(() => editFigureConfig("quick", { itemsPerType: 0 })).toThrow("edit figures: itemsPerType must be an integer >= 1, got 0");
    expect(() => editFigureConfig("quick", { itemsPerType: 1.5 })).toThrow("edit figures: itemsPerType must be an integer >= 1, got 1.5");
    expect(() => editFigureConfig("huge")).toThrow("unknown profile 'huge'");
  });

  it("moving average, wrapped captions", () => {
    expect(movingAverage([1, 2, 3, 4], 2)).toEqual([1, 1.5, 2.5, 3.5]);
    expect(movingAverage([4, 2], 5)).toEqual([4, 3]);
    expect(movingAverage([], 3)).toEqual([]);
    expect(() => movingAverage([1], 0)).toThrow("movingAverage: window must be a positive integer, got 0");
    expect(wrapText("move the red cube to the left", 10)).toEqual(["move the", "red cube", "to the", "left"]);
    expect(wrapText("  ", 4)).toEqual([]);
    expect(wrapText("extraordinarily long", 5)).toEqual(["extraordinarily", "long"]);
    expect(() => wrapText("a", 0)).toThrow("wrapText: width must be a positive integer, got 0");
  });

  it("loss curves: raw and smoothed per node, starting after the parent's steps", () => {
    const f = lossCurvesFigure([{ name: "base", losses: [3, 2, 1, 1] }, { name: "stage1", losses: [2, 1], start: 4 }], "losses", 2);
    expect(f.data.length).toBe(4);
    expect(f.data[1]).toMatchObject({ name: "base", x: [1, 2, 3, 4], y: [3, 2.5, 1.5, 1] });
    expect(f.data[2]).toMatchObject({ name: "stage1 (raw)", x: [5, 6], y: [2, 1], showlegend: false });
    expect(() => lossCurvesFigure([], "x")).toThrow("lossCurvesFigure: no curves");
    expect(() => lossCurvesFigure([{ name: "a", losses: [] }], "x")).toThrow("lossCurvesFigure: curve 'a' has no losses");
  });

  it("an image grid: one image trace per filled cell on its own square axes, row titles and captions", () => {
    const g = imageGridFigure(["source", "result"], [
      { title: "move the <red> cube", cells: [{ image: img(2, 2, 10) }, { image: img(2, 2, 200), caption: "the red cube is on the left" }] },
      { title: "second", cells: [{ image: img(2, 2, 0) }, { image: null }] },
    ], "edits", 400);
    expect(g.width).toBe(400);
    expect(g.figure.data.length).toBe(3);
    expect(g.figure.data[0]).toMatchObject({ type: "image", xaxis: "x", yaxis: "y", z: [[[10, 10, 10], [10, 10, 10]], [[10, 10, 10], [10, 10, 10]]] });
    expect(g.figure.data[2]).toMatchObject({ xaxis: "x3", yaxis: "y3" });
    const layout = g.figure.layout as Record<string, { domain: number[] } | unknown>;
    const y1 = (layout.yaxis as { domain: number[] }).domain;
    const y3 = (layout.yaxis3 as { domain: number[] }).domain;
    expect(y1[0]).toBeGreaterThan(y3[1]); // the first row is above the second
    expect(layout.yaxis4).toMatchObject({ scaleanchor: "x4", autorange: "reversed" });
    const texts = (layout.annotations as { text: string }[]).map((a) => a.text);
    expect(texts).toContain("move the &lt;red&gt; cube");
    expect(texts).toContain("the red cube is on the<br>left");
    expect(() => imageGridFigure([], [], "x")).toThrow("imageGridFigure: no columns");
    expect(() => imageGridFigure(["a"], [], "x")).toThrow("imageGridFigure: no rows");
    expect(() => imageGridFigure(["a", "b"], [{ title: "t", cells: [{ image: null }] }], "x")).toThrow("imageGridFigure: row 0 has 1 cells for 2 columns");
  });
});
