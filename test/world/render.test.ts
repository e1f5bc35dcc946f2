import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { SIZE_RADIUS } from "../../lib/world/conventions";
import { renderScene } from "../../lib/world/render";
import { sampleScene } from "../../lib/world/sampler";
import { worldConfig } from "../../lib/world/config";
import { obj, scene, topCamera } from "./helpers";

describe("renderScene", () => {
  it("returns rgb [H*W*3] bytes, depth [H*W] float32, mask [H*W] int32 with -1 background, any size", () => {
    const s = sampleScene(new Rng(3), worldConfig("tiny"));
    for (const [w, h] of [[32, 32], [37, 29], [128, 96]]) {
      const r = renderScene(s, { width: w, height: h });
      expect(r.rgb).toBeInstanceOf(Uint8Array);
      expect(r.rgb.length).toBe(w * h * 3);
      expect(r.depth).toBeInstanceOf(Float32Array);
      expect(r.depth.length).toBe(w * h);
      expect(r.mask).toBeInstanceOf(Int32Array);
      expect(r.mask.length).toBe(w * h);
      expect(r.objects).toBe(s.objects);
      const ids = new Set(s.objects.map((o) => o.id));
      for (const m of r.mask) expect(m === -1 || ids.has(m)).toBe(true);
      for (const o of s.objects) expect(r.mask.filter((m) => m === o.id).length).toBe(r.visiblePixels[o.id]);
    }
  });

  it("is deterministic: same scene, same bytes", () => {
    const s = sampleScene(new Rng(11), worldConfig("tiny"));
    const a = renderScene(s, { width: 48, height: 48 });
    const b = renderScene(s, { width: 48, height: 48 });
    expect(Buffer.compare(Buffer.from(a.rgb), Buffer.from(b.rgb))).toBe(0);
    expect(Array.from(a.depth)).toEqual(Array.from(b.depth));
  });

  it("draws no motion: a scene rendered with every trend changed is the same bytes (the trend templates' answer is not in the pixels)", () => {
    const s = sampleScene(new Rng(11), worldConfig("tiny"));
    const moved = { ...s, objects: s.objects.map((o) => ({ ...o, trend: o.trend === "none" ? ("left" as const) : ("none" as const) })) };
    expect(moved.objects.some((o, i) => o.trend !== s.objects[i].trend)).toBe(true);
    const [a, b] = [renderScene(s, { width: 32, height: 32 }), renderScene(moved, { width: 32, height: 32 })];
    expect(Buffer.compare(Buffer.from(a.rgb), Buffer.from(b.rgb))).toBe(0);
  });

  it("exact depth of each shape's top seen straight from above (golden values)", () => {
    const H = 5;
    for (const [shape, factor] of [["cube", 2], ["sphere", 2], ["cylinder", 2.4]] as const) {
      const r = renderScene(scene([obj(0, 0, 0, { shape, size: "large" })], topCamera(H)), { width: 33, height: 33 });
      const centre = 16 * 33 + 16; // the pixel centre of a 33x33 image is exactly on the optical axis
      expect(r.mask[centre]).toBe(0);
      expect(r.depth[centre]).toBeCloseTo(H - factor * SIZE_RADIUS.large, 5);
    }
    const cone = renderScene(scene([obj(0, 0, 0, { shape: "cone", size: "large" })], topCamera(H)), { width: 33, height: 33 });
    expect(cone.depth[16 * 33 + 16]).toBeCloseTo(H - 2.6 * SIZE_RADIUS.large, 5);
  });

  it("occlusion: the nearer object wins in mask and depth where they overlap", () => {
    // a small sphere in front of (towards the camera from) a large cube on the same line of sight
    const back = obj(0, 0, 2, { size: "large", colour: "blue" });
    const front = obj(1, 0, 0.5, { shape: "sphere", size: "large", colour: "yellow" });
    const both = renderScene(scene([back, front]), { width: 64, height: 64 });
    const onlyBack = renderScene(scene([back]), { width: 64, height: 64 });
    let overlap = 0;
    for (let i = 0; i < 64 * 64; i++) {
      if (onlyBack.mask[i] === 0 && both.mask[i] === 1) {
        overlap++;
        expect(both.depth[i]).toBeLessThan(onlyBack.depth[i]);
      }
    }
    expect(overlap).toBeGreaterThan(10);
    expect(both.visiblePixels[0]).toBeLessThan(onlyBack.visiblePixels[0]);
  });

  it("fully occluded and out-of-view objects have 0 visible pixels", () => {
    const big = obj(0, 0, 0, { size: "large" });
    const hidden = obj(1, 0, 0.9, { size: "small", shape: "sphere" }); // right behind the large cube
    const outside = obj(2, 30, 0); // far to the right, outside the view
    const r = renderScene(scene([big, hidden, outside]), { width: 64, height: 64 });
    expect(r.visiblePixels[1]).toBe(0);
    expect(r.visiblePixels[2]).toBe(0);
    expect(r.visiblePixels[0]).toBeGreaterThan(100);
  });

  it("rejects bad sizes and bad scenes with clear messages", () => {
    const s = scene([obj(0, 0, 0)]);
    expect(() => renderScene(s, { width: 7, height: 32 })).toThrow("renderScene: width must be an integer in [8, 1024], got 7");
    expect(() => renderScene(s, { width: 32, height: 32.5 })).toThrow("renderScene: height must be an integer in [8, 1024], got 32.5");
    expect(() => renderScene(scene([obj(0, 0, 0), obj(0, 1, 1)]), { width: 32, height: 32 })).toThrow("renderScene: duplicate object id 0");
    expect(() => renderScene(scene([obj(0, NaN, 0)]), { width: 32, height: 32 })).toThrow("renderScene: object 0 has a non-finite position or rotation");
    const low = { ...topCamera(5), position: { x: 0, y: 0, z: -1 } };
    expect(() => renderScene(scene([], low), { width: 32, height: 32 })).toThrow("renderScene: the camera must be above the ground (camera.position.z > 0), got -1");
    expect(() => renderScene(scene([obj(0, 0, 0, { shape: "torus" as never })]), { width: 32, height: 32 })).toThrow("renderScene: object 0 has unknown shape 'torus'");
  });
});
