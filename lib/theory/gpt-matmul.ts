/**
 * Matmuls whose gradients use explicit transposes and plain matmuls.
 *
 * Why: on the wasm backend, matmul with transposeA/transposeB (what TF.js autograd emits for the
 * gradient of a matmul) is several times slower than tf.transpose + a plain matmul
 * (ENVIRONMENT.md). Measured on the quick sort GPT (batch 64, 2-vCPU EPYC, noisy): 192 ms per
 * training step with tf.matMul, 80 ms with matMul2d. Same values and gradients as tf.matMul.
 * (The small batched attention matmuls gained nothing from the same trick, so they stay tf.matMul.)
 */
import * as tf from "@tensorflow/tfjs";

/** Swaps the last two axes. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = t.rank;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

type Save = (tensors: tf.Tensor[]) => void;

const mm = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: Save) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [
        tf.matMul(dy, swapLast(sb)), // dA = dY B^T
        tf.matMul(swapLast(sa), dy), // dB = A^T dY
      ];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** a [m, k] @ b [k, n] -> [m, n], with a wasm-friendly gradient. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`matMul2d: need [m, k] @ [k, n], got ${JSON.stringify(a.shape)} @ ${JSON.stringify(b.shape)}`);
  }
  return mm(a, b) as tf.Tensor2D;
}
