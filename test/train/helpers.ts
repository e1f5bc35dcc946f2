/** Helpers for comparing the tuned wasm kernels against the cpu backend. */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend/select";
import { makeRng } from "../../lib/core/rng";
import { registerTunedKernels, unregisterTunedKernels } from "../../lib/backend/kernels/register";
import { loadNativeBlas } from "../../lib/backend/native-blas";
import type { MatmulRoute } from "../../lib/backend/kernels/batch-matmul";

export interface Input {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype: "float32" | "int32";
}

export function randInput(seed: number, shape: number[]): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: makeRng(seed).normalArray(n), dtype: "float32" };
}

/** Routes to test: the pure-wasm one always, the native one when the addon was built here. */
export function routes(): MatmulRoute[] {
  return loadNativeBlas() !== null ? ["wasm", "native"] : ["wasm"];
}

export interface Outputs {
  value: Float32Array[];
  grads: Float32Array[];
}

/** Runs f and the gradients of sum(f * w) with respect to the float inputs in `gradOf`. */
function evalOn(f: (xs: tf.Tensor[]) => tf.Tensor, inputs: Input[], gradOf: number[]): Outputs {
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype));
    const y = f(xs);
    const w = tf.tensor(makeRng(99).normalArray(y.size), y.shape);
    const g = tf.grads((...vs: tf.Tensor[]) => {
      const all = xs.map((x, i) => (gradOf.includes(i) ? vs[gradOf.indexOf(i)] : x));
      return tf.sum(tf.mul(f(all), w)) as tf.Scalar;
    });
    const grads = gradOf.length > 0 ? g(gradOf.map((i) => xs[i])) : [];
    return { value: [y.dataSync() as Float32Array], grads: grads.map((t) => t.dataSync() as Float32Array) };
  });
}

/** max |a - b| / max |b| (a max-norm relative error; 0 when both are all zeros). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num === 0 ? 0 : num / Math.max(den, 1e-30);
}

/** Worst relative error of value and gradients between cpu and tuned wasm (given route). */
export async function compareWithCpu(
  f: (xs: tf.Tensor[]) => tf.Tensor,
  inputs: Input[],
  gradOf: number[],
  route: MatmulRoute,
  refF: (xs: tf.Tensor[]) => tf.Tensor = f,
): Promise<number> {
  await initBackend({ force: "cpu" });
  const ref = evalOn(refF, inputs, gradOf);
  await initBackend({ force: "wasm" });
  registerTunedKernels({ route });
  const got = evalOn(f, inputs, gradOf);
  let worst = relErr(got.value[0], ref.value[0]);
  ref.grads.forEach((g, i) => (worst = Math.max(worst, relErr(got.grads[i], g))));
  return worst;
}

export async function stockWasm(): Promise<void> {
  await initBackend({ force: "wasm" });
  unregisterTunedKernels();
}
