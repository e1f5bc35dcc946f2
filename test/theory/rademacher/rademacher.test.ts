import { describe, expect, it } from "vitest";
import { Rng } from "../../../lib/core/rng";
import { spectralNorm } from "../../../lib/math/linalg";
import { frobeniusNorm, mat } from "../../../lib/math/matrix";
import { checkLipschitz, composeClasses, linearClass, lipschitzBound, mlpClass, netForward, netObjectiveGrad, projectToBall, randomMember } from "../../../lib/theory/rademacher/lipschitz";
import {
  ascendSup,
  empiricalRademacher,
  expectedSignedSumNormExact,
  rademacherSigns,
  signedSumNorm,
  supOverClass,
  tauExactLinear,
  tauLowerBound,
  tauRatio,
} from "../../../lib/theory/rademacher/rademacher";
import { evaluateTheorem1, linearSweep, logLogSlope, mlpStudy, sampleInputs, THEOREM1_PRESETS } from "../../../lib/theory/rademacher/theorem";
import { resolveConfig } from "../../../lib/core/profile";

const randMat = (rng: Rng, r: number, c: number) => {
  const m = mat(r, c);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
};

describe("lipschitz classes", () => {
  it("projections land in the ball and leave interior points alone", () => {
    const rng = new Rng(1);
    const a = randMat(rng, 4, 5);
    projectToBall(a, "frobenius", 0.5);
    expect(frobeniusNorm(a)).toBeCloseTo(0.5, 12);
    const b = randMat(rng, 4, 5);
    projectToBall(b, "spectral", 0.5);
    expect(spectralNorm(b)).toBeCloseTo(0.5, 8);
    const c = mat(1, 2, [0.1, 0.1]);
    projectToBall(c, "frobenius", 1);
    expect(Array.from(c.data)).toEqual([0.1, 0.1]);
  });

  it("members of an MLP class are L-Lipschitz on random pairs", () => {
    const rng = new Rng(2);
    const f = mlpClass("f", 3, 8, 2);
    expect(lipschitzBound(f)).toBeCloseTo(2, 12);
    const p = randomMember(f, () => rng.normal());
    for (let t = 0; t < 50; t++) {
      const a = randMat(rng, 1, 3);
      const b = randMat(rng, 1, 3);
      const fa = netForward(f, p, a).out.data[0];
      const fb = netForward(f, p, b).out.data[0];
      let dist = 0;
      for (let i = 0; i < 3; i++) dist += (a.data[i] - b.data[i]) ** 2;
      expect(Math.abs(fa - fb)).toBeLessThanOrEqual(2 * Math.sqrt(dist) + 1e-12);
    }
  });

  it("hand-written backprop matches finite differences", () => {
    const rng = new Rng(3);
    const g = linearClass("g", 4, 3, 1.5);
    const f = mlpClass("f", 3, 5, 2);
    const fg = composeClasses(f, g);
    const p = randomMember(fg, () => rng.normal());
    const x = randMat(rng, 6, 4);
    const eps = rademacherSigns(rng, 6, 1);
    const { value, grads } = netObjectiveGrad(fg, p, x, eps);
    const h = 1e-6;
    for (let l = 0; l < p.length; l++) {
      for (const idx of [0, p[l].data.length - 1]) {
        const w0 = p[l].data[idx];
        p[l].data[idx] = w0 + h;
        const vp = netObjectiveGrad(fg, p, x, eps).value;
        p[l].data[idx] = w0 - h;
        const vm = netObjectiveGrad(fg, p, x, eps).value;
        p[l].data[idx] = w0;
        expect(grads[l].data[idx]).toBeCloseTo((vp - vm) / (2 * h), 5);
      }
    }
    expect(Number.isFinite(value)).toBe(true);
  });

  it("bad input fails with exact messages", () => {
    expect(() => checkLipschitz(-1, "F")).toThrow("F: Lipschitz constant must be a finite number >= 0, got -1");
    expect(() => linearClass("G", 3, 2, -0.5)).toThrow("G: Lipschitz constant must be a finite number >= 0, got -0.5");
    expect(() => mlpClass("F", 3, 4, Number.NaN)).toThrow("F: Lipschitz constant must be a finite number >= 0, got NaN");
    expect(() => composeClasses(linearClass("F", 5, 1, 1), linearClass("G", 3, 2, 1))).toThrow("composeClasses: G 'G' outputs 2 values but F 'F' takes 5");
    expect(() => mat(0, 3)).toThrow("mat: rows and cols must be positive integers, got 0 x 3");
  });
});

describe("empirical Rademacher complexity", () => {
  it("norm-bounded linear class: MC within 3 SE of the exact B·E||Σ ε_i x_i|| / n (enumerated)", () => {
    const rng = new Rng(4);
    const n = 12;
    const B = 2.5;
    const x = randMat(rng, n, 3);
    const exact = (B * expectedSignedSumNormExact(x)) / n;
    const est = empiricalRademacher(linearClass("lin", 3, 1, B), x, 3000, rng.fork("mc"));
    expect(est.exact).toBe(true);
    expect(Math.abs(est.normalized.mean - exact)).toBeLessThan(3 * est.normalized.se);
    expect(est.sum.mean).toBeCloseTo(est.normalized.mean * n, 10);
  });

  it("exact enumeration agrees with a hand computation for n = 2", () => {
    // x1 = (1, 0), x2 = (0, 1): every sign vector gives norm √2
    expect(expectedSignedSumNormExact(mat(2, 2, [1, 0, 0, 1]))).toBeCloseTo(Math.SQRT2, 14);
    // x1 = x2 = (1, 0): norms 2, 0, 0, 2 -> mean 1
    expect(expectedSignedSumNormExact(mat(2, 2, [1, 0, 1, 0]))).toBeCloseTo(1, 14);
  });

  it("projected gradient ascent recovers the closed-form sup of a linear∘linear class (and never exceeds it)", () => {
    const rng = new Rng(5);
    const fg = composeClasses(linearClass("F", 3, 1, 1.5), linearClass("G", 4, 3, 2));
    const x = randMat(rng, 10, 4);
    for (let t = 0; t < 5; t++) {
      const eps = rademacherSigns(rng, 10, 1);
      const exact = supOverClass(fg, x, eps, rng).value;
      expect(exact).toBeCloseTo(3 * signedSumNorm(x, eps), 12);
      const asc = ascendSup(fg, x, eps, rng, { restarts: 3, steps: 80, lr: 0.3 }).value;
      expect(asc).toBeLessThanOrEqual(exact * (1 + 1e-9));
      expect(asc).toBeGreaterThan(0.99 * exact);
    }
  });

  it("ReLU class estimates are at least the certified linear-subclass bound (½ L_f L_g E||Σ ε x||)", () => {
    const cfg = resolveConfig(THEOREM1_PRESETS, "t1", "tiny");
    const rows = mlpStudy(cfg, new Rng(6));
    for (const r of rows) expect(r.lhs).toBeGreaterThan(r.linearSubclassLower - 3 * r.lhsSe);
  });

  it("b^τ of linear classes: closed forms B and B√k; the single-pair candidate attains them", () => {
    const rng = new Rng(7);
    const f = linearClass("F", 3, 1, 2);
    const g = linearClass("G", 4, 3, 1.5);
    expect(tauExactLinear(f)).toBe(2);
    expect(tauExactLinear(g)).toBeCloseTo(1.5 * Math.sqrt(3), 14);
    const lbF = tauLowerBound(f, randMat(rng, 8, 3), 50, rng.fork("f"));
    expect(lbF.candidates["single-pair"].mean).toBeCloseTo(2, 12);
    expect(lbF.value).toBeLessThanOrEqual(2 + 1e-12);
    const lbG = tauLowerBound(g, randMat(rng, 8, 4), 50, rng.fork("g"));
    expect(lbG.candidates["single-pair"].mean).toBeCloseTo(1.5 * Math.sqrt(3), 12);
    expect(() => tauExactLinear(mlpClass("M", 3, 4, 1))).toThrow("tauExactLinear: class 'M' is not a norm-bounded linear class; use tauLowerBound");
    expect(() => tauRatio(f, mat(2, 3), mat(2, 3), 5, rng)).toThrow("tauRatio: s and t are equal; the ratio in Eq. 5 needs s != t");
  });

  it("Theorem 1 on linear classes: implied λ grows like √n, the chain-rule constant stays bounded", () => {
    const cfg = resolveConfig(THEOREM1_PRESETS, "t1", "tiny", { ns: [4, 16, 64, 256], draws: 200 });
    const { byN } = linearSweep(cfg, new Rng(8));
    const r1 = byN.filter((r) => r.Lf === 1);
    const slope = logLogSlope(r1.map((r) => r.n), r1.map((r) => r.impliedLambda));
    expect(slope).toBeGreaterThan(0.4);
    expect(slope).toBeLessThan(0.6);
    for (const r of byN) {
      expect(r.lhsExact).toBe(true);
      expect(r.paperRhs).toBeCloseTo(r.Lf * r.Lg * (Math.sqrt(cfg.k) + 1), 10);
      expect(r.impliedChainC).toBeLessThan(1);
    }
  });

  it("is repeatable from the seed", () => {
    const x = sampleInputs(new Rng(9), 16, 4, 1);
    const f = mlpClass("F", 2, 4, 1);
    const g = linearClass("G", 4, 2, 1);
    const a = evaluateTheorem1(f, g, x, 3, 2, new Rng(10), { restarts: 2, steps: 10, lr: 0.3 }, 1);
    const b = evaluateTheorem1(f, g, x, 3, 2, new Rng(10), { restarts: 2, steps: 10, lr: 0.3 }, 1);
    expect(a).toEqual(b);
    expect(a.lhsExact).toBe(false);
    expect(a.tauFExact).toBe(false);
  });

  it("bad input fails with exact messages", () => {
    const rng = new Rng(11);
    expect(() => rademacherSigns(rng, 0)).toThrow("rademacherSigns: n must be a positive integer, got 0");
    expect(() => sampleInputs(rng, 0, 3, 1)).toThrow("sampleInputs: n must be a positive integer, got 0");
    expect(() => empiricalRademacher(linearClass("L", 2, 1, 1), mat(3, 2), 0, rng)).toThrow("empiricalRademacher: draws must be a positive integer, got 0");
    expect(() => expectedSignedSumNormExact(mat(23, 1))).toThrow("expectedSignedSumNormExact: n = 23 needs 2^n terms; use n <= 22 or the Monte-Carlo estimate");
    expect(() => logLogSlope([1], [1])).toThrow("logLogSlope: need two equal-length arrays of >= 2 points, got 1 and 1");
    expect(() => evaluateTheorem1(linearClass("F", 2, 1, 1), mlpClass("M", 3, 2, 1), mat(2, 3), 2, 2, rng, { restarts: 1, steps: 1, lr: 0 }, 1)).toThrow(
      "evaluateTheorem1: G must be a Frobenius-ball linear class, got 'M'",
    );
  });
});
