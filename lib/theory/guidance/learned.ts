/**
 * A LEARNED noise-conditional classifier p_φ(y | x_t, t) for the toy diffusion of Appendix P: the
 * stand-in for the paper's "implicit classifier represented by the MLLM part". Guided sampling
 * then uses the exact unconditional score plus s ∇_x log p_φ(y | x_t) (autograd through TF.js),
 * so the effect of classifier quality on guidance can be measured against the exact classifier.
 *
 * Tensor memory: every TF call is inside tf.tidy or disposes what it creates; `dispose()` frees
 * the weights (see the leak test).
 */
import * as tf from "@tensorflow/tfjs";
import { Presets } from "../../core/profile";
import { Rng } from "../../core/rng";
import { DDPMScheduler } from "../../diffusion/ddpm";
import { normalLike } from "../../diffusion/ops";
import { noiseAt } from "../../diffusion/scheduler";
import { classifierGuidedScore, tweedieX0 } from "../../diffusion/guidance";
import { mat, Mat } from "../../math/matrix";
import { classLogPosterior, Mixture, mixtureScore, sampleMixture } from "../../math/mixture";
import { disposeParams, initLinear, linear, Params } from "../../nn/layers";
import { trainStep } from "../../train/adam";
import { FusedAdam } from "../../train/fused-adam";
import { argmaxClass, GuidanceConfig, GuidanceRow, meanPosteriorOf, noisedMixture, scoreDecomposition, toyAlphaBar, toySchedule } from "./guidance";

export interface LearnedClassifierConfig {
  /** Hidden width of the 2-hidden-layer MLP. */
  hidden: number;
  /** Adam steps. */
  steps: number;
  /** Noised samples per step. */
  batch: number;
  /** Adam learning rate. */
  lr: number;
  /** Held-out points per noise level for the evaluation. */
  evalPoints: number;
}

export const LEARNED_CLASSIFIER_PRESETS: Presets<LearnedClassifierConfig> = {
  tiny: { hidden: 32, steps: 150, batch: 128, lr: 3e-3, evalPoints: 200 },
  quick: { hidden: 64, steps: 1500, batch: 256, lr: 2e-3, evalPoints: 1000 },
  paper: { hidden: 128, steps: 6000, batch: 512, lr: 1e-3, evalPoints: 5000 },
};

/** Input features [x₁, x₂, √ᾱ, √(1-ᾱ)] for points [n, 2] at noise level ᾱ. */
function features(x: tf.Tensor2D, alphaBar: number): tf.Tensor2D {
  const n = x.shape[0];
  return tf.concat([x, tf.fill([n, 1], Math.sqrt(alphaBar)), tf.fill([n, 1], Math.sqrt(1 - alphaBar))], 1) as tf.Tensor2D; // [n, 4]
}

/** MLP 4 -> hidden -> hidden -> classes, ReLU, on lib/nn's linear layers ("l1", "l2", "l3"; He-normal weights, zero biases). */
export class NoisyClassifier {
  readonly classes: number;
  readonly params: Params;

  constructor(hidden: number, classes: number, rng: Rng) {
    this.classes = classes;
    this.params = {
      ...initLinear(rng, 4, hidden, "l1", Math.sqrt(2 / 4)),
      ...initLinear(rng, hidden, hidden, "l2", Math.sqrt(2 / hidden)),
      ...initLinear(rng, hidden, classes, "l3", Math.sqrt(2 / hidden)),
    };
  }

  /** Logits [n, classes] for features [n, 4]. */
  logits(f: tf.Tensor2D): tf.Tensor2D {
    const h1 = tf.relu(linear(f, this.params, "l1")); // [n, hidden]
    const h2 = tf.relu(linear(h1, this.params, "l2")); // [n, hidden]
    return linear(h2, this.params, "l3") as tf.Tensor2D; // [n, classes]
  }

  /** log p_φ(y | x) for points [n, 2] at ᾱ, as a plain array [n, classes]. */
  logProbs(x: Mat, alphaBar: number): Float32Array {
    return tf.tidy(() => tf.logSoftmax(this.logits(features(tf.tensor2d(Float32Array.from(x.data), [x.rows, x.cols]), alphaBar))).dataSync() as Float32Array);
  }

  /** ∇_x log p_φ(y | x) for points [n, 2] at ᾱ (autograd). */
  gradLogProb(x: Mat, alphaBar: number, y: number): Mat {
    const g = tf.tidy(() => {
      const f = (xt: tf.Tensor) => tf.logSoftmax(this.logits(features(xt as tf.Tensor2D, alphaBar))).slice([0, y], [-1, 1]).sum();
      return tf.grad(f)(tf.tensor2d(Float32Array.from(x.data), [x.rows, x.cols])).dataSync();
    });
    return mat(x.rows, x.cols, g);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}

/** Noised training batch: x_t, labels, ᾱ per row (one ᾱ per batch keeps features simple). */
function batchAt(m: Mixture, n: number, alphaBar: number, rng: Rng): { x: Mat; y: Int32Array } {
  const { x, comp } = sampleMixture(m, rng, n);
  const noisy = noiseAt(x.data, normalLike(x.data, rng), alphaBar, "batchAt");
  return { x: mat(x.rows, x.cols, noisy), y: Int32Array.from(comp, (k) => m.labels[k]) };
}

/**
 * Trains the classifier by cross-entropy on noised samples (Adam: lib/train's FusedAdam and
 * trainStep); each step draws 8 noise levels u ~ U(0, 1) (ᾱ = toyAlphaBar(u)) with batch/8 points each.
 */
export function trainNoisyClassifier(m: Mixture, cfg: LearnedClassifierConfig, rng: Rng, onStep?: (loss: number) => void): { model: NoisyClassifier; losses: number[] } {
  const classes = Array.from(new Set(m.labels)).length;
  const model = new NoisyClassifier(cfg.hidden, classes, rng.fork("init"));
  const opt = new FusedAdam(cfg.lr);
  const losses: number[] = [];
  const data = rng.fork("data");
  const groups = 8;
  const per = Math.max(1, Math.floor(cfg.batch / groups));
  for (let step = 0; step < cfg.steps; step++) {
    const parts = Array.from({ length: groups }, () => {
      const ab = toyAlphaBar(data.uniform());
      return { ab, ...batchAt(m, per, ab, data) };
    });
    const loss = trainStep(
      opt,
      () => {
        const logits = tf.concat(parts.map((p) => model.logits(features(tf.tensor2d(Float32Array.from(p.x.data), [p.x.rows, 2]), p.ab))), 0); // [groups * per, classes]
        const labels = tf.oneHot(tf.tensor1d(parts.flatMap((p) => Array.from(p.y)), "int32"), classes);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      },
      model.params,
    );
    losses.push(loss);
    onStep?.(loss);
  }
  opt.dispose();
  return { model, losses };
}

/** Learned vs exact classifier at one noise level. */
export interface ClassifierEvalRow {
  alphaBar: number;
  /** Accuracy of argmax p_φ and of the Bayes classifier (exact p_t(y|x)) on the same points. */
  accuracyLearned: number;
  accuracyBayes: number;
  /** Mean cross-entropy of p_φ and of the exact posterior. */
  crossEntropyLearned: number;
  crossEntropyBayes: number;
  /** √(mean ‖∇log p_φ(y|x) − ∇log p_t(y|x)‖²) / √(mean ‖∇log p_t(y|x)‖²) for the target class. */
  gradRelError: number;
}

export function evaluateClassifier(m: Mixture, model: NoisyClassifier, alphaBars: number[], y: number, n: number, rng: Rng): ClassifierEvalRow[] {
  const classes = model.classes;
  return alphaBars.map((ab) => {
    const mt = noisedMixture(m, ab);
    const { x, y: labels } = batchAt(m, n, ab, rng.fork(`eval-${ab}`));
    const lp = model.logProbs(x, ab);
    const g = model.gradLogProb(x, ab, y);
    let accL = 0;
    let accB = 0;
    let ceL = 0;
    let ceB = 0;
    let errSq = 0;
    let refSq = 0;
    for (let i = 0; i < n; i++) {
      const p = x.data.subarray(2 * i, 2 * i + 2);
      let best = 0;
      for (let c = 1; c < classes; c++) if (lp[i * classes + c] > lp[i * classes + best]) best = c;
      accL += best === labels[i] ? 1 : 0;
      accB += argmaxClass(mt, p) === labels[i] ? 1 : 0;
      ceL -= lp[i * classes + labels[i]];
      ceB -= classLogPosterior(mt, labels[i], p);
      const exact = scoreDecomposition(mt, y, p).classifier;
      errSq += (g.data[2 * i] - exact[0]) ** 2 + (g.data[2 * i + 1] - exact[1]) ** 2;
      refSq += exact[0] ** 2 + exact[1] ** 2;
    }
    return { alphaBar: ab, accuracyLearned: accL / n, accuracyBayes: accB / n, crossEntropyLearned: ceL / n, crossEntropyBayes: ceB / n, gradRelError: Math.sqrt(errSq / refSq) };
  });
}

/**
 * DDPM ancestral sampling (as `sampleGuided`, lib/diffusion's DDPMScheduler) with the exact
 * unconditional score plus s · ∇log p_φ(y | x_t), all n chains batched through the classifier.
 */
export function sampleGuidedLearned(m: Mixture, model: NoisyClassifier, y: number, scale: number, n: number, steps: number, rng: Rng): Mat {
  if (!Number.isFinite(scale)) throw new Error(`sampleGuidedLearned: guidance scale must be finite, got ${scale}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`sampleGuidedLearned: steps must be a positive integer, got ${steps}`);
  const scheduler = new DDPMScheduler(toySchedule(steps), { prediction: "sample" });
  let x: Float64Array = new Float64Array(n * 2); // [n, 2]
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  for (const t of scheduler.timesteps) {
    const ab = scheduler.alphaProd(t);
    const mt = noisedMixture(m, ab);
    const score = new Float64Array(n * 2); // ∇log p_t(x) per chain, [n, 2]
    for (let i = 0; i < n; i++) score.set(mixtureScore(mt, x.subarray(2 * i, 2 * i + 2)), 2 * i);
    const guided = scale !== 0 ? classifierGuidedScore(score, model.gradLogProb(mat(n, 2, x), ab, y).data, scale) : score;
    const x0 = tweedieX0(x, guided, ab);
    // n·2 normals per step in row order, the last step too (it adds no noise): one stream layout for every step count
    const z = Float64Array.from({ length: n * 2 }, () => rng.normal());
    x = scheduler.step(x0, t, x, { noise: z }).prevSample;
  }
  return mat(n, 2, x);
}

/** Mean p_0(y | x) (± SE) of the exact-classifier samples per scale, from the guidance study's rows. */
export function exactPosteriors(rows: GuidanceRow[]): { mean: number; se: number }[] {
  return rows.map((r) => ({ mean: r.meanPosterior, se: r.meanPosteriorSe }));
}

/** Guided sampling with the learned classifier at every scale of the config (stream `learned-scale-<s>` per scale); mean p_0(y | x) ± SE per scale. */
export function learnedGuidanceStudy(m: Mixture, model: NoisyClassifier, cfg: GuidanceConfig, rng: Rng, onStep?: () => void): { mean: number; se: number }[] {
  return cfg.scales.map((s) => {
    const r = meanPosteriorOf(m, cfg.targetClass, sampleGuidedLearned(m, model, cfg.targetClass, s, cfg.samples, cfg.steps, rng.fork(`learned-scale-${s}`)));
    onStep?.();
    return r;
  });
}
