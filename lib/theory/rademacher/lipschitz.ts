/**
 * Lipschitz-constrained function classes for Theorem 1 (paper §4.1, Appendix F), in plain
 * Float64 math (matrices and norms from lib/math): norm-ball projections, and bias-free
 * layered networks `x -> W_L σ(... σ(W_1 x))` whose Lipschitz constant is at most the
 * product of the per-layer operator norms (σ = ReLU, 1-Lipschitz).
 *
 * A class is a list of layers, each with a shape, a norm constraint (`frobenius` ball: the
 * exact Euclidean projection; `spectral` ball: rescaling by the top singular value, which keeps
 * every iterate feasible but is not the Euclidean projection) and whether ReLU follows it.
 * Bias-free layers give f(0) = 0, so the Theorem's extra term b(F(0)) of the chain rule vanishes.
 *
 * The forward and backward passes index `Mat` by hand, and the spectral-ball projection uses the
 * power-iteration norm: they run at every ascent step (tens of thousands per study), where mathjs'
 * `multiply` and `eigs` are several times slower (bench/math.ts).
 */
import { spectralNormPower } from "../../math/linalg";
import { frobeniusNorm, mat, Mat } from "../../math/matrix";

/** Checks a Lipschitz constant / norm radius: finite and >= 0. */
export function checkLipschitz(value: number, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`${what}: Lipschitz constant must be a finite number >= 0, got ${value}`);
  }
  return value;
}

export type NormKind = "frobenius" | "spectral";

/** Puts `a` into the ball {||a|| <= radius} in place (see the module comment for `spectral`). */
export function projectToBall(a: Mat, kind: NormKind, radius: number): void {
  const norm = kind === "frobenius" || a.rows === 1 || a.cols === 1 ? frobeniusNorm(a) : spectralNormPower(a);
  if (norm > radius && norm > 0) {
    const s = radius / norm;
    for (let i = 0; i < a.data.length; i++) a.data[i] *= s;
  }
}

/** One layer of a bias-free network class. */
export interface LayerSpec {
  /** Output and input sizes: the weight is [out, in]. */
  out: number;
  in: number;
  /** Norm ball radius: the layer's Lipschitz constant is at most this. */
  radius: number;
  norm: NormKind;
  /** ReLU after this layer. */
  relu: boolean;
}

/** A class of bias-free layered maps R^in -> R^out with per-layer norm balls. */
export interface NetClass {
  name: string;
  layers: LayerSpec[];
}

/** Validates a class: chained shapes, finite non-negative radii. */
export function checkNetClass(c: NetClass): void {
  if (c.layers.length === 0) throw new Error(`net class '${c.name}': needs at least one layer`);
  c.layers.forEach((l, i) => {
    checkLipschitz(l.radius, `net class '${c.name}' layer ${i}`);
    if (!Number.isInteger(l.in) || !Number.isInteger(l.out) || l.in < 1 || l.out < 1) {
      throw new Error(`net class '${c.name}' layer ${i}: sizes must be positive integers, got [${l.out}, ${l.in}]`);
    }
    if (i > 0 && c.layers[i - 1].out !== l.in) {
      throw new Error(`net class '${c.name}' layer ${i}: input size ${l.in} does not match the previous layer's output ${c.layers[i - 1].out}`);
    }
  });
}

/** Upper bound on the Lipschitz constant of every member: the product of the layer radii. */
export function lipschitzBound(c: NetClass): number {
  return c.layers.reduce((p, l) => p * l.radius, 1);
}

/** Composition F∘G as one class: G's layers then F's layers (no ReLU added at the junction). */
export function composeClasses(f: NetClass, g: NetClass): NetClass {
  const gl = g.layers[g.layers.length - 1];
  if (gl.out !== f.layers[0].in) {
    throw new Error(`composeClasses: G '${g.name}' outputs ${gl.out} values but F '${f.name}' takes ${f.layers[0].in}`);
  }
  return { name: `${f.name}∘${g.name}`, layers: [...g.layers, ...f.layers] };
}

/** Norm-bounded linear maps R^d -> R^k, ||W||_F <= radius (Lipschitz <= radius). */
export function linearClass(name: string, dIn: number, dOut: number, radius: number, norm: NormKind = "frobenius"): NetClass {
  const c = { name, layers: [{ out: dOut, in: dIn, radius: checkLipschitz(radius, name), norm, relu: false }] };
  checkNetClass(c);
  return c;
}

/**
 * One-hidden-layer ReLU networks R^k -> R, z -> a·relu(W z), with ||W||_2 <= s1 and ||a|| <= s2
 * (Lipschitz <= s1 s2 = `lipschitz`; the split is s1 = s2 = sqrt(lipschitz)).
 */
export function mlpClass(name: string, dIn: number, width: number, lipschitz: number): NetClass {
  const s = Math.sqrt(checkLipschitz(lipschitz, name));
  const c: NetClass = {
    name,
    layers: [
      { out: width, in: dIn, radius: s, norm: "spectral", relu: true },
      { out: 1, in: width, radius: s, norm: "frobenius", relu: false },
    ],
  };
  checkNetClass(c);
  return c;
}

/** Parameters of one member of a class: one weight matrix per layer. */
export type NetParams = Mat[];

/** Random member of the class on the boundary of every ball (Gaussian direction, rescaled). */
export function randomMember(c: NetClass, normal: () => number): NetParams {
  return c.layers.map((l) => {
    const w = mat(l.out, l.in);
    for (let i = 0; i < w.data.length; i++) w.data[i] = normal();
    const norm = l.norm === "frobenius" || l.out === 1 || l.in === 1 ? frobeniusNorm(w) : spectralNormPower(w);
    const s = norm > 0 ? l.radius / norm : 0;
    for (let i = 0; i < w.data.length; i++) w.data[i] *= s;
    return w;
  });
}

/** Forward pass of a member on rows of `x` ([n, in]); returns the outputs [n, out] and cached activations. */
export function netForward(c: NetClass, p: NetParams, x: Mat): { out: Mat; acts: Mat[]; pre: Mat[] } {
  if (x.cols !== c.layers[0].in) throw new Error(`netForward: inputs have ${x.cols} columns, class '${c.name}' takes ${c.layers[0].in}`);
  const acts: Mat[] = [x];
  const pre: Mat[] = [];
  let h = x;
  c.layers.forEach((l, li) => {
    const w = p[li];
    const z = mat(h.rows, l.out); // [n, out] = h [n, in] · Wᵀ
    for (let i = 0; i < h.rows; i++) {
      for (let o = 0; o < l.out; o++) {
        let s = 0;
        for (let j = 0; j < l.in; j++) s += h.data[i * l.in + j] * w.data[o * l.in + j];
        z.data[i * l.out + o] = s;
      }
    }
    pre.push(z);
    if (l.relu) {
      const a = mat(z.rows, z.cols);
      for (let i = 0; i < a.data.length; i++) a.data[i] = z.data[i] > 0 ? z.data[i] : 0;
      h = a;
    } else {
      h = z;
    }
    acts.push(h);
  });
  return { out: h, acts, pre };
}

/**
 * Value and gradient of J = Σ_i Σ_o coef[i, o] · net(x_i)_o with respect to every weight
 * (backpropagation by hand). `coef` is [n, out] (e.g. Rademacher signs).
 */
export function netObjectiveGrad(c: NetClass, p: NetParams, x: Mat, coef: Mat): { value: number; grads: Mat[] } {
  const { out, acts, pre } = netForward(c, p, x);
  if (coef.rows !== out.rows || coef.cols !== out.cols) throw new Error(`netObjectiveGrad: coef is [${coef.rows}, ${coef.cols}], outputs are [${out.rows}, ${out.cols}]`);
  let value = 0;
  for (let i = 0; i < out.data.length; i++) value += coef.data[i] * out.data[i];
  const grads: Mat[] = new Array(c.layers.length);
  let delta = mat(coef.rows, coef.cols, coef.data); // dJ/d(output of layer) [n, out]
  for (let li = c.layers.length - 1; li >= 0; li--) {
    const l = c.layers[li];
    if (l.relu) {
      const z = pre[li];
      for (let i = 0; i < delta.data.length; i++) if (z.data[i] <= 0) delta.data[i] = 0;
    }
    const hin = acts[li]; // [n, in]
    const g = mat(l.out, l.in);
    for (let i = 0; i < hin.rows; i++) {
      for (let o = 0; o < l.out; o++) {
        const d = delta.data[i * l.out + o];
        if (d === 0) continue;
        for (let j = 0; j < l.in; j++) g.data[o * l.in + j] += d * hin.data[i * l.in + j];
      }
    }
    grads[li] = g;
    if (li > 0) {
      const w = p[li];
      const next = mat(hin.rows, l.in);
      for (let i = 0; i < hin.rows; i++) {
        for (let o = 0; o < l.out; o++) {
          const d = delta.data[i * l.out + o];
          if (d === 0) continue;
          for (let j = 0; j < l.in; j++) next.data[i * l.in + j] += d * w.data[o * l.in + j];
        }
      }
      delta = next;
    }
  }
  return { value, grads };
}
