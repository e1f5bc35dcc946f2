import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { worldConfig } from "../../lib/world/config";
import { advanceAlongTrend, moveObject, moveObjectBy, recolourObject, removeObject, replaceObject, resizeObject, retextureObject, sceneProblems } from "../../lib/world/edit";
import { renderScene } from "../../lib/world/render";
import { objectsOutOfView, sampleScene } from "../../lib/world/sampler";
import { COLOURS, MATERIALS, SHAPES, SIZES, TRENDS } from "../../lib/world/types";
import { obj, scene } from "./helpers";

describe("sampleScene", () => {
  it("2-6 valid, non-overlapping objects fully in view, deterministic from the seed", () => {
    const cfg = worldConfig("tiny");
    const counts = new Set<number>();
    for (let s = 0; s < 60; s++) {
      const sc = sampleScene(new Rng(s), cfg);
      counts.add(sc.objects.length);
      expect(sc.objects.length).toBeGreaterThanOrEqual(2);
      expect(sc.objects.length).toBeLessThanOrEqual(6);
      expect(sceneProblems(sc)).toEqual([]);
      expect(objectsOutOfView(sc, 32, 32)).toEqual([]);
      for (const o of sc.objects) {
        expect(SHAPES).toContain(o.shape);
        expect(COLOURS).toContain(o.colour);
        expect(MATERIALS).toContain(o.material);
        expect(SIZES).toContain(o.size);
        expect(TRENDS).toContain(o.trend);
      }
      expect(sampleScene(new Rng(s), cfg)).toEqual(sc);
    }
    expect(counts.size).toBeGreaterThanOrEqual(4);
  });

  it("golden first scene of seed 1 (tiny preset)", () => {
    const sc = sampleScene(new Rng(1), worldConfig("tiny"));
    expect(sc.objects.map((o) => `${o.size} ${o.colour} ${o.material} ${o.shape}`)).toMatchInlineSnapshot(`
      [
        "medium blue matte sphere",
        "large yellow metal cylinder",
        "medium purple striped cube",
      ]
    `);
  });

  it("presets resolve per profile and reject unknown keys and bad counts", () => {
    expect(worldConfig("paper").maxObjects).toBe(6);
    expect(() => worldConfig("quick", { nope: 1 } as never)).toThrow("unknown config key 'nope'");
    expect(() => sampleScene(new Rng(1), { ...worldConfig("tiny"), minObjects: 4, maxObjects: 2 })).toThrow("sampleScene: need integers 0 <= minObjects <= maxObjects, got 4..2");
  });
});

describe("scene edits (exact ground truth by re-rendering)", () => {
  const base = scene([obj(0, -1, 0, { trend: "right" }), obj(1, 1, 1, { shape: "sphere", colour: "blue" })]);

  it("return a new scene and leave the input untouched", () => {
    const before = JSON.stringify(base);
    const edits = [
      recolourObject(base, 0, "green"),
      retextureObject(base, 0, "metal"),
      removeObject(base, 1),
      resizeObject(base, 0, "large"),
      moveObject(base, 0, { x: 0, y: -1 }),
      moveObjectBy(base, 0, { dx: 0.5, dy: 0 }),
      advanceAlongTrend(base, 0, 0.5),
      replaceObject(base, 1, { shape: "cone", colour: "red" }),
    ];
    expect(JSON.stringify(base)).toBe(before);
    expect(edits[0].objects[0].colour).toBe("green");
    expect(edits[1].objects[0].material).toBe("metal");
    expect(edits[2].objects.map((o) => o.id)).toEqual([0]);
    expect(edits[3].objects[0].size).toBe("large");
    expect(edits[4].objects[0].position).toEqual({ x: 0, y: -1, z: 0 });
    expect(edits[5].objects[0].position).toEqual({ x: -0.5, y: 0, z: 0 });
    expect(edits[6].objects[0].position).toEqual({ x: -0.5, y: 0, z: 0 });
    expect(edits[7].objects[1]).toMatchObject({ shape: "cone", colour: "red", material: "matte", size: "medium", id: 1 });
  });

  it("a recolour changes only the edited object's pixels; a removal clears its mask", () => {
    const a = renderScene(base, { width: 48, height: 48 });
    const b = renderScene(recolourObject(base, 1, "yellow"), { width: 48, height: 48 });
    for (let i = 0; i < 48 * 48; i++) {
      const same = a.rgb[3 * i] === b.rgb[3 * i] && a.rgb[3 * i + 1] === b.rgb[3 * i + 1] && a.rgb[3 * i + 2] === b.rgb[3 * i + 2];
      if (a.mask[i] !== 1) expect(same).toBe(true);
    }
    const c = renderScene(removeObject(base, 1), { width: 48, height: 48 });
    expect(c.mask.includes(1)).toBe(false);
  });

  it("bad edits throw clear errors; sceneProblems reports overlaps", () => {
    expect(() => recolourObject(base, 7, "red")).toThrow("recolourObject: no object with id 7 in the scene (ids: 0, 1)");
    expect(() => recolourObject(base, 0, "pink" as never)).toThrow("recolourObject: unknown colour 'pink'; known: gray, red, blue, green, brown, purple, cyan, yellow");
    expect(() => advanceAlongTrend(base, 1, 0.5)).toThrow("advanceAlongTrend: object 1 has no trend (trend 'none'); pick a moving object");
    expect(() => moveObject(base, 0, { x: Infinity, y: 0 })).toThrow("moveObject: x must be a finite number, got Infinity");
    expect(sceneProblems(moveObject(base, 0, { x: 1, y: 1 }))).toEqual(["objects 0 and 1 overlap (centres 0.000 apart)"]);
  });
});
