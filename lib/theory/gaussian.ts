/**
 * Multivariate Gaussians and Gaussian mixtures in Float64 math: validation, Cholesky, log
 * densities, sampling, scores, entropy and the closed-form KL divergence. Used by Theorem 2's
 * divergence toy (paper §6, Appendix G) and the classifier-guidance toy (Appendix P, Eq. 31-32).
 */
import { Rng } from "../core/rng";
import { mat, Mat } from "./lipschitz";

/** N(mean, cov) with its Cholesky factor cached (cov = L Lᵀ). */
export interface Gaussian {
  mean: Float64Array;
  cov: Mat;
  /** Lower-triangular Cholesky factor [d, d]. */
  chol: Mat;
  logDet: number;
}

/** Cholesky factor of a symmetric positive definite matrix; throws with the failing pivot otherwise. */
export function cholesky(a: Mat, what = "cholesky"): Mat {
  const d = a.rows;
  if (a.cols !== d) throw new Error(`${what}: covariance must be square, got ${a.rows} x ${a.cols}`);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const x = a.data[i * d + j];
      const y = a.data[j * d + i];
      if (!Number.isFinite(x) || Math.abs(x - y) > 1e-9 * (1 + Math.abs(x) + Math.abs(y))) {
        throw new Error(`${what}: covariance must be symmetric, entry (${i}, ${j}) = ${x} but (${j}, ${i}) = ${y}`);
      }
    }
  }
  const l = mat(d, d);
  for (let j = 0; j < d; j++) {
    let s = a.data[j * d + j];
    for (let k = 0; k < j; k++) s -= l.data[j * d + k] ** 2;
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new Error(`${what}: covariance is not positive definite (pivot ${j} is ${s}); use a symmetric matrix with all eigenvalues > 0, e.g. add a small multiple of the identity`);
    }
    const ljj = Math.sqrt(s);
    l.data[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a.data[i * d + j];
      for (let k = 0; k < j; k++) t -= l.data[i * d + k] * l.data[j * d + k];
      l.data[i * d + j] = t / ljj;
    }
  }
  return l;
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

/** Solves L y = b (L lower triangular). */
function forwardSolve(l: Mat, b: ArrayLike<number>): Float64Array {
  const d = l.rows;
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l.data[i * d + k] * y[k];
    y[i] = s / l.data[i * d + i];
  }
  return y;
}

/** Solves Lᵀ x = y. */
function backSolve(l: Mat, y: ArrayLike<number>): Float64Array {
  const d = l.rows;
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < d; k++) s -= l.data[k * d + i] * x[k];
    x[i] = s / l.data[i * d + i];
  }
  return x;
}

/** Σ⁻¹ v. */
export function covSolve(g: Gaussian, v: ArrayLike<number>): Float64Array {
  return backSolve(g.chol, forwardSolve(g.chol, v));
}

/** log N(x; μ, Σ). */
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

/** One sample μ + L z. */
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

/** tr(Σ_q⁻¹ A) for a Gaussian q and a square matrix A. */
export function traceSolve(q: Gaussian, a: Mat): number {
  const d = q.mean.length;
  let tr = 0;
  for (let j = 0; j < d; j++) {
    const col = new Float64Array(d);
    for (let i = 0; i < d; i++) col[i] = a.data[i * d + j];
    tr += covSolve(q, col)[j];
  }
  return tr;
}

/**
 * KL(p || q) = ½ [ tr(Σ_q⁻¹ Σ_p) + (μ_q - μ_p)ᵀ Σ_q⁻¹ (μ_q - μ_p) - d + log det Σ_q - log det Σ_p ].
 */
export function klGaussian(p: Gaussian, q: Gaussian): number {
  const d = p.mean.length;
  if (q.mean.length !== d) throw new Error(`klGaussian: dimensions differ (${d} vs ${q.mean.length})`);
  const dm = new Float64Array(d);
  for (let i = 0; i < d; i++) dm[i] = q.mean[i] - p.mean[i];
  const y = forwardSolve(q.chol, dm);
  let maha = 0;
  for (let i = 0; i < d; i++) maha += y[i] * y[i];
  return 0.5 * (traceSolve(q, p.cov) + maha - d + q.logDet - p.logDet);
}

/** A Gaussian mixture Σ_k w_k N(μ_k, Σ_k); `labels[k]` is the condition/class of component k. */
export interface Mixture {
  weights: Float64Array;
  comps: Gaussian[];
  labels: number[];
}

/** Validates and builds a mixture (weights >= 0 summing to 1 within 1e-9). */
export function mixture(weights: ArrayLike<number>, comps: Gaussian[], labels?: number[]): Mixture {
  if (comps.length === 0) throw new Error("mixture: needs at least one component");
  if (weights.length !== comps.length) throw new Error(`mixture: ${weights.length} weights for ${comps.length} components`);
  let s = 0;
  for (let k = 0; k < weights.length; k++) {
    if (!(weights[k] >= 0) || !Number.isFinite(weights[k])) throw new Error(`mixture: weight ${k} is ${weights[k]}; weights must be finite and >= 0`);
    s += weights[k];
  }
  if (Math.abs(s - 1) > 1e-9) throw new Error(`mixture: weights sum to ${s}; they must sum to 1`);
  const d = comps[0].mean.length;
  comps.forEach((c, k) => {
    if (c.mean.length !== d) throw new Error(`mixture: component ${k} has dimension ${c.mean.length}, component 0 has ${d}`);
  });
  const lab = labels ?? comps.map((_, k) => k);
  if (lab.length !== comps.length) throw new Error(`mixture: ${lab.length} labels for ${comps.length} components`);
  return { weights: Float64Array.from(weights), comps, labels: lab.slice() };
}

/** log Σ_k exp(a_k), stable. */
export function logSumExp(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i] - m);
  return m + Math.log(s);
}

/** Per-component log w_k + log N_k(x). */
export function componentLogJoint(m: Mixture, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.comps.length);
  for (let k = 0; k < m.comps.length; k++) out[k] = m.weights[k] > 0 ? Math.log(m.weights[k]) + logpdf(m.comps[k], x) : -Infinity;
  return out;
}

export function mixtureLogpdf(m: Mixture, x: ArrayLike<number>): number {
  return logSumExp(componentLogJoint(m, x));
}

/** ∇_x log p(x) = Σ_k r_k(x) (-Σ_k⁻¹ (x - μ_k)), r_k the responsibilities. */
export function mixtureScore(m: Mixture, x: ArrayLike<number>): Float64Array {
  const lj = componentLogJoint(m, x);
  const lse = logSumExp(lj);
  const d = x.length;
  const out = new Float64Array(d);
  for (let k = 0; k < lj.length; k++) {
    const r = Math.exp(lj[k] - lse);
    if (r === 0) continue;
    const s = gaussianScore(m.comps[k], x);
    for (let i = 0; i < d; i++) out[i] += r * s[i];
  }
  return out;
}

/** Samples n points; returns them [n, d] and the component index of each. */
export function sampleMixture(m: Mixture, rng: Rng, n: number): { x: Mat; comp: Int32Array } {
  const d = m.comps[0].mean.length;
  const x = mat(n, d);
  const comp = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let k = 0;
    while (k < m.weights.length - 1 && u >= m.weights[k]) {
      u -= m.weights[k];
      k++;
    }
    comp[i] = k;
    x.data.set(sampleGaussian(m.comps[k], rng), i * d);
  }
  return { x, comp };
}

/** Mean and covariance of a mixture (moment matching: the best single Gaussian in KL(q || ·)). */
export function mixtureMoments(m: Mixture): { mean: Float64Array; cov: Mat; within: Mat; between: Mat } {
  const d = m.comps[0].mean.length;
  const mean = new Float64Array(d);
  m.comps.forEach((c, k) => {
    for (let i = 0; i < d; i++) mean[i] += m.weights[k] * c.mean[i];
  });
  const within = mat(d, d);
  const between = mat(d, d);
  m.comps.forEach((c, k) => {
    const w = m.weights[k];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        within.data[i * d + j] += w * c.cov.data[i * d + j];
        between.data[i * d + j] += w * (c.mean[i] - mean[i]) * (c.mean[j] - mean[j]);
      }
    }
  });
  const cov = mat(d, d);
  for (let i = 0; i < d * d; i++) cov.data[i] = within.data[i] + between.data[i];
  return { mean, cov, within, between };
}

/** The mixture of the components with label y, weights renormalised: p(x | y). */
export function classConditional(m: Mixture, y: number): Mixture {
  const idx = m.labels.map((l, k) => (l === y ? k : -1)).filter((k) => k >= 0);
  if (idx.length === 0) throw new Error(`classConditional: no component has label ${y}; labels are ${Array.from(new Set(m.labels)).join(", ")}`);
  let s = 0;
  for (const k of idx) s += m.weights[k];
  if (!(s > 0)) throw new Error(`classConditional: class ${y} has zero prior weight`);
  return mixture(idx.map((k) => m.weights[k] / s), idx.map((k) => m.comps[k]), idx.map(() => y));
}

/** log p(y | x) = log Σ_{k: label y} w_k N_k(x) - log p(x). */
export function classLogPosterior(m: Mixture, y: number, x: ArrayLike<number>): number {
  const lj = componentLogJoint(m, x);
  const sel: number[] = [];
  m.labels.forEach((l, k) => {
    if (l === y) sel.push(lj[k]);
  });
  if (sel.length === 0) throw new Error(`classLogPosterior: no component has label ${y}`);
  return logSumExp(sel) - logSumExp(lj);
}

/** Prior probability of class y. */
export function classPrior(m: Mixture, y: number): number {
  let s = 0;
  m.labels.forEach((l, k) => {
    if (l === y) s += m.weights[k];
  });
  return s;
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
