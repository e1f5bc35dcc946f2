/**
 * The arithmetic the schedulers and guidance need, on either plain arrays or tensors, so that one
 * formula serves the toy samplers of the theory lab (Float64Array) and the editor (tf.Tensor).
 *
 * Ownership: every result is new and belongs to the caller (tensors: dispose it); inputs are never
 * disposed. Array results have the type of the first array argument.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";

/** What a scheduler or a guidance expression works on. */
export type Sample = Float32Array | Float64Array | tf.Tensor;

export function isTensor(x: Sample): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

function sizeOf(x: Sample): number {
  return isTensor(x) ? x.size : x.length;
}

function describeShape(x: Sample): string {
  return isTensor(x) ? `tensor [${x.shape.join(", ")}]` : `${x.constructor.name} of ${x.length}`;
}

/** Throws unless every operand has the kind and size of the first (`what` names the caller). */
export function checkSameKind(what: string, xs: Sample[]): void {
  const first = xs[0];
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i];
    const same = isTensor(first)
      ? isTensor(x) && x.shape.length === first.shape.length && x.shape.every((d, k) => d === first.shape[k])
      : !isTensor(x) && x.length === first.length;
    if (!same) throw new Error(`${what}: operands differ: ${describeShape(first)} vs ${describeShape(x)}; pass arrays of one length or tensors of one shape`);
  }
}

/**
 * Σ_k c_k x_k, elementwise. For arrays each element is computed left to right as
 * c_0 x_0 + c_1 x_1 + ...; for tensors as the same sum of `tf.mul`s inside `tf.tidy`.
 */
export function linearCombination<S extends Sample>(what: string, terms: [number, S][]): S {
  if (terms.length === 0) throw new Error(`${what}: nothing to combine`);
  checkSameKind(what, terms.map((t) => t[1]));
  for (const [c] of terms) if (!Number.isFinite(c)) throw new Error(`${what}: coefficient ${c} is not finite`);
  const first = terms[0][1];
  if (isTensor(first)) {
    return tf.tidy(() => terms.map(([c, x]) => tf.mul(x as tf.Tensor, c)).reduce((a, b) => tf.add(a, b))) as S;
  }
  const n = sizeOf(first);
  const out = new (first.constructor as Float64ArrayConstructor | Float32ArrayConstructor)(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < terms.length; k++) s += terms[k][0] * (terms[k][1] as Float32Array | Float64Array)[i];
    out[i] = s;
  }
  return out as S;
}

/** Standard normal noise shaped like `like`, from the seeded generator (never an unseeded source). */
export function normalLike<S extends Sample>(like: S, rng: Rng): S {
  if (isTensor(like)) return tf.tensor(rng.normalArray(like.size, 0, 1), like.shape, "float32") as S;
  const out = new (like.constructor as Float64ArrayConstructor | Float32ArrayConstructor)(like.length);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out as S;
}

/** Clamps every element to [-r, r]. */
export function clampAbs<S extends Sample>(x: S, r: number): S {
  if (isTensor(x)) return tf.clipByValue(x, -r, r) as S;
  const out = new (x.constructor as Float64ArrayConstructor | Float32ArrayConstructor)(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(r, Math.max(-r, x[i]));
  return out as S;
}

/**
 * Σ_k c_k[b] x_k[b, ...]: a linear combination whose coefficients vary along the first (batch)
 * axis; arrays are split into `c.length` equal rows.
 */
export function rowwiseCombination<S extends Sample>(what: string, terms: [Float64Array, S][]): S {
  checkSameKind(what, terms.map((t) => t[1]));
  const first = terms[0][1];
  const rows = terms[0][0].length;
  for (const [c] of terms) {
    if (c.length !== rows) throw new Error(`${what}: ${c.length} coefficients for ${rows} rows`);
    for (const v of c) if (!Number.isFinite(v)) throw new Error(`${what}: coefficient ${v} is not finite`);
  }
  if (isTensor(first)) {
    if (first.shape[0] !== rows) throw new Error(`${what}: ${rows} timesteps for a batch of ${first.shape[0]}`);
    const shape = [rows, ...first.shape.slice(1).map(() => 1)]; // [B, 1, ..., 1] broadcasts over each row
    return tf.tidy(() => terms.map(([c, x]) => tf.mul(x as tf.Tensor, tf.tensor(Float32Array.from(c), shape))).reduce((a, b) => tf.add(a, b))) as S;
  }
  const n = first.length;
  if (n % rows !== 0) throw new Error(`${what}: ${n} values do not split into ${rows} rows`);
  const per = n / rows;
  const out = new (first.constructor as Float64ArrayConstructor | Float32ArrayConstructor)(n);
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / per);
    let s = 0;
    for (let k = 0; k < terms.length; k++) s += terms[k][0][r] * (terms[k][1] as Float32Array | Float64Array)[i];
    out[i] = s;
  }
  return out as S;
}
