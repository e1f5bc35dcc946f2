/**
 * Theorem 1 (paper §4.1, Eq. 4; Appendix F, Eq. 19-21) tested numerically.
 *
 * Eq. 4:  b(F(G)) <= λ [ L_f b^τ(G, T) + L_g b^τ(F, X) ],  λ "a universal constant".
 * The chain rule it rests on (Chu 2021 / Chu & Raginsky 2023, after Maurer's Gaussian version)
 * has the form  b(F(Y)) <= C [ L_f b(Y) + Δ(Y) b^τ(F, Y) ] + b(F(y0)),  where Y is the set of
 * sample images (g(x_1), ..., g(x_n)) ⊂ R^{nk}, b(Y) = b(G; x) and Δ(Y) its diameter. Appendix F
 * replaces b(Y) by b^τ(G, T) and absorbs Δ(Y) into λ as "a constant of the input space"; both
 * steps drop a factor that grows like √n (Δ(Y) is the diameter of n stacked points, not of one).
 *
 * For each instance we report the left side (exact for linear classes, an ascent lower bound for
 * ReLU classes), both right sides with constant 1, and the constants they would need:
 * impliedLambda = lhs / (L_f b^τ(G) + L_g b^τ(F)), impliedChainC = lhs / (L_f b(G; x) + Δ(Y) b^τ(F)).
 */
import { Presets } from "../../core/profile";
import { Rng } from "../../core/rng";
import { spectralNorm } from "../../math/linalg";
import { mat, Mat } from "../../math/matrix";
import { composeClasses, linearClass, lipschitzBound, mlpClass, NetClass } from "./lipschitz";
import { ascendSup, AscentConfig, checkCount, empiricalRademacher, Estimate, expectedSignedSumNormExact, isFrobeniusLinear, isLinearChain, signedSumNorm, rademacherSigns, summarize, tauExactLinear, tauLowerBound } from "./rademacher";

/** Experiment config for the Theorem 1 notebook section. */
export interface Theorem1Config {
  /** Input dimension d of G: R^d -> R^k. */
  d: number;
  /** Output dimension k of G (input of F). */
  k: number;
  /** Hidden width of the ReLU class F. */
  width: number;
  /** Typical input norm: x_i ~ N(0, scale²/d · I). */
  inputScale: number;
  /** Sample sizes n for the linear∘linear sweep. */
  ns: number[];
  /** Lipschitz constants L (L_f = L_g = L) for the sweep and the slider. */
  lipschitz: number[];
  /** Input scales for the scale sweep (n fixed to the middle of `ns`). */
  scales: number[];
  /** Sign draws per linear estimate (exact inner sup, so cheap). */
  draws: number;
  /** Sample sizes for the ReLU∘linear study (inner sup by ascent: costly). */
  mlpNs: number[];
  /** Restart counts compared for the ascent (the estimate is a lower bound that grows with them). */
  restarts: number[];
  /** Ascent steps per restart. */
  ascentSteps: number;
  /** Sign draws per ReLU estimate. */
  mlpDraws: number;
  /** Sign draws per b^τ candidate pair of the ReLU class. */
  tauDraws: number;
}

export const THEOREM1_PRESETS: Presets<Theorem1Config> = {
  tiny: { d: 4, k: 2, width: 4, inputScale: 1, ns: [4, 16], lipschitz: [1, 2], scales: [1, 2], draws: 40, mlpNs: [8], restarts: [1, 2], ascentSteps: 20, mlpDraws: 4, tauDraws: 2 },
  quick: { d: 8, k: 4, width: 16, inputScale: 1, ns: [4, 8, 16, 32, 64, 128, 256, 512, 1024], lipschitz: [0.5, 1, 2, 4], scales: [0.25, 0.5, 1, 2, 4], draws: 400, mlpNs: [8, 32, 128], restarts: [1, 4, 16], ascentSteps: 60, mlpDraws: 12, tauDraws: 4 },
  paper: { d: 16, k: 8, width: 32, inputScale: 1, ns: [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096], lipschitz: [0.25, 0.5, 1, 2, 4, 8], scales: [0.125, 0.25, 0.5, 1, 2, 4, 8], draws: 2000, mlpNs: [8, 32, 128, 512], restarts: [1, 4, 16, 64], ascentSteps: 100, mlpDraws: 40, tauDraws: 10 },
};

/** n inputs in R^d, x_i ~ N(0, scale²/d I) (so ||x_i|| ≈ scale). */
export function sampleInputs(rng: Rng, n: number, d: number, scale: number): Mat {
  checkCount(n, "sampleInputs: n");
  checkCount(d, "sampleInputs: d");
  const x = mat(n, d);
  const s = scale / Math.sqrt(d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = s * rng.normal();
  return x;
}

/** One instance of Theorem 1: both sides and the constants they imply. */
export interface Theorem1Row {
  n: number;
  Lf: number;
  Lg: number;
  inputScale: number;
  /** b(F∘G; x) (sum convention) and its standard error over sign draws. */
  lhs: number;
  lhsSe: number;
  /** Whether the inner sup was exact (linear classes) or an ascent lower bound. */
  lhsExact: boolean;
  tauG: number;
  tauF: number;
  /** Whether tauF is exact or a lower bound over candidate pairs. */
  tauFExact: boolean;
  /** L_f b^τ(G) + L_g b^τ(F): Eq. 4's bracket (λ = 1). */
  paperRhs: number;
  impliedLambda: number;
  /** b(G; x) = b(Y), exact for the Frobenius ball. */
  bG: number;
  /** Δ(Y) = 2 L_g σ_max(X) for the Frobenius ball G. */
  diamY: number;
  /** L_f b(Y) + Δ(Y) b^τ(F): the chain rule's bracket (C = 1). */
  chainRhs: number;
  impliedChainC: number;
}

/**
 * Evaluates Theorem 1 for F (scalar output, any class) after G (a Frobenius-ball linear class,
 * whose b, b^τ and Δ are exact) on the rows of x.
 */
export function evaluateTheorem1(f: NetClass, g: NetClass, x: Mat, draws: number, tauDraws: number, rng: Rng, ascent: AscentConfig, inputScale: number): Theorem1Row {
  if (!isFrobeniusLinear(g)) throw new Error(`evaluateTheorem1: G must be a Frobenius-ball linear class, got '${g.name}'`);
  const fg = composeClasses(f, g);
  const Lf = lipschitzBound(f);
  const Lg = lipschitzBound(g);
  const lhs = empiricalRademacher(fg, x, draws, rng.fork("lhs"), ascent);
  const tauG = tauExactLinear(g);
  let tauF: number;
  let tauFExact: boolean;
  if (isLinearChain(f)) {
    tauF = tauExactLinear(f);
    tauFExact = true;
  } else {
    const z = sampleInputs(rng.fork("tau-points"), x.rows, f.layers[0].in, inputScale * Lg);
    tauF = tauLowerBound(f, z, tauDraws, rng.fork("tau"), ascent).value;
    tauFExact = false;
  }
  const bG = empiricalRademacher(g, x, draws, rng.fork("bG")).sum.mean;
  const diamY = 2 * Lg * spectralNorm(x);
  const paperRhs = Lf * tauG + Lg * tauF;
  const chainRhs = Lf * bG + diamY * tauF;
  return {
    n: x.rows, Lf, Lg, inputScale,
    lhs: lhs.sum.mean, lhsSe: lhs.sum.se, lhsExact: lhs.exact,
    tauG, tauF, tauFExact, paperRhs, impliedLambda: lhs.sum.mean / paperRhs,
    bG, diamY, chainRhs, impliedChainC: lhs.sum.mean / chainRhs,
  };
}

/** Least-squares slope of log(y) against log(x) (growth exponent). */
export function logLogSlope(xs: number[], ys: number[]): number {
  if (xs.length !== ys.length || xs.length < 2) throw new Error(`logLogSlope: need two equal-length arrays of >= 2 points, got ${xs.length} and ${ys.length}`);
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

/**
 * Sweep 1 (all exact): F = {<w, ·> : ||w|| <= L}, G = {W : ||W||_F <= L}, over n and L; inputs
 * for each n are shared across L. Then the input-scale sweep at the middle n with L = 1.
 */
export function linearSweep(cfg: Theorem1Config, rng: Rng): { byN: Theorem1Row[]; byScale: Theorem1Row[] } {
  const byN: Theorem1Row[] = [];
  for (const n of cfg.ns) {
    const x = sampleInputs(rng.fork(`x-${n}`), n, cfg.d, cfg.inputScale);
    for (const L of cfg.lipschitz) {
      const f = linearClass("linear-F", cfg.k, 1, L);
      const g = linearClass("frobenius-G", cfg.d, cfg.k, L);
      byN.push(evaluateTheorem1(f, g, x, cfg.draws, 1, rng.fork(`lin-${n}-${L}`), { restarts: 1, steps: 1, lr: 0 }, cfg.inputScale));
    }
  }
  const nMid = cfg.ns[Math.floor(cfg.ns.length / 2)];
  const byScale: Theorem1Row[] = [];
  for (const scale of cfg.scales) {
    const x = sampleInputs(rng.fork(`xs-${nMid}`), nMid, cfg.d, scale); // same directions, scaled
    const f = linearClass("linear-F", cfg.k, 1, 1);
    const g = linearClass("frobenius-G", cfg.d, cfg.k, 1);
    byScale.push(evaluateTheorem1(f, g, x, cfg.draws, 1, rng.fork(`scale-${scale}`), { restarts: 1, steps: 1, lr: 0 }, scale));
  }
  return { byN, byScale };
}

/** One row of the ReLU∘linear study. */
export interface MlpStudyRow {
  n: number;
  restarts: number;
  /** Ascent estimate of b(F∘G; x): a lower bound of the true value. */
  lhs: number;
  lhsSe: number;
  /** Certified lower bound: F contains every linear map of norm L_f/2 (width >= 2), so b >= ½ L_f L_g E||Σ ε_i x_i||. */
  linearSubclassLower: number;
  /** Mean over draws of (best restart - first restart) / best: how much restarts add. */
  restartGain: number;
  tauF: number;
  paperRhs: number;
  impliedLambda: number;
  chainRhs: number;
  impliedChainC: number;
}

/**
 * Sweep 2: F = one-hidden-layer ReLU net (||W||_2 <= √L, ||a|| <= √L), G = Frobenius ball of
 * radius 1, L = 1; the ascent's restart count varies on the same sign draws (paired).
 */
export function mlpStudy(cfg: Theorem1Config, rng: Rng, onStep?: () => void): MlpStudyRow[] {
  const rows: MlpStudyRow[] = [];
  const f = mlpClass("relu-F", cfg.k, cfg.width, 1);
  const g = linearClass("frobenius-G", cfg.d, cfg.k, 1);
  const fg = composeClasses(f, g);
  for (const n of cfg.mlpNs) {
    const x = sampleInputs(rng.fork(`mx-${n}`), n, cfg.d, cfg.inputScale);
    const z = sampleInputs(rng.fork(`mz-${n}`), n, cfg.k, cfg.inputScale);
    const tauF = tauLowerBound(f, z, cfg.tauDraws, rng.fork(`mtau-${n}`), { restarts: Math.max(...cfg.restarts), steps: cfg.ascentSteps, lr: 0.3 }).value;
    const bG = empiricalRademacher(g, x, cfg.draws, rng.fork(`mbG-${n}`)).sum.mean;
    const diamY = 2 * spectralNorm(x);
    const lin = new Float64Array(cfg.draws);
    const linRng = rng.fork(`mlin-${n}`);
    for (let t = 0; t < cfg.draws; t++) lin[t] = 0.5 * signedSumNorm(x, rademacherSigns(linRng, n, 1));
    const linearSubclassLower = summarize(lin).mean;
    for (const R of cfg.restarts) {
      const vals = new Float64Array(cfg.mlpDraws);
      const gains = new Float64Array(cfg.mlpDraws);
      for (let t = 0; t < cfg.mlpDraws; t++) {
        const eps = rademacherSigns(rng.fork(`meps-${n}-${t}`), n, 1); // same signs for every R
        const r = ascendSup(fg, x, eps, rng.fork(`masc-${n}-${t}-${R}`), { restarts: R, steps: cfg.ascentSteps, lr: 0.3 });
        vals[t] = r.value;
        gains[t] = r.value > 0 ? (r.value - r.perRestart[0]) / r.value : 0;
      }
      onStep?.();
      const est = summarize(vals);
      const paperRhs = tauExactLinear(g) + tauF; // L_f = L_g = 1
      const chainRhs = bG + diamY * tauF;
      rows.push({
        n, restarts: R, lhs: est.mean, lhsSe: est.se, linearSubclassLower, restartGain: summarize(gains).mean,
        tauF, paperRhs, impliedLambda: est.mean / paperRhs, chainRhs, impliedChainC: est.mean / chainRhs,
      });
    }
  }
  return rows;
}


/** Summary numbers of the linear sweep for the conclusion text. */
export function summarizeLinearSweep(byN: Theorem1Row[], byScale: Theorem1Row[]): {
  lambdaSlopeInN: number;
  lambdaRange: [number, number];
  lambdaSpreadAcrossL: number;
  lambdaSlopeInScale: number;
  chainCRange: [number, number];
  firstNBoundFails: number | null;
} {
  const Ls = Array.from(new Set(byN.map((r) => r.Lf)));
  const rowsL1 = byN.filter((r) => r.Lf === Ls[0]);
  const lambdaSlopeInN = logLogSlope(rowsL1.map((r) => r.n), rowsL1.map((r) => r.impliedLambda));
  const lam = byN.map((r) => r.impliedLambda);
  let spread = 0;
  for (const n of Array.from(new Set(byN.map((r) => r.n)))) {
    const v = byN.filter((r) => r.n === n).map((r) => r.impliedLambda);
    spread = Math.max(spread, (Math.max(...v) - Math.min(...v)) / Math.max(...v));
  }
  const chain = byN.map((r) => r.impliedChainC).concat(byScale.map((r) => r.impliedChainC));
  const fail = rowsL1.find((r) => r.impliedLambda > 1);
  return {
    lambdaSlopeInN,
    lambdaRange: [Math.min(...lam), Math.max(...lam)],
    lambdaSpreadAcrossL: spread,
    lambdaSlopeInScale: logLogSlope(byScale.map((r) => r.inputScale), byScale.map((r) => r.impliedLambda)),
    chainCRange: [Math.min(...chain), Math.max(...chain)],
    firstNBoundFails: fail ? fail.n : null,
  };
}

export type { Estimate };

/** The estimator against a closed form: B·E‖Σ ε_i x_i‖/n of {‖w‖ ≤ B}, enumerated over all 2^n sign vectors, vs Monte Carlo (4 × draws). */
export function closedFormCheck(cfg: Theorem1Config, rng: Rng, n = 12, B = 2): { n: number; B: number; exact: number; mc: number; se: number; zAbs: number } {
  const x = sampleInputs(rng.fork("check-x"), n, cfg.d, 1);
  const exact = (B * expectedSignedSumNormExact(x)) / n;
  const mc = empiricalRademacher(linearClass(`B=${B}`, cfg.d, 1, B), x, 4 * cfg.draws, rng.fork("check-mc")).normalized;
  return { n, B, exact, mc: mc.mean, se: mc.se, zAbs: Math.abs(mc.mean - exact) / mc.se };
}
