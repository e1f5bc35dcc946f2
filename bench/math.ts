/**
 * bench/math: is mathjs fast enough in the theory lab's hot loops? For each routine that lib/math
 * or lib/theory runs per point or per ascent step, the hand-written form and the mathjs form run
 * interleaved in this process on the same inputs; the ratio (mathjs time / hand time) decides
 * which one the library keeps (lib/math/linalg.ts, lib/math/gaussian.ts, lib/theory/rademacher/
 * lipschitz.ts say which, and why).
 *
 * - spectral norm of a ReLU layer's weight (projection at every ascent step, Theorem 1): power
 *   iteration (kept there) vs mathjs `eigs` of the Gram matrix (exact; used outside hot loops);
 * - triangular solve of a 2x2 Cholesky factor (every Gaussian log density, Theorem 2 and
 *   Appendix P): hand (kept) vs mathjs `lsolve`;
 * - a layer's forward product [n, in] · Wᵀ (every ascent step): hand loops (kept) vs mathjs `multiply`.
 *
 * Timings on a shared machine are noisy; only the ratios of one run mean anything.
 * Usage: npx tsx bench/math.ts [--reps=2000]
 */
import { Rng } from "../lib/core/rng";
import { forwardSolve, spectralNorm, spectralNormPower } from "../lib/math/linalg";
import { mat, Mat, math, toMathjs } from "../lib/math/matrix";

function arg(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? def : Number(a.split("=")[1]);
}

function handForward(x: Mat, w: Mat): Mat {
  const z = mat(x.rows, w.rows);
  for (let i = 0; i < x.rows; i++) for (let o = 0; o < w.rows; o++) {
    let s = 0;
    for (let j = 0; j < x.cols; j++) s += x.data[i * x.cols + j] * w.data[o * x.cols + j];
    z.data[i * w.rows + o] = s;
  }
  return z;
}

/** Median over rounds of the time per call (µs), the two forms interleaved round by round. */
function race(name: string, reps: number, hand: () => number, mathjs: () => number): { name: string; handUs: number; mathjsUs: number; ratio: number; maxAbsDiff: number } {
  const th: number[] = [];
  const tm: number[] = [];
  let diff = 0;
  for (let round = 0; round < 7; round++) {
    let t = performance.now();
    let a = 0;
    for (let r = 0; r < reps; r++) a = hand();
    th.push(((performance.now() - t) * 1000) / reps);
    t = performance.now();
    let b = 0;
    for (let r = 0; r < reps; r++) b = mathjs();
    tm.push(((performance.now() - t) * 1000) / reps);
    diff = Math.max(diff, Math.abs(a - b));
  }
  const med = (v: number[]) => v.slice().sort((p, q) => p - q)[3];
  return { name, handUs: med(th), mathjsUs: med(tm), ratio: med(tm) / med(th), maxAbsDiff: diff };
}

const reps = arg("reps", 2000);
const rng = new Rng(7);
const layer = mat(16, 4, rng.normalArray(64, 0, 1)); // quick profile: width 16, k 4
const l2 = mat(2, 2, [1.3, 0, 0.4, 0.8]);
const b2 = [0.3, -0.7];
const l2m = toMathjs(l2);
const x = mat(128, 4, rng.normalArray(512, 0, 1));
const xm = toMathjs(x);
const wm = toMathjs(layer);
const rows = [
  race("spectral norm [16, 4]: hand = power iteration (kept in the ascent), mathjs = eigs", reps, () => spectralNormPower(layer), () => spectralNorm(layer)),
  race("triangular solve 2x2: hand (kept), mathjs = lsolve", reps * 20, () => forwardSolve(l2, b2)[1], () => (math.lsolve(l2m, b2).toArray() as number[][])[1][0]),
  race("layer product [128, 4]·[16, 4]ᵀ: hand (kept), mathjs = multiply", Math.max(1, reps / 10), () => handForward(x, layer).data[5], () => (math.multiply(xm, math.transpose(wm)).toArray() as number[][])[0][5]),
];
console.log("routine | hand µs/call | mathjs µs/call | mathjs / hand | max |difference|");
for (const r of rows) console.log(`${r.name} | ${r.handUs.toFixed(2)} | ${r.mathjsUs.toFixed(2)} | ${r.ratio.toFixed(1)}x | ${r.maxAbsDiff.toExponential(1)}`);
