/**
 * Committed records of the editor grid's finished nodes: `results/<profile>/grid-records/<id>-<key>.json`.
 *
 * The grid's cache (data/generated/grid-cache) holds checkpoints and is not committed, so a fresh
 * clone, or a machine that lost its disk, has none of the finished nodes: the `paper` grid is about
 * 25 hours of one core. What the tables need is small: each node's done record (an evaluation's
 * per-item scores, a VQA run's per-question answers, a training run's losses, time and memory).
 * `exportGridRecords` copies those records into the results folder, to be committed; readers that only
 * need records (the grid report, `cachedGridNodes`, notebook 06) fall back to them when the cache lacks
 * a node. The scheduler never does: a record has no checkpoint, so a node's children still need the
 * cache, and a record never stops a node from being trained.
 *
 * Each file: { name, provenance (of the export), node (id, kind, key, parent, parentKey, seed,
 * dataManifestHash, config), done (the cache's DoneRecord: its own commit, backend, wall time) }.
 */
import * as fs from "fs";
import * as path from "path";
import { resultsDir } from "../core/paths";
import { checkProfileName } from "../core/profile";
import { provenance, type Provenance } from "../core/results";
import { writeArtefact } from "../core/artefact";
import type { DoneRecord, GridCache } from "../train/grid/cache";
import type { KeyedNode } from "../train/grid/node";

/** One committed record. */
export interface GridRecordFile {
  name: string;
  provenance: Provenance;
  node: { id: string; kind: string; key: string; parent: string | null; parentKey: string | null; seed: number; dataManifestHash: string; config: unknown };
  done: DoneRecord;
}

/** The folder of a profile's committed records (under SPATIALEDIT_RESULTS_DIR when set). */
export function gridRecordsDir(profile: string): string {
  return path.join(resultsDir(checkProfileName(profile)), "grid-records");
}

function recordName(node: { id: string; key: string }): string {
  return `${node.id}-${node.key}`;
}

/** Reads the committed records of a folder, by key. */
export class GridRecords {
  private byKey: Map<string, string> | null = null;

  constructor(readonly dir: string) {}

  private index(): Map<string, string> {
    if (this.byKey !== null) return this.byKey;
    const m = new Map<string, string>();
    if (fs.existsSync(this.dir)) {
      for (const f of fs.readdirSync(this.dir)) {
        const match = /-([0-9a-f]{16})\.json$/.exec(f);
        if (match !== null) m.set(match[1], path.join(this.dir, f));
      }
    }
    this.byKey = m;
    return m;
  }

  /** The record of node `key`, or null when none is committed. A file whose content names another key is an error. */
  get(key: string): GridRecordFile | null {
    const file = this.index().get(key);
    if (file === undefined) return null;
    let rec: GridRecordFile;
    try {
      rec = JSON.parse(fs.readFileSync(file, "utf8")) as GridRecordFile;
    } catch (e) {
      throw new Error(`grid record '${file}' is not valid JSON (${(e as Error).message}); export it again (npm run grid -- --export-records)`);
    }
    if (rec?.done?.key !== key || rec?.node?.key !== key) {
      throw new Error(`grid record '${file}' names key ${String(rec?.done?.key ?? rec?.node?.key)}, not ${key} (its file name); export it again (npm run grid -- --export-records)`);
    }
    return rec;
  }

  /** The done record of node `key`, or null. */
  done(key: string): DoneRecord | null {
    return this.get(key)?.done ?? null;
  }
}

/** A finished node's done record: from the cache when it has it, else from the committed records. */
export function doneFrom(cache: GridCache, records: GridRecords | null, key: string): { record: DoneRecord; source: "cache" | "record" } | null {
  const inCache = cache.done(key);
  if (inCache !== null) return { record: inCache, source: "cache" };
  const rec = records?.done(key) ?? null;
  return rec === null ? null : { record: rec, source: "record" };
}

export interface ExportResult {
  /** Records written (new, or their node finished again since the last export). */
  written: string[];
  /** Finished nodes whose committed record was already this one. */
  unchanged: string[];
  /** Nodes the cache has not finished (nothing exported). */
  notFinished: string[];
  dir: string;
}

/**
 * Copies the done record of every finished node of `nodes` from `cache` to `dir` (default: the
 * profile's grid-records folder). A record already there for the same finished run is left as it is,
 * so exporting twice changes no file.
 */
export function exportGridRecords(profile: string, nodes: readonly KeyedNode[], cache: GridCache, o: { dir?: string } = {}): ExportResult {
  const prof = checkProfileName(profile);
  const dir = o.dir ?? gridRecordsDir(prof);
  const records = new GridRecords(dir);
  const out: ExportResult = { written: [], unchanged: [], notFinished: [], dir };
  for (const n of nodes) {
    const done = cache.done(n.key);
    if (done === null) {
      out.notFinished.push(n.id);
      continue;
    }
    const old = records.get(n.key);
    if (old !== null && old.done.finishedAt === done.finishedAt) {
      out.unchanged.push(n.id);
      continue;
    }
    const name = recordName(n);
    const file: GridRecordFile = {
      name,
      provenance: provenance(prof),
      node: { id: n.id, kind: n.kind, key: n.key, parent: n.parent ?? null, parentKey: n.parentKey, seed: n.seed, dataManifestHash: n.dataManifestHash, config: n.config },
      done,
    };
    fs.mkdirSync(dir, { recursive: true });
    writeArtefact(path.join(dir, `${name}.json`), `${JSON.stringify(file)}\n`, prof);
    out.written.push(n.id);
  }
  return out;
}
