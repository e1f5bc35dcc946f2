/**
 * DDPM ancestral sampling (Ho, Jain & Abbeel 2020), as a scheduler with no model inside: the
 * caller runs the model and passes its output to `step`.
 *
 *   const sched = new DDPMScheduler(makeSchedule({ kind: "cosine", numTrainTimesteps: 1000 }));
 *   sched.setTimesteps(50);
 *   for (const t of sched.timesteps) x = sched.step(model(x, t), t, x, { rng }).prevSample;
 */
import { linearCombination, Sample } from "./ops";
import { NoiseSchedule } from "./schedule";
import { checkOneOf, disposeIfTensor, NoiseScheduler, SchedulerOptions, StepOptions, StepResult } from "./scheduler";

export const DDPM_VARIANCES = ["fixed-small", "fixed-large"] as const;
/**
 * σ_t² of the reverse step: `fixed-small` = β̃_t (the posterior variance, Eq. 7), `fixed-large`
 * = β_t (Ho et al. §3.2: both give similar samples; β̃ is optimal for deterministic x_0).
 */
export type DDPMVariance = (typeof DDPM_VARIANCES)[number];

export interface DDPMOptions extends SchedulerOptions {
  variance: DDPMVariance;
}

/** The posterior q(x_{t-1} | x_t, x_0) = N(coefX0 x_0 + coefXt x_t, variance I) of one step. */
export interface Posterior {
  /** √ᾱ_{t-1} β_t / (1 - ᾱ_t) (Eq. 7). */
  coefX0: number;
  /** √α_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t) (Eq. 7). */
  coefXt: number;
  /** σ_t² of the reverse step (β̃_t or β_t; 0 for the last step, which adds no noise). */
  variance: number;
  alphaProd: number;
  alphaProdPrev: number;
}

export class DDPMScheduler extends NoiseScheduler {
  protected readonly name = "DDPMScheduler";
  readonly variance: DDPMVariance;

  constructor(schedule: NoiseSchedule, options: Partial<DDPMOptions> = {}) {
    const { variance = "fixed-small", ...rest } = options;
    super(schedule, rest);
    this.variance = checkOneOf("DDPMScheduler: variance", variance, DDPM_VARIANCES);
  }

  /**
   * The step from t to its predecessor t' in the inference sequence. With fewer inference steps
   * than T the jump spans several training steps: α_t = ᾱ_t / ᾱ_{t'} and β_t = 1 - α_t.
   */
  posterior(t: number): Posterior {
    const prev = this.previousTimestep(t);
    const alphaProd = this.alphaProd(t);
    const alphaProdPrev = this.alphaProd(prev);
    const alpha = alphaProd / alphaProdPrev; // α_t
    const beta = 1 - alpha; // β_t
    // Eq. 7: μ̃_t(x_t, x_0) = √ᾱ_{t-1} β_t / (1 - ᾱ_t) · x_0 + √α_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · x_t,  β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t
    const coefX0 = (Math.sqrt(alphaProdPrev) * beta) / (1 - alphaProd);
    const coefXt = (Math.sqrt(alpha) * (1 - alphaProdPrev)) / (1 - alphaProd);
    const variance = prev < 0 ? 0 : this.variance === "fixed-small" ? (beta * (1 - alphaProdPrev)) / (1 - alphaProd) : beta;
    return { coefX0, coefXt, variance, alphaProd, alphaProdPrev };
  }

  /**
   * One reverse step x_t -> x_{t'} (Ho et al. 2020, Algorithm 2):
   * 1. x̂_0 from the model output (Eq. 15 for ε; x_0 itself; v by Salimans & Ho), clipped if configured;
   * 2. the posterior mean μ̃_t(x_t, x̂_0) (Eq. 7), which for ε-prediction equals
   *    μ_θ = (x_t - β_t / √(1 - ᾱ_t) · ε_θ) / √α_t (Eq. 11);
   * 3. x_{t'} = μ̃ + σ_t z with z ~ N(0, I), except at the last step (t' = -1: no noise).
   */
  step<S extends Sample>(modelOutput: S, t: number, sample: S, options: StepOptions<S> = {}): StepResult<S> {
    // 1. x̂_0
    const x0 = this.predictOriginal(modelOutput, t, sample, options.prediction);
    // 2. posterior mean (Eq. 7)
    const post = this.posterior(t);
    if (post.variance === 0) {
      return { prevSample: linearCombination("DDPMScheduler.step", [[post.coefX0, x0], [post.coefXt, sample]]), predOriginalSample: x0 };
    }
    // 3. + σ_t z
    const z = this.stepNoise(sample, options, t);
    const prevSample = linearCombination("DDPMScheduler.step", [[post.coefX0, x0], [post.coefXt, sample], [Math.sqrt(post.variance), z]]);
    disposeIfTensor(z);
    return { prevSample, predOriginalSample: x0 };
  }
}
