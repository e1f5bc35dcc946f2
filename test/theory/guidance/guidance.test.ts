import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { classConditional, classLogPosterior, classPrior, mixtureLogpdf, mixtureMoments, mixtureScore } from "../../../lib/math/mixture";
import { stepConvergence, tiltedTarget, toyAlphaBar, toySchedule, finiteDifferenceGrad, GUIDANCE_PRESETS, guidanceStudy, guidedScore, noisedMixture, sampleGuided, scoreDecomposition, toyMixture } from "../../../lib/theory/guidance/guidance";

describe("classifier-guidance decomposition (Appendix P, Eq. 31-32)", () => {
  const m = toyMixture();
  const points = [
    [0, 0],
    [-1.2, 0.9],
    [2, -1],
    [0.4, 1.7],
  ];

  it("closed-form scores match finite differences of log p_t(x) and log p_t(x|y) at several noise levels", () => {
    for (const ab of [1, 0.7, 0.2, 0.02]) {
      const mt = noisedMixture(m, ab);
      for (const p of points) {
        const fd = finiteDifferenceGrad((x) => mixtureLogpdf(mt, x), p);
        const s = mixtureScore(mt, p);
        for (let i = 0; i < 2; i++) expect(s[i]).toBeCloseTo(fd[i], 6);
        for (const y of [0, 1, 2]) {
          const c = mixtureScore(classConditional(mt, y), p);
          const fdc = finiteDifferenceGrad((x) => mixtureLogpdf(classConditional(mt, y), x), p);
          for (let i = 0; i < 2; i++) expect(c[i]).toBeCloseTo(fdc[i], 6);
        }
      }
    }
  });

  it("∇log p(x|y) = ∇log p(x) + ∇log p(y|x), with ∇log p(y|x) by finite differences of the classifier", () => {
    for (const ab of [1, 0.5, 0.05]) {
      const mt = noisedMixture(m, ab);
      for (const p of points) {
        for (const y of [0, 1, 2]) {
          const { uncond, cond } = scoreDecomposition(mt, y, p);
          const fdClassifier = finiteDifferenceGrad((x) => classLogPosterior(mt, y, x), p);
          for (let i = 0; i < 2; i++) expect(cond[i]).toBeCloseTo(uncond[i] + fdClassifier[i], 6);
          // Eq. 32 pointwise: log p(x|y) = log p(x) + log p(y|x) - log p(y)
          expect(mixtureLogpdf(classConditional(mt, y), p)).toBeCloseTo(mixtureLogpdf(mt, p) + classLogPosterior(mt, y, p) - Math.log(classPrior(mt, y)), 10);
        }
      }
    }
  });

  it("guidance scale 1 is the conditional score, 0 the unconditional one", () => {
    const mt = noisedMixture(m, 0.3);
    const p = [0.3, -0.4];
    const { uncond, cond } = scoreDecomposition(mt, 1, p);
    expect(Array.from(guidedScore(mt, 1, p, 1)).map((v, i) => v - cond[i]).every((v) => Math.abs(v) < 1e-12)).toBe(true);
    expect(Array.from(guidedScore(mt, 1, p, 0))).toEqual(Array.from(uncond));
  });

  it("the sampler at scale 1 reproduces the class-conditional moments", () => {
    const xs = sampleGuided(m, 1, 1, 3000, 60, new Rng(1));
    const { mean, cov: c } = mixtureMoments(classConditional(m, 1));
    const cov = c.data;
    let m0 = 0;
    let m1 = 0;
    for (let i = 0; i < xs.rows; i++) {
      m0 += xs.data[2 * i];
      m1 += xs.data[2 * i + 1];
    }
    m0 /= xs.rows;
    m1 /= xs.rows;
    const se0 = Math.sqrt(cov[0] / xs.rows);
    const se1 = Math.sqrt(cov[3] / xs.rows);
    expect(Math.abs(m0 - mean[0])).toBeLessThan(4 * se0 + 0.02);
    expect(Math.abs(m1 - mean[1])).toBeLessThan(4 * se1 + 0.02);
  });

  it("larger scales raise p(y|x) of the samples and shrink their spread; repeatable from the seed", () => {
    const cfg = resolveConfig(GUIDANCE_PRESETS, "g", "tiny");
    const a = guidanceStudy(m, cfg, new Rng(2));
    const b = guidanceStudy(m, cfg, new Rng(2));
    expect(a.rows).toEqual(b.rows);
    const [s0, s1, s4] = a.rows;
    expect(s1.meanPosterior).toBeGreaterThan(s0.meanPosterior);
    expect(s4.meanPosterior).toBeGreaterThan(s1.meanPosterior);
    expect(s4.spread).toBeLessThan(s0.spread);
    expect(s0.tiltedMeanPosterior).toBeCloseTo(classPrior(m, 1), 2);
  });

  it("tilted target: s = 0 gives the prior, s = 1 the exact conditional's spread; the step check returns one row per (scale, steps)", () => {
    expect(tiltedTarget(m, 1, 0, 200).meanPosterior).toBeCloseTo(classPrior(m, 1), 3);
    const cov = mixtureMoments(classConditional(m, 1)).cov.data;
    expect(tiltedTarget(m, 1, 1, 200).spread).toBeCloseTo(Math.sqrt(cov[0] + cov[3]), 3);
    const cfg = resolveConfig(GUIDANCE_PRESETS, "g", "tiny");
    const rows = stepConvergence(m, cfg, new Rng(3));
    expect(rows.map((r) => [r.scale, r.steps])).toEqual([[1, 10], [1, 40], [4, 10], [4, 40]]);
    for (const r of rows) expect(r.se).toBeGreaterThan(0);
  });

  it("bad input fails with exact messages", () => {
    expect(() => noisedMixture(m, 0)).toThrow("noisedMixture: alphaBar must be in (0, 1], got 0");
    expect(() => sampleGuided(m, 1, Number.POSITIVE_INFINITY, 1, 1, new Rng(1))).toThrow("sampleGuided: guidance scale must be finite, got Infinity");
    expect(() => sampleGuided(m, 1, 1, 1, 0, new Rng(1))).toThrow("sampleGuided: steps must be a positive integer, got 0");
    expect(() => classConditional(m, 7)).toThrow("classConditional: no component has label 7; labels are 0, 1, 2");
    expect(toyAlphaBar(0)).toBe(1);
    expect(toyAlphaBar(1)).toBe(1e-4);
    // the toy schedule has one timestep per sampler step, floored at 1e-4 (equal neighbours allowed)
    const sch = toySchedule(400);
    expect(sch.alphasCumprod.length).toBe(400);
    expect(sch.alphasCumprod[399]).toBe(1e-4);
    expect(sch.alphasCumprod[398]).toBe(1e-4);
  });
});
