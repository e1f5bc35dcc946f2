/**
 * Exponential moving average of weights (Polyak averaging; DiT and the editor feasibility runs
 * used EMA 0.995-0.9999): shadow <- decay * shadow + (1 - decay) * weight after each step, and
 * evaluation with the shadow weights swapped in. Works on any named parameter record.
 */
import * as tf from "@tensorflow/tfjs";
import type { Params } from "./layers";

export class Ema {
  /** Shadow copies, by the same names as the tracked record. */
  readonly shadow: Params;
  private updates = 0;

  /** Tracks `params` (the variables whose averages are kept; copies are made now). */
  constructor(readonly params: Params, readonly decay: number) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`Ema: decay must be in [0, 1), got ${decay}`);
    if (Object.keys(params).length === 0) throw new Error("Ema: nothing to track (empty parameter record)");
    this.shadow = {};
    for (const [k, v] of Object.entries(params)) this.shadow[k] = tf.tidy(() => tf.variable(v.clone() as tf.Tensor, false));
  }

  /** Number of `update` calls so far. */
  get steps(): number {
    return this.updates;
  }

  /** shadow <- decay * shadow + (1 - decay) * weight, for every tracked variable. */
  update(): void {
    this.updates++;
    tf.tidy(() => {
      for (const [k, v] of Object.entries(this.params)) {
        const s = this.shadow[k];
        s.assign(tf.add(tf.mul(s, this.decay), tf.mul(v, 1 - this.decay)));
      }
    });
  }

  /** Puts the shadow weights into the tracked variables; returns copies of the trained ones. */
  private swapIn(): Record<string, tf.Tensor> {
    const saved = Object.fromEntries(Object.entries(this.params).map(([k, v]) => [k, v.clone()] as const));
    for (const [k, v] of Object.entries(this.params)) v.assign(this.shadow[k]);
    return saved;
  }

  private restore(saved: Record<string, tf.Tensor>): void {
    for (const [k, v] of Object.entries(this.params)) v.assign(saved[k]);
    tf.dispose(Object.values(saved));
  }

  /** Runs `fn` (synchronous: the trained weights come back when it returns) with the shadow weights in the tracked variables. */
  withAverages<T>(fn: () => T): T {
    const saved = this.swapIn();
    try {
      return fn();
    } finally {
      this.restore(saved);
    }
  }

  /** `withAverages` for an asynchronous `fn` (e.g. an evaluation that yields): nothing may train while it runs. */
  async withAveragesAsync<T>(fn: () => Promise<T>): Promise<T> {
    const saved = this.swapIn();
    try {
      return await fn();
    } finally {
      this.restore(saved);
    }
  }

  /** Copies the shadow weights into the tracked variables for good (end of training). */
  copyToParams(): void {
    for (const [k, v] of Object.entries(this.params)) v.assign(this.shadow[k]);
  }

  dispose(): void {
    tf.dispose(Object.values(this.shadow));
  }
}
