import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { gaussian, klGaussian, logpdf } from "../../../lib/math/gaussian";
import { mixture, mixtureLogpdf, mixtureMoments } from "../../../lib/math/mixture";
import { evaluateTheorem2, fitModels, klMonteCarlo, randomInstance, tallyTheorem2, theorem2Study, THEOREM2_PRESETS, verdict } from "../../../lib/theory/divergence/divergence";

describe("Monte-Carlo KL against the closed forms", () => {
  it("KL closed form: 1-D formula, zero on itself, and Monte Carlo within 4 SE", () => {
    const p = gaussian([0], [1]);
    const q = gaussian([1], [4]);
    expect(klGaussian(p, q)).toBeCloseTo(Math.log(2) + (1 + 1) / 8 - 0.5, 14);
    const a = gaussian([0.3, -1], [1.2, 0.4, 0.4, 0.7]);
    const b = gaussian([-0.5, 0.2], [0.6, -0.1, -0.1, 1.5]);
    expect(klGaussian(a, a)).toBeCloseTo(0, 14);
    const mc = klMonteCarlo(mixture([1], [a]), (x) => logpdf(b, x), 20000, new Rng(1));
    const exact = klGaussian(a, b);
    expect(Math.abs(mc.mean - exact)).toBeLessThan(4 * mc.se);
    expect(mc.se).toBeLessThan(0.05 * exact);
  });

  it("mixture KL by Monte Carlo is >= 0, zero against itself, and within 4 SE of a long run", () => {
    const q = mixture([0.3, 0.7], [gaussian([-1, 0], [0.5, 0, 0, 0.5]), gaussian([1.5, 0.5], [0.3, 0.1, 0.1, 0.8])]);
    const p = mixture([0.5, 0.5], [gaussian([-0.8, 0.2], [0.7, 0, 0, 0.6]), gaussian([1.2, 0.4], [0.5, 0, 0, 0.9])]);
    expect(klMonteCarlo(q, (x) => mixtureLogpdf(q, x), 500, new Rng(2)).mean).toBe(0);
    const short = klMonteCarlo(q, (x) => mixtureLogpdf(p, x), 4000, new Rng(3));
    const long = klMonteCarlo(q, (x) => mixtureLogpdf(p, x), 100000, new Rng(4));
    expect(short.mean).toBeGreaterThan(0);
    expect(Math.abs(short.mean - long.mean)).toBeLessThan(4 * Math.hypot(short.se, long.se));
  });

  it("klMonteCarlo rejects a bad sample count", () => {
    const g = gaussian([0], [1]);
    expect(() => klMonteCarlo(mixture([1], [g]), () => 0, 0, new Rng(1))).toThrow("klMonteCarlo: n must be a positive integer, got 0");
  });
});

describe("Theorem 2 toy", () => {
  it("fitted models are moment matches: the non-spatial model has the mixture's mean and covariance", () => {
    const q = randomInstance(resolveConfig(THEOREM2_PRESETS, "t2", "tiny"), new Rng(6));
    const fit = fitModels(q, "full");
    const mom = mixtureMoments(q);
    expect(Array.from(fit.nonSpatial.mean)).toEqual(Array.from(mom.mean));
    expect(Array.from(fit.nonSpatial.cov.data)).toEqual(Array.from(mom.cov.data));
    fit.spatialPerCondition.forEach((g) => expect(Array.from(g.cov.data)).toEqual(Array.from(mom.within.data)));
    // optimality: perturbing the non-spatial mean or scale increases KL(q || p) (paired MC samples)
    const base = klMonteCarlo(q, (x) => logpdf(fit.nonSpatial, x), 3000, new Rng(7)).mean;
    const shifted = gaussian([fit.nonSpatial.mean[0] + 0.2, fit.nonSpatial.mean[1]], fit.nonSpatial.cov);
    expect(klMonteCarlo(q, (x) => logpdf(shifted, x), 3000, new Rng(7)).mean).toBeGreaterThan(base);
  });

  it("Eq. 10 averaged over conditions always holds (the conditional family contains the unconditional one); the literal 'for any θ' assumption always fails", () => {
    const cfg = resolveConfig(THEOREM2_PRESETS, "t2", "tiny");
    const { rows } = theorem2Study(cfg, new Rng(8));
    expect(rows.length).toBe(cfg.instances);
    for (const r of rows) {
      expect(r.eq10MeanDiff).toBeLessThanOrEqual(1e-12);
      expect(r.assumptionAllTheta).toBe("fails");
      expect(r.jensen).not.toBe("holds"); // full family: E_c min KL(q_c||p) = 0 <= min KL(q||p)
    }
    const t = tallyTheorem2(rows);
    expect(t.counts.eq9.holds + t.counts.eq9.fails + t.counts.eq9.tie).toBe(cfg.instances);
  });

  it("two well-separated equal-shape conditions: assumption (Eq. 29) and Eq. 9 both hold", () => {
    const g1 = gaussian([-3, 0], [0.5, 0, 0, 0.5]);
    const g2 = gaussian([3, 0], [0.5, 0, 0, 0.5]);
    const r = evaluateTheorem2(mixture([0.5, 0.5], [g1, g2]), "full", 4000, new Rng(9));
    expect(r.assumptionEq29).toBe("holds");
    expect(r.eq9).toBe("holds");
    expect(r.eq10PerC).toBe("holds");
    expect(r.eq10MeanDiff).toBeLessThan(0);
  });

  it("is repeatable from the seed and verdicts follow the 3-SE rule", () => {
    const cfg = resolveConfig(THEOREM2_PRESETS, "t2", "tiny", { instances: 3 });
    expect(theorem2Study(cfg, new Rng(10)).rows).toEqual(theorem2Study(cfg, new Rng(10)).rows);
    expect(verdict(-1, 0.1)).toBe("holds");
    expect(verdict(1, 0.1)).toBe("fails");
    expect(verdict(0.2, 0.1)).toBe("tie");
  });
});
