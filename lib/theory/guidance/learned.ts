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
import { mat, Mat } from "../../math/matrix";
import { classLogPosterior, Mixture, mixtureScore, sampleMixture } from "../../math/mixture";
import { argmaxClass, cosineAlphaBar, noisedMixture, scoreDecomposition } from "./guidance";

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

/** MLP 4 -> hidden -> hidden -> classes, ReLU. */
export class NoisyClassifier {
  readonly classes: number;
  private readonly vars: tf.Variable[];

  constructor(hidden: number, classes: number, rng: Rng) {
    this.classes = classes;
    // tf.tidy frees the initial-value tensors; variables survive it
    // (variables are left unnamed: TF.js names must be unique per process, and several models may coexist)
    const dense = (i: number, o: number) => tf.tidy(() => [tf.variable(tf.tensor2d(rng.normalArray(i * o, 0, Math.sqrt(2 / i)), [i, o]), true), tf.variable(tf.zeros([o]), true)]);
    this.vars = [...dense(4, hidden), ...dense(hidden, hidden), ...dense(hidden, classes)];
  }

  get variables(): tf.Variable[] {
    return this.vars;
  }

  /** Logits [n, classes] for features [n, 4]. */
  logits(f: tf.Tensor2D): tf.Tensor2D {
    const [w1, b1, w2, b2, w3, b3] = this.vars;
    const h1 = tf.relu(f.matMul(w1 as tf.Tensor2D).add(b1)) as tf.Tensor2D;
    const h2 = tf.relu(h1.matMul(w2 as tf.Tensor2D).add(b2)) as tf.Tensor2D;
    return h2.matMul(w3 as tf.Tensor2D).add(b3) as tf.Tensor2D;
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
    for (const v of this.vars) v.dispose();
  }
}

/** Noised training batch: x_t, labels, ᾱ per row (one ᾱ per batch keeps features simple). */
function batchAt(m: Mixture, n: number, alphaBar: number, rng: Rng): { x: Mat; y: Int32Array } {
  const { x, comp } = sampleMixture(m, rng, n);
  const a = Math.sqrt(alphaBar);
  const s = Math.sqrt(1 - alphaBar);
  for (let i = 0; i < x.data.length; i++) x.data[i] = a * x.data[i] + s * rng.normal();
  return { x, y: Int32Array.from(comp, (k) => m.labels[k]) };
}

/**
 * Trains the classifier by cross-entropy on noised samples; each step draws 8 noise levels
 * t ~ U(0, 1) (ᾱ by the cosine schedule) with batch/8 points each.
 */
export function trainNoisyClassifier(m: Mixture, cfg: LearnedClassifierConfig, rng: Rng, onStep?: (loss: number) => void): { model: NoisyClassifier; losses: number[] } {
  const classes = Array.from(new Set(m.labels)).length;
  const model = new NoisyClassifier(cfg.hidden, classes, rng.fork("init"));
  const opt = tf.train.adam(cfg.lr);
  const losses: number[] = [];
  const data = rng.fork("data");
  const groups = 8;
  const per = Math.max(1, Math.floor(cfg.batch / groups));
  for (let step = 0; step < cfg.steps; step++) {
    const parts = Array.from({ length: groups }, () => {
      const ab = cosineAlphaBar(data.uniform());
      return { ab, ...batchAt(m, per, ab, data) };
    });
    const loss = opt.minimize(
      () => {
        const logits = tf.concat(parts.map((p) => model.logits(features(tf.tensor2d(Float32Array.from(p.x.data), [p.x.rows, 2]), p.ab))), 0);
        const labels = tf.oneHot(tf.tensor1d(parts.flatMap((p) => Array.from(p.y)), "int32"), classes);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      },
      true,
      model.variables,
    ) as tf.Scalar;
    const v = loss.dataSync()[0];
    loss.dispose();
    losses.push(v);
    onStep?.(v);
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
 * DDPM ancestral sampling (as `sampleGuided`) with the exact unconditional score plus
 * s · ∇log p_φ(y | x_t), all n chains batched through the classifier at each step.
 */
export function sampleGuidedLearned(m: Mixture, model: NoisyClassifier, y: number, scale: number, n: number, steps: number, rng: Rng): Mat {
  if (!Number.isFinite(scale)) throw new Error(`sampleGuidedLearned: guidance scale must be finite, got ${scale}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`sampleGuidedLearned: steps must be a positive integer, got ${steps}`);
  const ab = Array.from({ length: steps + 1 }, (_, i) => cosineAlphaBar(i / steps));
  const x = mat(n, 2);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
  for (let t = steps; t >= 1; t--) {
    const aT = ab[t];
    const aPrev = ab[t - 1];
    const alphaT = aT / aPrev;
    const betaT = 1 - alphaT;
    const mt = noisedMixture(m, aT);
    const g = scale !== 0 ? model.gradLogProb(x, aT, y) : null;
    for (let i = 0; i < n; i++) {
      const p = x.data.subarray(2 * i, 2 * i + 2);
      const s = mixtureScore(mt, p);
      for (let j = 0; j < 2; j++) {
        const score = s[j] + (g ? scale * g.data[2 * i + j] : 0);
        const x0 = (p[j] + (1 - aT) * score) / Math.sqrt(aT);
        const mean = (Math.sqrt(aPrev) * betaT * x0 + Math.sqrt(alphaT) * (1 - aPrev) * p[j]) / (1 - aT);
        const varT = t > 1 ? (betaT * (1 - aPrev)) / (1 - aT) : 0;
        p[j] = mean + Math.sqrt(varT) * rng.normal();
      }
    }
  }
  return x;
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
