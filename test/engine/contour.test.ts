import { describe, expect, it } from "vitest";
import { contourStats, labelPixels } from "../../lib/engine/contour";

// 4x4 mask: object 1 is the 2x2 square at u=1..2, v=1..2; object 2 sits right of it at u=3, v=1..2
const W = 4;
const H = 4;
// prettier-ignore
const MASK = Int32Array.from([
  -1, -1, -1, -1,
  -1,  1,  1,  2,
  -1,  1,  1,  2,
  -1, -1, -1, -1,
]);

describe("contourStats", () => {
  it("area, perimeter, centroid and bbox of a square", () => {
    const s = contourStats(labelPixels(MASK, 1), MASK, W, H, 1);
    expect(s.area).toBe(4);
    expect(s.perimeter).toBe(8);
    expect(s.centroid).toEqual({ u: 2, v: 2 });
    expect(s.bbox).toEqual([1, 1, 2, 2]);
    expect(s.truncated).toBe(false);
    expect(s.occluded).toBe(false);
  });

  it("border pixels count as perimeter and truncation", () => {
    const s = contourStats(labelPixels(MASK, 2), MASK, W, H, 2);
    expect(s.area).toBe(2);
    expect(s.perimeter).toBe(6);
    expect(s.truncated).toBe(true);
  });

  it("a nearer neighbour marks the side it hides", () => {
    const depth = new Float32Array(W * H).fill(5);
    depth[7] = 2; // object 2 nearer than object 1
    depth[11] = 2;
    const s = contourStats(labelPixels(MASK, 1), MASK, W, H, 1, depth);
    expect(s.occluded).toBe(true);
    expect(s.hiddenSide).toEqual([false, true, false, false]);
  });

  it("refuses an empty label", () => {
    expect(() => contourStats([], MASK, W, H, 9)).toThrow("contourStats: label 9 has no pixels");
  });
});
