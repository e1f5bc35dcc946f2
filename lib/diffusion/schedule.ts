/**
 * Noise schedules of the variance-preserving forward process q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I)
 * (Ho et al. 2020, Eq. 4), with ᾱ_t = Π_{s≤t} (1 - β_s). Index t = 0 … T-1 is the t-th noising
 * step (ᾱ_0 = 1 - β_0 < 1; the clean data has ᾱ = 1, "before" t = 0).
 *
 * Variants are string literals; anything else is an error:
 * - `linear`: β linear from βstart to βend (Ho et al. 2020, §4: 1e-4 … 0.02 over T = 1000);
 * - `scaled-linear`: √β linear, then squared (latent diffusion, Rombach et al. 2022: 0.00085 … 0.012);
 * - `cosine`: ᾱ(u) = f(u) / f(0), f(u) = cos²((u + s)/(1 + s) · π/2), u = t/T (Nichol & Dhariwal
 *   2021, Eq. 17), β_t = min(1 - ᾱ((t+1)/T) / ᾱ(t/T), maxBeta) (their clipping at 0.999).
 */

export const BETA_SCHEDULES = ["linear", "scaled-linear", "cosine"] as const;
export type BetaScheduleKind = (typeof BETA_SCHEDULES)[number];

/** A discrete schedule: β_t and ᾱ_t for t = 0 … T-1. */
export interface NoiseSchedule {
  /** Where it came from (a variant name, or "alphas-cumprod" for an explicit ᾱ). */
  kind: string;
  /** β_t [T]. */
  betas: Float64Array;
  /** ᾱ_t = Π_{s≤t} (1 - β_s) [T], strictly decreasing in (0, 1). */
  alphasCumprod: Float64Array;
}

/** Settings of `makeSchedule` (defaults: Ho et al.'s linear schedule over 1000 steps). */
export interface ScheduleConfig {
  kind: BetaScheduleKind;
  /** T, the number of training timesteps. */
  numTrainTimesteps: number;
  /** β_0 and β_{T-1} of the linear and scaled-linear variants. */
  betaStart: number;
  betaEnd: number;
  /** s of the cosine schedule (Nichol & Dhariwal: 0.008, so that √β_0 is about the pixel bin size). */
  cosineOffset: number;
  /** Largest β of the cosine schedule (0.999 avoids a singularity at t = T). */
  maxBeta: number;
}

export const DEFAULT_SCHEDULE: ScheduleConfig = { kind: "linear", numTrainTimesteps: 1000, betaStart: 1e-4, betaEnd: 0.02, cosineOffset: 0.008, maxBeta: 0.999 };

/** ᾱ(u) = f(u)/f(0), f(u) = cos²((u + s)/(1 + s) · π/2), for u ∈ [0, 1] (Nichol & Dhariwal 2021, Eq. 17). */
export function cosineAlphaBar(u: number, s = 0.008): number {
  if (!(u >= 0 && u <= 1)) throw new Error(`cosineAlphaBar: u must be in [0, 1], got ${u}`);
  const f = (v: number) => Math.cos(((v + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  return f(u) / f(0);
}

/** ᾱ_t = Π_{s≤t} (1 - β_s). */
export function alphasCumprod(betas: ArrayLike<number>): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let t = 0; t < betas.length; t++) {
    p *= 1 - betas[t];
    out[t] = p;
  }
  return out;
}

function checkBetas(betas: Float64Array, kind: string): void {
  betas.forEach((b, t) => {
    if (!(b > 0 && b < 1)) throw new Error(`noise schedule '${kind}': beta at t = ${t} is ${b}; every beta must be in (0, 1)`);
  });
}

/** β_t for a named variant (see the module comment). */
export function makeSchedule(config: Partial<ScheduleConfig> = {}): NoiseSchedule {
  const cfg = { ...DEFAULT_SCHEDULE, ...config };
  const T = cfg.numTrainTimesteps;
  if (!Number.isInteger(T) || T < 1) throw new Error(`noise schedule: numTrainTimesteps must be a positive integer, got ${T}`);
  let betas: Float64Array;
  switch (cfg.kind) {
    case "linear":
      betas = Float64Array.from({ length: T }, (_, t) => (T === 1 ? cfg.betaStart : cfg.betaStart + ((cfg.betaEnd - cfg.betaStart) * t) / (T - 1)));
      break;
    case "scaled-linear": {
      const a = Math.sqrt(cfg.betaStart);
      const b = Math.sqrt(cfg.betaEnd);
      betas = Float64Array.from({ length: T }, (_, t) => (T === 1 ? a : a + ((b - a) * t) / (T - 1)) ** 2);
      break;
    }
    case "cosine":
      betas = Float64Array.from({ length: T }, (_, t) => Math.min(1 - cosineAlphaBar((t + 1) / T, cfg.cosineOffset) / cosineAlphaBar(t / T, cfg.cosineOffset), cfg.maxBeta));
      break;
    default:
      throw new Error(`noise schedule: unknown kind '${String(cfg.kind)}'; known kinds: ${BETA_SCHEDULES.join(", ")}`);
  }
  checkBetas(betas, cfg.kind);
  return { kind: cfg.kind, betas, alphasCumprod: alphasCumprod(betas) };
}

/**
 * A schedule from explicit ᾱ_0 ≥ ᾱ_1 ≥ … ≥ ᾱ_{T-1} in (0, 1) (β_t = 1 - ᾱ_t / ᾱ_{t-1}, ᾱ_{-1} = 1).
 * Equal neighbours (β_t = 0, e.g. a schedule clipped at a floor) are allowed: such a step only
 * copies x_t.
 */
export function scheduleFromAlphasCumprod(alphaBars: ArrayLike<number>): NoiseSchedule {
  const T = alphaBars.length;
  if (T < 1) throw new Error("scheduleFromAlphasCumprod: needs at least one timestep");
  const ab = Float64Array.from(alphaBars);
  const betas = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const prev = t === 0 ? 1 : ab[t - 1];
    if (!(ab[t] > 0 && ab[t] < 1 && ab[t] <= prev)) {
      throw new Error(`scheduleFromAlphasCumprod: alpha-bar must be in (0, 1) and non-increasing, got ${ab[t]} at t = ${t} after ${prev}`);
    }
    betas[t] = 1 - ab[t] / prev;
  }
  return { kind: "alphas-cumprod", betas, alphasCumprod: ab };
}
