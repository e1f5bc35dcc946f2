import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { classifierFreeGuidance, classifierGuidedEpsilon, classifierGuidedScore, dualClassifierFreeGuidance, dualGuidanceFromBatch, tweedieX0 } from "../../lib/diffusion/guidance";

beforeAll(async () => {
  await initBackend();
});

const u = Float64Array.from([0.1, -0.2, 0.3]);
const c = Float64Array.from([0.5, 0.4, -0.6]);
const img = Float64Array.from([-0.3, 0.2, 0.9]);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, digits = 14) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], digits));

describe("classifier-free guidance", () => {
  it("scale 0 is the unconditional output, 1 the conditional one, s extrapolates along c - u", () => {
    close(classifierFreeGuidance(u, c, 0), u);
    close(classifierFreeGuidance(u, c, 1), c);
    close(classifierFreeGuidance(u, c, 7.5), u.map((v, i) => v + 7.5 * (c[i] - v)));
  });

  it("dual (InstructPix2Pix): (s_T, s_I) = (1, 1) gives ε(c_I, c_T), (0, 1) ε(c_I, ∅), (0, 0) ε(∅, ∅); the formula at (7.5, 1.5)", () => {
    const out = { text: c, image: img, uncond: u };
    close(dualClassifierFreeGuidance(out, 1, 1), c);
    close(dualClassifierFreeGuidance(out, 0, 1), img);
    close(dualClassifierFreeGuidance(out, 0, 0), u);
    close(dualClassifierFreeGuidance(out, 7.5, 1.5), u.map((v, i) => v + 1.5 * (img[i] - v) + 7.5 * (c[i] - img[i])));
  });

  it("from one batched model call in the order [text, image, uncond], on tensors, without leaks", () => {
    const batch = tf.tensor([...c, ...img, ...u], [3, 3]); // rows: text, image, uncond
    const before = tf.memory().numTensors;
    const g = dualGuidanceFromBatch(batch, 7.5, 1.5);
    expect(g.shape).toEqual([1, 3]);
    close(g.dataSync(), dualClassifierFreeGuidance({ text: c, image: img, uncond: u }, 7.5, 1.5), 5);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => dualGuidanceFromBatch(tf.zeros([4, 2]), 1, 1)).toThrow("dualGuidanceFromBatch: the batch has 4 rows; it must stack 3 equal parts (text, image, uncond)");
    batch.dispose();
  });
});

describe("classifier guidance (Appendix P, Eq. 31)", () => {
  it("score form and ε form agree through ε = -√(1-ᾱ) ∇log p; scale 1 adds the classifier gradient once", () => {
    const ab = 0.3;
    const score = u;
    const grad = c;
    const eps = score.map((v) => -Math.sqrt(1 - ab) * v);
    const guidedEps = classifierGuidedEpsilon(eps, grad, 2, ab);
    close(guidedEps, classifierGuidedScore(score, grad, 2).map((v) => -Math.sqrt(1 - ab) * v));
    close(classifierGuidedScore(score, grad, 1), score.map((v, i) => v + grad[i]));
  });

  it("Tweedie: for N(μ, σ²) data, (x_t + (1-ᾱ) ∇log p_t) / √ᾱ is E[x_0 | x_t]", () => {
    const mu = 0.7;
    const s2 = 0.25;
    const ab = 0.6;
    const x = Float64Array.from([-1, 0.2, 2]);
    const score = x.map((v) => -(v - Math.sqrt(ab) * mu) / (ab * s2 + 1 - ab));
    const post = x.map((v) => mu + ((Math.sqrt(ab) * s2) / (ab * s2 + 1 - ab)) * (v - Math.sqrt(ab) * mu)); // Gaussian conditioning
    close(tweedieX0(x, score, ab), post, 13);
  });

  it("bad input fails with exact messages", () => {
    expect(() => classifierFreeGuidance(u, c, Number.NaN)).toThrow("classifierFreeGuidance: guidance scale must be finite, got NaN");
    expect(() => dualClassifierFreeGuidance({ text: c, image: img, uncond: u }, 1, Infinity)).toThrow("dualClassifierFreeGuidance: image: guidance scale must be finite, got Infinity");
    expect(() => classifierGuidedScore(u, new Float64Array(2), 1)).toThrow("classifierGuidedScore: operands differ: Float64Array of 3 vs Float64Array of 2; pass arrays of one length or tensors of one shape");
    expect(() => classifierGuidedEpsilon(u, c, 1, 0)).toThrow("classifierGuidedEpsilon: alphaProd must be in (0, 1], got 0");
    expect(() => tweedieX0(u, c, 1.2)).toThrow("tweedieX0: alphaProd must be in (0, 1], got 1.2");
  });
});
