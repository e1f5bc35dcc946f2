/**
 * DDIM sampling (Song, Meng & Ermon 2021), as a scheduler with no model inside. η = 0 gives the
 * deterministic sampler (the probability-flow ODE's discretisation); η = 1 the DDPM-like one.
 *
 *   const sched = new DDIMScheduler(makeSchedule({ kind: "cosine" }), { prediction: "sample", timestepSpacing: "trailing" });
 *   sched.setTimesteps(10);
 *   for (const t of sched.timesteps) x = sched.step(model(x, t), t, x).prevSample;
 */
import { linearCombination, Sample } from "./ops";
import { NoiseSchedule } from "./schedule";
import { disposeIfTensor, NoiseScheduler, SchedulerOptions, StepOptions, StepResult } from "./scheduler";

export interface DDIMOptions extends SchedulerOptions {
  /** η of Eq. 16 (0: deterministic). */
  eta: number;
}

/** Per-call options: η may be overridden per step. */
export interface DDIMStepOptions<S extends Sample> extends StepOptions<S> {
  eta?: number;
}

export class DDIMScheduler extends NoiseScheduler {
  protected readonly name = "DDIMScheduler";
  readonly eta: number;

  constructor(schedule: NoiseSchedule, options: Partial<DDIMOptions> = {}) {
    const { eta = 0, ...rest } = options;
    super(schedule, rest);
    this.eta = checkEta(eta);
  }

  /** σ_t(η) = η √((1 - ᾱ_{t-1}) / (1 - ᾱ_t)) √(1 - ᾱ_t / ᾱ_{t-1}) (Song et al. 2021, Eq. 16). */
  sigma(t: number, eta: number = this.eta): number {
    const alphaProd = this.alphaProd(t);
    const alphaProdPrev = this.alphaProd(this.previousTimestep(t));
    return checkEta(eta) * Math.sqrt((1 - alphaProdPrev) / (1 - alphaProd)) * Math.sqrt(1 - alphaProd / alphaProdPrev);
  }

  /**
   * One step x_t -> x_{t'} (Song et al. 2021, Eq. 12):
   *   x_{t'} = √ᾱ_{t'} x̂_0  +  √(1 - ᾱ_{t'} - σ_t²) ε̂  +  σ_t z
   * 1. ᾱ_t and ᾱ_{t'} (ᾱ = 1 after the last step);
   * 2. x̂_0 ("predicted x_0") and ε̂ from the model output;
   * 3. σ_t(η) (Eq. 16);
   * 4. the "direction pointing to x_t", √(1 - ᾱ_{t'} - σ_t²) ε̂;
   * 5. the sum, plus σ_t z when η > 0.
   * With η = 0 and the true ε, x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε maps exactly to √ᾱ_{t'} x_0 + √(1-ᾱ_{t'}) ε.
   */
  step<S extends Sample>(modelOutput: S, t: number, sample: S, options: DDIMStepOptions<S> = {}): StepResult<S> {
    // 1.
    const prev = this.previousTimestep(t);
    const alphaProdPrev = this.alphaProd(prev);
    // 2.
    const x0 = this.predictOriginal(modelOutput, t, sample, options.prediction);
    const eps = this.predictEpsilon(modelOutput, t, sample, options.prediction);
    // 3.
    const sigma = this.sigma(t, options.eta ?? this.eta);
    // 4.
    const direction = Math.sqrt(Math.max(0, 1 - alphaProdPrev - sigma * sigma));
    // 5.
    let prevSample: S;
    if (sigma > 0) {
      const z = this.stepNoise(sample, options, t);
      prevSample = linearCombination("DDIMScheduler.step", [[Math.sqrt(alphaProdPrev), x0], [direction, eps], [sigma, z]]);
      disposeIfTensor(z);
    } else {
      prevSample = linearCombination("DDIMScheduler.step", [[Math.sqrt(alphaProdPrev), x0], [direction, eps]]);
    }
    disposeIfTensor(eps);
    return { prevSample, predOriginalSample: x0 };
  }
}

function checkEta(eta: number): number {
  if (!(eta >= 0) || !Number.isFinite(eta)) throw new Error(`DDIMScheduler: eta must be a finite number >= 0, got ${eta}`);
  return eta;
}
