/**
 * The grid's cache: one folder per node key, the only state that grid processes share (so a Slurm
 * array or Kubernetes Jobs on several machines can run one grid over a shared file system):
 *   <root>/<key>/node.json   the node (id, kind, config, seed, data manifest, parent key)
 *   <root>/<key>/out/        what the recipe writes: its resumable run folder (checkpoints)
 *   <root>/<key>/log.txt     the output of the process that ran it
 *   <root>/<key>/lock.json   held while a process runs the node (pid, host)
 *   <root>/<key>/done.json   written last, atomically: the node is finished (a cache hit)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeFileAtomic } from "../../core/paths";
import type { KeyedNode } from "./node";

/** The marker of a finished node. */
export interface DoneRecord {
  key: string;
  id: string;
  kind: string;
  parentKey: string | null;
  finishedAt: string;
  /** Wall time of the run that finished it (a resumed run counts only its own part). */
  wallMs: number;
  backend: string;
  gitCommit: string;
  /** What the recipe returned (metrics, final loss ...). */
  summary: Record<string, unknown>;
}

interface LockRecord {
  pid: number;
  host: string;
  startedAt: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class GridCache {
  constructor(readonly root: string) {}

  nodeDir(key: string): string {
    return path.join(this.root, key);
  }

  /** The recipe's output folder (its checkpoints); children read their parent's. */
  outDir(key: string): string {
    return path.join(this.root, key, "out");
  }

  logFile(key: string): string {
    return path.join(this.root, key, "log.txt");
  }

  /** The done marker, or null when the node has not finished. */
  done(key: string): DoneRecord | null {
    const file = path.join(this.nodeDir(key), "done.json");
    if (!fs.existsSync(file)) return null;
    const rec = JSON.parse(fs.readFileSync(file, "utf8")) as DoneRecord;
    if (rec.key !== key) throw new Error(`grid cache: '${file}' belongs to key ${rec.key}, not ${key}; the cache folder was tampered with`);
    return rec;
  }

  isDone(key: string): boolean {
    return this.done(key) !== null;
  }

  /** Records the node (node.json) before it runs, for people reading the cache. */
  describe(node: KeyedNode): void {
    const { id, kind, config, seed, dataManifestHash, parent, key, parentKey } = node;
    writeFileAtomic(path.join(this.nodeDir(key), "node.json"), `${JSON.stringify({ key, id, kind, parent: parent ?? null, parentKey, seed, dataManifestHash, config }, null, 2)}\n`);
  }

  markDone(rec: DoneRecord): void {
    writeFileAtomic(path.join(this.nodeDir(rec.key), "done.json"), `${JSON.stringify(rec, null, 2)}\n`);
  }

  /**
   * Takes the node's lock. A lock of a dead process on this machine (a killed run) is taken over;
   * one of a live process, or of another machine, is an error that says what to do.
   */
  lock(key: string): void {
    const file = path.join(this.nodeDir(key), "lock.json");
    fs.mkdirSync(this.nodeDir(key), { recursive: true });
    const mine: LockRecord = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: "wx" });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const held = JSON.parse(fs.readFileSync(file, "utf8")) as LockRecord;
    if (held.host !== mine.host) {
      throw new Error(`grid node ${key} is locked by pid ${held.pid} on ${held.host} since ${held.startedAt}; if that run is dead, delete ${file}`);
    }
    if (held.pid !== process.pid && pidAlive(held.pid)) {
      throw new Error(`grid node ${key} is being run by pid ${held.pid} (since ${held.startedAt}); wait for it or stop it`);
    }
    writeFileAtomic(file, JSON.stringify(mine));
  }

  unlock(key: string): void {
    fs.rmSync(path.join(this.nodeDir(key), "lock.json"), { force: true });
  }
}
