import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { renderScene, sampleScene, worldConfig } from "../../lib/world";
import { groundPlaneDepth, horizonFromObjects, horizonRowOfPitch, paintInstances, perceptionConfig, segmentBox, segmentBoxes, largestComponent } from "../../lib/perception";
import type { Box } from "../../lib/perception";

const cfg = perceptionConfig("quick");

/** A W x H textured background (seeded noise around olive) with a filled disc of `rgb`. */
function discImage(W: number, H: number, cx: number, cy: number, r: number, rgb: [number, number, number], seed = 3) {
  const rng = new Rng(seed);
  const data = new Uint8Array(W * H * 3);
  const truth = new Uint8Array(W * H);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const i = v * W + u;
      const inside = (u + 0.5 - cx) ** 2 + (v + 0.5 - cy) ** 2 <= r * r;
      truth[i] = inside ? 1 : 0;
      const c = inside ? rgb : [120 + rng.int(-25, 26), 130 + rng.int(-25, 26), 60 + rng.int(-25, 26)];
      data.set(c, i * 3);
    }
  }
  return { image: { width: W, height: H, data }, truth };
}

function iou(pixels: Int32Array, truth: Uint8Array): number {
  let inter = 0;
  for (const p of pixels) inter += truth[p];
  let t = 0;
  for (const x of truth) t += x;
  return inter / (pixels.length + t - inter);
}

describe("weight-free box segmentation (GrabCut-style)", () => {
  const cases: { name: string; W: number; box: Box; min: number }[] = [
    { name: "tight box", W: 96, box: [28, 28, 68, 68], min: 0.9 },
    { name: "loose box", W: 96, box: [18, 18, 78, 78], min: 0.85 },
    { name: "box larger than workSide (downsampled work grid)", W: 320, box: [90, 90, 230, 230], min: 0.9 },
  ];
  for (const c of cases) {
    it(`${c.name}: IoU >= ${c.min} with the disc`, () => {
      const s = c.W / 96;
      const { image, truth } = discImage(c.W, c.W, 48 * s, 48 * s, 20 * s, [200, 40, 160]);
      const m = segmentBox(image, c.box, cfg.boxSeg);
      expect(m.emptyReason).toBeNull();
      expect(iou(m.pixels, truth)).toBeGreaterThanOrEqual(c.min);
    });
  }

  it("is deterministic (same image, same mask)", () => {
    const { image } = discImage(64, 64, 32, 32, 12, [30, 60, 220]);
    expect(Array.from(segmentBox(image, [16, 16, 48, 48], cfg.boxSeg).pixels)).toEqual(Array.from(segmentBox(image, [16, 16, 48, 48], cfg.boxSeg).pixels));
  });

  it("a box outside the image and a box of pure background give empty masks with reasons", () => {
    const { image } = discImage(64, 64, 32, 32, 8, [30, 60, 220]);
    expect(segmentBox(image, [70, 70, 90, 90], cfg.boxSeg)).toEqual({ pixels: new Int32Array(0), emptyReason: "box [70.0, 70.0, 90.0, 90.0] lies outside the 64x64 image" });
    const flat = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(90) };
    expect(segmentBox(flat, [8, 8, 24, 24], { ...cfg.boxSeg, shapePrior: 0 }).emptyReason).toBe("no cell of the box looks more like the object than like the ring around it");
  });

  it("overlapping boxes: the one lower in the picture (nearer) owns shared pixels", () => {
    const boxes: Box[] = [
      [0, 0, 4, 3],
      [2, 1, 6, 4],
    ];
    const all = (b: Box) => {
      const px: number[] = [];
      for (let v = b[1]; v < b[3]; v++) for (let u = b[0]; u < b[2]; u++) px.push(v * 6 + u);
      return { pixels: Int32Array.from(px), emptyReason: null };
    };
    const { mask, emptyReasons } = paintInstances(6, 4, boxes, [all(boxes[0]), all(boxes[1])]);
    expect(mask[1 * 6 + 2]).toBe(1);
    expect(mask[0]).toBe(0);
    expect(emptyReasons).toEqual([null, null]);
    const hidden = paintInstances(6, 4, boxes, [all([2, 1, 4, 3]), all(boxes[1])]);
    expect(hidden.emptyReasons[0]).toBe("every pixel of the object is covered by a nearer object's mask");
  });

  it("largestComponent keeps the biggest 4-connected blob", () => {
    // grid rows [1 0 1] [1 0 0] [1 0 1]: the component {0, 3, 6} (size 3) beats {2} and {8}
    expect(Array.from(largestComponent(Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 0, 1]), 3, 3)!)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(largestComponent(new Uint8Array(4), 2, 2)).toBeNull();
  });

  it("segmentBoxes on a SpatialWorld render with truth boxes: every object IoU >= 0.9", () => {
    const render = renderScene(sampleScene(new Rng(5), worldConfig()), { width: 96, height: 96 });
    const ids = [...new Set(Array.from(render.mask).filter((x) => x >= 0))].sort((a, b) => a - b);
    const boxes: Box[] = ids.map((id) => {
      let b: Box = [Infinity, Infinity, -Infinity, -Infinity];
      render.mask.forEach((m, i) => {
        if (m !== id) return;
        const u = i % 96;
        const v = Math.floor(i / 96);
        b = [Math.min(b[0], u), Math.min(b[1], v), Math.max(b[2], u + 1), Math.max(b[3], v + 1)];
      });
      return b;
    });
    const { mask } = segmentBoxes({ width: 96, height: 96, data: render.rgb }, boxes, cfg.boxSeg);
    ids.forEach((id, k) => {
      let inter = 0;
      let uni = 0;
      for (let i = 0; i < mask.length; i++) {
        const a = render.mask[i] === id;
        const b = mask[i] === k;
        if (a && b) inter++;
        if (a || b) uni++;
      }
      expect(inter / uni).toBeGreaterThanOrEqual(0.9);
    });
  });
});

describe("ground-plane depth fallback", () => {
  it("with the true camera height and pitch, ground pixels get the renderer's exact depth", () => {
    const world = worldConfig("quick", { cameraJitterDeg: 0 });
    const render = renderScene(sampleScene(new Rng(9), world), { width: 64, height: 48 });
    const horizon = horizonRowOfPitch(world.cameraPitchDeg, 64, 48, world.focalRatio);
    const gd = groundPlaneDepth(64, 48, render.mask, [], { ...cfg.groundDepth, horizon: "given", horizonRow: horizon / 48, cameraHeight: world.cameraHeight });
    expect(gd.horizonSource).toBe("given");
    expect((gd.pitch * 180) / Math.PI).toBeCloseTo(world.cameraPitchDeg, 9);
    let checked = 0;
    for (let i = 0; i < render.mask.length; i++) {
      if (render.mask[i] >= 0) continue;
      expect(gd.depth[i]).toBeCloseTo(render.depth[i], 3);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
    // each object's contact depth is close to the truth at its lowest pixel (a vertical plane there)
    for (const [id, c] of Object.entries(gd.contacts)) {
      expect("depth" in c).toBe(true);
      if ("depth" in c) {
        const i = c.row * 64 + render.mask.slice(c.row * 64, c.row * 64 + 64).indexOf(Number(id));
        expect(Math.abs(c.depth - render.depth[i]) / render.depth[i]).toBeLessThan(0.05);
      }
    }
  });

  it("level horizon: the upper half is sky (invalid unless skyDepth), objects above the horizon get a reason", () => {
    const mask = new Int32Array(8 * 8).fill(-1);
    mask[1 * 8 + 3] = 0; // an object pixel above the horizon (row 1 of 8)
    const gd = groundPlaneDepth(8, 8, mask, [], { ...cfg.groundDepth, horizon: "level", cameraHeight: 2 });
    expect(gd.horizonRow).toBe(4);
    expect(gd.pitch).toBe(0);
    expect(Number.isNaN(gd.depth[0])).toBe(true);
    // row 7: y_n = 3.5 / 12, z = h / y_n
    expect(gd.depth[7 * 8]).toBeCloseTo(2 / (3.5 / 12), 5);
    expect(gd.contacts[0]).toEqual({ reason: "its lowest pixel (row 1) is at or above the horizon (row 4.0): no ground there" });
    expect(groundPlaneDepth(8, 8, mask, [], { ...cfg.groundDepth, horizon: "level", skyDepth: 50 }).depth[0]).toBe(50);
    expect(() => groundPlaneDepth(8, 8, new Int32Array(3), [], cfg.groundDepth)).toThrow("groundPlaneDepth: mask has 3 values, expected 8x8 = 64");
  });

  it("horizon from people: v_h = bottom - box height * camera height / 1.7 m (median); cut-off boxes ignored", () => {
    const boxes = [
      { box: [0, 20, 10, 54] as Box, label: "person" }, // 34 px tall: v_h = 54 - 34 * 1.6 / 1.7 = 22
      { box: [0, 10, 10, 44] as Box, label: "person" }, // v_h = 12
      { box: [0, 5, 10, 99.5] as Box, label: "person" }, // touches the bottom of a 100-row image: ignored
      { box: [0, 0, 10, 50] as Box, label: "person" }, // touches the top: ignored
      { box: [0, 0, 10, 20] as Box, label: "kite" }, // no known height
    ];
    expect(horizonFromObjects(boxes, 100, 1.6)).toBeCloseTo(17, 9);
    expect(horizonFromObjects(boxes.slice(2), 100, 1.6)).toBeNull();
    const gd = groundPlaneDepth(10, 100, new Int32Array(1000).fill(-1), boxes.slice(2), cfg.groundDepth);
    expect(gd.horizonSource).toBe("level");
  });
});
