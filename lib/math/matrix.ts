/**
 * Small dense matrices for the theory lab (paper §4, §6, Appendix F, G, P), on mathjs.
 *
 * `Mat` is the plain row-major Float64 form the hot loops index directly (ascent steps, Gaussian
 * log densities, samplers); `toMathjs` / `fromMathjs` convert to and from mathjs matrices, on which
 * the decompositions in `linalg.ts` run (LU, inverse, determinant, symmetric eigenvalues).
 * `math` is the project's mathjs instance: notebooks use it directly for small symbolic or exact
 * checks (`math.evaluate`, `math.derivative`).
 */
import { all, create, Matrix } from "mathjs";

/** The mathjs instance of the project (default config: numbers are float64, relTol 1e-12). */
export const math = create(all, {});

/** Row-major dense matrix. */
export interface Mat {
  rows: number;
  cols: number;
  /** [rows * cols], row-major. */
  data: Float64Array;
}

/** A rows x cols matrix, zero-filled or copied from `data` (row-major). */
export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new Error(`mat: rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
  const out = new Float64Array(rows * cols);
  if (data !== undefined) {
    if (data.length !== rows * cols) throw new Error(`mat: data has ${data.length} entries, expected ${rows * cols} (${rows} x ${cols})`);
    out.set(data);
  }
  return { rows, cols, data: out };
}

/** The d x d identity. */
export function identity(d: number): Mat {
  const out = mat(d, d);
  for (let i = 0; i < d; i++) out.data[i * d + i] = 1;
  return out;
}

/** A mathjs dense matrix with the same entries. */
export function toMathjs(a: Mat): Matrix {
  const rows: number[][] = [];
  for (let i = 0; i < a.rows; i++) rows.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return math.matrix(rows);
}

/** A `Mat` from a mathjs matrix or a nested array (2-D; a 1-D vector becomes a column). */
export function fromMathjs(m: Matrix | number[][] | number[]): Mat {
  const arr = (Array.isArray(m) ? m : (m.toArray() as number[][] | number[])) as unknown[];
  if (arr.length === 0) throw new Error("fromMathjs: the matrix is empty");
  if (!Array.isArray(arr[0])) return mat(arr.length, 1, arr as number[]);
  const rows = arr as number[][];
  const cols = rows[0].length;
  const out = mat(rows.length, cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`fromMathjs: row ${i} has ${r.length} entries, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) {
      const v = r[j];
      if (typeof v !== "number") throw new Error(`fromMathjs: entry (${i}, ${j}) is a ${typeof v}, expected a number`);
      out.data[i * cols + j] = v;
    }
  });
  return out;
}

/** aᵀ. */
export function transpose(a: Mat): Mat {
  const out = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

/** a · b by mathjs (for one-off products; the hot loops of the theory lab index `Mat` directly, see bench/math.ts). */
export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: [${a.rows}, ${a.cols}] · [${b.rows}, ${b.cols}]: inner sizes differ`);
  return fromMathjs(math.multiply(toMathjs(a), toMathjs(b)) as Matrix);
}

/** ‖a‖_F. */
export function frobeniusNorm(a: Mat): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * a.data[i];
  return Math.sqrt(s);
}

/** Checks that `a` is square; `what` names the caller in the message. */
export function checkSquare(a: Mat, what: string): number {
  if (a.rows !== a.cols) throw new Error(`${what}: matrix must be square, got ${a.rows} x ${a.cols}`);
  return a.rows;
}
