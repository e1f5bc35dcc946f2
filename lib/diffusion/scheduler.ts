/**
 * What DDPM and DDIM share (no model inside): the schedule, the inference timesteps, the forward
 * process `addNoise` (Ho et al. 2020, Eq. 4), training targets, and the conversion of a model's
 * output (ε, x_0 or v) into the predicted clean sample and noise.
 *
 * Conventions: timesteps are integer indices t = 0 … T-1 into the schedule; "before" t = 0 the
 * data is clean (ᾱ = 1). `setTimesteps(n)` picks n of them, in descending order.
 */
import type { Rng } from "../core/rng";
import { clampAbs, linearCombination, normalLike, rowwiseCombination, Sample } from "./ops";
import { NoiseSchedule } from "./schedule";

/**
 * The forward process at a given ᾱ ∈ [0, 1], x_t = √ᾱ x_0 + √(1 - ᾱ) ε (Ho et al. 2020, Eq. 4):
 * what `addNoise` computes for one timestep, also for a continuous ᾱ (the theory lab's toy
 * noise levels, which are not timesteps of a schedule).
 */
export function noiseAt<S extends Sample>(x0: S, noise: S, alphaBar: number, what = "noiseAt"): S {
  if (!(alphaBar >= 0 && alphaBar <= 1)) throw new Error(`${what}: ᾱ must be in [0, 1], got ${alphaBar}`);
  return linearCombination(what, [[Math.sqrt(alphaBar), x0], [Math.sqrt(1 - alphaBar), noise]]);
}

export const PREDICTIONS = ["epsilon", "sample", "v"] as const;
/** What the model predicts: the noise ε (Ho et al.), the clean sample x_0, or v = √ᾱ ε - √(1-ᾱ) x_0 (Salimans & Ho 2022). */
export type Prediction = (typeof PREDICTIONS)[number];

export const TIMESTEP_SPACINGS = ["leading", "trailing", "linspace"] as const;
/**
 * How n inference timesteps are picked from T: `leading` = 0, k, 2k, … (k = ⌊T/n⌋; DDIM's own
 * choice), `trailing` = T-1, T-1-T/n, … (always starts at the noisiest step: use it for few
 * steps), `linspace` = n evenly spaced points of [0, T-1].
 */
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** Options shared by the schedulers. */
export interface SchedulerOptions {
  /** Default output type of the model (overridable per `step`). */
  prediction: Prediction;
  timestepSpacing: TimestepSpacing;
  /** Clip the predicted x_0 to [-r, r] (images in [-1, 1]: 1), or null for no clipping. */
  clipSample: number | null;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = { prediction: "epsilon", timestepSpacing: "leading", clipSample: null };

/** Per-call options of `step`. */
export interface StepOptions<S extends Sample> {
  prediction?: Prediction;
  /** z ~ N(0, I) shaped like the sample, for stochastic steps; or give `rng`. */
  noise?: S;
  rng?: Rng;
}

/** Output of `step`; with tensors both are new and belong to the caller. */
export interface StepResult<S extends Sample> {
  prevSample: S;
  /** The x̂_0 the step used (after clipping). */
  predOriginalSample: S;
}

export function checkOneOf<T extends string>(what: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new Error(`${what}: unknown value '${String(value)}'; use one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/** n of the T training timesteps, descending, by the chosen spacing. */
export function spacedTimesteps(T: number, n: number, spacing: TimestepSpacing): number[] {
  if (!Number.isInteger(n) || n < 1 || n > T) throw new Error(`setTimesteps: the number of steps must be an integer in [1, ${T}], got ${n}`);
  checkOneOf("setTimesteps: timestep spacing", spacing, TIMESTEP_SPACINGS);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (spacing === "leading") out.push((n - 1 - i) * Math.floor(T / n));
    else if (spacing === "trailing") out.push(Math.round(T - (i * T) / n) - 1);
    else out.push(Math.round(n === 1 ? T - 1 : ((n - 1 - i) * (T - 1)) / (n - 1)));
  }
  return out;
}

export abstract class NoiseScheduler {
  readonly schedule: NoiseSchedule;
  readonly options: SchedulerOptions;
  /** The inference timesteps, descending (all T until `setTimesteps`). */
  timesteps: number[];
  protected abstract readonly name: string;

  constructor(schedule: NoiseSchedule, options: Partial<SchedulerOptions> = {}) {
    this.schedule = schedule;
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...options };
    checkOneOf("scheduler: prediction", this.options.prediction, PREDICTIONS);
    checkOneOf("scheduler: timestep spacing", this.options.timestepSpacing, TIMESTEP_SPACINGS);
    const r = this.options.clipSample;
    if (r !== null && !(r > 0)) throw new Error(`scheduler: clipSample must be a positive number or null, got ${r}`);
    this.timesteps = spacedTimesteps(this.numTrainTimesteps, this.numTrainTimesteps, "leading");
  }

  get numTrainTimesteps(): number {
    return this.schedule.alphasCumprod.length;
  }

  /** Chooses n inference timesteps (descending); returns them. */
  setTimesteps(n: number, spacing: TimestepSpacing = this.options.timestepSpacing): number[] {
    this.timesteps = spacedTimesteps(this.numTrainTimesteps, n, spacing);
    return this.timesteps.slice();
  }

  /** The timestep after t in the inference sequence, or -1 after the last (clean data). */
  previousTimestep(t: number): number {
    const i = this.timesteps.indexOf(t);
    if (i < 0) {
      const shown = this.timesteps.length > 6 ? `${this.timesteps.slice(0, 6).join(", ")}, …` : this.timesteps.join(", ");
      throw new Error(`${this.name}.step: timestep ${t} is not one of the scheduled timesteps (${shown}); call setTimesteps first and step through its timesteps`);
    }
    return i + 1 < this.timesteps.length ? this.timesteps[i + 1] : -1;
  }

  /** ᾱ_t, with ᾱ = 1 for t = -1 (the clean data). */
  alphaProd(t: number): number {
    if (t === -1) return 1;
    if (!Number.isInteger(t) || t < 0 || t >= this.numTrainTimesteps) throw new Error(`${this.name}: timestep must be an integer in [0, ${this.numTrainTimesteps - 1}], got ${t}`);
    return this.schedule.alphasCumprod[t];
  }

  private perRow(t: number | ArrayLike<number>, f: (ab: number) => number): number | Float64Array {
    return typeof t === "number" ? f(this.alphaProd(t)) : Float64Array.from(Array.from(t), (ti) => f(this.alphaProd(ti)));
  }

  private combine<S extends Sample>(what: string, t: number | ArrayLike<number>, a: (ab: number) => number, x: S, b: (ab: number) => number, y: S): S {
    const ca = this.perRow(t, a);
    const cb = this.perRow(t, b);
    return typeof ca === "number" ? linearCombination(what, [[ca, x], [cb as number, y]]) : rowwiseCombination(what, [[ca, x], [cb as Float64Array, y]]);
  }

  /**
   * The forward process in one jump, x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε (Ho et al. 2020, Eq. 4);
   * `t` is one timestep or one per batch row (the first axis).
   */
  addNoise<S extends Sample>(x0: S, noise: S, t: number | ArrayLike<number>): S {
    return typeof t === "number" ? noiseAt(x0, noise, this.alphaProd(t), `${this.name}.addNoise`) : this.combine(`${this.name}.addNoise`, t, Math.sqrt, x0, (ab) => Math.sqrt(1 - ab), noise);
  }

  /** v = √ᾱ_t ε - √(1 - ᾱ_t) x_0 (Salimans & Ho 2022, §4): the target of v-prediction. */
  velocity<S extends Sample>(x0: S, noise: S, t: number | ArrayLike<number>): S {
    return this.combine(`${this.name}.velocity`, t, Math.sqrt, noise, (ab) => -Math.sqrt(1 - ab), x0);
  }

  /** What a model with this prediction type is trained to output for (x_0, ε, t); tensors: a new tensor unless prediction is epsilon/sample (then the input itself). */
  trainingTarget<S extends Sample>(x0: S, noise: S, t: number | ArrayLike<number>, prediction: Prediction = this.options.prediction): S {
    switch (checkOneOf(`${this.name}.trainingTarget: prediction`, prediction, PREDICTIONS)) {
      case "epsilon":
        return noise;
      case "sample":
        return x0;
      case "v":
        return this.velocity(x0, noise, t);
    }
  }

  /**
   * x̂_0 from the model's output at x_t (clipped to [-r, r] when `clipSample` is set):
   * ε: x̂_0 = (x_t - √(1-ᾱ) ε) / √ᾱ (Ho et al. 2020, Eq. 15); x_0: the output itself;
   * v: x̂_0 = √ᾱ x_t - √(1-ᾱ) v (Salimans & Ho 2022, §4).
   */
  predictOriginal<S extends Sample>(modelOutput: S, t: number, sample: S, prediction: Prediction = this.options.prediction): S {
    const what = `${this.name}.step`;
    const ab = this.alphaProd(t);
    const a = Math.sqrt(ab);
    const b = Math.sqrt(1 - ab);
    let x0: S;
    switch (checkOneOf(`${what}: prediction`, prediction, PREDICTIONS)) {
      case "epsilon":
        x0 = linearCombination(what, [[1 / a, sample], [-b / a, modelOutput]]);
        break;
      case "sample":
        x0 = linearCombination(what, [[1, modelOutput], [0, sample]]); // a copy; the 0 · x_t term checks that the shapes agree
        break;
      case "v":
        x0 = linearCombination(what, [[a, sample], [-b, modelOutput]]);
        break;
    }
    const r = this.options.clipSample;
    if (r === null) return x0;
    const clipped = clampAbs(x0, r);
    disposeIfTensor(x0);
    return clipped;
  }

  /**
   * ε̂ from the model's output at x_t (from the unclipped output): ε: the output itself;
   * x_0: ε̂ = (x_t - √ᾱ x_0) / √(1-ᾱ) (Eq. 4 solved for ε); v: ε̂ = √(1-ᾱ) x_t + √ᾱ v.
   */
  predictEpsilon<S extends Sample>(modelOutput: S, t: number, sample: S, prediction: Prediction = this.options.prediction): S {
    const what = `${this.name}.step`;
    const ab = this.alphaProd(t);
    const a = Math.sqrt(ab);
    const b = Math.sqrt(1 - ab);
    switch (checkOneOf(`${what}: prediction`, prediction, PREDICTIONS)) {
      case "epsilon":
        return linearCombination(what, [[1, modelOutput], [0, sample]]);
      case "sample":
        return linearCombination(what, [[1 / b, sample], [-a / b, modelOutput]]);
      case "v":
        return linearCombination(what, [[b, sample], [a, modelOutput]]);
    }
  }

  /** z for a stochastic step: the given noise (checked), or fresh noise from the Rng; throws without either. */
  protected stepNoise<S extends Sample>(sample: S, options: StepOptions<S>, t: number): S {
    if (options.noise !== undefined) return linearCombination(`${this.name}.step`, [[1, options.noise], [0, sample]]);
    if (options.rng !== undefined) return normalLike(sample, options.rng);
    throw new Error(`${this.name}.step: the step from timestep ${t} adds noise; pass options.noise or options.rng`);
  }
}

/** Frees a tensor (arrays need nothing). */
export function disposeIfTensor(x: Sample): void {
  if (!(x instanceof Float32Array) && !(x instanceof Float64Array)) x.dispose();
}
