/**
 * Trained editor variants for notebooks, from the editor grid's cache (lib/eval/editor-grid.ts):
 * `ensureGridNodes` runs in this process only the nodes (and ancestors) that the cache does not
 * hold yet, exactly as `npm run grid -- --inline --only <ids>` would, so a notebook and the grid
 * CLI share one cache and a rerun with a full cache trains nothing; `loadGridEditor` rebuilds a
 * finished node's editor from its final checkpoint; `gridLosses` reads a training node's
 * per-step losses from its done record; `cachedGridNodes` reads finished nodes without running any.
 */
import * as path from "path";
import { projectRoot } from "../core/paths";
import { checkProfileName, PROFILE_ENV } from "../core/profile";
import { progress, tapProgress, type Progress } from "../core/progress";
import { disposeParams, type Params } from "../nn/layers";
import type { Editor as ModelEditor } from "../models/editor/model";
import { editorFromWeights, editorNodeConfig, type EditorNodeConfig } from "../models/editor/train/node";
import { fromPretrained } from "../train/checkpoint";
import { GridCache, type DoneRecord } from "../train/grid/cache";
import { keyGrid, selectWithAncestors, type KeyedNode } from "../train/grid/node";
import { runNode } from "../train/grid/run-node";
import { runGrid, type JobRunner, type JobStatus } from "../train/grid/scheduler";
import { editorGrid, registerEditorGrid } from "./editor-grid";
import { doneFrom, GridRecords, gridRecordsDir } from "./grid-records";

/** The grid cache the CLI uses by default (`npm run grid`): data/generated/grid-cache. */
export function defaultGridCacheDir(): string {
  return path.join(projectRoot(), "data", "generated", "grid-cache");
}

/** One finished node of the grid. */
export interface GridModelNode {
  id: string;
  key: string;
  kind: string;
  parent: string | null;
  /**
   * "cached": the cache had it; "ran": trained (or evaluated) by this call; "record": only its
   * committed record (results/<profile>/grid-records, lib/eval/grid-records.ts) has it: no checkpoint.
   */
  status: "cached" | "ran" | "record";
  /** The node's output folder (its checkpoints; what `loadGridEditor` reads); null for a record. */
  dir: string | null;
  record: DoneRecord;
}

export interface EnsureGridOptions {
  /** The cache folder (default: `defaultGridCacheDir()`). */
  cacheDir?: string;
  /** Called as a node's work advances (steps of a training node, items of an evaluation). */
  onProgress?: (id: string, done: number, total: number) => void;
  /** No progress display (tests). */
  silent?: boolean;
}

/** A node finished in the cache itself, so its checkpoints are there. */
export type TrainedGridNode = GridModelNode & { status: "cached" | "ran"; dir: string };

export interface EnsureGridResult {
  /** The asked-for nodes and their ancestors, parents first. */
  nodes: TrainedGridNode[];
  /** By id. */
  byId: Record<string, TrainedGridNode>;
  /** Nodes this call ran (empty when the cache held them all). */
  ran: string[];
  wallSeconds: number;
}

/** A progress display that also reports each tick to `onProgress`. */
function reporting(inner: Progress, id: string, total: number, onProgress: EnsureGridOptions["onProgress"]): Progress {
  return onProgress === undefined ? inner : tapProgress(inner, () => onProgress(id, inner.count, total));
}

/**
 * Makes sure the editor grid's nodes `ids` (exact ids such as `spatialedit@s0`) of `profile` are
 * finished in the cache: nodes the cache holds are read, the others (and unfinished ancestors)
 * are run in this process, parents first. A rerun with a full cache runs nothing.
 */
export async function ensureGridNodes(profile: string, ids: readonly string[], o: EnsureGridOptions = {}): Promise<EnsureGridResult> {
  checkProfileName(profile);
  if (!Array.isArray(ids) || ids.length === 0) throw new Error("ensureGridNodes: ids must be a non-empty list of node ids, e.g. ['spatialedit@s0']");
  registerEditorGrid();
  const nodes = keyGrid(editorGrid(profile));
  const known = new Set(nodes.map((n) => n.id));
  for (const id of ids) {
    if (typeof id !== "string" || !known.has(id)) throw new Error(`ensureGridNodes: the editor grid (profile ${profile}) has no node '${String(id)}'; ids: ${nodes.map((n) => n.id).join(", ")}`);
  }
  const selected = selectWithAncestors(nodes, ids);
  const cache = new GridCache(o.cacheDir ?? defaultGridCacheDir());
  const runner: JobRunner = {
    async run(node: KeyedNode) {
      await runNode(node, cache, (total, label) => reporting(progress({ total, label: label ?? node.id, silent: o.silent }), node.id, total, o.onProgress));
    },
  };
  // the phases' data generators read the profile from the environment (as `npm run grid -- --profile` sets it)
  const before = process.env[PROFILE_ENV];
  process.env[PROFILE_ENV] = profile;
  const t0 = Date.now();
  let statuses: Map<string, { status: JobStatus; error?: string }>;
  try {
    const report = await runGrid(nodes, { cache, runner, jobs: 1, only: [...ids], silent: true });
    statuses = new Map(report.jobs.map((j) => [j.key, { status: j.status, error: j.error }]));
  } finally {
    if (before === undefined) delete process.env[PROFILE_ENV];
    else process.env[PROFILE_ENV] = before;
  }
  const failed = selected.filter((n) => !["cached", "ran"].includes(statuses.get(n.key)?.status ?? "failed"));
  if (failed.length > 0) {
    throw new Error(`ensureGridNodes: ${failed.map((n) => `'${n.id}' ${statuses.get(n.key)?.status ?? "failed"}${statuses.get(n.key)?.error ? ` (${statuses.get(n.key)!.error})` : ""}`).join("; ")}`);
  }
  const out: TrainedGridNode[] = selected.map((n) => ({
    id: n.id,
    key: n.key,
    kind: n.kind,
    parent: n.parent ?? null,
    status: statuses.get(n.key)!.status as "cached" | "ran",
    dir: cache.outDir(n.key),
    record: cache.done(n.key)!,
  }));
  return { nodes: out, byId: Object.fromEntries(out.map((n) => [n.id, n])), ran: out.filter((n) => n.status === "ran").map((n) => n.id), wallSeconds: (Date.now() - t0) / 1000 };
}

export interface CachedGridOptions {
  cacheDir?: string;
  /**
   * The committed records to fall back on when the cache lacks a node (default: the profile's
   * results/<profile>/grid-records); null: the cache only (what needs checkpoints).
   */
  recordsDir?: string | null;
}

/**
 * The finished nodes `ids` of the editor grid of `profile` as the cache holds them, without
 * running anything; a node the cache lacks comes from its committed record (status "record", no
 * checkpoint folder) when there is one, else null (e.g. an evaluation node nobody ran).
 */
export function cachedGridNodes(profile: string, ids: readonly string[], o: CachedGridOptions = {}): Record<string, GridModelNode | null> {
  checkProfileName(profile);
  const nodes = keyGrid(editorGrid(profile));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const cache = new GridCache(o.cacheDir ?? defaultGridCacheDir());
  const recordsDir = o.recordsDir === undefined ? gridRecordsDir(profile) : o.recordsDir;
  const records = recordsDir === null ? null : new GridRecords(recordsDir);
  const out: Record<string, GridModelNode | null> = {};
  for (const id of ids) {
    const n = byId.get(id);
    if (n === undefined) throw new Error(`cachedGridNodes: the editor grid (profile ${profile}) has no node '${String(id)}'; ids: ${nodes.map((x) => x.id).join(", ")}`);
    const found = doneFrom(cache, records, n.key);
    out[id] = found === null ? null : { id: n.id, key: n.key, kind: n.kind, parent: n.parent ?? null, status: found.source === "cache" ? "cached" : "record", dir: found.source === "cache" ? cache.outDir(n.key) : null, record: found.record };
  }
  return out;
}

/**
 * The seeds of `seeds` whose nodes `ids(seed)` the cache holds, every one finished: what a notebook
 * that only reads the cache can show (e.g. notebook 07 on `paper` with the per-layer variants
 * trained at some seeds only).
 */
export function seedsInCache(profile: string, seeds: readonly number[], ids: (seed: number) => string[], o: CachedGridOptions = {}): number[] {
  const cached = cachedGridNodes(profile, seeds.flatMap(ids), o); // one keying of the grid for every seed
  return seeds.filter((s) => ids(s).every((id) => cached[id] !== null));
}

/**
 * The editor of a finished training node, rebuilt from the final checkpoint in `dir` (a node's
 * `dir` from `ensureGridNodes`). The caller disposes it (`disposeEditor`).
 */
export function loadGridEditor(dir: string | null): { editor: ModelEditor; config: EditorNodeConfig } {
  if (dir === null) throw new Error("loadGridEditor: this node is only a committed record (results/<profile>/grid-records), which has no checkpoint; train it into the cache first (npm run grid -- --only <id>)");
  if (typeof dir !== "string" || dir === "") throw new Error("loadGridEditor: dir must be a node's output folder (GridModelNode.dir)");
  const { params, meta } = fromPretrained(dir);
  try {
    const config = editorNodeConfig(meta.config as EditorNodeConfig);
    return { editor: editorFromWeights(config, params), config };
  } finally {
    disposeParams(params);
  }
}

/** The per-step training losses of a finished training node (its done record's summary). */
export function gridLosses(record: DoneRecord): number[] {
  const losses = (record.summary as { losses?: unknown }).losses;
  if (!Array.isArray(losses) || losses.some((x) => typeof x !== "number")) {
    throw new Error(`gridLosses: node '${record.id}' (${record.kind}) has no per-step losses in its done record; only training nodes have them`);
  }
  return losses as number[];
}

/**
 * The weights of the finished grid node `id` from the cache (checkpoints only, not records) and its key, or an error
 * that names `flag` (the command-line flag that asked for it) and the grid command that trains the node.
 */
export function cachedNodeWeights(profile: string, id: string, flag: string): { params: Params; key: string } {
  const node = cachedGridNodes(profile, [id], { recordsDir: null })[id];
  if (node === null || node === undefined || node.dir === null) throw new Error(`${flag}: the grid cache has no finished '${id}'; run npm run grid -- --profile ${profile} --only '${id}' first`);
  return { params: fromPretrained(node.dir).params, key: node.key };
}
