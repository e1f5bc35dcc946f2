/**
 * Checkpoints (Hugging Face `save_pretrained` / nanoGPT `ckpt.pt` style): a folder with
 *   model.safetensors      the named parameters (Params keys -> F32/I32 tensors)
 *   optimizer.safetensors  FusedAdam's moments `<key>.m`, `<key>.v` per parameter; step count t in the metadata
 *   state.safetensors      other tensors the trainer keeps (e.g. EMA shadow weights), when it keeps any
 *   config.json            config, seed, step, data-manifest hash, parent hash, backend, git commit,
 *                          optimizer hyper-parameters, Rng state, trainer state (`extra`)
 * A folder is written whole into `<dir>.partial-<pid>` and renamed into place, so a kill never leaves
 * half a checkpoint at `dir`. Loading checks the config against the one the caller expects and
 * refuses a mismatch with the list of differing keys. A run folder (see checkpoint-resume.ts) holds
 * several checkpoints and `latest.json`; `fromPretrained` and `loadCheckpoint` accept both kinds.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { writeFileAtomic } from "../core/paths";
import { gitCommit } from "../core/results";
import { Rng, type RngState } from "../core/rng";
import type { Params } from "../nn/layers";
import { diffConfig, formatDifferences, type ConfigDifference } from "./checkpoint-config";
import type { FusedAdam } from "./fused-adam";
import { readSafetensors, writeSafetensors, type StTensor } from "./safetensors";

export const CHECKPOINT_FORMAT = "spatialedit-checkpoint/1";
export const MODEL_FILE = "model.safetensors";
export const OPTIMIZER_FILE = "optimizer.safetensors";
export const STATE_FILE = "state.safetensors";
export const CONFIG_FILE = "config.json";
/** In a run folder: which checkpoint is the newest complete one. */
export const LATEST_FILE = "latest.json";

/** What config.json holds. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  config: unknown;
  seed: number;
  /** Optimizer steps taken when this checkpoint was written. */
  step: number;
  dataManifestHash: string | null;
  parentHash: string | null;
  backend: string;
  gitCommit: string;
  writtenAt: string;
  optimizer: { kind: "FusedAdam"; t: number; learningRate: number; beta1: number; beta2: number; epsilon: number } | null;
  rng: RngState | null;
  /** Trainer state that is plain JSON (e.g. the losses so far). */
  extra: unknown;
}

/** What `saveCheckpoint` writes. */
export interface CheckpointState {
  params: Params;
  optimizer?: FusedAdam;
  /** Tensors the trainer keeps besides the weights and the optimizer (e.g. EMA shadows), by name. */
  state?: Params;
  rng?: Rng;
  config: unknown;
  seed: number;
  step: number;
  dataManifestHash?: string | null;
  parentHash?: string | null;
  extra?: unknown;
}

/** A config (or seed, data manifest, parent) that differs from the one expected. */
export class CheckpointMismatchError extends Error {
  constructor(readonly dir: string, readonly differences: ConfigDifference[]) {
    super(
      `checkpoint '${dir}' was made with a different config (${differences.length} difference${differences.length === 1 ? "" : "s"}):\n` +
        `${formatDifferences(differences)}\n` +
        "use the config it was trained with, or train into a new folder",
    );
    this.name = "CheckpointMismatchError";
  }
}

function tensorOf(v: tf.Tensor): StTensor {
  if (v.dtype === "float32") return { dtype: "F32", shape: v.shape.slice(), data: v.dataSync() as Float32Array };
  if (v.dtype === "int32") return { dtype: "I32", shape: v.shape.slice(), data: v.dataSync() as Int32Array };
  throw new Error(`checkpoint: a tensor of dtype ${v.dtype} cannot be stored (float32 and int32 can)`);
}

function tensorsOf(p: Params): Record<string, StTensor> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, tensorOf(v)]));
}

/** Writes a checkpoint folder atomically (see the module comment). Synchronous; creates no tensors. */
export function saveCheckpoint(dir: string, s: CheckpointState): void {
  const tmp = `${dir}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  writeSafetensors(path.join(tmp, MODEL_FILE), tensorsOf(s.params), { format: "tfjs", step: String(s.step) });
  let optimizer: CheckpointMeta["optimizer"] = null;
  if (s.optimizer !== undefined) {
    const { t, slots } = s.optimizer.getState();
    const keyOf = new Map(Object.entries(s.params).map(([k, v]) => [v.name, k]));
    const state: Record<string, StTensor> = {};
    for (const [name, slot] of slots) {
      const k = keyOf.get(name);
      if (k === undefined) throw new Error(`checkpoint: the optimizer holds state for variable '${name}', which is not in params; save every trained variable`);
      state[`${k}.m`] = tensorOf(slot.m);
      state[`${k}.v`] = tensorOf(slot.v);
    }
    writeSafetensors(path.join(tmp, OPTIMIZER_FILE), state, { kind: "FusedAdam", t: String(t) });
    const o = s.optimizer;
    optimizer = { kind: "FusedAdam", t, learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon };
  }
  if (s.state !== undefined) writeSafetensors(path.join(tmp, STATE_FILE), tensorsOf(s.state), { kind: "trainer-state" });
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    config: s.config,
    seed: s.seed,
    step: s.step,
    dataManifestHash: s.dataManifestHash ?? null,
    parentHash: s.parentHash ?? null,
    backend: tf.getBackend() ?? "not initialised",
    gitCommit: gitCommit(),
    writtenAt: new Date().toISOString(),
    optimizer,
    rng: s.rng?.state() ?? null,
    extra: s.extra ?? null,
  };
  writeFileAtomic(path.join(tmp, CONFIG_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  if (fs.existsSync(dir)) {
    const old = `${dir}.old-${process.pid}`;
    fs.rmSync(old, { recursive: true, force: true });
    fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.renameSync(tmp, dir);
  }
}

/** The checkpoint folder `dir` names: itself, or the newest checkpoint of a run folder. */
export function resolveCheckpointDir(dir: string): string {
  if (fs.existsSync(path.join(dir, CONFIG_FILE))) return dir;
  const latest = path.join(dir, LATEST_FILE);
  if (fs.existsSync(latest)) {
    const { checkpoint } = JSON.parse(fs.readFileSync(latest, "utf8")) as { checkpoint: string };
    return path.join(dir, checkpoint);
  }
  const interrupted = fs.existsSync(path.dirname(dir)) ? fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith(`${path.basename(dir)}.old-`)) : [];
  if (interrupted.length > 0) {
    throw new Error(`checkpoint '${dir}' is missing: a save was interrupted; the previous one is at '${interrupted[0]}' beside it (rename it back)`);
  }
  throw new Error(`no checkpoint at '${dir}' (no ${CONFIG_FILE} and no ${LATEST_FILE}); train it first or check the path`);
}

/** Reads and checks config.json of a checkpoint (or of the newest one of a run folder). */
export function readCheckpointMeta(dir: string): CheckpointMeta {
  const file = path.join(resolveCheckpointDir(dir), CONFIG_FILE);
  const meta = JSON.parse(fs.readFileSync(file, "utf8")) as CheckpointMeta;
  if (meta.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint '${file}': format ${JSON.stringify(meta.format)}, expected ${CHECKPOINT_FORMAT}`);
  return meta;
}

/** What a checkpoint must match besides its config (omitted fields are not checked). */
export interface CheckpointExpectation {
  seed?: number;
  dataManifestHash?: string | null;
  parentHash?: string | null;
}

/** A loaded checkpoint: metadata and the raw arrays (no tensors yet). */
export interface LoadedCheckpoint {
  dir: string;
  meta: CheckpointMeta;
  weights: Record<string, StTensor>;
  /** Optimizer moments by `<key>.m` / `<key>.v`, or null when none was saved. */
  optimizer: Record<string, StTensor> | null;
  /** The trainer's other tensors (CheckpointState.state), or null when none were saved. */
  state: Record<string, StTensor> | null;
}

/**
 * Loads a checkpoint after checking that its config (and seed, data manifest, parent where given)
 * equal the expected ones; a mismatch is a `CheckpointMismatchError` listing every differing key.
 */
export function loadCheckpoint(dir: string, expectedConfig: unknown, expect: CheckpointExpectation = {}): LoadedCheckpoint {
  const real = resolveCheckpointDir(dir);
  const meta = readCheckpointMeta(real);
  const diffs = diffConfig(meta.config, expectedConfig).map((d) => ({ ...d, path: `config.${d.path}` }));
  for (const k of ["seed", "dataManifestHash", "parentHash"] as const) {
    if (expect[k] !== undefined && meta[k] !== expect[k]) diffs.push({ path: k, actual: meta[k], expected: expect[k] });
  }
  if (diffs.length > 0) throw new CheckpointMismatchError(real, diffs);
  const weights = readSafetensors(path.join(real, MODEL_FILE)).tensors;
  const optFile = path.join(real, OPTIMIZER_FILE);
  const optimizer = meta.optimizer !== null ? readSafetensors(optFile).tensors : null;
  const stateFile = path.join(real, STATE_FILE);
  const state = fs.existsSync(stateFile) ? readSafetensors(stateFile).tensors : null;
  return { dir: real, meta, weights, optimizer, state };
}

/** Copies loaded weights into existing variables; names and shapes must match exactly (both ways). */
export function assignWeights(params: Params, weights: Record<string, StTensor>, source: string): void {
  const missing = Object.keys(params).filter((k) => !(k in weights));
  const unexpected = Object.keys(weights).filter((k) => !(k in params));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new Error(`checkpoint '${source}': parameters do not match the model (missing: ${missing.join(", ") || "none"}; unexpected: ${unexpected.join(", ") || "none"})`);
  }
  for (const [k, v] of Object.entries(params)) {
    const w = weights[k];
    if (w.shape.join(",") !== v.shape.join(",")) throw new Error(`checkpoint '${source}': '${k}' has shape [${w.shape}] but the model's is [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(w.data, w.shape, w.dtype === "F32" ? "float32" : "int32")));
  }
}

/** Puts a checkpoint's optimizer state into `optimizer` (moments matched to params by key). */
export function restoreOptimizer(optimizer: FusedAdam, params: Params, ckpt: LoadedCheckpoint): void {
  const m = ckpt.meta.optimizer;
  if (m === null || ckpt.optimizer === null) throw new Error(`checkpoint '${ckpt.dir}' has no optimizer state; it cannot resume training`);
  const o = optimizer;
  if (m.learningRate !== o.learningRate || m.beta1 !== o.beta1 || m.beta2 !== o.beta2 || m.epsilon !== o.epsilon) {
    throw new Error(`checkpoint '${ckpt.dir}': optimizer hyper-parameters differ (saved lr ${m.learningRate}, betas ${m.beta1}/${m.beta2}, eps ${m.epsilon}; now lr ${o.learningRate}, betas ${o.beta1}/${o.beta2}, eps ${o.epsilon})`);
  }
  const slots = new Map<string, { m: tf.Tensor; v: tf.Tensor }>();
  try {
    for (const [k, v] of Object.entries(params)) {
      const sm = ckpt.optimizer[`${k}.m`];
      const sv = ckpt.optimizer[`${k}.v`];
      if (sm === undefined || sv === undefined) continue; // a variable the optimizer never stepped (frozen)
      slots.set(v.name, { m: tf.tensor(sm.data, sm.shape), v: tf.tensor(sv.data, sv.shape) });
    }
    optimizer.setState(m.t, slots);
  } finally {
    for (const s of slots.values()) tf.dispose([s.m, s.v]);
  }
}

/** The Rng saved in a checkpoint, continuing its stream, or null. */
export function restoreRng(ckpt: LoadedCheckpoint): Rng | null {
  return ckpt.meta.rng === null ? null : Rng.fromState(ckpt.meta.rng);
}

/**
 * Loads a model's parameters from a checkpoint (or a run folder's newest one) as new variables,
 * all trainable unless `trainable` says otherwise. With `expectedConfig` the config must match.
 * The caller owns the variables (`disposeParams`).
 */
export function fromPretrained(dir: string, options: { expectedConfig?: unknown; trainable?: (key: string) => boolean } = {}): { params: Params; meta: CheckpointMeta } {
  const real = resolveCheckpointDir(dir);
  const meta = readCheckpointMeta(real);
  if (options.expectedConfig !== undefined) {
    const diffs = diffConfig(meta.config, options.expectedConfig).map((d) => ({ ...d, path: `config.${d.path}` }));
    if (diffs.length > 0) throw new CheckpointMismatchError(real, diffs);
  }
  const weights = readSafetensors(path.join(real, MODEL_FILE)).tensors;
  const params: Params = {};
  for (const [k, w] of Object.entries(weights)) {
    params[k] = tf.tidy(() => tf.variable(tf.tensor(w.data, w.shape, w.dtype === "F32" ? "float32" : "int32"), options.trainable?.(k) ?? true));
  }
  return { params, meta };
}
