/**
 * One optimizer step on a chosen set of variables: `tf.variableGrads` over `varList` (the tuning mode's
 * trainable set), `applyGradients`, and every intermediate disposed. Returns the loss as a number.
 */
import * as tf from "@tensorflow/tfjs";
import type { OptimizerLike } from "./fused-adam";
import type { Params } from "../nn/layers";

/** Picks variables by name: exact names or prefixes ending in '.' or '*' (e.g. "blk0.attn.*"). */
export function selectVars(params: Params, patterns: string[]): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (const pat of patterns) {
    const prefix = pat.endsWith("*") ? pat.slice(0, -1) : null;
    const hits = Object.keys(params).filter((k) => (prefix !== null ? k.startsWith(prefix) : k === pat));
    if (hits.length === 0) throw new Error(`selectVars: no parameter matches '${pat}'; known: ${Object.keys(params).slice(0, 8).join(", ")}...`);
    for (const k of hits) if (!out.includes(params[k])) out.push(params[k]);
  }
  return out;
}

/** One step of `optimizer` on `lossFn` over `varList` (default: all trainable variables of `params`). */
export function trainStep(optimizer: OptimizerLike, lossFn: () => tf.Scalar, params: Params, varList?: tf.Variable[]): number {
  const vars = varList ?? Object.values(params).filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(lossFn, vars);
  optimizer.applyGradients(grads);
  const loss = value.dataSync()[0];
  value.dispose();
  tf.dispose(grads);
  return loss;
}

/**
 * The same step, reading the loss back asynchronously: use it on GPU backends (webgpu), where a
 * synchronous read (`dataSync`) is slow or, in Node without OffscreenCanvas, not possible.
 */
export async function trainStepAsync(optimizer: OptimizerLike, lossFn: () => tf.Scalar, params: Params, varList?: tf.Variable[]): Promise<number> {
  const vars = varList ?? Object.values(params).filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(lossFn, vars);
  optimizer.applyGradients(grads);
  tf.dispose(grads);
  const loss = (await value.data())[0];
  value.dispose();
  return loss;
}

/** Gradients only (for data-parallel averaging): name -> Float32Array, and the loss. */
export function computeGrads(lossFn: () => tf.Scalar, params: Params, names: string[]): { loss: number; grads: Record<string, Float32Array> } {
  const vars = names.map((n) => {
    const v = params[n];
    if (v === undefined) throw new Error(`computeGrads: no parameter '${n}'`);
    return v;
  });
  const { value, grads } = tf.variableGrads(lossFn, vars);
  const out: Record<string, Float32Array> = {};
  names.forEach((n, i) => (out[n] = grads[vars[i].name].dataSync() as Float32Array));
  const loss = value.dataSync()[0];
  value.dispose();
  tf.dispose(grads);
  return { loss, grads: out };
}
