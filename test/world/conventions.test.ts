import { describe, expect, it } from "vitest";
import { backProject, cameraAxes, cameraIntrinsics, cameraToWorld, projectWorld, worldToCamera } from "../../lib/world/camera";
import { objectHeight, objectVolume, SIZE_RADIUS } from "../../lib/world/conventions";
import { advanceAlongTrend } from "../../lib/world/edit";
import { renderScene } from "../../lib/world/render";
import { defaultCamera } from "../../lib/world/sampler";
import { maskCentroid, obj, scene, topCamera } from "./helpers";

describe("conventions (lib/world/conventions.ts), checked with scenes built for them", () => {
  it("left/right: world -X appears left (smaller image column u) for the default camera", () => {
    const s = scene([obj(0, -1.2, 0, { shape: "sphere" }), obj(1, 1.2, 0, { shape: "sphere" })]);
    const r = renderScene(s, { width: 64, height: 64 });
    const a = maskCentroid(r.mask, 64, 0);
    const b = maskCentroid(r.mask, 64, 1);
    expect(a.u).toBeLessThan(32);
    expect(b.u).toBeGreaterThan(32);
    expect(a.v).toBeCloseTo(b.v, 5); // same depth, same row
  });

  it("depth = camera-frame z (not ray length), positive, larger for objects farther along +Y", () => {
    const r = renderScene(scene([]), { width: 32, height: 32 });
    // straight-down camera: every ground pixel has depth exactly the camera height, corners included
    const top = renderScene(scene([], topCamera(5)), { width: 32, height: 32 });
    expect(Array.from(top.depth).every((d) => Math.abs(d - 5) < 1e-5)).toBe(true);
    // default camera: ground depth grows from the bottom row to the top row
    expect(r.depth[31 * 32 + 16]).toBeLessThan(r.depth[0 * 32 + 16]);
    const s = scene([obj(0, 0, -0.8), obj(1, 0, 2.2, { colour: "blue" })]);
    const rr = renderScene(s, { width: 64, height: 64 });
    const near = maskCentroid(rr.mask, 64, 0);
    const far = maskCentroid(rr.mask, 64, 1);
    const d = (p: { u: number; v: number }) => rr.depth[Math.floor(p.v) * 64 + Math.floor(p.u)];
    expect(d(near)).toBeGreaterThan(0);
    expect(d(near)).toBeLessThan(d(far));
    expect(far.v).toBeLessThan(near.v); // farther objects sit higher in the picture
  });

  it("back-projection of a rendered ground pixel lands on the ground plane Z = 0", () => {
    const cam = defaultCamera();
    const r = renderScene(scene([], cam), { width: 40, height: 30 });
    const k = cameraIntrinsics(cam, 40, 30);
    expect(k).toEqual({ fx: 60, fy: 60, cx: 20, cy: 15, width: 40, height: 30 });
    for (const [u, v] of [[0, 0], [39, 29], [7, 21], [20, 15]]) {
      const pc = backProject(k, u, v, r.depth[v * 40 + u]);
      const w = cameraToWorld(cam, pc);
      expect(w.z).toBeCloseTo(0, 4);
      const p = projectWorld(cam, k, w);
      expect(p.u).toBeCloseTo(u + 0.5, 4);
      expect(p.v).toBeCloseTo(v + 0.5, 4);
    }
  });

  it("camera frame is right-handed: x right, y down, z forward; worldToCamera inverts cameraToWorld", () => {
    const cam = defaultCamera();
    const a = cameraAxes(cam);
    expect(a.right).toEqual({ x: 1, y: -0, z: 0 });
    expect(a.down.z).toBeLessThan(0); // image down points towards the ground
    expect(a.forward.y).toBeGreaterThan(0);
    const p = { x: 0.3, y: 1.7, z: 0.4 };
    const q = cameraToWorld(cam, worldToCamera(cam, p));
    expect(q.x).toBeCloseTo(p.x, 10);
    expect(q.y).toBeCloseTo(p.y, 10);
    expect(q.z).toBeCloseTo(p.z, 10);
  });

  it("trend 'left' moves an object to the image left, 'forward' away from the camera", () => {
    const s = scene([obj(0, 0, 0, { trend: "left" }), obj(1, 2, 2, { trend: "forward", size: "small" })]);
    const k = cameraIntrinsics(s.camera, 64, 64);
    const moved = advanceAlongTrend(advanceAlongTrend(s, 0, 0.5), 1, 0.5);
    const u0 = projectWorld(s.camera, k, s.objects[0].position).u;
    const u1 = projectWorld(s.camera, k, moved.objects[0].position).u;
    expect(u1).toBeLessThan(u0);
    const z0 = worldToCamera(s.camera, s.objects[1].position)[2];
    const z1 = worldToCamera(s.camera, moved.objects[1].position)[2];
    expect(z1).toBeGreaterThan(z0);
  });

  it("object sizes, heights and volumes follow the documented formulas", () => {
    const r = SIZE_RADIUS.medium;
    expect(objectHeight({ shape: "cube", size: "medium" })).toBeCloseTo(2 * r, 12);
    expect(objectVolume({ shape: "cube", size: "medium" })).toBeCloseTo(8 * r ** 3, 12);
    expect(objectVolume({ shape: "sphere", size: "medium" })).toBeCloseTo((4 / 3) * Math.PI * r ** 3, 12);
    expect(objectVolume({ shape: "cylinder", size: "medium" })).toBeCloseTo(Math.PI * r * r * 2.4 * r, 12);
    expect(objectVolume({ shape: "cone", size: "medium" })).toBeCloseTo((Math.PI * r * r * 2.6 * r) / 3, 12);
  });
});
