/**
 * Gaussian mixtures Σ_k w_k N(μ_k, Σ_k) with a class label per component: log density, score,
 * sampling, moments, class conditionals and class posteriors. Used by Theorem 2's divergence toy
 * (paper §6, Appendix G) and the classifier-guidance toy (Appendix P, Eq. 31-32).
 */
import { Rng } from "../core/rng";
import { Gaussian, gaussianScore, logpdf, sampleGaussian } from "./gaussian";
import { mat, Mat } from "./matrix";

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
