import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { convexHull2d, isDegenerateCloud, polygonArea, symmetricEigen3 } from "../../lib/engine/geometry";
import { fitGroundPlane } from "../../lib/engine/ransac";
import { extractSpatialInfo } from "../../lib/engine/extract";
import { framePointCloud, toGroundFrame } from "../../lib/engine/cloud";
import { oracleSource } from "../../lib/engine/perception";
import { cameraAxes } from "../../lib/world/camera";
import { worldConfig } from "../../lib/world/config";
import { renderScene } from "../../lib/world/render";
import { sampleScene } from "../../lib/world/sampler";

const opts = { iterations: 100, threshold: 0.02, maxPoints: 2000, seed: 3 };

describe("geometry kernels", () => {
  it("convex hull and area of a square with inner points", () => {
    const hull = convexHull2d([0, 0, 2, 0, 2, 2, 0, 2, 1, 1, 0.5, 1.5, 1, 0]);
    expect(hull.length).toBe(8);
    expect(polygonArea(hull)).toBeCloseTo(4, 12);
    expect(polygonArea([0, 0, 1, 1])).toBe(0);
  });

  it("eigen-decomposition of a symmetric 3x3 matrix", () => {
    const { values, vectors } = symmetricEigen3([2, 1, 0, 2, 0, 5]);
    expect(values[0]).toBeCloseTo(1, 10);
    expect(values[1]).toBeCloseTo(3, 10);
    expect(values[2]).toBeCloseTo(5, 10);
    expect(Math.abs(vectors[2][2])).toBeCloseTo(1, 10);
  });

  it("degenerate clouds: fewer than 3 points, coincident, collinear", () => {
    expect(isDegenerateCloud(Float64Array.from([0, 0, 1, 1, 1, 1]), null)).toBe(true);
    expect(isDegenerateCloud(Float64Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1]), null)).toBe(true);
    expect(isDegenerateCloud(Float64Array.from([0, 0, 1, 1, 2, 3, 2, 4, 5, 3, 6, 7]), null)).toBe(true);
    expect(isDegenerateCloud(Float64Array.from([0, 0, 1, 1, 0, 1, 0, 1, 1]), null)).toBe(false);
  });
});

describe("RANSAC ground plane", () => {
  it("recovers a tilted plane within 1 degree despite 30% outliers, normal towards the camera", () => {
    const rng = new Rng(5);
    const n = [0.1, -0.7, -0.5];
    const len = Math.hypot(n[0], n[1], n[2]);
    const nn = n.map((x) => x / len);
    const d = 4; // plane nn . p + d = 0
    const pts: number[] = [];
    for (let i = 0; i < 700; i++) {
      // points on the plane: pick x, z; solve y
      const x = rng.range(-3, 3);
      const z = rng.range(4, 10);
      const y = -(d + nn[0] * x + nn[2] * z) / nn[1];
      pts.push(x, y + rng.normal(0, 0.003), z);
    }
    for (let i = 0; i < 300; i++) pts.push(rng.range(-3, 3), rng.range(-3, 3), rng.range(4, 10));
    const plane = fitGroundPlane(Float64Array.from(pts), opts)!;
    const cos = Math.abs(plane.normal[0] * nn[0] + plane.normal[1] * nn[1] + plane.normal[2] * nn[2]);
    expect((Math.acos(Math.min(1, cos)) * 180) / Math.PI).toBeLessThan(1);
    expect(plane.d).toBeGreaterThan(0);
    expect(plane.d).toBeCloseTo(d, 1);
    expect(plane.inliers).toBeGreaterThanOrEqual(650);
  });

  it("returns null for fewer than 3 points and for collinear points", () => {
    expect(fitGroundPlane(Float64Array.from([0, 0, 1, 1, 1, 1]), opts)).toBeNull();
    const line: number[] = [];
    for (let i = 0; i < 50; i++) line.push(i, 2 * i, 3 * i + 1);
    expect(fitGroundPlane(Float64Array.from(line), opts)).toBeNull();
  });
});


describe("RANSAC on oracle depth of random scenes", () => {
  it("recovers the ground normal within 1 degree on 30 random 48x48 scenes; ground points have height ~0", () => {
    let worst = 0;
    for (let s = 0; s < 30; s++) {
      const sc = sampleScene(new Rng(100 + s), worldConfig("tiny"));
      const r = renderScene(sc, { width: 48, height: 48 });
      const frame = oracleSource().perceive({ image: { width: 48, height: 48, data: r.rgb }, render: r });
      const ex = extractSpatialInfo(frame);
      const ax = cameraAxes(sc.camera);
      const n = ex.plane!.normal;
      const cos = n[0] * ax.right.z + n[1] * ax.down.z + n[2] * ax.forward.z;
      worst = Math.max(worst, (Math.acos(Math.min(1, cos)) * 180) / Math.PI);
      const g = toGroundFrame(framePointCloud(frame, 2), ex.plane!);
      for (let p = 0; p < g.count; p++) {
        if (g.ids[p] === -1) expect(Math.abs(g.xyz[3 * p + 2])).toBeLessThan(1e-3);
        else expect(g.xyz[3 * p + 2]).toBeGreaterThan(-1e-3);
      }
    }
    expect(worst).toBeLessThan(1);
  });
});
