import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { covSolve, covarianceEllipse, entropyGaussian, gaussian, gaussianScore, klGaussian, logpdf, sampleGaussian } from "../../lib/math/gaussian";
import { cholesky, inverse } from "../../lib/math/linalg";
import { mat } from "../../lib/math/matrix";
import { classConditional, classLogPosterior, classPrior, mixture, mixtureLogpdf, mixtureMoments, mixtureScore } from "../../lib/math/mixture";

describe("gaussians", () => {
  it("log density matches the 1-D formula and a diagonal 2-D product", () => {
    const g = gaussian([1], [4]);
    expect(logpdf(g, [2])).toBeCloseTo(-0.5 * (0.25 + Math.log(4) + Math.log(2 * Math.PI)), 14);
    const g2 = gaussian([0, 1], [2, 0, 0, 0.5]);
    expect(logpdf(g2, [1, 0])).toBeCloseTo(logpdf(gaussian([0], [2]), [1]) + logpdf(gaussian([1], [0.5]), [0]), 14);
  });

  it("sampling reproduces mean and covariance; entropy matches the formula", () => {
    const g = gaussian([1, -2], [2, 0.6, 0.6, 1]);
    const rng = new Rng(5);
    const n = 40000;
    let m0 = 0;
    let m1 = 0;
    let c01 = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleGaussian(g, rng);
      m0 += x[0];
      m1 += x[1];
      c01 += (x[0] - 1) * (x[1] + 2);
    }
    expect(m0 / n).toBeCloseTo(1, 1);
    expect(m1 / n).toBeCloseTo(-2, 1);
    expect(c01 / n).toBeCloseTo(0.6, 1);
    expect(entropyGaussian(g)).toBeCloseTo(0.5 * Math.log((2 * Math.PI * Math.E) ** 2 * (2 - 0.36)), 12);
  });

  it("bad covariances and weights fail with exact messages", () => {
    expect(() => gaussian([0, 0], [1, 2, 2, 1])).toThrow(
      "gaussian: covariance is not positive definite (pivot 1 is -3); use a symmetric matrix with all eigenvalues > 0, e.g. add a small multiple of the identity",
    );
    expect(() => gaussian([0, 0], [1, 0.5, 0.2, 1])).toThrow("gaussian: covariance must be symmetric, entry (1, 0) = 0.2 but (0, 1) = 0.5");
    expect(() => gaussian([0, 0], [1, 0, 0])).toThrow("gaussian: covariance has 3 entries but the mean has 2; pass 4 entries (row-major 2 x 2)");
    expect(() => cholesky(mat(2, 2, [0, 0, 0, 1]))).toThrow("cholesky: covariance is not positive definite (pivot 0 is 0); use a symmetric matrix with all eigenvalues > 0, e.g. add a small multiple of the identity");
    const g = gaussian([0], [1]);
    expect(() => mixture([0.5, 0.6], [g, g])).toThrow("mixture: weights sum to 1.1; they must sum to 1");
    expect(() => mixture([-0.5, 1.5], [g, g])).toThrow("mixture: weight 0 is -0.5; weights must be finite and >= 0");
  });
  it("KL closed form: the 1-D formula, zero on itself, and the Gaussian-to-Gaussian formula by hand in 2-D", () => {
    expect(klGaussian(gaussian([0], [1]), gaussian([1], [4]))).toBeCloseTo(Math.log(2) + (1 + 1) / 8 - 0.5, 14);
    const a = gaussian([0.3, -1], [1.2, 0.4, 0.4, 0.7]);
    const b = gaussian([-0.5, 0.2], [0.6, -0.1, -0.1, 1.5]);
    expect(klGaussian(a, a)).toBeCloseTo(0, 14);
    // ½ [tr(B⁻¹A) + Δᵀ B⁻¹ Δ − 2 + log det B − log det A] with B⁻¹ = adj(B) / det(B)
    const detB = 0.6 * 1.5 - 0.01;
    const detA = 1.2 * 0.7 - 0.16;
    const bi = [1.5 / detB, 0.1 / detB, 0.1 / detB, 0.6 / detB];
    const tr = bi[0] * 1.2 + bi[1] * 0.4 + bi[2] * 0.4 + bi[3] * 0.7;
    const dm = [-0.8, 1.2];
    const maha = dm[0] * (bi[0] * dm[0] + bi[1] * dm[1]) + dm[1] * (bi[2] * dm[0] + bi[3] * dm[1]);
    expect(klGaussian(a, b)).toBeCloseTo(0.5 * (tr + maha - 2 + Math.log(detB) - Math.log(detA)), 12);
    expect(() => klGaussian(a, gaussian([0], [1]))).toThrow("klGaussian: dimensions differ (2 vs 1)");
  });

  it("score is -Σ⁻¹(x - μ) (checked against mathjs' inverse); covSolve solves Σ y = v; the 2σ ellipse lies on the Mahalanobis-2 contour", () => {
    const g = gaussian([1, -1], [2, 0.5, 0.5, 1]);
    const inv = inverse(g.cov);
    const x = [0.3, 0.4];
    const s = gaussianScore(g, x);
    for (let i = 0; i < 2; i++) expect(s[i]).toBeCloseTo(-(inv.data[2 * i] * (x[0] - 1) + inv.data[2 * i + 1] * (x[1] + 1)), 14);
    const y = covSolve(g, [1, 2]);
    expect(2 * y[0] + 0.5 * y[1]).toBeCloseTo(1, 14);
    expect(0.5 * y[0] + 1 * y[1]).toBeCloseTo(2, 14);
    const e = covarianceEllipse(g, 2, 8);
    for (let i = 0; i < e.x.length; i++) {
      const d = [e.x[i] - 1, e.y[i] + 1];
      expect(d[0] * (inv.data[0] * d[0] + inv.data[1] * d[1]) + d[1] * (inv.data[2] * d[0] + inv.data[3] * d[1])).toBeCloseTo(4, 12);
    }
    expect(() => covarianceEllipse(gaussian([0], [1]))).toThrow("covarianceEllipse: needs a 2-D Gaussian, got dimension 1");
    expect(Array.from(cholesky(mat(2, 2, [4, 2, 2, 5])).data)).toEqual([2, 0, 1, 2]);
  });
});

describe("gaussian mixtures", () => {
  const m = mixture([0.2, 0.3, 0.5], [gaussian([-1, 0], [0.5, 0, 0, 0.5]), gaussian([1, 1], [0.3, 0.1, 0.1, 0.4]), gaussian([0, -1], [1, 0, 0, 0.2])], [0, 0, 1]);

  it("log density is the log of the weighted sum; the score matches finite differences; moments add up", () => {
    const x = [0.2, -0.3];
    const direct = m.comps.reduce((s, c, k) => s + m.weights[k] * Math.exp(logpdf(c, x)), 0);
    expect(mixtureLogpdf(m, x)).toBeCloseTo(Math.log(direct), 13);
    const h = 1e-6;
    const sc = mixtureScore(m, x);
    for (let i = 0; i < 2; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      expect(sc[i]).toBeCloseTo((mixtureLogpdf(m, xp) - mixtureLogpdf(m, xm)) / (2 * h), 7);
    }
    const mom = mixtureMoments(m);
    expect(mom.mean[0]).toBeCloseTo(0.2 * -1 + 0.3 * 1, 14);
    for (let i = 0; i < 4; i++) expect(mom.cov.data[i]).toBeCloseTo(mom.within.data[i] + mom.between.data[i], 14);
  });

  it("class conditional, posterior and prior follow Bayes' rule", () => {
    const x = [0.5, 0.1];
    expect(classPrior(m, 0)).toBeCloseTo(0.5, 15);
    expect(Math.exp(classLogPosterior(m, 0, x)) + Math.exp(classLogPosterior(m, 1, x))).toBeCloseTo(1, 14);
    expect(mixtureLogpdf(classConditional(m, 0), x)).toBeCloseTo(mixtureLogpdf(m, x) + classLogPosterior(m, 0, x) - Math.log(0.5), 13);
    expect(() => classConditional(m, 4)).toThrow("classConditional: no component has label 4; labels are 0, 1");
    expect(() => mixture([1], [gaussian([0], [1])], [0, 1])).toThrow("mixture: 2 labels for 1 components");
  });
});
