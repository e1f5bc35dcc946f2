/**
 * Guidance, each as one explicit expression over arrays or tensors (results are new; tensors
 * belong to the caller).
 *
 * - classifier-free guidance (Ho & Salimans 2022, Eq. 6 rewritten):
 *     ε̃ = ε(∅) + s (ε(c) - ε(∅))                       (s = 1: the conditional model; s = 0: unconditional)
 * - dual classifier-free guidance of InstructPix2Pix (Brooks et al. 2023, Eq. 3; MGIE uses it too):
 *     ε̃ = ε(∅, ∅) + s_I (ε(c_I, ∅) - ε(∅, ∅)) + s_T (ε(c_I, c_T) - ε(c_I, ∅))
 *   with c_I the source image and c_T the text (instruction) condition;
 * - classifier guidance (Dhariwal & Nichol 2021; the decomposition of the paper's Appendix P, Eq. 31):
 *     ∇log p̃(x | y) = ∇log p(x) + s ∇log p(y | x)  in score form, or
 *     ε̃ = ε - s √(1 - ᾱ_t) ∇log p(y | x_t)           in ε form (their Algorithm 2), since ε = -√(1-ᾱ) ∇log p.
 */
import * as tf from "@tensorflow/tfjs";
import { linearCombination, Sample } from "./ops";

function checkScale(what: string, s: number): number {
  if (!Number.isFinite(s)) throw new Error(`${what}: guidance scale must be finite, got ${s}`);
  return s;
}

/** ε̃ = ε(∅) + s (ε(c) - ε(∅)). */
export function classifierFreeGuidance<S extends Sample>(uncond: S, cond: S, scale: number): S {
  const s = checkScale("classifierFreeGuidance", scale);
  return linearCombination("classifierFreeGuidance", [[1, uncond], [s, cond], [-s, uncond]]);
}

/** The three model outputs of dual guidance. */
export interface DualGuidanceOutputs<S extends Sample> {
  /** ε(c_I, c_T): conditioned on the source image and the text. */
  text: S;
  /** ε(c_I, ∅): the source image only. */
  image: S;
  /** ε(∅, ∅): neither. */
  uncond: S;
}

/** ε̃ = ε(∅,∅) + s_I (ε(c_I,∅) - ε(∅,∅)) + s_T (ε(c_I,c_T) - ε(c_I,∅)) (InstructPix2Pix, Eq. 3). */
export function dualClassifierFreeGuidance<S extends Sample>(out: DualGuidanceOutputs<S>, textScale: number, imageScale: number): S {
  const sT = checkScale("dualClassifierFreeGuidance: text", textScale);
  const sI = checkScale("dualClassifierFreeGuidance: image", imageScale);
  // ε(∅,∅) + s_I ε(c_I,∅) - s_I ε(∅,∅) + s_T ε(c_I,c_T) - s_T ε(c_I,∅)
  return linearCombination("dualClassifierFreeGuidance", [[1, out.uncond], [sI, out.image], [-sI, out.uncond], [sT, out.text], [-sT, out.image]]);
}

/**
 * The batch order of one model call for dual guidance: the pipeline stacks the three conditions
 * along axis 0 as [text (c_I, c_T); image (c_I, ∅); uncond (∅, ∅)], B rows each, runs the model
 * once on 3B rows, and `dualGuidanceFromBatch` splits the output in that order.
 */
export const DUAL_GUIDANCE_BATCH_ORDER = ["text", "image", "uncond"] as const;

/** Splits a [3B, ...] model output in `DUAL_GUIDANCE_BATCH_ORDER` and applies dual guidance: [B, ...]. */
export function dualGuidanceFromBatch(output: tf.Tensor, textScale: number, imageScale: number): tf.Tensor {
  const n = output.shape[0];
  if (n % 3 !== 0) throw new Error(`dualGuidanceFromBatch: the batch has ${n} rows; it must stack 3 equal parts (${DUAL_GUIDANCE_BATCH_ORDER.join(", ")})`);
  return tf.tidy(() => {
    const [text, image, uncond] = tf.split(output, 3, 0); // each [B, ...]
    return dualClassifierFreeGuidance({ text, image, uncond }, textScale, imageScale);
  });
}

/** ∇log p̃(x | y) = ∇log p(x) + s ∇log p(y | x) (Appendix P, Eq. 31, with a guidance scale). */
export function classifierGuidedScore<S extends Sample>(score: S, classifierGrad: S, scale: number): S {
  const s = checkScale("classifierGuidedScore", scale);
  return linearCombination("classifierGuidedScore", [[1, score], [s, classifierGrad]]);
}

/** ε̃ = ε - s √(1 - ᾱ_t) ∇log p(y | x_t) (Dhariwal & Nichol 2021, Algorithm 2). */
export function classifierGuidedEpsilon<S extends Sample>(eps: S, classifierGrad: S, scale: number, alphaProd: number): S {
  const s = checkScale("classifierGuidedEpsilon", scale);
  if (!(alphaProd > 0 && alphaProd <= 1)) throw new Error(`classifierGuidedEpsilon: alphaProd must be in (0, 1], got ${alphaProd}`);
  return linearCombination("classifierGuidedEpsilon", [[1, eps], [-s * Math.sqrt(1 - alphaProd), classifierGrad]]);
}

/**
 * x̂_0 from a score at noise level ᾱ by Tweedie's formula: E[x_0 | x_t] = (x_t + (1 - ᾱ) ∇log p_t(x_t)) / √ᾱ
 * (the clean-sample prediction a score model implies; feed it to a scheduler with prediction "sample").
 */
export function tweedieX0<S extends Sample>(sample: S, score: S, alphaProd: number): S {
  if (!(alphaProd > 0 && alphaProd <= 1)) throw new Error(`tweedieX0: alphaProd must be in (0, 1], got ${alphaProd}`);
  return linearCombination("tweedieX0", [[1 / Math.sqrt(alphaProd), sample], [(1 - alphaProd) / Math.sqrt(alphaProd), score]]);
}
