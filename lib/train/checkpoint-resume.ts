/**
 * Resumable training (nanoGPT's `init_from='resume'`): a run folder holds checkpoints
 * `step-000004/`, ... and `latest.json` naming the newest complete one. `trainResumable` builds the
 * model fresh from its seed (`init`), and if the folder has a checkpoint with the same config, seed,
 * data manifest and parent, loads weights, optimizer moments and step count, Rng state, the task's
 * other state tensors (EMA shadows) and the losses so far, then continues. Because every piece of
 * state that a step reads is restored bit for bit, a run killed at any moment and resumed ends with
 * the weights of an uninterrupted run (to float tolerance; on one backend they are identical). A
 * checkpoint with another config is an error.
 *
 * The step function must take its data from the step index or from the task's Rng (both restored),
 * never from state that lives only in memory.
 */
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../core/paths";
import { progress as makeProgress, type Progress } from "../core/progress";
import type { Rng } from "../core/rng";
import type { Params } from "../nn/layers";
import { assignWeights, LATEST_FILE, loadCheckpoint, restoreOptimizer, restoreRng, saveCheckpoint, STATE_FILE } from "./checkpoint";
import type { FusedAdam } from "./fused-adam";

/** What `init` builds: the model, its optimizer and (optionally) the Rng its steps draw from. */
export interface ResumableTask {
  params: Params;
  optimizer: FusedAdam;
  rng?: Rng;
  /** Other tensors the task keeps across steps (e.g. EMA shadow weights): checkpointed and restored with the weights. */
  state?: Params;
  /** Called once after the last step, before the final checkpoint (e.g. copy EMA weights into params). */
  finish?(): void;
  /** One optimizer step `i` (0-based); returns the loss. */
  step(i: number): number | Promise<number>;
  /** Frees the model, data and optimizer. */
  dispose(): void;
}

export interface ResumableOptions<T extends ResumableTask = ResumableTask> {
  /** The run folder (created if missing). */
  dir: string;
  /** The run's config (checked against a checkpoint's before resuming). */
  config: unknown;
  seed: number;
  /** Total optimizer steps of the run. */
  steps: number;
  /** Write a checkpoint every this many steps (and always after the last). */
  checkpointEvery: number;
  dataManifestHash?: string | null;
  parentHash?: string | null;
  /**
   * Builds the task fresh from the seed (called once, also when resuming). When resuming, `resume.rng`
   * is the task's Rng at the checkpoint: the task must draw its data from it (and return it as `rng`).
   */
  init(resume: { rng: Rng | null }): T | Promise<T>;
  /** Checkpoints kept in the folder (default 1: only the newest). */
  keep?: number;
  /** Progress display (default: one made with `label`). */
  progress?: Progress;
  label?: string;
  silent?: boolean;
  /** Called after every step with its index and loss. */
  onStep?(i: number, loss: number): void;
  /**
   * Awaited after every step with the steps done so far (1-based), before the last step's `finish` and before the step's
   * checkpoint: e.g. scoring the model in training, whose record must be on disk before the checkpoint that follows it.
   */
  after?(step: number): Promise<void>;
  /** Stop after this step count without a final checkpoint, as a kill would (tests). */
  stopAfter?: number;
}

export interface ResumableResult<T extends ResumableTask = ResumableTask> {
  /** The live task (the caller disposes it). */
  task: T;
  /** Loss of every step 0..steps-1 (restored ones included). */
  losses: number[];
  /** The step the run resumed from, or null when it started fresh. */
  resumedFrom: number | null;
  /** Steps actually run in this call. */
  ran: number;
}

const stepDir = (step: number): string => `step-${String(step).padStart(6, "0")}`;

/** The newest complete checkpoint step of a run folder, or null. */
export function latestStep(dir: string): number | null {
  const file = path.join(dir, LATEST_FILE);
  if (!fs.existsSync(file)) return null;
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { step: number }).step;
}

function prune(dir: string, keep: number): void {
  const all = fs.readdirSync(dir).filter((f) => /^step-\d{6,}$/.test(f)).sort();
  for (const f of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  // folders of saves that a kill interrupted
  for (const f of fs.readdirSync(dir).filter((f) => /\.(partial|old)-\d+$/.test(f))) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
}

/** Runs (or resumes) a training run in `o.dir`; see the module comment. */
export async function trainResumable<T extends ResumableTask>(o: ResumableOptions<T>): Promise<ResumableResult<T>> {
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new Error(`trainResumable: steps must be a non-negative integer, got ${o.steps}`);
  if (!Number.isInteger(o.checkpointEvery) || o.checkpointEvery < 1) throw new Error(`trainResumable: checkpointEvery must be a positive integer, got ${o.checkpointEvery}`);
  const keep = o.keep ?? 1;
  fs.mkdirSync(o.dir, { recursive: true });
  const expect = { seed: o.seed, dataManifestHash: o.dataManifestHash ?? null, parentHash: o.parentHash ?? null };
  const last = latestStep(o.dir);
  if (last !== null && last > o.steps) throw new Error(`trainResumable: '${o.dir}' holds a checkpoint at step ${last}, beyond the ${o.steps} steps asked for; use a new folder`);
  const ckpt = last === null ? null : loadCheckpoint(o.dir, o.config, expect);
  const task = await o.init({ rng: ckpt === null ? null : restoreRng(ckpt) });
  let losses: number[] = [];
  let start = 0;
  let resumedFrom: number | null = null;
  if (ckpt !== null && last !== null) {
    try {
      if (task.rng !== undefined && ckpt.meta.rng === null) throw new Error(`trainResumable: checkpoint '${ckpt.dir}' has no Rng state but the task draws from an Rng`);
      assignWeights(task.params, ckpt.weights, ckpt.dir);
      restoreOptimizer(task.optimizer, task.params, ckpt);
      if (task.state !== undefined) {
        if (ckpt.state === null) throw new Error(`trainResumable: checkpoint '${ckpt.dir}' has no trainer state (${STATE_FILE}) but the task keeps some (e.g. EMA weights)`);
        assignWeights(task.state, ckpt.state, `${ckpt.dir} (${STATE_FILE})`);
      }
    } catch (e) {
      task.dispose();
      throw e;
    }
    losses = ((ckpt.meta.extra as { losses?: number[] } | null)?.losses ?? []).slice(0, last);
    start = last;
    resumedFrom = last;
  }
  const bar = o.progress ?? makeProgress({ total: o.steps, label: o.label ?? path.basename(o.dir), silent: o.silent });
  if (start > 0) bar.skip(start);
  const save = (step: number): void => {
    saveCheckpoint(path.join(o.dir, stepDir(step)), {
      params: task.params,
      optimizer: task.optimizer,
      state: task.state,
      rng: task.rng,
      config: o.config,
      seed: o.seed,
      step,
      dataManifestHash: expect.dataManifestHash,
      parentHash: expect.parentHash,
      extra: { losses },
    });
    writeFileAtomic(path.join(o.dir, LATEST_FILE), `${JSON.stringify({ step, checkpoint: stepDir(step) })}\n`);
    prune(o.dir, keep);
  };
  let ran = 0;
  try {
    for (let i = start; i < o.steps; i++) {
      if (o.stopAfter !== undefined && i >= o.stopAfter) return { task, losses, resumedFrom, ran };
      const loss = await task.step(i);
      losses.push(loss);
      ran++;
      o.onStep?.(i, loss);
      bar.tick(1, { loss });
      if (o.after) await o.after(i + 1);
      if (i + 1 === o.steps) task.finish?.();
      if ((i + 1) % o.checkpointEvery === 0 || i + 1 === o.steps) save(i + 1);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (o.steps === 0 && latestStep(o.dir) === null) {
      task.finish?.();
      save(0);
    }
  } catch (e) {
    task.dispose();
    throw e;
  } finally {
    bar.done();
  }
  return { task, losses, resumedFrom, ran };
}
