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

/**
 * Reads the loss and one finiteness probe per gradient in a single transfer: sum(g * 0) is 0 for
 * a finite gradient and NaN when any element is NaN or +-Inf (Inf * 0 = NaN), and never overflows.
 * Returns the tensor to read (caller disposes): [loss, probe_0, ..., probe_{k-1}].
 */
function lossAndProbes(value: tf.Scalar, grads: tf.NamedTensorMap, vars: tf.Variable[]): tf.Tensor1D {
  return tf.tidy(() => tf.stack([value, ...vars.map((v) => tf.sum(tf.mul(grads[v.name], 0)))]) as tf.Tensor1D);
}

/**
 * Drops the entries of variables the loss does not depend on (tf.variableGrads gives them null):
 * a varList may hold more than one loss touches (e.g. a text-only phase of a model whose tuning
 * mode also lists the denoiser); such variables get no update.
 */
function connectedGrads(r: { value: tf.Scalar; grads: tf.NamedTensorMap }): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const grads: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(r.grads)) if (g !== null && g !== undefined) grads[k] = g;
  return { value: r.value, grads };
}

/** Throws (after disposing `grads` and `value`) when the loss or a gradient is not finite. */
function refuseNonFinite(fn: string, read: ArrayLike<number>, vars: tf.Variable[], value: tf.Scalar, grads: tf.NamedTensorMap): void {
  const loss = read[0];
  const bad = vars.filter((_, i) => !Number.isFinite(read[i + 1])).map((v) => v.name);
  if (Number.isFinite(loss) && bad.length === 0) return;
  value.dispose();
  tf.dispose(grads);
  const what = !Number.isFinite(loss) ? `the loss is ${loss}` : `the gradient of ${bad.slice(0, 5).join(", ")}${bad.length > 5 ? ` (and ${bad.length - 5} more)` : ""} is not finite (NaN or Inf)`;
  throw new Error(`${fn}: ${what}; no update was applied and the parameters and optimizer state keep their last good values (check the inputs for NaN/Inf, or lower the learning rate)`);
}

/** A step's loss, gradients (of the connected variables `vars`) and the probes to read before applying them. */
interface PendingStep {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  vars: tf.Variable[];
  /** [loss, one finiteness probe per variable of `vars`]; `applyStep` disposes it. */
  probes: tf.Tensor1D;
}

function stepGradients(lossFn: () => tf.Scalar, params: Params, varList?: tf.Variable[]): PendingStep {
  const listed = varList ?? Object.values(params).filter((v) => v.trainable);
  const { value, grads } = connectedGrads(tf.variableGrads(lossFn, listed));
  const vars = listed.filter((v) => grads[v.name] !== undefined);
  return { value, grads, vars, probes: lossAndProbes(value, grads, vars) };
}

/** Applies a pending step whose probes were read as `read` (refusing a non-finite one); returns the loss. */
function applyStep(fn: string, optimizer: OptimizerLike, read: ArrayLike<number>, step: PendingStep): number {
  step.probes.dispose();
  refuseNonFinite(fn, read, step.vars, step.value, step.grads);
  optimizer.applyGradients(step.grads);
  step.value.dispose();
  tf.dispose(step.grads);
  return read[0];
}

/**
 * One step of `optimizer` on `lossFn` over `varList` (default: all trainable variables of `params`).
 * Refuses a non-finite loss or gradient with an error, before anything is updated.
 */
export function trainStep(optimizer: OptimizerLike, lossFn: () => tf.Scalar, params: Params, varList?: tf.Variable[]): number {
  const step = stepGradients(lossFn, params, varList);
  const read = step.probes.dataSync();
  return applyStep("trainStep", optimizer, read, step);
}

/**
 * The same step, reading the loss back asynchronously: use it on GPU backends (webgpu), where a
 * synchronous read (`dataSync`) is slow or, in Node without OffscreenCanvas, not possible.
 * Refuses a non-finite loss or gradient like `trainStep` (the read-back now comes before the update).
 */
export async function trainStepAsync(optimizer: OptimizerLike, lossFn: () => tf.Scalar, params: Params, varList?: tf.Variable[]): Promise<number> {
  const step = stepGradients(lossFn, params, varList);
  const read = await step.probes.data();
  return applyStep("trainStepAsync", optimizer, read, step);
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
