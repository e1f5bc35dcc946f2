import { describe, expect, it } from "vitest";
import { cameraAxes } from "../../lib/world/camera";
import { objectCentre, objectVolume, SIZE_RADIUS } from "../../lib/world/conventions";
import { worldToCamera } from "../../lib/world/camera";
import { extractSpatialInfo } from "../../lib/engine/extract";
import { engineConfig } from "../../lib/engine/config";
import { compareObjects, objectById, pickRank } from "../../lib/engine/ranks";
import { obj, oracleFrame, scene } from "./helpers";

// a medium red cube at world (-1, 0) and a large blue metal sphere at (1.2, 1.5), default camera
const cube = obj(0, -1.0, 0.0, { rotation: 0.3 });
const sphere = obj(1, 1.2, 1.5, { shape: "sphere", size: "large", colour: "blue", material: "metal", trend: "left" });
const twoObjects = scene([cube, sphere]);

describe("extraction on a hand-built two-object scene (golden values from the scene's geometry)", () => {
  const { frame } = oracleFrame(twoObjects, 128);
  const ex = extractSpatialInfo(frame, engineConfig("tiny"));
  const a = objectById(ex, 0);
  const b = objectById(ex, 1);

  it("parses [object, description, trend] from pixels and hints", () => {
    expect(ex.refusals).toEqual([]);
    expect(ex.complete).toBe(true);
    expect([a.object, a.description, a.trend, a.colour]).toEqual(["cube", "medium red matte", "none", "red"]);
    expect([b.object, b.description, b.trend, b.colour]).toEqual(["sphere", "large blue metal", "left", "blue"]);
  });

  it("RANSAC recovers the ground normal within 1 degree and the camera height", () => {
    const ax = cameraAxes(twoObjects.camera);
    const up = [ax.right.z, ax.down.z, ax.forward.z]; // world +Z in camera coordinates
    const n = ex.plane!.normal;
    const cos = n[0] * up[0] + n[1] * up[1] + n[2] * up[2];
    expect((Math.acos(Math.min(1, cos)) * 180) / Math.PI).toBeLessThan(1);
    expect(ex.plane!.d).toBeCloseTo(twoObjects.camera.position.z, 2);
  });

  it("left/right, depth order, distance, height and volume match the truth", () => {
    expect(compareObjects(ex, "horizontal", 0, 1)).toBe("less"); // the cube is left of the sphere
    expect(compareObjects(ex, "depth", 0, 1)).toBe("less"); // and nearer
    expect(pickRank(ex, "horizontal", 1, "asc")).toMatchObject({ ok: true, id: 0 });
    expect(pickRank(ex, "depth", 1, "desc")).toMatchObject({ ok: true, id: 1 });
    const ca = worldToCamera(twoObjects.camera, objectCentre(cube));
    const cb = worldToCamera(twoObjects.camera, objectCentre(sphere));
    const trueDist = Math.hypot(ca[0] - cb[0], ca[1] - cb[1], ca[2] - cb[2]);
    expect(Math.abs(a.distances[1] / trueDist - 1)).toBeLessThan(0.03);
    expect(Math.abs(a.depth - ca[2])).toBeLessThan(0.05);
    expect(Math.abs(b.depth - cb[2])).toBeLessThan(0.05);
    expect(a.height).toBeCloseTo(2 * SIZE_RADIUS.medium, 2);
    expect(b.height).toBeCloseTo(2 * SIZE_RADIUS.large, 2);
    for (const [o, truth] of [[a, objectVolume(cube)], [b, objectVolume(sphere)]] as const) {
      expect(Math.abs(o.volumeShape! / truth - 1)).toBeLessThan(0.06);
      expect(Math.abs(o.volumeHull / truth - 1)).toBeLessThan(0.06);
      expect(o.volumeBox).toBeGreaterThan(truth); // the bounding box holds the object
    }
    expect(compareObjects(ex, "volume", 0, 1)).toBe("less");
    expect(compareObjects(ex, "height", 0, 1)).toBe("less");
  });

  it("contour size is the mask area and its perimeter", () => {
    expect(a.area).toBe(frame.mask.filter((m) => m === 0).length);
    expect(a.perimeter).toBeGreaterThan(2 * Math.sqrt(Math.PI * a.area) - 1); // a disc has the shortest outline
    expect(a.bbox2d[0]).toBeLessThan(a.centroid2d.u);
  });

  it("guessed intrinsics (fx = fy = 1.5 W, centre) give the same facts when they are right", () => {
    const guessed = extractSpatialInfo({ ...frame, intrinsics: null }, engineConfig("tiny"));
    expect(guessed.intrinsicsGuessed).toBe(true);
    expect(guessed.intrinsics).toEqual({ fx: 192, fy: 192, cx: 64, cy: 64, width: 128, height: 128 });
    expect(objectById(guessed, 0).centre3d).toEqual(a.centre3d);
  });

  it("a wrong intrinsics guess (true focal 1.2 W, guessed 1.5 W) keeps left/right and depth order", () => {
    const wide = { ...twoObjects, camera: { ...twoObjects.camera, focalRatio: 1.2 } };
    const f = oracleFrame(wide, 128).frame;
    const ex2 = extractSpatialInfo({ ...f, intrinsics: null }, engineConfig("tiny"));
    expect(ex2.intrinsics.fx).toBe(192);
    expect(compareObjects(ex2, "horizontal", 0, 1)).toBe("less");
    expect(compareObjects(ex2, "depth", 0, 1)).toBe("less");
  });
});
