/**
 * Runs one grid node in this process: a cache hit returns at once; otherwise the parent must be
 * finished, the node's lock is taken, its recipe trains into the node's out/ folder (resuming a run
 * that a kill interrupted) and done.json is written last. This is what `scripts/grid.ts --run <key>`
 * does on any machine that sees the cache folder.
 */
import * as tf from "@tensorflow/tfjs";
import { gitCommit } from "../../core/results";
import type { DoneRecord, GridCache } from "./cache";
import type { KeyedNode } from "./node";
import { getRecipe, type ProgressFactory } from "./recipes";

export interface RunNodeResult {
  record: DoneRecord;
  /** True when the node was already finished (nothing ran). */
  cached: boolean;
}

/** Runs `node` unless the cache has it (see the module comment). */
export async function runNode(node: KeyedNode, cache: GridCache, progress: ProgressFactory): Promise<RunNodeResult> {
  const hit = cache.done(node.key);
  if (hit !== null) return { record: hit, cached: true };
  if (node.parentKey !== null && !cache.isDone(node.parentKey)) {
    throw new Error(`grid node '${node.id}' (${node.key}): its parent '${node.parent}' (${node.parentKey}) has not finished; run the parent first`);
  }
  const recipe = getRecipe(node.kind);
  cache.lock(node.key);
  try {
    cache.describe(node);
    const t0 = Date.now();
    // (the cast: tslab's older TypeScript does not narrow `void | Record` with `??`; notebooks compile this file)
    const summary = ((await recipe(node, node.parentKey === null ? null : cache.outDir(node.parentKey), cache.outDir(node.key), progress)) ?? {}) as Record<string, unknown>;
    const record: DoneRecord = {
      key: node.key,
      id: node.id,
      kind: node.kind,
      parentKey: node.parentKey,
      finishedAt: new Date().toISOString(),
      wallMs: Date.now() - t0,
      backend: tf.getBackend() ?? "not initialised",
      gitCommit: gitCommit(),
      summary,
    };
    cache.markDone(record);
    return { record, cached: false };
  } finally {
    cache.unlock(node.key);
  }
}
