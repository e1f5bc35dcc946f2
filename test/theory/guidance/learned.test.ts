import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend/select";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { mat } from "../../../lib/math/matrix";
import { classPrior } from "../../../lib/math/mixture";
import { GUIDANCE_PRESETS, meanPosteriorOf, toyMixture } from "../../../lib/theory/guidance/guidance";
import { evaluateClassifier, LEARNED_CLASSIFIER_PRESETS, learnedGuidanceStudy, NoisyClassifier, sampleGuidedLearned, trainNoisyClassifier } from "../../../lib/theory/guidance/learned";

beforeAll(async () => {
  await initBackend();
});

describe("learned noise-conditional classifier", () => {
  const m = toyMixture();
  const cfg = resolveConfig(LEARNED_CLASSIFIER_PRESETS, "learned", "tiny");

  it("trains (loss falls), is repeatable from the seed, and leaks no tensors", () => {
    const before = tf.memory().numTensors;
    const a = trainNoisyClassifier(m, cfg, new Rng(1));
    const b = trainNoisyClassifier(m, cfg, new Rng(1));
    expect(a.losses).toEqual(b.losses);
    const head = a.losses.slice(0, 20).reduce((s, v) => s + v, 0) / 20;
    const tail = a.losses.slice(-20).reduce((s, v) => s + v, 0) / 20;
    expect(tail).toBeLessThan(head);
    const rows = evaluateClassifier(m, a.model, [1], 1, 300, new Rng(2));
    expect(rows[0].accuracyLearned).toBeGreaterThan(Math.max(...[0, 1, 2].map((y) => classPrior(m, y))));
    const xs = sampleGuidedLearned(m, a.model, 1, 2, 20, 5, new Rng(3));
    expect([xs.rows, xs.cols]).toEqual([20, 2]);
    expect(meanPosteriorOf(m, 1, xs).mean).toBeGreaterThan(0);
    const g = resolveConfig(GUIDANCE_PRESETS, "g", "tiny", { samples: 20, steps: 5 });
    const post = learnedGuidanceStudy(m, a.model, g, new Rng(4));
    expect(post.length).toBe(g.scales.length);
    for (const p of post) expect(p.se).toBeGreaterThan(0);
    a.model.dispose();
    b.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("autograd gradient of log p_φ(y|x) matches finite differences of its log-probabilities", () => {
    const model = new NoisyClassifier(8, 3, new Rng(4));
    const x = mat(3, 2, [0.1, -0.3, 1.2, 0.4, -0.8, 0.9]);
    const g = model.gradLogProb(x, 0.6, 2);
    const h = 1e-2; // float32 network: a coarse step
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const xp = mat(3, 2, x.data);
        const xm = mat(3, 2, x.data);
        xp.data[2 * i + j] += h;
        xm.data[2 * i + j] -= h;
        const fd = (model.logProbs(xp, 0.6)[i * 3 + 2] - model.logProbs(xm, 0.6)[i * 3 + 2]) / (2 * h);
        expect(g.data[2 * i + j]).toBeCloseTo(fd, 2);
      }
    }
    model.dispose();
  });

  it("bad input fails with exact messages", () => {
    const model = new NoisyClassifier(4, 3, new Rng(5));
    expect(() => sampleGuidedLearned(m, model, 1, Number.NaN, 2, 2, new Rng(1))).toThrow("sampleGuidedLearned: guidance scale must be finite, got NaN");
    expect(() => sampleGuidedLearned(m, model, 1, 1, 2, 0, new Rng(1))).toThrow("sampleGuidedLearned: steps must be a positive integer, got 0");
    model.dispose();
  });
});
