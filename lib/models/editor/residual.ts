/**
 * The edit residual the denoiser diffuses (docs/environment.md's feasibility runs: residual diffusion with
 * x0-prediction learned where plain target diffusion had not learned to copy the background):
 * images in [-1, 1], r = (target - source) / 2 in [-1, 1]; the edited image is source + 2 r.
 */
import * as tf from "@tensorflow/tfjs";

/** r = (target - source) / 2, [B, H, W, C]. */
export function editResidual(target: tf.Tensor4D, source: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(target, source), 2) as tf.Tensor4D);
}

/** The edited image source + 2 r, clipped to [-1, 1]. */
export function applyResidual(source: tf.Tensor4D, residual: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.add(source, tf.mul(residual, 2)), -1, 1) as tf.Tensor4D);
}
