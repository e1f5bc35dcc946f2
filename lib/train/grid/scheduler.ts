/**
 * Runs a grid's dependency graph: finished nodes are cache hits, the others run as soon as their
 * parent has finished, at most `jobs` at a time, each through a `JobRunner` (a child process per
 * node: runners.ts; or in this process, for tests). A failed node fails its descendants only; the
 * other branches go on. Because finished nodes are skipped and each node's training resumes from its
 * last checkpoint, running a killed grid again continues where it stopped.
 */
import { progress } from "../../core/progress";
import { ProgressBoard } from "./board";
import type { GridCache } from "./cache";
import { selectWithAncestors, uniqueJobs, type KeyedNode } from "./node";

/** Runs one node to completion; rejects when it fails. */
export interface JobRunner {
  run(node: KeyedNode, onProgress: (line: string) => void): Promise<void>;
}

export type JobStatus = "cached" | "ran" | "failed" | "skipped" | "planned";

export interface JobReport {
  id: string;
  key: string;
  kind: string;
  parentKey: string | null;
  status: JobStatus;
  wallMs?: number;
  error?: string;
}

export interface GridReport {
  jobs: JobReport[];
  wallMs: number;
}

export interface SchedulerOptions {
  cache: GridCache;
  runner: JobRunner;
  /** Nodes run at once (default 1). */
  jobs?: number;
  /** Globs over node ids: run these and their ancestors only. */
  only?: string[];
  /** Report what would run, run nothing. */
  dryRun?: boolean;
  silent?: boolean;
  /** Progress board options (terminal redraw, where lines go). */
  tty?: boolean;
  write?: (text: string) => void;
}

/** Runs the grid (see the module comment); never throws for a failed node (see the report). */
export async function runGrid(nodes: readonly KeyedNode[], o: SchedulerOptions): Promise<GridReport> {
  const jobsAtOnce = o.jobs ?? 1;
  if (!Number.isInteger(jobsAtOnce) || jobsAtOnce < 1) throw new Error(`grid: --jobs must be a positive integer, got ${jobsAtOnce}`);
  const selected = uniqueJobs(o.only !== undefined && o.only.length > 0 ? selectWithAncestors(nodes, o.only) : nodes);
  const t0 = Date.now();
  const reports = new Map<string, JobReport>();
  for (const n of selected) {
    reports.set(n.key, { id: n.id, key: n.key, kind: n.kind, parentKey: n.parentKey, status: o.cache.isDone(n.key) ? "cached" : "planned" });
  }
  const pending = selected.filter((n) => reports.get(n.key)!.status === "planned");
  if (o.dryRun) return { jobs: [...reports.values()], wallMs: Date.now() - t0 };

  const board = new ProgressBoard({ silent: o.silent, tty: o.tty, write: o.write });
  const overall = progress({ total: pending.length, label: `grid (${reports.size - pending.length} cached)`, write: (l) => board.set("grid", l), intervalMs: 0, silent: o.silent });
  const finished = (key: string | null): boolean => key === null || !reports.has(key) || ["cached", "ran"].includes(reports.get(key)!.status);
  const broken = (key: string | null): boolean => key !== null && reports.has(key) && ["failed", "skipped"].includes(reports.get(key)!.status);
  const running = new Map<string, Promise<void>>();
  const queue = [...pending];
  while (queue.length > 0 || running.size > 0) {
    for (let i = 0; i < queue.length && running.size < jobsAtOnce; ) {
      const n = queue[i];
      if (broken(n.parentKey)) {
        Object.assign(reports.get(n.key)!, { status: "skipped", error: `parent ${n.parentKey} did not finish` });
        queue.splice(i, 1);
        overall.tick(1);
        continue;
      }
      if (!finished(n.parentKey)) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      const start = Date.now();
      const job = o.runner
        .run(n, (line) => board.set(n.id, line))
        .then(
          () => Object.assign(reports.get(n.key)!, { status: "ran", wallMs: Date.now() - start }),
          (e: unknown) => Object.assign(reports.get(n.key)!, { status: "failed", wallMs: Date.now() - start, error: e instanceof Error ? e.message : String(e) }),
        )
        .then(() => {
          running.delete(n.key);
          board.remove(n.id);
          overall.tick(1);
        });
      running.set(n.key, job);
    }
    if (running.size === 0) {
      if (queue.length > 0) throw new Error(`grid: ${queue.length} jobs cannot start (their parents are outside the selection and not finished): ${queue.map((n) => n.id).join(", ")}`);
      break;
    }
    await Promise.race(running.values());
  }
  overall.done();
  return { jobs: [...reports.values()], wallMs: Date.now() - t0 };
}
