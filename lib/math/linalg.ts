/**
 * Decompositions of small dense matrices: LU-based inverse, determinant and solve, symmetric
 * eigenvalues, spectral norms and the orthogonal factor of QR on mathjs. By hand, each with its reason: Cholesky (mathjs 15 has
 * none), the triangular solves (per point in the Gaussian densities) and a power-iteration
 * spectral norm (per ascent step in Theorem 1); bench/math.ts measures the last two against mathjs.
 */
import { Matrix } from "mathjs";
import { checkSquare, fromMathjs, frobeniusNorm, mat, Mat, math, toMathjs } from "./matrix";

/** a⁻¹ by mathjs (LU with partial pivoting); throws for a singular matrix. */
export function inverse(a: Mat): Mat {
  checkSquare(a, "inverse");
  try {
    return fromMathjs(math.inv(toMathjs(a)) as Matrix);
  } catch (e) {
    throw new Error(`inverse: ${(e as Error).message}`);
  }
}

/** det(a) by mathjs (LU). */
export function determinant(a: Mat): number {
  checkSquare(a, "determinant");
  return math.det(toMathjs(a)) as number;
}

/** x with a x = b: one mathjs LU factorisation (`lup`), then `lusolve` per column of b ([d] or [d, k]). */
export function solve(a: Mat, b: ArrayLike<number> | Mat): Mat {
  const d = checkSquare(a, "solve");
  const bm = "rows" in (b as Mat) ? (b as Mat) : mat((b as ArrayLike<number>).length, 1, b as ArrayLike<number>);
  if (bm.rows !== d) throw new Error(`solve: the right side has ${bm.rows} rows, the matrix is ${d} x ${d}`);
  const lup = math.lup(toMathjs(a));
  const out = mat(d, bm.cols);
  for (let j = 0; j < bm.cols; j++) {
    const col: number[] = [];
    for (let i = 0; i < d; i++) col.push(bm.data[i * bm.cols + j]);
    const x = (math.lusolve(lup, col) as Matrix).toArray() as number[][]; // [d, 1]
    for (let i = 0; i < d; i++) out.data[i * bm.cols + j] = x[i][0];
  }
  return out;
}

/** tr(a). */
export function trace(a: Mat): number {
  checkSquare(a, "trace");
  return math.trace(toMathjs(a)) as number;
}

/** tr(a⁻¹ b) by one mathjs LU solve with b's columns as right sides. */
export function traceSolve(a: Mat, b: Mat): number {
  const d = checkSquare(a, "traceSolve");
  if (b.rows !== d || b.cols !== d) throw new Error(`traceSolve: b is ${b.rows} x ${b.cols}, a is ${d} x ${d}`);
  const x = solve(a, b);
  let tr = 0;
  for (let i = 0; i < d; i++) tr += x.data[i * d + i];
  return tr;
}

/** Throws unless a is symmetric to 1e-9 relative (`what` names the matrix in the message). */
export function checkSymmetric(a: Mat, what: string): void {
  const d = checkSquare(a, what);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const x = a.data[i * d + j];
      const y = a.data[j * d + i];
      if (!Number.isFinite(x) || Math.abs(x - y) > 1e-9 * (1 + Math.abs(x) + Math.abs(y))) {
        throw new Error(`${what} must be symmetric, entry (${i}, ${j}) = ${x} but (${j}, ${i}) = ${y}`);
      }
    }
  }
}

/**
 * The orthogonal factor Q of a = Q R by mathjs `qr` (Householder), with the signs chosen so that
 * R's diagonal is positive: then Q's columns are the Gram-Schmidt orthonormalisation of a's
 * columns, in order. a must be square and of full rank.
 */
export function orthogonalFactor(a: Mat): Mat {
  const d = checkSquare(a, "orthogonalFactor");
  const { Q, R } = math.qr(toMathjs(a)) as unknown as { Q: Matrix; R: Matrix };
  const q = fromMathjs(Q);
  const r = fromMathjs(R);
  for (let k = 0; k < d; k++) {
    const rkk = r.data[k * d + k];
    if (!(Math.abs(rkk) > 1e-12 * (1 + frobeniusNorm(a)))) throw new Error(`orthogonalFactor: the matrix is rank deficient (column ${k})`);
    if (rkk < 0) for (let i = 0; i < d; i++) q.data[i * d + k] = -q.data[i * d + k];
  }
  return q;
}

/** Eigenvalues (ascending) and unit eigenvectors (columns of `vectors`) of a symmetric matrix, by mathjs `eigs`. */
export function symmetricEigen(a: Mat): { values: Float64Array; vectors: Mat } {
  const d = checkSquare(a, "symmetricEigen");
  checkSymmetric(a, "symmetricEigen: the matrix");
  const r = math.eigs(toMathjs(a), { eigenvectors: true }) as unknown as { values: Matrix; eigenvectors: { value: number; vector: Matrix }[] };
  const pairs = r.eigenvectors.map((e) => ({ value: e.value, vector: e.vector.toArray() as number[] })).sort((p, q) => p.value - q.value);
  const vectors = mat(d, d);
  pairs.forEach((p, k) => {
    let n = 0;
    for (const v of p.vector) n += v * v;
    n = Math.sqrt(n);
    for (let i = 0; i < d; i++) vectors.data[i * d + k] = p.vector[i] / n;
  });
  return { values: Float64Array.from(pairs.map((p) => p.value)), vectors };
}

/** Eigenvalues (ascending) of a symmetric matrix, by mathjs `eigs` without eigenvectors. */
export function symmetricEigenvalues(a: Mat): Float64Array {
  checkSquare(a, "symmetricEigenvalues");
  checkSymmetric(a, "symmetricEigenvalues: the matrix");
  const r = math.eigs(toMathjs(a), { eigenvectors: false }) as unknown as { values: Matrix };
  return Float64Array.from(r.values.toArray() as number[]).sort();
}

/**
 * Largest singular value σ_max(a) = √λ_max(G) of the smaller Gram matrix G (aᵀa or a aᵀ), by
 * mathjs' symmetric eigenvalues. Exact up to rounding, unlike power iteration (which stops on a
 * tolerance and converges slowly when σ₁ ≈ σ₂); in hot loops use `spectralNormPower` (bench/math.ts).
 */
export function spectralNorm(a: Mat): number {
  if (a.rows === 1 || a.cols === 1) return frobeniusNorm(a);
  const byCols = a.cols <= a.rows; // Gram matrix on the smaller side
  const k = byCols ? a.cols : a.rows;
  const g: number[][] = [];
  for (let i = 0; i < k; i++) g.push(new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      if (byCols) for (let r = 0; r < a.rows; r++) s += a.data[r * a.cols + i] * a.data[r * a.cols + j];
      else for (let c = 0; c < a.cols; c++) s += a.data[i * a.cols + c] * a.data[j * a.cols + c];
      g[i][j] = s;
      g[j][i] = s;
    }
  }
  const values = (math.eigs(g, { eigenvectors: false }) as unknown as { values: number[] }).values;
  return Math.sqrt(Math.max(0, ...values));
}

/**
 * Largest singular value by power iteration on aᵀa (deterministic start; at most `iters`
 * iterations, stopping when the estimate changes by < 1e-12 relative). Hand-written for the hot
 * loop of Theorem 1's projected ascent (the spectral-ball projection at every step): there
 * mathjs' `eigs` (`spectralNorm`) is ~7x slower per call (bench/math.ts) and made the quick
 * profile's ReLU study take 47 s instead of 19 s. Less exact than `spectralNorm` (it stops on a
 * tolerance and converges slowly when σ₁ ≈ σ₂); use `spectralNorm` outside hot loops.
 */
export function spectralNormPower(a: Mat, iters = 200): number {
  const { rows, cols, data } = a;
  let v = new Float64Array(cols);
  for (let j = 0; j < cols; j++) v[j] = 1 + 0.01 * j; // not orthogonal to the top singular vector in practice
  const u = new Float64Array(rows);
  let est = 0;
  for (let it = 0; it < iters; it++) {
    // u = A v ; v' = Aᵀ u
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += data[i * cols + j] * v[j];
      u[i] = s;
    }
    const w = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const ui = u[i];
      if (ui === 0) continue;
      for (let j = 0; j < cols; j++) w[j] += data[i * cols + j] * ui;
    }
    let nw = 0;
    for (let j = 0; j < cols; j++) nw += w[j] * w[j];
    nw = Math.sqrt(nw);
    if (nw === 0) return 0;
    const next = Math.sqrt(nw); // ||AᵀA v|| with ||v|| = 1 -> sigma^2
    for (let j = 0; j < cols; j++) w[j] /= nw;
    v = w;
    if (it > 2 && Math.abs(next - est) <= 1e-12 * next) {
      est = next;
      break;
    }
    est = next;
  }
  return est;
}

/**
 * Cholesky factor L (a = L Lᵀ, lower triangular) of a symmetric positive definite matrix.
 * Written by hand: mathjs 15 has no Cholesky. Throws with the failing pivot otherwise.
 */
export function cholesky(a: Mat, what = "cholesky"): Mat {
  const d = a.rows;
  if (a.cols !== d) throw new Error(`${what}: covariance must be square, got ${a.rows} x ${a.cols}`);
  checkSymmetric(a, `${what}: covariance`);
  const l = mat(d, d);
  for (let j = 0; j < d; j++) {
    let s = a.data[j * d + j];
    for (let k = 0; k < j; k++) s -= l.data[j * d + k] ** 2;
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new Error(`${what}: covariance is not positive definite (pivot ${j} is ${s}); use a symmetric matrix with all eigenvalues > 0, e.g. add a small multiple of the identity`);
    }
    const ljj = Math.sqrt(s);
    l.data[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a.data[i * d + j];
      for (let k = 0; k < j; k++) t -= l.data[i * d + k] * l.data[j * d + k];
      l.data[i * d + j] = t / ljj;
    }
  }
  return l;
}

/**
 * Solves L y = b for lower-triangular L. Hand-written: called per point in the Gaussian log
 * densities (millions of times per study); mathjs `lsolve` is much slower there (bench/math.ts).
 */
export function forwardSolve(l: Mat, b: ArrayLike<number>): Float64Array {
  const d = l.rows;
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l.data[i * d + k] * y[k];
    y[i] = s / l.data[i * d + i];
  }
  return y;
}

/** Solves Lᵀ x = y for lower-triangular L (hand-written for the same reason as `forwardSolve`). */
export function backSolve(l: Mat, y: ArrayLike<number>): Float64Array {
  const d = l.rows;
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < d; k++) s -= l.data[k * d + i] * x[k];
    x[i] = s / l.data[i * d + i];
  }
  return x;
}
