/**
 * RANSAC ground-plane fit (Fischler & Bolles 1981; paper §5.1.1): 3-point hypotheses scored
 * by inlier count on a random subset, the best refitted by least squares (PCA) on all inliers.
 * The normal is oriented towards the camera (the camera centre, the origin of the camera frame,
 * has positive signed distance d > 0), so "up" = +normal.
 */
import { Rng } from "../core/rng";
import { covariance3, symmetricEigen3 } from "./geometry";
import type { GroundPlane } from "./types";

export interface RansacOptions {
  iterations: number;
  threshold: number;
  maxPoints: number;
  seed: number;
}

/**
 * Fits a plane to camera-frame points `xyz` (flat, 3 per point). Returns null when there are
 * fewer than 3 points or every hypothesis is degenerate (all points collinear or coincident).
 */
export function fitGroundPlane(xyz: Float32Array | Float64Array, opts: RansacOptions): GroundPlane | null {
  if (!Number.isInteger(opts.iterations) || opts.iterations < 1) throw new Error(`fitGroundPlane: iterations must be an integer >= 1, got ${opts.iterations}`);
  if (!(opts.threshold > 0) || !Number.isFinite(opts.threshold)) throw new Error(`fitGroundPlane: threshold must be a positive distance, got ${opts.threshold}`);
  if (!Number.isInteger(opts.maxPoints) || opts.maxPoints < 3) throw new Error(`fitGroundPlane: maxPoints must be an integer >= 3, got ${opts.maxPoints}`);
  const n = Math.floor(xyz.length / 3);
  if (n < 3) return null;
  const rng = new Rng(opts.seed);
  // scoring subset (with replacement is fine for scoring): indices into the points
  const m = Math.min(n, opts.maxPoints);
  const subset = new Int32Array(m);
  if (m === n) for (let i = 0; i < n; i++) subset[i] = i;
  else for (let i = 0; i < m; i++) subset[i] = rng.int(0, n);
  let bestCount = -1;
  let bn = [0, 0, 0];
  let bd = 0;
  const thr = opts.threshold;
  for (let it = 0; it < opts.iterations; it++) {
    const a = rng.int(0, n) * 3;
    const b = rng.int(0, n) * 3;
    const c = rng.int(0, n) * 3;
    const ux = xyz[b] - xyz[a];
    const uy = xyz[b + 1] - xyz[a + 1];
    const uz = xyz[b + 2] - xyz[a + 2];
    const vx = xyz[c] - xyz[a];
    const vy = xyz[c + 1] - xyz[a + 1];
    const vz = xyz[c + 2] - xyz[a + 2];
    let nx = uy * vz - uz * vy;
    let ny = uz * vx - ux * vz;
    let nz = ux * vy - uy * vx;
    const len = Math.hypot(nx, ny, nz);
    const scale = Math.hypot(ux, uy, uz) * Math.hypot(vx, vy, vz);
    if (!(len > 1e-9 * scale) || scale === 0) continue; // collinear sample
    nx /= len;
    ny /= len;
    nz /= len;
    const d = -(nx * xyz[a] + ny * xyz[a + 1] + nz * xyz[a + 2]);
    let count = 0;
    for (let k = 0; k < m; k++) {
      const i = subset[k] * 3;
      const dist = nx * xyz[i] + ny * xyz[i + 1] + nz * xyz[i + 2] + d;
      if (dist < thr && dist > -thr) count++;
    }
    if (count > bestCount) {
      bestCount = count;
      bn = [nx, ny, nz];
      bd = d;
    }
  }
  if (bestCount < 3) return null;
  // refit on all inliers of the best hypothesis (two rounds)
  let normal = bn;
  let d = bd;
  let inliers = 0;
  for (let round = 0; round < 2; round++) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) {
      const dist = normal[0] * xyz[3 * i] + normal[1] * xyz[3 * i + 1] + normal[2] * xyz[3 * i + 2] + d;
      if (Math.abs(dist) < thr) idx.push(i);
    }
    if (idx.length < 3) break;
    const { mean, cov } = covariance3(xyz, idx);
    const { values, vectors } = symmetricEigen3(cov);
    if (values[1] <= 1e-12 * Math.max(values[2], 1e-300)) break; // inliers collinear: keep the hypothesis
    normal = vectors[0];
    d = -(normal[0] * mean[0] + normal[1] * mean[1] + normal[2] * mean[2]);
    inliers = idx.length;
  }
  if (inliers === 0) inliers = bestCount;
  if (d < 0) {
    normal = [-normal[0], -normal[1], -normal[2]];
    d = -d;
  }
  return { normal: [normal[0], normal[1], normal[2]], d, inliers, candidates: n, threshold: thr };
}
