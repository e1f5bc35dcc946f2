/**
 * Single-layer attention under embedding tuning (paper §4.2, Eq. 6-7; Appendix E.1, Eq. 11-15).
 *
 * Setting: p original tokens X (frozen), n_t trainable tokens P put in front, frozen W_Q, W_K.
 * Query i is an original token. Eq. 7 says A^et_ij = A_ij * sum_{r original} A^et_ir: the
 * attention over the original tokens is the old attention times one scalar per row, so the
 * order of the original tokens in every row cannot change. Computed here in float32 with TF.js
 * (a stable softmax: the row maximum is subtracted before exp), compared in float64.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/rng";
import { attentionScores } from "../../nn/attention";
import { orderPreserved } from "./ranking";

/** Values below this size are compared in absolute, not relative, error (float32 normal range). */
export const REL_ERROR_FLOOR = 1e-30;

/**
 * Softmax over the last axis with the row maximum subtracted first, so huge logits do not overflow.
 * Kept beside lib/nn's attention (which uses tf.softmax) on purpose: the Eq. 7 check compares two
 * softmaxes to a float32 rounding bound (FLOAT32_BOUND_FACTOR) derived for exactly this sequence of
 * operations (shift, exp, sum, divide), and its committed paper-profile numbers were made with it.
 */
export function stableSoftmax(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const e = tf.exp(shifted);
    return tf.div(e, tf.sum(e, -1, true));
  });
}

/**
 * Attention logits tau/sqrt(d_k) (W_Q x_i)^T (W_K x_j) of Eq. 11, queries from `Xq` [q, d_in],
 * keys from `Xk` [k, d_in], W_Q and W_K [d_k, d_in]. Returns [q, k].
 */
export function attentionLogits(Xq: tf.Tensor2D, Xk: tf.Tensor2D, WQ: tf.Tensor2D, WK: tf.Tensor2D, tau: number): tf.Tensor2D {
  if (!(tau > 0)) throw new Error(`attentionLogits: the inverse temperature tau must be > 0 (Eq. 11), got ${tau}`);
  const dk = WQ.shape[0];
  if (WK.shape[0] !== dk || WQ.shape[1] !== Xq.shape[1] || WK.shape[1] !== Xk.shape[1]) {
    throw new Error(`attentionLogits: shapes do not match: Xq ${Xq.shape}, Xk ${Xk.shape}, W_Q ${WQ.shape}, W_K ${WK.shape} (need W_Q, W_K [d_k, d_in])`);
  }
  return tf.tidy(() => {
    const q = tf.matMul(Xq, WQ, false, true); // [q, d_k]
    const k = tf.matMul(Xk, WK, false, true); // [k, d_k]
    return attentionScores(q, k, tau / Math.sqrt(dk)) as tf.Tensor2D; // [q, k]: lib/nn's scores with the inverse temperature tau
  });
}

/** One instance of the Eq. 7 test: plain arrays, row-major. */
export interface Eq7Instance {
  p: number;
  nt: number;
  dIn: number;
  dk: number;
  heads: number;
  tau: number;
  /** Original tokens [p, d_in]. */
  X: Float32Array;
  /** Trainable prefix tokens [n_t, d_in]. */
  P: Float32Array;
  /** Per head W_Q, W_K: [heads, d_k, d_in]. */
  WQ: Float32Array;
  WK: Float32Array;
}

export interface Eq7Options {
  p: number;
  nt: number;
  dIn?: number;
  dk?: number;
  heads?: number;
  tau?: number;
  /** Multiplies the token embeddings: large values give very large logits (overflow test). */
  scale?: number;
  /** Extra factor on the prefix tokens only (a prefix that grabs almost all attention). */
  prefixScale?: number;
}

/** A random instance (Gaussian tokens and weights, W ~ N(0, 1/d_in)). */
export function randomEq7Instance(rng: Rng, o: Eq7Options): Eq7Instance {
  const dIn = o.dIn ?? 16;
  const dk = o.dk ?? 8;
  const heads = o.heads ?? 1;
  const tau = o.tau ?? 1;
  const scale = o.scale ?? 1;
  const ps = o.prefixScale ?? 1;
  if (!Number.isInteger(o.p) || o.p < 1) throw new Error(`randomEq7Instance: need at least one original token (p >= 1), got p = ${o.p}`);
  if (!Number.isInteger(o.nt) || o.nt < 0) throw new Error(`randomEq7Instance: n_t must be an integer >= 0, got ${o.nt}`);
  const X = rng.fork("X").normalArray(o.p * dIn, 0, scale);
  const P = rng.fork("P").normalArray(o.nt * dIn, 0, scale * ps);
  const WQ = rng.fork("WQ").normalArray(heads * dk * dIn, 0, 1 / Math.sqrt(dIn));
  const WK = rng.fork("WK").normalArray(heads * dk * dIn, 0, 1 / Math.sqrt(dIn));
  return { p: o.p, nt: o.nt, dIn, dk, heads, tau, X, P, WQ, WK };
}

/** What the Eq. 7 test measured on one instance (all heads). */
export interface Eq7Report {
  /** Per head: A (before, [p][p]), A^et ([p][n_t + p], prefix columns first), scale s_i = sum_{r original} A^et_ir. */
  A: number[][][];
  Aet: number[][][];
  scale: number[][];
  /** max |A^et_ij - A_ij s_i| / max(|A^et_ij|, |A_ij s_i|) over entries at least REL_ERROR_FLOOR. */
  maxRelError: number;
  /** max |A^et_ij - A_ij s_i| over all entries. */
  maxAbsError: number;
  /** Share of (head, row) pairs whose order over the original tokens is kept exactly. */
  orderKept: number;
  /** The same, ignoring swaps of near-ties closer than the float32 rounding bound (see maxAbsLogit). */
  orderKeptBeyondRounding: number;
  /** True when every entry is finite (the stable softmax did not overflow). */
  finite: boolean;
  /** Largest |logit| of the instance. In float32 the exponent x_ij - max_r x_ir is rounded to
   * ~|logit| * 2^-24, so small attention entries carry a relative error of that size: the
   * float32 floor for any softmax, not a failure of Eq. 7. */
  maxAbsLogit: number;
  /** max over entries of the relative error divided by FLOAT32_BOUND_FACTOR * 2^-24 * (1 + maxAbsLogit). */
  maxErrorOverBound: number;
}

/** Safety factor of the float32 rounding bound (exp, sum and division add a few ulps each). */
export const FLOAT32_BOUND_FACTOR = 8;

function rows(data: Float32Array | Int32Array | Uint8Array, r: number, c: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < r; i++) out.push(Array.from(data.subarray(i * c, (i + 1) * c)));
  return out;
}

/**
 * Checks Eq. 7 on one instance, head by head (Appendix E.2: multi-head = the same statement per
 * head). A = softmax over the p original keys (Eq. 11/12); A^et = softmax over [P; X] (Eq. 6/13).
 */
export function checkEq7(inst: Eq7Instance): Eq7Report {
  const { p, nt, dIn, dk, heads, tau } = inst;
  if (inst.X.length !== p * dIn || inst.P.length !== nt * dIn || inst.WQ.length !== heads * dk * dIn || inst.WK.length !== heads * dk * dIn) {
    throw new Error("checkEq7: array sizes do not match p, n_t, d_in, d_k, heads");
  }
  const report: Eq7Report = { A: [], Aet: [], scale: [], maxRelError: 0, maxAbsError: 0, orderKept: 0, orderKeptBeyondRounding: 0, finite: true, maxAbsLogit: 0, maxErrorOverBound: 0 };
  let kept = 0;
  let keptBeyond = 0;
  for (let h = 0; h < heads; h++) {
    const { aData, etData, maxLogit } = tf.tidy(() => {
      const X = tf.tensor2d(inst.X, [p, dIn]);
      const WQ = tf.tensor2d(inst.WQ.subarray(h * dk * dIn, (h + 1) * dk * dIn), [dk, dIn]);
      const WK = tf.tensor2d(inst.WK.subarray(h * dk * dIn, (h + 1) * dk * dIn), [dk, dIn]);
      const keys = nt > 0 ? tf.concat([tf.tensor2d(inst.P, [nt, dIn]), X], 0) : X; // [n_t + p, d_in]
      const A = stableSoftmax(attentionLogits(X, X, WQ, WK, tau)); // [p, p]
      const logits = attentionLogits(X, keys, WQ, WK, tau); // [p, n_t + p]
      const Aet = stableSoftmax(logits); // [p, n_t + p]
      return { aData: A.dataSync() as Float32Array, etData: Aet.dataSync() as Float32Array, maxLogit: tf.max(tf.abs(logits)).dataSync()[0] };
    });
    report.maxAbsLogit = Math.max(report.maxAbsLogit, maxLogit);
    const bound = FLOAT32_BOUND_FACTOR * 2 ** -24 * (1 + maxLogit);
    const A = rows(aData, p, p);
    const Aet = rows(etData, p, nt + p);
    const scale: number[] = [];
    for (let i = 0; i < p; i++) {
      let s = 0;
      for (let r = 0; r < p; r++) s += Aet[i][nt + r];
      scale.push(s);
      for (let j = 0; j < p; j++) {
        const lhs = Aet[i][nt + j];
        const rhs = A[i][j] * s;
        if (!Number.isFinite(lhs) || !Number.isFinite(A[i][j])) report.finite = false;
        const diff = Math.abs(lhs - rhs);
        report.maxAbsError = Math.max(report.maxAbsError, diff);
        const size = Math.max(Math.abs(lhs), Math.abs(rhs));
        if (size >= REL_ERROR_FLOOR) {
          report.maxRelError = Math.max(report.maxRelError, diff / size);
          report.maxErrorOverBound = Math.max(report.maxErrorOverBound, diff / size / bound);
        }
      }
      if (orderPreserved(A[i], Aet[i].slice(nt))) kept++;
      if (orderPreserved(A[i], Aet[i].slice(nt), bound)) keptBeyond++;
    }
    report.A.push(A);
    report.Aet.push(Aet);
    report.scale.push(scale);
  }
  report.orderKept = kept / (heads * p);
  report.orderKeptBeyondRounding = keptBeyond / (heads * p);
  if (Number.isNaN(report.maxRelError) || Number.isNaN(report.maxAbsError)) report.finite = false;
  return report;
}

/** Summary of many random Eq. 7 checks (for the notebook's table). */
export interface Eq7Sweep {
  instances: number;
  maxRelError: number;
  maxAbsError: number;
  orderKept: number;
  orderKeptBeyondRounding: number;
  allFinite: boolean;
  /** Smallest and largest row scale s_i seen (how much attention the prefix took). */
  minScale: number;
  maxScale: number;
  maxAbsLogit: number;
  maxErrorOverBound: number;
}

/** Runs `checkEq7` on `count` random instances drawn with `rng` and options `o`. */
export function sweepEq7(rng: Rng, count: number, o: Eq7Options): Eq7Sweep {
  const out: Eq7Sweep = { instances: count, maxRelError: 0, maxAbsError: 0, orderKept: 0, orderKeptBeyondRounding: 0, allFinite: true, minScale: Infinity, maxScale: -Infinity, maxAbsLogit: 0, maxErrorOverBound: 0 };
  let kept = 0;
  let keptBeyond = 0;
  for (let c = 0; c < count; c++) {
    const r = checkEq7(randomEq7Instance(rng.fork(c), o));
    out.maxRelError = Math.max(out.maxRelError, r.maxRelError);
    out.maxAbsError = Math.max(out.maxAbsError, r.maxAbsError);
    kept += r.orderKept;
    keptBeyond += r.orderKeptBeyondRounding;
    out.allFinite = out.allFinite && r.finite;
    out.maxAbsLogit = Math.max(out.maxAbsLogit, r.maxAbsLogit);
    out.maxErrorOverBound = Math.max(out.maxErrorOverBound, r.maxErrorOverBound);
    for (const row of r.scale) for (const s of row) {
      out.minScale = Math.min(out.minScale, s);
      out.maxScale = Math.max(out.maxScale, s);
    }
  }
  out.orderKept = kept / count;
  out.orderKeptBeyondRounding = keptBeyond / count;
  return out;
}
