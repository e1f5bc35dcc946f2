import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { backSolve, cholesky, determinant, forwardSolve, inverse, orthogonalFactor, solve, spectralNorm, spectralNormPower, symmetricEigen, symmetricEigenvalues, trace, traceSolve } from "../../lib/math/linalg";
import { zScore } from "../../lib/math/stats";
import { fromMathjs, frobeniusNorm, identity, mat, Mat, math, matmul, toMathjs, transpose } from "../../lib/math/matrix";

const randMat = (rng: Rng, r: number, c: number): Mat => mat(r, c, rng.normalArray(r * c, 0, 1));
const close = (a: Mat, b: Mat, digits: number) => {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  for (let i = 0; i < a.data.length; i++) expect(a.data[i]).toBeCloseTo(b.data[i], digits);
};

describe("dense matrices on mathjs", () => {
  it("converts to mathjs and back, transposes and multiplies", () => {
    const a = mat(2, 3, [1, 2, 3, 4, 5, 6]);
    expect(toMathjs(a).size()).toEqual([2, 3]);
    expect(fromMathjs(toMathjs(a))).toEqual(a);
    expect(fromMathjs([1, 2])).toEqual(mat(2, 1, [1, 2]));
    expect(Array.from(transpose(a).data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(matmul(a, transpose(a)).data)).toEqual([14, 32, 32, 77]);
    expect(frobeniusNorm(a)).toBeCloseTo(Math.sqrt(91), 14);
    expect(math.evaluate("2 * x + 1", { x: 3 })).toBe(7);
  });

  it("inverse, determinant, solve and trace agree with each other and with closed forms", () => {
    const a = mat(2, 2, [4, 1, 2, 3]);
    expect(determinant(a)).toBeCloseTo(10, 13);
    close(inverse(a), mat(2, 2, [0.3, -0.1, -0.2, 0.4]), 14);
    close(matmul(a, inverse(a)), identity(2), 14);
    const x = solve(a, [1, 2]);
    close(matmul(a, x), mat(2, 1, [1, 2]), 14);
    const b = mat(2, 2, [1, 0.5, -1, 2]);
    expect(traceSolve(a, b)).toBeCloseTo(trace(matmul(inverse(a), b)), 14);
    const r = randMat(new Rng(1), 5, 5);
    close(matmul(r, solve(r, identity(5))), identity(5), 10);
  });

  it("symmetric eigen-decomposition reconstructs the matrix; spectral norms are exact on closed forms", () => {
    const s = mat(3, 3, [2, 1, 0, 1, 3, 1, 0, 1, 4]);
    const { values, vectors } = symmetricEigen(s);
    expect(Array.from(symmetricEigenvalues(s)).map((v, i) => v - values[i]).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    const lam = mat(3, 3);
    for (let i = 0; i < 3; i++) lam.data[4 * i] = values[i];
    close(matmul(matmul(vectors, lam), transpose(vectors)), s, 12);
    expect(values[0]).toBeLessThanOrEqual(values[1]);
    expect(spectralNorm(mat(3, 3, [3, 0, 0, 0, -5, 0, 0, 0, 1]))).toBeCloseTo(5, 12);
    // u vᵀ with ||u|| = 2, ||v|| = 3 -> 6, on both Gram sides
    expect(spectralNorm(mat(2, 3, [0, 6, 0, 0, 0, 0]))).toBeCloseTo(6, 12);
    expect(spectralNorm(transpose(mat(2, 3, [0, 6, 0, 0, 0, 0])))).toBeCloseTo(6, 12);
    // σ_max² is the top eigenvalue of aᵀa
    const r = randMat(new Rng(2), 7, 4);
    const top = symmetricEigenvalues(matmul(transpose(r), r));
    expect(spectralNorm(r)).toBeCloseTo(Math.sqrt(top[3]), 12);
    // the hot-loop power iteration agrees with the mathjs form
    for (const [rows, cols] of [[16, 4], [4, 16], [8, 8]]) {
      const q = randMat(new Rng(rows * 31 + cols), rows, cols);
      expect(Math.abs(spectralNormPower(q) - spectralNorm(q)) / spectralNorm(q)).toBeLessThan(1e-9);
    }
    expect(spectralNormPower(mat(3, 3, [3, 0, 0, 0, -5, 0, 0, 0, 1]))).toBeCloseTo(5, 10);
  });

  it("Cholesky and the triangular solves invert an SPD matrix", () => {
    const r = randMat(new Rng(3), 4, 4);
    const spd = matmul(transpose(r), r);
    for (let i = 0; i < 4; i++) spd.data[5 * i] += 0.1;
    const l = cholesky(spd);
    close(matmul(l, transpose(l)), spd, 12);
    expect(l.data[1]).toBe(0);
    const v = [1, -2, 0.5, 3];
    const x = backSolve(l, forwardSolve(l, v));
    close(matmul(spd, mat(4, 1, x)), mat(4, 1, v), 10);
    expect(Math.log(determinant(spd))).toBeCloseTo(2 * [0, 1, 2, 3].reduce((s, i) => s + Math.log(l.data[5 * i]), 0), 10);
  });

  it("bad input fails with exact messages", () => {
    expect(() => mat(0, 3)).toThrow("mat: rows and cols must be positive integers, got 0 x 3");
    expect(() => mat(2, 2, [1, 2, 3])).toThrow("mat: data has 3 entries, expected 4 (2 x 2)");
    expect(() => inverse(mat(2, 3))).toThrow("inverse: matrix must be square, got 2 x 3");
    expect(() => inverse(mat(2, 2, [1, 2, 2, 4]))).toThrow("inverse: Cannot calculate inverse, determinant is zero");
    expect(() => solve(mat(2, 2, [1, 0, 0, 1]), [1, 2, 3])).toThrow("solve: the right side has 3 rows, the matrix is 2 x 2");
    expect(() => matmul(mat(2, 3), mat(2, 3))).toThrow("matmul: [2, 3] · [2, 3]: inner sizes differ");
    expect(() => symmetricEigen(mat(2, 2, [1, 2, 0, 1]))).toThrow("symmetricEigen: the matrix must be symmetric, entry (1, 0) = 0 but (0, 1) = 2");
    expect(() => cholesky(mat(2, 2, [0, 0, 0, 1]))).toThrow("cholesky: covariance is not positive definite (pivot 0 is 0); use a symmetric matrix with all eigenvalues > 0, e.g. add a small multiple of the identity");
    expect(() => fromMathjs([[1, 2], [3]])).toThrow("fromMathjs: row 1 has 1 entries, row 0 has 2");
  });
});

describe("stats", () => {
  it("zScore is signed, and infinite only when a zero SE meets a difference", () => {
    expect(zScore(1.3, 1, 0.1)).toBeCloseTo(3, 12);
    expect(zScore(0.7, 1, 0.1)).toBeCloseTo(-3, 12);
    expect(zScore(1, 1, 0)).toBe(0);
    expect(zScore(2, 1, 0)).toBe(Infinity);
  });

  it("orthogonalFactor: Q is orthogonal, Qᵀa is upper triangular with a positive diagonal (Gram-Schmidt of a's columns), rank deficiency is an error", () => {
    const a = randMat(new Rng(7), 5, 5);
    const q = orthogonalFactor(a);
    close(matmul(transpose(q), q), identity(5), 10);
    const r = matmul(transpose(q), a);
    for (let i = 0; i < 5; i++) {
      expect(r.data[i * 5 + i]).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) expect(Math.abs(r.data[i * 5 + j])).toBeLessThan(1e-10);
    }
    // the first column of Q is a's first column, normalised (Gram-Schmidt order)
    const n0 = Math.hypot(...Array.from({ length: 5 }, (_, i) => a.data[i * 5]));
    for (let i = 0; i < 5; i++) expect(q.data[i * 5]).toBeCloseTo(a.data[i * 5] / n0, 12);
    const low = mat(2, 2, [1, 2, 2, 4]);
    expect(() => orthogonalFactor(low)).toThrow("orthogonalFactor: the matrix is rank deficient (column 1)");
  });
});

