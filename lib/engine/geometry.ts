/**
 * Small geometry kernels of the engine: 3x3 symmetric eigen-decomposition (Jacobi), planes
 * from 3 points, least-squares plane refit, 2D convex hull (Andrew's monotone chain) and area.
 */

/** Eigenvalues (ascending) and unit eigenvectors (rows) of a symmetric 3x3 matrix [a00,a01,a02,a11,a12,a22]. */
export function symmetricEigen3(m: readonly number[]): { values: [number, number, number]; vectors: [number, number, number][] } {
  const a = [
    [m[0], m[1], m[2]],
    [m[1], m[3], m[4]],
    [m[2], m[4], m[5]],
  ];
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(a[0][1]) + Math.abs(a[0][2]) + Math.abs(a[1][2]);
    if (off < 1e-15 * (Math.abs(a[0][0]) + Math.abs(a[1][1]) + Math.abs(a[2][2]) + 1e-300)) break;
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 3; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < 3; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 3; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[i][i] - a[j][j]);
  return {
    values: [a[order[0]][order[0]], a[order[1]][order[1]], a[order[2]][order[2]]],
    vectors: order.map((i) => [v[0][i], v[1][i], v[2][i]] as [number, number, number]),
  };
}

/** Covariance [a00,a01,a02,a11,a12,a22] and mean of points xyz (flat) at the given indices (all when null). */
export function covariance3(xyz: Float32Array | Float64Array, idx: ArrayLike<number> | null): { mean: [number, number, number]; cov: number[]; n: number } {
  const n = idx === null ? xyz.length / 3 : idx.length;
  let mx = 0;
  let my = 0;
  let mz = 0;
  for (let k = 0; k < n; k++) {
    const i = (idx === null ? k : idx[k]) * 3;
    mx += xyz[i];
    my += xyz[i + 1];
    mz += xyz[i + 2];
  }
  mx /= n || 1;
  my /= n || 1;
  mz /= n || 1;
  const c = [0, 0, 0, 0, 0, 0];
  for (let k = 0; k < n; k++) {
    const i = (idx === null ? k : idx[k]) * 3;
    const x = xyz[i] - mx;
    const y = xyz[i + 1] - my;
    const z = xyz[i + 2] - mz;
    c[0] += x * x;
    c[1] += x * y;
    c[2] += x * z;
    c[3] += y * y;
    c[4] += y * z;
    c[5] += z * z;
  }
  for (let j = 0; j < 6; j++) c[j] /= n || 1;
  return { mean: [mx, my, mz], cov: c, n };
}

/** True when the points are (numerically) collinear or coincident: the 2nd principal variance vanishes. */
export function isDegenerateCloud(xyz: Float32Array | Float64Array, idx: ArrayLike<number> | null): boolean {
  const n = idx === null ? xyz.length / 3 : idx.length;
  if (n < 3) return true;
  const { cov } = covariance3(xyz, idx);
  const { values } = symmetricEigen3(cov);
  return values[1] <= 1e-10 * Math.max(values[2], 1e-300) || values[2] <= 1e-20;
}

/** 2D convex hull (counter-clockwise, no collinear points) of flat [x0, y0, x1, y1, ...]. */
export function convexHull2d(pts: ArrayLike<number>): number[] {
  const n = pts.length / 2;
  if (n < 3) return Array.from(pts);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => pts[2 * i] - pts[2 * j] || pts[2 * i + 1] - pts[2 * j + 1]);
  const cross = (o: number, a: number, b: number) =>
    (pts[2 * a] - pts[2 * o]) * (pts[2 * b + 1] - pts[2 * o + 1]) - (pts[2 * a + 1] - pts[2 * o + 1]) * (pts[2 * b] - pts[2 * o]);
  const lower: number[] = [];
  for (const i of order) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], i) <= 0) lower.pop();
    lower.push(i);
  }
  const upper: number[] = [];
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], i) <= 0) upper.pop();
    upper.push(i);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  const out: number[] = [];
  for (const i of hull) out.push(pts[2 * i], pts[2 * i + 1]);
  return out;
}

/** Area of a simple polygon (flat [x0, y0, ...]) by the shoelace formula; 0 for fewer than 3 vertices. */
export function polygonArea(poly: ArrayLike<number>): number {
  const n = poly.length / 2;
  if (n < 3) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    s += poly[2 * i] * poly[2 * j + 1] - poly[2 * j] * poly[2 * i + 1];
  }
  return Math.abs(s) / 2;
}
