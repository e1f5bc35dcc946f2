import { describe, expect, it } from "vitest";
import { extractSpatialInfo } from "../../lib/engine/extract";
import { engineConfig } from "../../lib/engine/config";
import { pickRank, compareObjects } from "../../lib/engine/ranks";
import type { PerceptionFrame } from "../../lib/engine/types";
import { obj, oracleFrame, scene } from "./helpers";

const cfg = engineConfig("tiny");
const two = scene([obj(0, -1, 0), obj(1, 1.2, 1, { shape: "sphere", colour: "blue" })]);

describe("extraction on bad input: clear errors or counted refusals", () => {
  it("empty scene: a counted frame refusal, no objects", () => {
    const { frame } = oracleFrame(scene([]), 32);
    const ex = extractSpatialInfo(frame, cfg);
    expect(ex.objects).toEqual([]);
    expect(ex.refusals).toEqual([{ id: null, reason: "empty-scene", detail: "no objects detected" }]);
    expect(ex.complete).toBe(false);
    expect(pickRank(ex, "horizontal", 1, "asc")).toMatchObject({ ok: false, reason: "unreliable" });
  });

  it("single object: rank 1 both ways, no ties", () => {
    const { frame } = oracleFrame(scene([obj(0, 0, 0.5)]), 48);
    const ex = extractSpatialInfo(frame, cfg);
    expect(ex.objects.length).toBe(1);
    expect(ex.objects[0].ranks.horizontal).toEqual({ asc: 1, desc: 1, tiedWith: [] });
    expect(pickRank(ex, "volume", 1, "desc")).toMatchObject({ ok: true, id: 0 });
    expect(pickRank(ex, "volume", 2, "desc")).toEqual({ ok: false, reason: "out-of-range", detail: "rank 2 of 1 object(s)" });
  });

  it("fully occluded and out-of-view objects are not detected and not ranked", () => {
    const s = scene([obj(0, 0, 0, { size: "large" }), obj(1, 0, 0.9, { size: "small", shape: "sphere" }), obj(2, 30, 0)]);
    const { frame, render } = oracleFrame(s, 64);
    expect(render.visiblePixels[1]).toBe(0);
    const ex = extractSpatialInfo(frame, cfg);
    expect(ex.objects.map((o) => o.id)).toEqual([0]);
    expect(ex.complete).toBe(true);
  });

  it("an object cut by the image border is flagged truncated; its volume is never ranked", () => {
    const s = scene([obj(0, -2.8, 0.5, { size: "large" }), obj(1, 0.5, 0.5, { shape: "sphere", colour: "blue" })]);
    const { frame, render } = oracleFrame(s, 64);
    expect(render.visiblePixels[0]).toBeGreaterThan(0);
    const ex = extractSpatialInfo(frame, cfg);
    const cut = ex.objects.find((o) => o.id === 0)!;
    expect(cut.truncated).toBe(true);
    expect(cut.bbox2d[0]).toBe(0);
    expect(cut.uncertainty.volume).toBe(Infinity);
    expect(compareObjects(ex, "volume", 0, 1)).toBe("tie");
    expect(compareObjects(ex, "horizontal", 0, 1)).toBe("less"); // still clearly left
  });

  it("NaN / Inf / negative depth pixels are skipped and counted; too many refuse the frame", () => {
    const { frame } = oracleFrame(two, 48);
    const depth = Float32Array.from(frame.depth);
    depth[0] = NaN;
    depth[1] = -2;
    depth[2] = Infinity;
    const ex = extractSpatialInfo({ ...frame, depth }, cfg);
    expect(ex.invalidDepthPixels).toBe(3);
    expect(ex.objects.length).toBe(2);
    const bad = new Float32Array(frame.depth.length).fill(NaN);
    const ex2 = extractSpatialInfo({ ...frame, depth: bad }, cfg);
    expect(ex2.objects).toEqual([]);
    expect(ex2.refusals).toEqual([{ id: null, reason: "invalid-depth", detail: "2304 of 2304 pixels have NaN, infinite or non-positive depth (more than 50%)" }]);
  });

  it("mismatched image, mask and depth sizes throw with what was expected", () => {
    const { frame } = oracleFrame(two, 32);
    expect(() => extractSpatialInfo({ ...frame, depth: new Float32Array(10) }, cfg)).toThrow(
      "extractSpatialInfo: depth has 10 values, expected 32x32 = 1024 (a Float32Array of the frame's size)",
    );
    expect(() => extractSpatialInfo({ ...frame, mask: new Int32Array(1023) }, cfg)).toThrow("extractSpatialInfo: mask has 1023 values, expected 32x32 = 1024 (an Int32Array of the frame's size)");
    expect(() => extractSpatialInfo({ ...frame, rgb: new Uint8Array(1024) }, cfg)).toThrow("extractSpatialInfo: rgb has 1024 values, expected 32x32x3 = 3072 (a Uint8Array RGB image of the frame's size)");
    expect(() => extractSpatialInfo({ ...frame, width: 16 }, cfg)).toThrow("extractSpatialInfo: rgb has 3072 values, expected 16x32x3 = 1536");
    expect(() => extractSpatialInfo({ ...frame, intrinsics: { ...frame.intrinsics!, width: 64 } }, cfg)).toThrow("extractSpatialInfo: intrinsics are for 64x32 but the frame is 32x32");
  });

  it("degenerate object clouds: no pixels, too few points, collinear points", () => {
    const { frame } = oracleFrame(two, 48);
    const W = 48;
    const mask = Int32Array.from(frame.mask);
    const depth = Float32Array.from(frame.depth);
    // object 7: two pixels high above the ground; object 8: a vertical line of pixels at one depth
    // (back-projected to a straight line), both well above the ground plane
    mask[2 * W + 2] = 7;
    mask[2 * W + 3] = 7;
    depth[2 * W + 2] = 3;
    depth[2 * W + 3] = 3;
    for (let v = 1; v < 11; v++) {
      mask[v * W + 24] = 8;
      depth[v * W + 24] = 3;
    }
    const detections = [
      ...frame.detections,
      { id: 7, label: "thing", score: 1, hints: {} },
      { id: 8, label: "stick", score: 1, hints: {} },
      { id: 9, label: "ghost", score: 1, hints: {} },
    ];
    const ex = extractSpatialInfo({ ...frame, mask, depth, detections } as PerceptionFrame, cfg);
    expect(ex.objects.map((o) => o.id)).toEqual([0, 1]);
    expect(ex.refusals).toEqual([
      { id: 7, reason: "too-few-points", detail: "detection 7 (thing) has 2 point(s) above the ground, need 3" },
      { id: 8, reason: "degenerate-cloud", detail: "detection 8 (stick): its 10 points are collinear or coincident" },
      { id: 9, reason: "no-pixels", detail: "detection 9 (ghost) has no pixels in the mask" },
    ]);
    expect(ex.complete).toBe(false);
    // pairs are still comparable; whole-scene ranks are not
    expect(compareObjects(ex, "horizontal", 0, 1)).toBe("less");
    expect(pickRank(ex, "horizontal", 1, "asc")).toEqual({ ok: false, reason: "unreliable", detail: "ranks over the whole scene need every object; refused: 7 (too-few-points), 8 (degenerate-cloud), 9 (no-pixels)" });
    expect(pickRank(ex, "horizontal", 1, "asc", [0, 1])).toMatchObject({ ok: true, id: 0 });
  });

  it("no ground visible: the frame is refused", () => {
    const { frame } = oracleFrame(two, 32);
    const mask = new Int32Array(frame.mask.length).fill(0);
    const ex = extractSpatialInfo({ ...frame, mask }, cfg);
    expect(ex.refusals[0]).toMatchObject({ id: null, reason: "no-ground-plane" });
  });

  it("ties are reported: two identical objects side by side tie on volume and height but not on position", () => {
    const s = scene([obj(0, -1, 0.5), obj(1, 1, 0.5)]);
    const { frame } = oracleFrame(s, 96);
    const ex = extractSpatialInfo(frame, cfg);
    expect(compareObjects(ex, "volume", 0, 1)).toBe("tie");
    expect(compareObjects(ex, "height", 0, 1)).toBe("tie");
    expect(compareObjects(ex, "horizontal", 0, 1)).toBe("less");
    expect(ex.objects[0].ranks.volume).toEqual({ asc: null, desc: null, tiedWith: [1] });
    const pick = pickRank(ex, "volume", 1, "desc");
    expect(pick.ok).toBe(false);
    expect(pick).toMatchObject({ reason: "tie" });
  });
});
