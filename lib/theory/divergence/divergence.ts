/**
 * Theorem 2 (paper §6, Eq. 9-10; proof in Appendix G, Eq. 22-30) on a toy where every
 * divergence is computable: D = KL (convex), gold data q(x, c) = π_c N(μ_c, Σ_c) in R^d.
 *
 * Model family p_{θ,E}(x) = N(E, Σ_θ): the embedding E sets the mean, the parameters θ the
 * covariance (`full`: any SPD matrix, `isotropic`: σ² I).
 * - trained WITHOUT conditions (non-spatial, θ_n*, E_n*): min_{θ,E} KL(q(x) || N(E, Σ_θ)) =
 *   moment matching: E = m (mixture mean), Σ = S (total covariance; isotropic: tr S / d · I).
 * - trained ON conditions (spatial, θ_s*, φ_s*): p(x|c) = N(φ(c), Σ_θ) with a per-condition
 *   embedding and shared θ; min_θ E_c min_φ(c) KL(q(x|c) || ·): φ(c) = μ_c, Σ = W = Σ_c π_c Σ_c
 *   (pooled within-condition covariance; isotropic: tr W / d · I). Its marginal
 *   p_s(x) = Σ_c π_c N(μ_c, Σ_θs) is the "model trained on spatial conditions" of Eq. 9.
 *
 * Checked per instance: Eq. 9, Eq. 10 (per condition, as stated, and averaged over c, as proved
 * in Eq. 30), the assumption in three readings (for all c and all θ as stated; at the optima as
 * used in Eq. 29), and the Jensen step Eq. 22 -> 23. Mixture KLs by Monte Carlo with common
 * samples, so differences have small standard errors.
 */
import { Presets } from "../../core/profile";
import { Rng } from "../../core/rng";
import { mat, Mat } from "../../math/matrix";
import { checkCount, Estimate, summarize } from "../rademacher/rademacher";
import { entropyGaussian, Gaussian, gaussian, klGaussian, logpdf } from "../../math/gaussian";
import { orthogonalFactor, traceSolve } from "../../math/linalg";
import { Mixture, mixture, mixtureLogpdf, mixtureMoments, sampleMixture } from "../../math/mixture";

/**
 * KL(q || p) = E_q[log q - log p] by Monte Carlo with n samples from q (mixtures or any
 * log densities); returns the estimate and its standard error.
 */
export function klMonteCarlo(q: Mixture, logp: (x: Float64Array) => number, n: number, rng: Rng): Estimate {
  checkCount(n, "klMonteCarlo: n");
  const { x } = sampleMixture(q, rng, n);
  const d = x.cols;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = x.data.subarray(i * d, (i + 1) * d);
    v[i] = mixtureLogpdf(q, xi) - logp(xi);
  }
  return summarize(v);
}

/** Covariance family of θ. */
export type CovFamily = "full" | "isotropic";

function isotropicLike(a: Mat): Mat {
  const d = a.rows;
  let tr = 0;
  for (let i = 0; i < d; i++) tr += a.data[i * d + i];
  const out = mat(d, d);
  for (let i = 0; i < d; i++) out.data[i * d + i] = tr / d;
  return out;
}

/** Config of the random-instance study. */
export interface Theorem2Config {
  /** Dimension of x. */
  d: number;
  /** Number of conditions K is drawn uniformly from [2, maxConditions]. */
  maxConditions: number;
  /** Condition means μ_c ~ N(0, sep² I), sep ~ U(0, maxSeparation). */
  maxSeparation: number;
  /** Log-eigenvalues of Σ_c ~ N(0, logScaleSpread²): covariance heterogeneity. */
  logScaleSpread: number;
  /** Random instances. */
  instances: number;
  /** Monte-Carlo samples per mixture KL. */
  mcSamples: number;
  /** Covariance family of θ. */
  family: CovFamily;
  /** A strict inequality holds (fails) when its sides differ by more than this many standard errors; otherwise a tie. */
  verdictZ: number;
}

export const THEOREM2_PRESETS: Presets<Theorem2Config> = {
  tiny: { d: 2, maxConditions: 3, maxSeparation: 3, logScaleSpread: 1, instances: 12, mcSamples: 400, family: "full", verdictZ: 3 },
  quick: { d: 2, maxConditions: 4, maxSeparation: 3, logScaleSpread: 1, instances: 300, mcSamples: 4000, family: "full", verdictZ: 3 },
  paper: { d: 2, maxConditions: 5, maxSeparation: 3, logScaleSpread: 1, instances: 2000, mcSamples: 20000, family: "full", verdictZ: 3 },
};

/** A random instance: conditions with prior π, q(x|c) = N(μ_c, Σ_c). */
export function randomInstance(cfg: Theorem2Config, rng: Rng): Mixture {
  const K = rng.int(2, cfg.maxConditions + 1);
  const sep = rng.range(0, cfg.maxSeparation);
  const raw = Array.from({ length: K }, () => -Math.log(1 - rng.uniform())); // Dirichlet(1, ..., 1)
  const tot = raw.reduce((a, b) => a + b, 0);
  const comps: Gaussian[] = [];
  for (let c = 0; c < K; c++) {
    const mean = Array.from({ length: cfg.d }, () => sep * rng.normal());
    comps.push(gaussian(mean, randomCovariance(cfg.d, cfg.logScaleSpread, rng)));
  }
  return mixture(raw.map((r) => r / tot), comps);
}

/**
 * Q diag(exp(z)) Qᵀ with a random rotation Q: the orthogonal factor (mathjs QR) of a Gaussian
 * matrix whose columns are drawn one after another, z ~ N(0, logSpread²) per eigenvalue.
 */
export function randomCovariance(d: number, logSpread: number, rng: Rng): Mat {
  const g = mat(d, d);
  for (let k = 0; k < d; k++) for (let i = 0; i < d; i++) g.data[i * d + k] = rng.normal(); // column k
  const q = orthogonalFactor(g);
  const lam = Array.from({ length: d }, () => Math.exp(logSpread * rng.normal()));
  const out = mat(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += q.data[i * d + k] * lam[k] * q.data[j * d + k];
    out.data[i * d + j] = s;
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) { // exact symmetry
    const a = 0.5 * (out.data[i * d + j] + out.data[j * d + i]);
    out.data[i * d + j] = a;
    out.data[j * d + i] = a;
  }
  return out;
}

/** The two best models of the toy (see the module comment). */
export interface FittedModels {
  /** Non-spatial: N(m, Σ_θn). */
  nonSpatial: Gaussian;
  /** Spatial: N(μ_c, Σ_θs) per condition. */
  spatialPerCondition: Gaussian[];
  /** Its marginal Σ_c π_c N(μ_c, Σ_θs). */
  spatialMarginal: Mixture;
}

export function fitModels(q: Mixture, family: CovFamily): FittedModels {
  const { mean, cov, within } = mixtureMoments(q);
  const sN = family === "full" ? cov : isotropicLike(cov);
  const sS = family === "full" ? within : isotropicLike(within);
  const nonSpatial = gaussian(mean, sN);
  const spatialPerCondition = q.comps.map((c) => gaussian(c.mean, sS));
  return { nonSpatial, spatialPerCondition, spatialMarginal: mixture(q.weights, spatialPerCondition) };
}

/** Outcome of a strict inequality lhs < rhs measured with a standard error. */
export type Verdict = "holds" | "fails" | "tie";

/** lhs - rhs = diff ± se: holds if diff < -z se, fails if diff > z se, otherwise a tie within noise (z = 3 by default). */
export function verdict(diff: number, se = 0, z = 3): Verdict {
  const tol = Math.max(z * se, 1e-12);
  if (diff < -tol) return "holds";
  if (diff > tol) return "fails";
  return "tie";
}

/** Everything measured on one instance. */
export interface Theorem2Row {
  K: number;
  /** tr(B) / tr(W): how separated the conditions are. */
  separation: number;
  /** max_c log det Σ_c - min_c log det Σ_c: how different their spreads are. */
  heterogeneity: number;
  /** Eq. 9: KL(q || p_s marginal) - KL(q || p_n) (paired MC) and its SE. */
  eq9Diff: number;
  eq9Se: number;
  eq9: Verdict;
  /** Eq. 10 averaged over c (what Eq. 30 proves): E_c KL(q_c||p_s(.|c)) - E_c KL(q_c||p_n), exact. */
  eq10MeanDiff: number;
  eq10Mean: Verdict;
  /** Eq. 10 per condition, as stated: fraction of conditions where it fails. */
  eq10PerCFailFraction: number;
  eq10PerC: Verdict;
  /** Assumption at the optima, Eq. 29: E_c min_E KL(q_c||N(E,Σ_θs)) - min_{θ,E} KL(q||p). */
  assumptionEq29Diff: number;
  assumptionEq29Se: number;
  assumptionEq29: Verdict;
  /** Assumption "for any c" at θ = θ_n* (the non-spatial optimum). */
  assumptionAtThetaN: Verdict;
  /** Assumption "for any c and θ" over the tested θ grid (incl. broad covariances t·S). */
  assumptionAllTheta: Verdict;
  /** Largest gap min_E KL(q_c||·) - min_E KL(q||·) over c and the θ grid (> 0: violated). */
  worstAssumptionGap: number;
  /** Jensen step Eq. 22 -> 23: min KL(q||p) - E_c min KL(q_c||p). */
  jensenDiff: number;
  jensen: Verdict;
  /** KL(q || p_n) itself (the non-spatial optimum's divergence). */
  klNonSpatial: number;
}

/**
 * Evaluates Theorem 2's assumption, conclusions and proof step on one instance.
 * `thetaScales` scale S for the "any θ" reading (large t: broad models).
 */
export function evaluateTheorem2(q: Mixture, family: CovFamily, mcSamples: number, rng: Rng, thetaScales: number[] = [0.25, 1, 4, 100, 1e4], z = 3): Theorem2Row {
  const d = q.comps[0].mean.length;
  const fit = fitModels(q, family);
  const { within, between } = mixtureMoments(q);
  const K = q.comps.length;
  // common samples from q
  const { x } = sampleMixture(q, rng, checkCount(mcSamples, "evaluateTheorem2: mcSamples"));
  const logq = new Float64Array(mcSamples);
  const logpn = new Float64Array(mcSamples);
  const logps = new Float64Array(mcSamples);
  for (let i = 0; i < mcSamples; i++) {
    const xi = x.data.subarray(i * d, (i + 1) * d);
    logq[i] = mixtureLogpdf(q, xi);
    logpn[i] = logpdf(fit.nonSpatial, xi);
    logps[i] = mixtureLogpdf(fit.spatialMarginal, xi);
  }
  const eq9Est = summarize(logpn.map((v, i) => v - logps[i])); // KL(q||ps) - KL(q||pn) = E[log pn - log ps]
  const klN = summarize(logq.map((v, i) => v - logpn[i]));
  const negH = summarize(logq); // E_q log q = -H(q)
  // Eq. 10 (exact, Gaussian KLs)
  const perS = q.comps.map((c, k) => klGaussian(c, fit.spatialPerCondition[k]));
  const perN = q.comps.map((c) => klGaussian(c, fit.nonSpatial));
  let meanS = 0;
  let meanN = 0;
  let failC = 0;
  for (let k = 0; k < K; k++) {
    meanS += q.weights[k] * perS[k];
    meanN += q.weights[k] * perN[k];
    if (!(perS[k] < perN[k])) failC++;
  }
  // assumption gaps: for Σ fixed, min_E KL(q_c || N(E, Σ)) - min_E KL(q || N(E, Σ))
  //   = [-H_c + ½(tr Σ⁻¹Σ_c + log det 2πΣ)] - [-H(q) + ½(tr Σ⁻¹ S + log det 2πΣ)]
  const gapsAt = (sigma: Gaussian): { gaps: number[]; se: number } => {
    const trS = traceSolve(sigma.cov, mixtureMoments(q).cov);
    return {
      gaps: q.comps.map((c) => -entropyGaussian(c) + 0.5 * traceSolve(sigma.cov, c.cov) - (negH.mean + 0.5 * trS)),
      se: negH.se,
    };
  };
  const thetaN = gaussian(new Float64Array(d), fit.nonSpatial.cov);
  const atN = gapsAt(thetaN);
  const grid: Gaussian[] = [thetaN, gaussian(new Float64Array(d), fit.spatialPerCondition[0].cov)];
  for (const t of thetaScales) {
    const s = mat(d, d, fit.nonSpatial.cov.data);
    for (let i = 0; i < s.data.length; i++) s.data[i] *= t;
    grid.push(gaussian(new Float64Array(d), s));
  }
  let worst = -Infinity;
  for (const th of grid) for (const gp of gapsAt(th).gaps) worst = Math.max(worst, gp);
  // Eq. 29: E_c KL(q_c || N(μ_c, Σ_θs)) vs KL(q || p_n)
  const eq29Diff = meanS - klN.mean;
  // Jensen step: min_{θ,E} KL(q||p) vs E_c min_{θ,E} KL(q_c||p); the inner min for a Gaussian q_c
  // is 0 in the full family, and KL(N(μ_c,Σ_c) || N(μ_c, tr Σ_c/d I)) in the isotropic one.
  let jensenRhs = 0;
  if (family === "isotropic") {
    q.comps.forEach((c, k) => {
      const iso = gaussian(c.mean, isotropicLike(c.cov));
      jensenRhs += q.weights[k] * klGaussian(c, iso);
    });
  }
  let trW = 0;
  let trB = 0;
  for (let i = 0; i < d; i++) {
    trW += within.data[i * d + i];
    trB += between.data[i * d + i];
  }
  const logDets = q.comps.map((c) => c.logDet);
  return {
    K,
    separation: trB / trW,
    heterogeneity: Math.max(...logDets) - Math.min(...logDets),
    eq9Diff: eq9Est.mean,
    eq9Se: eq9Est.se,
    eq9: verdict(eq9Est.mean, eq9Est.se, z),
    eq10MeanDiff: meanS - meanN,
    eq10Mean: verdict(meanS - meanN, 0, z),
    eq10PerCFailFraction: failC / K,
    eq10PerC: failC > 0 ? "fails" : "holds",
    assumptionEq29Diff: eq29Diff,
    assumptionEq29Se: klN.se,
    assumptionEq29: verdict(eq29Diff, klN.se, z),
    assumptionAtThetaN: verdict(Math.max(...atN.gaps), atN.se, z),
    assumptionAllTheta: verdict(worst, negH.se, z),
    worstAssumptionGap: worst,
    jensenDiff: klN.mean - jensenRhs,
    jensen: verdict(klN.mean - jensenRhs, klN.se, z), // a non-strict "<=": "tie" means it holds with equality
    klNonSpatial: klN.mean,
  };
}

/** Runs `instances` random instances. */
export function theorem2Study(cfg: Theorem2Config, rng: Rng, onStep?: () => void): { rows: Theorem2Row[]; instances: Mixture[] } {
  const rows: Theorem2Row[] = [];
  const instances: Mixture[] = [];
  for (let i = 0; i < cfg.instances; i++) {
    const q = randomInstance(cfg, rng.fork(`instance-${i}`));
    instances.push(q);
    rows.push(evaluateTheorem2(q, cfg.family, cfg.mcSamples, rng.fork(`mc-${i}`), undefined, cfg.verdictZ));
    onStep?.();
  }
  return { rows, instances };
}

/** Counts of verdicts per check, and a cross-tab of the Eq. 29 assumption against Eq. 9. */
export function tallyTheorem2(rows: Theorem2Row[]): { counts: Record<string, Record<Verdict, number>>; assumptionVsEq9: Record<string, number> } {
  const keys: (keyof Theorem2Row)[] = ["eq9", "eq10Mean", "eq10PerC", "assumptionEq29", "assumptionAtThetaN", "assumptionAllTheta", "jensen"];
  const counts: Record<string, Record<Verdict, number>> = {};
  for (const k of keys) {
    counts[k as string] = { holds: 0, fails: 0, tie: 0 };
    for (const r of rows) counts[k as string][r[k] as Verdict]++;
  }
  const cross: Record<string, number> = {};
  for (const r of rows) {
    const key = `assumption ${r.assumptionEq29} / Eq.9 ${r.eq9}`;
    cross[key] = (cross[key] ?? 0) + 1;
  }
  return { counts, assumptionVsEq9: cross };
}
