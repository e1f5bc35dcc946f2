import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { perceiveScene } from "../../lib/data/perceive";
import { attributeRows, countRows, imageRows, imageStrip, pointCloudFigure, sceneFigure } from "../../lib/data/show";
import { renderScene } from "../../lib/world/render";
import { threeObjects } from "./fixtures";

describe("notebook figures and tables", () => {
  const scene = threeObjects();
  const r = renderScene(scene, { width: 32, height: 32 });
  const ex = perceiveScene("oracle", scene, r, new Rng(1));

  it("scene figure: image, depth and mask traces of the right size", () => {
    const f = sceneFigure(r, "t");
    expect(f.data.map((t) => t.type)).toEqual(["image", "heatmap", "heatmap"]);
    const z = f.data[0].z as number[][][];
    expect([z.length, z[0].length, z[0][0].length]).toEqual([32, 32, 3]);
  });

  it("point cloud figure holds the points and the plane surface", () => {
    const f = pointCloudFigure(r, ex, 2);
    expect((f.data[0].x as number[]).length).toBe(16 * 16);
    expect(f.data[1].type).toBe("surface");
  });

  it("attribute rows, image strips and count rows", () => {
    const rows = attributeRows(ex);
    expect(rows.map((x) => x.object)).toEqual(["cube", "cone", "sphere"]);
    const a = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    const s = imageStrip([a, a], 2, 1);
    expect([s.width, s.height]).toEqual([9, 2]);
    expect(Array.from(s.data.slice(0, 6))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(Array.from(s.data.slice(12, 15))).toEqual([255, 255, 255]); // the gap
    expect(() => imageStrip([])).toThrow("imageStrip: no images");
    expect(imageRows(a)).toEqual([[[1, 2, 3], [4, 5, 6]]]);
    expect(() => imageRows({ width: 2, height: 2, data: a.data })).toThrow("imageRows: 2x2 RGB needs 12 bytes, got 6");
    const m = { counts: { family: { b: 2, a: 1 } } } as never;
    expect(countRows(m, "family")).toEqual([{ family: "a", count: 1 }, { family: "b", count: 2 }]);
  });
});
