/**
 * The sorting task of Petrov, Torr & Bibi ("When do prompting and prefix-tuning work?"):
 * sequences of digits, a separator, then the same digits sorted. Pretraining sorts ascending;
 * adaptation must sort descending.
 *
 * Layout of one example (n digits): x_1..x_n SEP y_1..y_n. The model reads the first 2n tokens
 * and predicts y_1..y_n at positions n..2n-1. Exact-match accuracy with teacher forcing equals
 * greedy-decoding accuracy (if every next token is right given a right prefix, greedy decoding
 * follows that same prefix), so no decoding loop is needed.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/rng";

export type SortOrder = "ascending" | "descending";

/** Digits 0..9 are tokens 0..9; the separator is token 10. */
export const SORT_DIGITS = 10;
export const SEP = 10;
export const SORT_VOCAB = 11;

export interface SortBatch {
  /** Model input [B, 2n]: x_1..x_n SEP y_1..y_{n-1}. */
  input: Int32Array;
  /** Targets [B, n]: y_1..y_n. */
  target: Int32Array;
  batch: number;
  n: number;
}

/** A batch of `batch` random digit sequences of length `n`, sorted in `order`. */
export function sortBatch(rng: Rng, batch: number, n: number, order: SortOrder): SortBatch {
  if (order !== "ascending" && order !== "descending") throw new Error(`sortBatch: order must be 'ascending' or 'descending', got '${order}'`);
  if (!Number.isInteger(n) || n < 2) throw new Error(`sortBatch: need at least 2 digits to sort, got n = ${n}`);
  const T = 2 * n;
  const input = new Int32Array(batch * T);
  const target = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const xs = Array.from({ length: n }, () => rng.int(0, SORT_DIGITS));
    const ys = xs.slice().sort((a, c) => (order === "ascending" ? a - c : c - a));
    for (let t = 0; t < n; t++) input[b * T + t] = xs[t];
    input[b * T + n] = SEP;
    for (let t = 0; t < n - 1; t++) input[b * T + n + 1 + t] = ys[t];
    for (let t = 0; t < n; t++) target[b * n + t] = ys[t];
  }
  return { input, target, batch, n };
}

/** Rows of the [B*2n, d] hidden states that predict y_1..y_n: [B*n] indices. */
export function outputRows(batch: number, n: number): Int32Array {
  const idx = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) for (let t = 0; t < n; t++) idx[b * n + t] = b * 2 * n + n + t;
  return idx;
}

/** Cross-entropy of output logits [B*n, vocab] against targets [B*n] (mean over tokens). */
export function sortLoss(logits: tf.Tensor2D, target: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(target, logits.shape[1]), logits) as tf.Scalar);
}

/** Exact-sequence and per-token accuracy of argmax predictions [B*n] against targets [B*n]. */
export function sortAccuracy(pred: ArrayLike<number>, target: ArrayLike<number>, n: number): { sequence: number; token: number } {
  if (pred.length !== target.length || pred.length % n !== 0) throw new Error(`sortAccuracy: need predictions and targets of equal length, a multiple of n = ${n}`);
  const B = pred.length / n;
  let seqOk = 0;
  let tokOk = 0;
  for (let b = 0; b < B; b++) {
    let all = true;
    for (let t = 0; t < n; t++) {
      if (pred[b * n + t] === target[b * n + t]) tokOk++;
      else all = false;
    }
    if (all) seqOk++;
  }
  return { sequence: seqOk / B, token: tokOk / pred.length };
}
