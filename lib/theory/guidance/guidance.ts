/**
 * A 2-D toy diffusion with EXACT scores, for Appendix P (Eq. 31-32): classifier guidance
 *   ∇ log p_t(x | y) = ∇ log p_t(x) + ∇ log p_t(y | x)      (∇_x log p(y) = 0)
 * on Gaussian-mixture data under the variance-preserving forward process
 *   x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε,
 * whose marginals stay Gaussian mixtures: component k becomes N(√ᾱ μ_k, ᾱ Σ_k + (1 - ᾱ) I).
 * The guided score with scale s is ∇ log p_t(x) + s ∇ log p_t(y | x); s = 1 is the exact
 * conditional score, s = 0 the unconditional one. Samples come from DDPM ancestral sampling
 * (lib/diffusion's DDPMScheduler) driven by the score (x̂_0 by Tweedie's formula).
 */
import { Presets } from "../../core/profile";
import { Rng } from "../../core/rng";
import { DDPMScheduler } from "../../diffusion/ddpm";
import { classifierGuidedScore, tweedieX0 } from "../../diffusion/guidance";
import { cosineAlphaBar, NoiseSchedule, scheduleFromAlphasCumprod } from "../../diffusion/schedule";
import { mat, Mat } from "../../math/matrix";
import { gaussian } from "../../math/gaussian";
import { classConditional, classLogPosterior, classPrior, Mixture, mixture, mixtureLogpdf, mixtureScore } from "../../math/mixture";

/** The data distribution at noise level ᾱ ∈ (0, 1]. */
export function noisedMixture(m: Mixture, alphaBar: number): Mixture {
  if (!(alphaBar > 0 && alphaBar <= 1)) throw new Error(`noisedMixture: alphaBar must be in (0, 1], got ${alphaBar}`);
  const a = Math.sqrt(alphaBar);
  const comps = m.comps.map((c) => {
    const d = c.mean.length;
    const cov = mat(d, d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov.data[i * d + j] = alphaBar * c.cov.data[i * d + j] + (i === j ? 1 - alphaBar : 0);
    return gaussian(Array.from(c.mean, (v) => a * v), cov);
  });
  return mixture(m.weights, comps, m.labels);
}

/** Central finite-difference gradient of a scalar function (step h). */
export function finiteDifferenceGrad(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-5): Float64Array {
  const d = x.length;
  const g = new Float64Array(d);
  const xp = Float64Array.from(x);
  for (let i = 0; i < d; i++) {
    const x0 = xp[i];
    xp[i] = x0 + h;
    const fp = f(xp);
    xp[i] = x0 - h;
    const fm = f(xp);
    xp[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** The three scores of Eq. 31 at x for class y: ∇log p(x), ∇log p(x|y), ∇log p(y|x) = difference. */
export function scoreDecomposition(m: Mixture, y: number, x: ArrayLike<number>): { uncond: Float64Array; cond: Float64Array; classifier: Float64Array } {
  const uncond = mixtureScore(m, x);
  const cond = mixtureScore(classConditional(m, y), x);
  const classifier = cond.map((v, i) => v - uncond[i]);
  return { uncond, cond, classifier };
}

/** Guided score ∇ log p(x) + s ∇ log p(y | x) (lib/diffusion's classifier guidance with the exact classifier). */
export function guidedScore(m: Mixture, y: number, x: ArrayLike<number>, scale: number): Float64Array {
  const { uncond, classifier } = scoreDecomposition(m, y, x);
  return classifierGuidedScore(uncond, classifier, scale);
}

/** Smallest ᾱ of the toy's schedule: the cosine schedule reaches 0 at u = 1; the floor keeps the last steps finite. */
export const TOY_ALPHA_FLOOR = 1e-4;

/** ᾱ(u) of the toy: the cosine schedule (Nichol & Dhariwal 2021, Eq. 17) floored at `TOY_ALPHA_FLOOR`, u ∈ [0, 1]. */
export function toyAlphaBar(u: number): number {
  return Math.max(TOY_ALPHA_FLOOR, cosineAlphaBar(u));
}

/** The toy's discrete schedule with `steps` timesteps: ᾱ_t = toyAlphaBar((t + 1) / steps), t = 0 … steps-1. */
export function toySchedule(steps: number): NoiseSchedule {
  return scheduleFromAlphasCumprod(Array.from({ length: steps }, (_, t) => toyAlphaBar((t + 1) / steps)));
}

/** Sampler settings. */
export interface GuidanceConfig {
  /** Denoising steps. */
  steps: number;
  /** Samples per guidance scale. */
  samples: number;
  /** Guidance scales compared (0 = unconditional, 1 = exact conditional). */
  scales: number[];
  /** The class that guidance asks for. */
  targetClass: number;
  /** Grid points per axis for the tilted-target integrals. */
  grid: number;
  /** Step counts for the discretisation check (scales 1 and 4). */
  convergenceSteps: number[];
  /** Samples per (steps, scale) in the discretisation check. */
  convergenceSamples: number;
  /** Grid points per axis of the Eq. 31-32 finite-difference check. */
  decompositionGrid: number;
  /** Noise levels ᾱ of the Eq. 31-32 check and of the learned classifier's evaluation. */
  noiseLevels: number[];
}

export const GUIDANCE_PRESETS: Presets<GuidanceConfig> = {
  tiny: { steps: 40, samples: 200, scales: [0, 1, 4], targetClass: 1, grid: 60, convergenceSteps: [10, 40], convergenceSamples: 200, decompositionGrid: 5, noiseLevels: [1, 0.5, 0.1, 0.01] },
  quick: { steps: 100, samples: 1500, scales: [0, 0.5, 1, 2, 4, 8, 16], targetClass: 1, grid: 200, convergenceSteps: [25, 100, 400], convergenceSamples: 1500, decompositionGrid: 15, noiseLevels: [1, 0.5, 0.1, 0.01] },
  paper: { steps: 400, samples: 10000, scales: [0, 0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 32], targetClass: 1, grid: 400, convergenceSteps: [25, 100, 400, 1600], convergenceSamples: 10000, decompositionGrid: 25, noiseLevels: [1, 0.5, 0.1, 0.01] },
};

/**
 * The toy data: three classes in 2-D; class 0 has two components (a bimodal class), classes 1
 * and 2 one each, with overlaps so that guidance has something to sharpen.
 */
export function toyMixture(): Mixture {
  const g = (mx: number, my: number, sxx: number, sxy: number, syy: number) => gaussian([mx, my], [sxx, sxy, sxy, syy]);
  return mixture(
    [0.25, 0.25, 0.3, 0.2],
    [g(-1.5, 0.8, 0.25, 0.05, 0.2), g(1.5, 1.2, 0.2, -0.05, 0.25), g(0.3, 0.2, 0.45, 0.2, 0.3), g(0, -1.4, 0.5, 0, 0.15)],
    [0, 0, 1, 2],
  );
}

/**
 * DDPM ancestral sampling with the guided exact score at each step: x̂_0 by Tweedie's formula,
 * then lib/diffusion's DDPM step x_{t-1} ~ q(x_{t-1} | x_t, x̂_0) (Ho et al. 2020, Eq. 7), over all
 * `steps` timesteps of `toySchedule(steps)`. Returns samples [n, d].
 */
export function sampleGuided(m: Mixture, y: number, scale: number, n: number, steps: number, rng: Rng): Mat {
  if (!Number.isFinite(scale)) throw new Error(`sampleGuided: guidance scale must be finite, got ${scale}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`sampleGuided: steps must be a positive integer, got ${steps}`);
  const d = m.comps[0].mean.length;
  const scheduler = new DDPMScheduler(toySchedule(steps), { prediction: "sample" });
  const noised = Array.from(scheduler.schedule.alphasCumprod, (a) => noisedMixture(m, a)); // p_t for every timestep
  const out = mat(n, d);
  for (let i = 0; i < n; i++) {
    let x: Float64Array = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = rng.normal();
    for (const t of scheduler.timesteps) {
      const x0 = tweedieX0(x, guidedScore(noised[t], y, x, scale), scheduler.alphaProd(t));
      // z is drawn at every step, the last one too (where the step adds no noise), so that each chain uses d normals per step
      const z = Float64Array.from({ length: d }, () => rng.normal());
      x = scheduler.step(x0, t, x, { noise: z }).prevSample;
    }
    out.data.set(x, i * d);
  }
  return out;
}

/** Summary of samples for one guidance scale. */
export interface GuidanceRow {
  scale: number;
  /** Mean of p_0(y | x) over samples (how strongly they express class y). */
  meanPosterior: number;
  /** Its standard error over samples. */
  meanPosteriorSe: number;
  /** Share of samples whose most probable class is y. */
  argmaxShare: number;
  /** √(tr Cov(samples)): spread / diversity. */
  spread: number;
  /** Mean log p_0(x | y) of the samples (fit to the true conditional). */
  meanLogCond: number;
  /** What a naive reading expects: E[p_0(y|x)] under the tilted target p_0(x) p_0(y|x)^s / Z (grid integral). */
  tiltedMeanPosterior: number;
  /** √(tr Cov) of the tilted target (grid). */
  tiltedSpread: number;
}

/** Mean and covariance trace of weighted points. */
function weightedSpread(xs: number[][], w: number[]): number {
  const tot = w.reduce((a, b) => a + b, 0);
  const d = xs[0].length;
  const mean = new Array(d).fill(0);
  xs.forEach((x, i) => x.forEach((v, j) => (mean[j] += (w[i] * v) / tot)));
  let tr = 0;
  xs.forEach((x, i) => x.forEach((v, j) => (tr += (w[i] * (v - mean[j]) ** 2) / tot)));
  return Math.sqrt(tr);
}

/** Class with the largest posterior at x. */
export function argmaxClass(m: Mixture, x: ArrayLike<number>): number {
  const classes = Array.from(new Set(m.labels));
  let best = classes[0];
  let bv = -Infinity;
  for (const c of classes) {
    const v = classLogPosterior(m, c, x);
    if (v > bv) {
      bv = v;
      best = c;
    }
  }
  return best;
}

/** Samples for every scale of the config and their summaries. */
export function guidanceStudy(m: Mixture, cfg: GuidanceConfig, rng: Rng, onStep?: () => void): { rows: GuidanceRow[]; samples: Mat[] } {
  const y = cfg.targetClass;
  const cond = classConditional(m, y);
  const rows: GuidanceRow[] = [];
  const samples: Mat[] = [];
  for (const s of cfg.scales) {
    const xs = sampleGuided(m, y, s, cfg.samples, cfg.steps, rng.fork(`scale-${s}`));
    samples.push(xs);
    let post = 0;
    let post2 = 0;
    let arg = 0;
    let logc = 0;
    const pts: number[][] = [];
    for (let i = 0; i < xs.rows; i++) {
      const p = Array.from(xs.data.subarray(i * 2, i * 2 + 2));
      pts.push(p);
      const py = Math.exp(classLogPosterior(m, y, p));
      post += py;
      post2 += py * py;
      arg += argmaxClass(m, p) === y ? 1 : 0;
      logc += mixtureLogpdf(cond, p);
    }
    const tilted = tiltedTarget(m, y, s, cfg.grid);
    rows.push({
      scale: s,
      meanPosterior: post / xs.rows,
      meanPosteriorSe: Math.sqrt(Math.max(0, post2 / xs.rows - (post / xs.rows) ** 2) / Math.max(1, xs.rows - 1)),
      argmaxShare: arg / xs.rows,
      spread: weightedSpread(pts, pts.map(() => 1)),
      meanLogCond: logc / xs.rows,
      tiltedMeanPosterior: tilted.meanPosterior,
      tiltedSpread: tilted.spread,
    });
    onStep?.();
  }
  return { rows, samples };
}

/** One row of the numerical check of Eq. 31 at one noise level and class. */
export interface DecompositionCheck {
  alphaBar: number;
  y: number;
  points: number;
  /** max |closed-form ∇log p_t(x) − finite differences of log p_t(x)| over points and coordinates. */
  maxErrUncondScore: number;
  /** max |closed-form ∇log p_t(x|y) − finite differences of log p_t(x|y)|. */
  maxErrCondScore: number;
  /** max |∇log p_t(x|y) − ∇log p_t(x) − finite differences of log p_t(y|x)|: Eq. 31. */
  maxErrIdentity: number;
  /** max |log p(x|y) − log p(x) − log p(y|x) + log p(y)|: Eq. 32. */
  maxErrEq32: number;
  /** max ‖∇log p_t(y|x)‖ over the points (how large the classifier term is). */
  maxClassifierNorm: number;
}

/** Checks Eq. 31-32 with finite differences (step h) on a points grid over [-3, 3]². */
export function checkDecomposition(m: Mixture, alphaBars: number[], gridPerAxis: number, h = 1e-5): DecompositionCheck[] {
  const pts: number[][] = [];
  for (let a = 0; a < gridPerAxis; a++) for (let b = 0; b < gridPerAxis; b++) pts.push([-3 + (6 * a) / Math.max(1, gridPerAxis - 1), -3 + (6 * b) / Math.max(1, gridPerAxis - 1)]);
  const rows: DecompositionCheck[] = [];
  const classes = Array.from(new Set(m.labels));
  for (const ab of alphaBars) {
    const mt = noisedMixture(m, ab);
    for (const y of classes) {
      const cond = classConditional(mt, y);
      let eU = 0;
      let eC = 0;
      let eI = 0;
      let e32 = 0;
      let cn = 0;
      const logPy = Math.log(classPrior(m, y));
      for (const p of pts) {
        const { uncond, cond: cs, classifier } = scoreDecomposition(mt, y, p);
        const fdU = finiteDifferenceGrad((x) => mixtureLogpdf(mt, x), p, h);
        const fdC = finiteDifferenceGrad((x) => mixtureLogpdf(cond, x), p, h);
        const fdY = finiteDifferenceGrad((x) => classLogPosterior(mt, y, x), p, h);
        for (let i = 0; i < 2; i++) {
          eU = Math.max(eU, Math.abs(uncond[i] - fdU[i]));
          eC = Math.max(eC, Math.abs(cs[i] - fdC[i]));
          eI = Math.max(eI, Math.abs(cs[i] - uncond[i] - fdY[i]));
        }
        cn = Math.max(cn, Math.hypot(classifier[0], classifier[1]));
        e32 = Math.max(e32, Math.abs(mixtureLogpdf(cond, p) - mixtureLogpdf(mt, p) - classLogPosterior(mt, y, p) + logPy));
      }
      rows.push({ alphaBar: ab, y, points: pts.length, maxErrUncondScore: eU, maxErrCondScore: eC, maxErrIdentity: eI, maxErrEq32: e32, maxClassifierNorm: cn });
    }
  }
  return rows;
}

/** log p_0(x) on a grid over [lo, hi]² (for contour plots). */
export function densityGrid(m: Mixture, lo: number, hi: number, n: number): { x: number[]; y: number[]; z: number[][] } {
  const x = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const z = x.map((yy) => x.map((xx) => Math.exp(mixtureLogpdf(m, [xx, yy]))));
  return { x, y: x.slice(), z };
}

/** E[p_0(y|x)] and spread of the tilted target p_0(x) p_0(y|x)^s / Z by a grid integral over [-4, 4]². */
export function tiltedTarget(m: Mixture, y: number, scale: number, grid: number): { meanPosterior: number; spread: number } {
  const pts: number[][] = [];
  for (let a = 0; a < grid; a++) for (let b = 0; b < grid; b++) pts.push([-4 + ((a + 0.5) * 8) / grid, -4 + ((b + 0.5) * 8) / grid]);
  const lp = pts.map((p) => mixtureLogpdf(m, p));
  const lpy = pts.map((p) => classLogPosterior(m, y, p));
  const lw = lp.map((v, i) => v + scale * lpy[i]);
  const mx = Math.max(...lw);
  const w = lw.map((v) => Math.exp(v - mx));
  const wt = w.reduce((a, b) => a + b, 0);
  return { meanPosterior: w.reduce((acc, wi, i) => acc + wi * Math.exp(lpy[i]), 0) / wt, spread: weightedSpread(pts, w) };
}

/** One row of the discretisation check. */
export interface ConvergenceRow {
  steps: number;
  scale: number;
  meanPosterior: number;
  se: number;
  /** The tilted target's E[p_0(y|x)] (equal to the exact conditional's at s = 1). */
  tiltedMeanPosterior: number;
}

/** Mean p_0(y|x) of guided samples for several step counts at scales 1 and 4: separates discretisation error from the tilted-target gap. */
export function stepConvergence(m: Mixture, cfg: GuidanceConfig, rng: Rng, onStep?: () => void): ConvergenceRow[] {
  const rows: ConvergenceRow[] = [];
  for (const scale of [1, 4]) {
    const target = tiltedTarget(m, cfg.targetClass, scale, cfg.grid).meanPosterior;
    for (const steps of cfg.convergenceSteps) {
      const xs = sampleGuided(m, cfg.targetClass, scale, cfg.convergenceSamples, steps, rng.fork(`conv-${scale}-${steps}`));
      const { mean, se } = meanPosteriorOf(m, cfg.targetClass, xs);
      rows.push({ steps, scale, meanPosterior: mean, se, tiltedMeanPosterior: target });
      onStep?.();
    }
  }
  return rows;
}

/** Mean p_0(y | x) of samples and its standard error. */
export function meanPosteriorOf(m: Mixture, y: number, xs: Mat): { mean: number; se: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < xs.rows; i++) {
    const v = Math.exp(classLogPosterior(m, y, xs.data.subarray(2 * i, 2 * i + 2)));
    s += v;
    s2 += v * v;
  }
  const mean = s / xs.rows;
  return { mean, se: Math.sqrt(Math.max(0, s2 / xs.rows - mean * mean) / Math.max(1, xs.rows - 1)) };
}
