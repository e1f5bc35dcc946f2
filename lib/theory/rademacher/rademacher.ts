/**
 * Monte-Carlo (empirical) Rademacher complexities of Lipschitz classes, for Theorem 1
 * (paper §4.1, Eq. 4-5; Appendix F, Eq. 19-21).
 *
 * Conventions (the paper's Eq. 5 has no 1/n, so the Theorem's quantities are sums):
 * - b(H; x) = E_ε sup_{h∈H} Σ_i <ε_i, h(x_i)>, ε_i i.i.d. Rademacher (one sign per output
 *   coordinate for vector-valued h). `empiricalRademacher` also reports the usual normalised
 *   R̂ = b / n.
 * - b^τ(F, X) = sup_{s,t ∈ X^n} E_ε sup_f Σ_i ε_i (f(s_i) - f(t_i)) / ||s - t|| (Eq. 5).
 *
 * The inner sup is exact (closed form) for norm-bounded linear maps and chains of them ending in
 * one output; for ReLU classes it is approximated by projected gradient ascent with restarts,
 * so those estimates are LOWER bounds of the true expected sup.
 */
import { Rng } from "../../core/rng";
import { frobeniusNorm, mat, Mat } from "../../math/matrix";
import { checkNetClass, lipschitzBound, NetClass, netObjectiveGrad, NetParams, projectToBall, randomMember } from "./lipschitz";

/** Mean and standard error of a Monte-Carlo estimate. */
export interface Estimate {
  mean: number;
  /** Standard error of the mean (sample std / sqrt(draws)). */
  se: number;
  draws: number;
}

export function summarize(values: ArrayLike<number>): Estimate {
  const m = values.length;
  if (m === 0) throw new Error("summarize: no values");
  let s = 0;
  for (let i = 0; i < m; i++) s += values[i];
  const mean = s / m;
  let v = 0;
  for (let i = 0; i < m; i++) v += (values[i] - mean) ** 2;
  const se = m > 1 ? Math.sqrt(v / (m - 1) / m) : NaN;
  return { mean, se, draws: m };
}

/** Checks a sample size / draw count. */
export function checkCount(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${n}`);
  return n;
}

/** A [rows, cols] matrix of i.i.d. Rademacher signs. */
export function rademacherSigns(rng: Rng, rows: number, cols = 1): Mat {
  checkCount(rows, "rademacherSigns: n");
  const e = mat(rows, cols);
  for (let i = 0; i < e.data.length; i++) e.data[i] = rng.nextUint32() & 1 ? 1 : -1;
  return e;
}

/** ||Σ_i c_i x_i|| for scalar coefficients c [n, 1] and rows x [n, d]. */
export function signedSumNorm(x: Mat, c: Mat): number {
  if (c.rows !== x.rows || c.cols !== 1) throw new Error(`signedSumNorm: coefficients are [${c.rows}, ${c.cols}], expected [${x.rows}, 1]`);
  const v = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) {
    const ci = c.data[i];
    for (let j = 0; j < x.cols; j++) v[j] += ci * x.data[i * x.cols + j];
  }
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  return Math.sqrt(s);
}

/** ||Cᵀ X||_F for coefficients C [n, k] and rows X [n, d]. */
export function signedSumFrobenius(x: Mat, c: Mat): number {
  if (c.rows !== x.rows) throw new Error(`signedSumFrobenius: coefficients have ${c.rows} rows, inputs ${x.rows}`);
  let s = 0;
  for (let k = 0; k < c.cols; k++) {
    for (let j = 0; j < x.cols; j++) {
      let v = 0;
      for (let i = 0; i < x.rows; i++) v += c.data[i * c.cols + k] * x.data[i * x.cols + j];
      s += v * v;
    }
  }
  return Math.sqrt(s);
}

/**
 * Exact E_ε ||Σ_i ε_i x_i|| by enumerating all 2^n sign vectors (Gray code); n <= 22.
 * Times B / n this is the empirical Rademacher complexity of {x -> <w, x> : ||w|| <= B}.
 */
export function expectedSignedSumNormExact(x: Mat): number {
  const n = x.rows;
  if (n > 22) throw new Error(`expectedSignedSumNormExact: n = ${n} needs 2^n terms; use n <= 22 or the Monte-Carlo estimate`);
  const d = x.cols;
  const v = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j] += x.data[i * d + j]; // all signs +1
  const signs = new Int8Array(n).fill(1);
  const norm = () => {
    let s = 0;
    for (let j = 0; j < d; j++) s += v[j] * v[j];
    return Math.sqrt(s);
  };
  let total = norm();
  const count = 2 ** n;
  for (let g = 1; g < count; g++) {
    let i = 0; // flip the lowest set bit of g
    while (((g >> i) & 1) === 0) i++;
    const s = signs[i];
    for (let j = 0; j < d; j++) v[j] -= 2 * s * x.data[i * d + j];
    signs[i] = -s as 1 | -1;
    total += norm();
  }
  return total / count;
}

/** Projected gradient ascent settings for sups over ReLU classes. */
export interface AscentConfig {
  /** Random restarts (the best is kept). */
  restarts: number;
  /** Ascent steps per restart. */
  steps: number;
  /** Step length as a fraction of each layer's radius (decays linearly to 10%). */
  lr: number;
}

export const DEFAULT_ASCENT: AscentConfig = { restarts: 4, steps: 60, lr: 0.3 };

/** True when the class is a chain of linear layers ending in one output: sup has a closed form. */
export function isLinearChain(c: NetClass): boolean {
  return c.layers.every((l) => !l.relu) && c.layers[c.layers.length - 1].out === 1;
}

/** True when the class is one Frobenius-ball linear layer (any number of outputs). */
export function isFrobeniusLinear(c: NetClass): boolean {
  return c.layers.length === 1 && !c.layers[0].relu && (c.layers[0].norm === "frobenius" || c.layers[0].out === 1);
}

/**
 * sup_{h ∈ class} Σ_i <coef_i, h(x_i)>. Exact for linear chains ending in one output
 * (Π radii · ||Σ c_i x_i||: every vector of that norm is a product of rank-one members) and
 * for one Frobenius-ball layer (radius · ||Cᵀ X||_F); otherwise projected gradient ascent
 * (a lower bound). Returns the value and whether it is exact.
 */
export function supOverClass(c: NetClass, x: Mat, coef: Mat, rng: Rng, ascent: AscentConfig = DEFAULT_ASCENT): { value: number; exact: boolean } {
  checkNetClass(c);
  if (isLinearChain(c)) return { value: lipschitzBound(c) * signedSumNorm(x, coef), exact: true };
  if (isFrobeniusLinear(c)) return { value: c.layers[0].radius * signedSumFrobenius(x, coef), exact: true };
  return { value: ascendSup(c, x, coef, rng, ascent).value, exact: false };
}

/** Projected gradient ascent with restarts on J(θ) = Σ_i <coef_i, h_θ(x_i)>; best value found. */
export function ascendSup(c: NetClass, x: Mat, coef: Mat, rng: Rng, ascent: AscentConfig = DEFAULT_ASCENT): { value: number; params: NetParams; perRestart: number[] } {
  checkCount(ascent.restarts, "ascent.restarts");
  checkCount(ascent.steps, "ascent.steps");
  let best = -Infinity;
  let bestParams: NetParams = [];
  const perRestart: number[] = [];
  for (let r = 0; r < ascent.restarts; r++) {
    const p = randomMember(c, () => rng.normal());
    let runBest = -Infinity;
    for (let step = 0; step <= ascent.steps; step++) {
      const { value, grads } = netObjectiveGrad(c, p, x, coef);
      if (value > runBest) runBest = value;
      if (value > best) {
        best = value;
        bestParams = p.map((w) => mat(w.rows, w.cols, w.data));
      }
      if (step === ascent.steps) break;
      const lr = ascent.lr * (1 - (0.9 * step) / ascent.steps);
      c.layers.forEach((l, li) => {
        const g = grads[li];
        const gn = frobeniusNorm(g);
        if (gn === 0) return;
        const w = p[li];
        const s = (lr * l.radius) / gn;
        for (let i = 0; i < w.data.length; i++) w.data[i] += s * g.data[i];
        projectToBall(w, l.norm, l.radius);
      });
    }
    perRestart.push(runBest);
  }
  return { value: best, params: bestParams, perRestart };
}

/**
 * Empirical Rademacher complexity of a class on the rows of x, by Monte Carlo over `draws`
 * sign draws. `sum` is b (Eq. 5 convention, no 1/n), `normalized` is R̂ = b / n.
 */
export function empiricalRademacher(
  c: NetClass,
  x: Mat,
  draws: number,
  rng: Rng,
  ascent: AscentConfig = DEFAULT_ASCENT,
): { sum: Estimate; normalized: Estimate; exact: boolean; values: Float64Array } {
  checkCount(x.rows, "empiricalRademacher: n (rows of x)");
  checkCount(draws, "empiricalRademacher: draws");
  const k = c.layers[c.layers.length - 1].out;
  const values = new Float64Array(draws);
  let exact = true;
  for (let t = 0; t < draws; t++) {
    const eps = rademacherSigns(rng, x.rows, k);
    const r = supOverClass(c, x, eps, rng, ascent);
    values[t] = r.value;
    exact = exact && r.exact;
  }
  const sum = summarize(values);
  return { sum, normalized: { mean: sum.mean / x.rows, se: sum.se / x.rows, draws }, exact, values };
}

/** Rows of a and b stacked: [a; b]. */
export function stackRows(a: Mat, b: Mat): Mat {
  if (a.cols !== b.cols) throw new Error(`stackRows: ${a.cols} vs ${b.cols} columns`);
  const out = mat(a.rows + b.rows, a.cols);
  out.data.set(a.data, 0);
  out.data.set(b.data, a.data.length);
  return out;
}

/**
 * E_ε sup_f Σ_i <ε_i, f(s_i) - f(t_i)> / ||s - t|| for one pair of point sets (the quantity
 * inside the sup over s, t of Eq. 5). Exact sup for linear classes, ascent otherwise.
 */
export function tauRatio(c: NetClass, s: Mat, t: Mat, draws: number, rng: Rng, ascent: AscentConfig = DEFAULT_ASCENT): Estimate {
  if (s.rows !== t.rows || s.cols !== t.cols) throw new Error(`tauRatio: s is [${s.rows}, ${s.cols}] but t is [${t.rows}, ${t.cols}]`);
  let dist = 0;
  for (let i = 0; i < s.data.length; i++) dist += (s.data[i] - t.data[i]) ** 2;
  dist = Math.sqrt(dist);
  if (dist === 0) throw new Error("tauRatio: s and t are equal; the ratio in Eq. 5 needs s != t");
  const k = c.layers[c.layers.length - 1].out;
  const st = stackRows(s, t);
  const values = new Float64Array(checkCount(draws, "tauRatio: draws"));
  for (let d = 0; d < draws; d++) {
    const eps = rademacherSigns(rng, s.rows, k);
    const coef = mat(2 * s.rows, k);
    for (let i = 0; i < eps.data.length; i++) {
      coef.data[i] = eps.data[i];
      coef.data[eps.data.length + i] = -eps.data[i];
    }
    // for linear classes f(s_i) - f(t_i) = f(s_i - t_i): closed form on the differences
    if (isLinearChain(c) || isFrobeniusLinear(c)) {
      const u = mat(s.rows, s.cols);
      for (let i = 0; i < u.data.length; i++) u.data[i] = s.data[i] - t.data[i];
      values[d] = supOverClass(c, u, eps, rng, ascent).value / dist;
    } else {
      values[d] = ascendSup(c, st, coef, rng, ascent).value / dist;
    }
  }
  return summarize(values);
}

/**
 * b^τ of the norm-bounded linear classes, exactly:
 * - {z -> <w, z> : ||w|| <= B}: B. (Jensen: E||Σ ε_i u_i|| <= ||u||_F; equality when only one u_i ≠ 0.)
 * - {x -> W x : ||W||_F <= B, W ∈ R^{k×d}}: B √k. (E||Σ_i ε_i u_iᵀ||_F <= √k ||u||_F; equality likewise.)
 * Throws for other classes (use `tauLowerBound`).
 */
export function tauExactLinear(c: NetClass): number {
  if (isLinearChain(c)) return lipschitzBound(c);
  if (isFrobeniusLinear(c)) return c.layers[0].radius * Math.sqrt(c.layers[0].out);
  throw new Error(`tauExactLinear: class '${c.name}' is not a norm-bounded linear class; use tauLowerBound`);
}

/** Candidate pairs (s, t) for a lower bound of the sup over s, t in Eq. 5. */
export type TauCandidate = "single-pair" | "random-pairs" | "data-vs-zero";

/**
 * Lower bound of b^τ(F, X) for any class: the best of `tauRatio` over a few candidate pairs
 * (one differing point; Gaussian pairs; the data against 0). Each entry is itself an ascent
 * lower bound for ReLU classes.
 */
export function tauLowerBound(
  c: NetClass,
  x: Mat,
  draws: number,
  rng: Rng,
  ascent: AscentConfig = DEFAULT_ASCENT,
): { value: number; best: TauCandidate; candidates: Record<TauCandidate, Estimate> } {
  const n = x.rows;
  const d = x.cols;
  const single = { s: mat(n, d), t: mat(n, d) };
  for (let j = 0; j < d; j++) single.s.data[j] = x.data[j]; // s_1 = x_1, everything else equal (0)
  const rs = mat(n, d);
  const rt = mat(n, d);
  for (let i = 0; i < rs.data.length; i++) {
    rs.data[i] = rng.normal();
    rt.data[i] = rng.normal();
  }
  const candidates: Record<TauCandidate, Estimate> = {
    "single-pair": tauRatio(c, single.s, single.t, draws, rng.fork("single"), ascent),
    "random-pairs": tauRatio(c, rs, rt, draws, rng.fork("random"), ascent),
    "data-vs-zero": tauRatio(c, x, mat(n, d), draws, rng.fork("data"), ascent),
  };
  let best: TauCandidate = "single-pair";
  for (const key of Object.keys(candidates) as TauCandidate[]) if (candidates[key].mean > candidates[best].mean) best = key;
  return { value: candidates[best].mean, best, candidates };
}
