/**
 * Multivariate Gaussians in Float64 math: validation, log density, score, sampling, entropy and
 * the closed-form KL divergence. Used by Theorem 2's divergence toy (paper §6, Appendix G) and the
 * classifier-guidance toy (Appendix P, Eq. 31-32).
 *
 * The Cholesky factor is cached on construction; the per-point functions (log density, score,
 * sampling) run on it by hand because they sit in the studies' hot loops (bench/math.ts measures
 * them against mathjs' LU solve); the one-off closed forms (KL's trace term) use mathjs.
 */
import { Rng } from "../core/rng";
import { backSolve, cholesky, forwardSolve, traceSolve } from "./linalg";
import { mat, Mat } from "./matrix";

/** N(mean, cov) with its Cholesky factor cached (cov = L Lᵀ). */
export interface Gaussian {
  mean: Float64Array;
  cov: Mat;
  /** Lower-triangular Cholesky factor [d, d]. */
  chol: Mat;
  /** log det cov = 2 Σ log L_ii. */
  logDet: number;
}

/** Builds a validated Gaussian. `cov` is row-major [d*d] or a Mat. */
export function gaussian(mean: ArrayLike<number>, cov: ArrayLike<number> | Mat): Gaussian {
  const d = mean.length;
  if (d < 1) throw new Error("gaussian: mean must have at least one entry");
  let c: Mat;
  if ("rows" in (cov as Mat)) {
    c = cov as Mat;
  } else {
    const arr = cov as ArrayLike<number>;
    if (arr.length !== d * d) throw new Error(`gaussian: covariance has ${arr.length} entries but the mean has ${d}; pass ${d * d} entries (row-major ${d} x ${d})`);
    c = mat(d, d, arr);
  }
  if (c.rows !== d || c.cols !== d) throw new Error(`gaussian: covariance is ${c.rows} x ${c.cols} but the mean has ${d} entries`);
  for (let i = 0; i < d; i++) if (!Number.isFinite(mean[i])) throw new Error(`gaussian: mean entry ${i} is ${mean[i]}; it must be finite`);
  const chol = cholesky(c, "gaussian");
  let logDet = 0;
  for (let i = 0; i < d; i++) logDet += 2 * Math.log(chol.data[i * d + i]);
  return { mean: Float64Array.from(mean), cov: mat(d, d, c.data), chol, logDet };
}

/** Σ⁻¹ v by two triangular solves on the cached factor. */
export function covSolve(g: Gaussian, v: ArrayLike<number>): Float64Array {
  return backSolve(g.chol, forwardSolve(g.chol, v));
}

/** log N(x; μ, Σ) = -½ [ (x-μ)ᵀ Σ⁻¹ (x-μ) + log det Σ + d log 2π ]. */
export function logpdf(g: Gaussian, x: ArrayLike<number>): number {
  const d = g.mean.length;
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = x[i] - g.mean[i];
  const y = forwardSolve(g.chol, diff);
  let q = 0;
  for (let i = 0; i < d; i++) q += y[i] * y[i];
  return -0.5 * (q + g.logDet + d * Math.log(2 * Math.PI));
}

/** ∇_x log N(x; μ, Σ) = -Σ⁻¹ (x - μ). */
export function gaussianScore(g: Gaussian, x: ArrayLike<number>): Float64Array {
  const d = g.mean.length;
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = g.mean[i] - x[i];
  return covSolve(g, diff);
}

/** One sample μ + L z, z ~ N(0, I) (d normals from `rng`, in order). */
export function sampleGaussian(g: Gaussian, rng: Rng): Float64Array {
  const d = g.mean.length;
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) z[i] = rng.normal();
  const x = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = g.mean[i];
    for (let k = 0; k <= i; k++) s += g.chol.data[i * d + k] * z[k];
    x[i] = s;
  }
  return x;
}

/** Differential entropy ½ log det(2πe Σ). */
export function entropyGaussian(g: Gaussian): number {
  const d = g.mean.length;
  return 0.5 * (g.logDet + d * Math.log(2 * Math.PI * Math.E));
}

/**
 * KL(p || q) = ½ [ tr(Σ_q⁻¹ Σ_p) + (μ_q - μ_p)ᵀ Σ_q⁻¹ (μ_q - μ_p) - d + log det Σ_q - log det Σ_p ]
 * (the trace term by mathjs' LU solve).
 */
export function klGaussian(p: Gaussian, q: Gaussian): number {
  const d = p.mean.length;
  if (q.mean.length !== d) throw new Error(`klGaussian: dimensions differ (${d} vs ${q.mean.length})`);
  const dm = new Float64Array(d);
  for (let i = 0; i < d; i++) dm[i] = q.mean[i] - p.mean[i];
  const y = forwardSolve(q.chol, dm);
  let maha = 0;
  for (let i = 0; i < d; i++) maha += y[i] * y[i];
  return 0.5 * (traceSolve(q.cov, p.cov) + maha - d + q.logDet - p.logDet);
}

/** Points on the nσ ellipse of a 2-D Gaussian (for plots): μ + n L (cos θ, sin θ). */
export function covarianceEllipse(g: Gaussian, nSigma = 2, points = 60): { x: number[]; y: number[] } {
  if (g.mean.length !== 2) throw new Error(`covarianceEllipse: needs a 2-D Gaussian, got dimension ${g.mean.length}`);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i <= points; i++) {
    const t = (2 * Math.PI * i) / points;
    const c = Math.cos(t);
    const s = Math.sin(t);
    x.push(g.mean[0] + nSigma * g.chol.data[0] * c);
    y.push(g.mean[1] + nSigma * (g.chol.data[2] * c + g.chol.data[3] * s));
  }
  return { x, y };
}
