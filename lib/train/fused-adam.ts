/**
 * Adam (Kingma & Ba 2015) with tfjs' exact update rule, as one kernel call per variable on the wasm
 * backend (`SpatialEditAdam`, registered with the tuned kernels) instead of ~10 elementwise kernels:
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
 *   p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),  eps = 1e-7 (tfjs' float32 epsilon).
 * On other backends (or with the tuned kernels off) the same update runs as tf ops.
 * Drop-in for `tf.train.adam(lr).applyGradients(grads)` where grads come from `tf.variableGrads`.
 */
import * as tf from "@tensorflow/tfjs";
import { ADAM_KERNEL, type AdamAttrs } from "../backend/kernels/adam";

/** The optimizer interface the training helpers use (tf.Optimizer satisfies it too). */
export interface OptimizerLike {
  applyGradients(grads: tf.NamedTensorMap): void;
  dispose(): void;
}

export class FusedAdam implements OptimizerLike {
  private readonly slots = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private t = 0;

  constructor(
    readonly learningRate = 1e-3,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {}

  /** One Adam step for every variable named in `grads` (names as `tf.variableGrads` returns them). */
  applyGradients(grads: tf.NamedTensorMap): void {
    this.t++;
    const attrs: AdamAttrs = {
      lr: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      c1: 1 - Math.pow(this.beta1, this.t),
      c2: 1 - Math.pow(this.beta2, this.t),
    };
    const fused = tf.getKernel(ADAM_KERNEL, tf.getBackend()) !== undefined;
    const registered = tf.engine().registeredVariables;
    for (const name of Object.keys(grads)) {
      const p = registered[name];
      const g = grads[name];
      if (p === undefined) throw new Error(`FusedAdam: no variable named '${name}'`);
      let s = this.slots.get(name);
      if (s === undefined) {
        s = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) }));
        this.slots.set(name, s);
      }
      const slot = s;
      tf.tidy(() => {
        let out: tf.Tensor[];
        if (fused) {
          out = tf.engine().runKernel(ADAM_KERNEL, { p, g, m: slot.m, v: slot.v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        } else {
          const m = tf.add(tf.mul(slot.m, this.beta1), tf.mul(g, 1 - this.beta1));
          const v = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
          const step = tf.div(tf.mul(tf.div(m, attrs.c1), this.learningRate), tf.add(tf.sqrt(tf.div(v, attrs.c2)), this.epsilon));
          out = [tf.sub(p, step), m, v];
        }
        p.assign(out[0]);
        slot.m.assign(out[1]);
        slot.v.assign(out[2]);
      });
    }
  }

  /** Step count and moments per variable name (the live variables: read, do not dispose). For checkpoints. */
  getState(): { t: number; slots: ReadonlyMap<string, { m: tf.Variable; v: tf.Variable }> } {
    return { t: this.t, slots: this.slots };
  }

  /** Replaces the state (moments copied into new variables; the caller keeps its tensors). For resuming. */
  setState(t: number, slots: ReadonlyMap<string, { m: tf.Tensor; v: tf.Tensor }>): void {
    this.dispose();
    this.t = t;
    for (const [name, s] of slots) this.slots.set(name, tf.tidy(() => ({ m: tf.variable(s.m.clone(), false), v: tf.variable(s.v.clone(), false) })));
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }
}
