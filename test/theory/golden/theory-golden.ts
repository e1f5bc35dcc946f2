/**
 * The theory lab's outputs on the tiny profile for fixed seeds, pinned before lib/theory's math
 * moved to lib/math (mathjs) and its samplers to lib/diffusion (issue 8, step 1). `computeGolden`
 * recomputes them; `theory-golden.test.ts` compares with the stored `theory-tiny.json`.
 * Imports go through the barrel only, so the move does not touch this file.
 */
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import {
  checkDecomposition,
  evaluateClassifier,
  GUIDANCE_PRESETS,
  guidanceStudy,
  LEARNED_CLASSIFIER_PRESETS,
  linearSweep,
  meanPosteriorOf,
  mlpStudy,
  sampleGuided,
  sampleGuidedLearned,
  stepConvergence,
  THEOREM1_PRESETS,
  THEOREM2_PRESETS,
  theorem2Study,
  toyMixture,
  trainNoisyClassifier,
} from "../../../lib/theory";

/** Everything pinned, as plain JSON (numbers and arrays of numbers). */
export interface TheoryGolden {
  rademacher: { linearByN: unknown[]; linearByScale: unknown[]; mlp: unknown[] };
  theorem2: { full: unknown[]; isotropic: unknown[] };
  guidance: { rows: unknown[]; samples: number[][]; sampleGuided: number[]; decomposition: unknown[]; convergence: unknown[] };
  learned: { losses: number[]; evaluation: unknown[]; samples: number[]; meanPosterior: { mean: number; se: number } };
}

/** The deterministic (exact-math) part: Rademacher, Theorem 2 and guidance studies. */
export function computeGoldenExact(): Omit<TheoryGolden, "learned"> {
  const t1 = resolveConfig(THEOREM1_PRESETS, "t1", "tiny");
  const lin = linearSweep(t1, new Rng(8));
  const mlp = mlpStudy(t1, new Rng(6));
  const t2 = resolveConfig(THEOREM2_PRESETS, "t2", "tiny");
  const full = theorem2Study(t2, new Rng(8)).rows;
  const iso = theorem2Study({ ...t2, family: "isotropic" }, new Rng(8)).rows;
  const g = resolveConfig(GUIDANCE_PRESETS, "g", "tiny");
  const m = toyMixture();
  const study = guidanceStudy(m, g, new Rng(2));
  return {
    rademacher: { linearByN: lin.byN, linearByScale: lin.byScale, mlp },
    theorem2: { full, isotropic: iso },
    guidance: {
      rows: study.rows,
      samples: study.samples.map((s) => Array.from(s.data.subarray(0, 20))),
      sampleGuided: Array.from(sampleGuided(m, 1, 2.5, 7, 13, new Rng(21)).data),
      decomposition: checkDecomposition(m, [1, 0.3], 4),
      convergence: stepConvergence(m, g, new Rng(3)),
    },
  };
}

/** The learned classifier (float32 TF.js): training losses, evaluation and guided samples. Needs a backend. */
export function computeGoldenLearned(): TheoryGolden["learned"] {
  const m = toyMixture();
  const cfg = resolveConfig(LEARNED_CLASSIFIER_PRESETS, "l", "tiny");
  const { model, losses } = trainNoisyClassifier(m, cfg, new Rng(1));
  const evaluation = evaluateClassifier(m, model, [1, 0.3], 1, 100, new Rng(2));
  const xs = sampleGuidedLearned(m, model, 1, 2, 30, 12, new Rng(3));
  const meanPosterior = meanPosteriorOf(m, 1, xs);
  model.dispose();
  return { losses, evaluation, samples: Array.from(xs.data), meanPosterior };
}
