/**
 * The wall time a grid would take, projected from a time per node: the one-core sum, and a list
 * schedule of the dependency graph on `slots` processes at once. In `grid` order a freed slot takes
 * the first ready node in the grid's order, as `npm run grid -- --jobs N` does (scheduler.ts); in
 * `critical-path` order it takes the ready node with the longest chain of work still below it
 * (itself and its longest line of descendants). A node whose parent is not among the jobs is ready
 * at once (as the scheduler treats a parent outside its selection: finished, e.g. a cache hit).
 * No schedule beats max(sum / slots, longest chain): `lowerBound`.
 */

/** A node of the graph with its projected time. */
export interface TimedJob {
  id: string;
  /** id of the job it waits for; absent or not among the jobs: ready at 0. */
  parent?: string;
  seconds: number;
}

export type ScheduleOrder = "grid" | "critical-path";
export const SCHEDULE_ORDERS: readonly ScheduleOrder[] = ["grid", "critical-path"];

export interface ScheduledJob {
  id: string;
  slot: number;
  start: number;
  end: number;
}

export interface Schedule {
  slots: number;
  order: ScheduleOrder;
  /** When the last job ends (seconds from the start). */
  makespan: number;
  /** Every job, in the order it started. */
  jobs: ScheduledJob[];
}

function checkJobs(jobs: readonly TimedJob[]): void {
  const ids = new Set<string>();
  for (const j of jobs) {
    if (ids.has(j.id)) throw new Error(`schedule: two jobs have the id '${j.id}'`);
    if (!(Number.isFinite(j.seconds) && j.seconds >= 0)) throw new Error(`schedule: job '${j.id}' needs a finite time >= 0, got ${j.seconds}`);
    ids.add(j.id);
  }
}

/** Per job, its time plus the longest chain of its descendants' times (the work that waits on it). */
export function chainBelow(jobs: readonly TimedJob[]): Map<string, number> {
  checkJobs(jobs);
  const children = new Map<string, TimedJob[]>();
  for (const j of jobs) if (j.parent !== undefined) children.set(j.parent, [...(children.get(j.parent) ?? []), j]);
  const out = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (j: TimedJob): number => {
    const known = out.get(j.id);
    if (known !== undefined) return known;
    if (visiting.has(j.id)) throw new Error(`schedule: dependency cycle through '${j.id}'`);
    visiting.add(j.id);
    const v = j.seconds + Math.max(0, ...(children.get(j.id) ?? []).map(visit));
    visiting.delete(j.id);
    out.set(j.id, v);
    return v;
  };
  jobs.forEach(visit);
  return out;
}

/** The one-core time (sum), the longest chain, and max(sum / slots, longest chain): no schedule on `slots` is shorter. */
export function lowerBound(jobs: readonly TimedJob[], slots: number): { sum: number; longestChain: number; bound: number } {
  const sum = jobs.reduce((s, j) => s + j.seconds, 0);
  const longestChain = Math.max(0, ...chainBelow(jobs).values());
  return { sum, longestChain, bound: Math.max(sum / slots, longestChain) };
}

/** Simulates the list schedule (see the module comment) of `jobs` on `slots` processes. */
export function listSchedule(jobs: readonly TimedJob[], slots: number, order: ScheduleOrder = "grid"): Schedule {
  if (!Number.isInteger(slots) || slots < 1) throw new Error(`schedule: slots must be a positive integer, got ${slots}`);
  if (!SCHEDULE_ORDERS.includes(order)) throw new Error(`schedule: order must be one of ${SCHEDULE_ORDERS.join(", ")}, got '${order}'`);
  const chain = chainBelow(jobs); // also checks the jobs
  const index = new Map(jobs.map((j, i) => [j.id, i]));
  const queue = [...jobs];
  if (order === "critical-path") queue.sort((a, b) => chain.get(b.id)! - chain.get(a.id)! || index.get(a.id)! - index.get(b.id)!);
  const finished = new Set<string>();
  const ready = (j: TimedJob): boolean => j.parent === undefined || !index.has(j.parent) || finished.has(j.parent);
  const running: ScheduledJob[] = [];
  const free = Array.from({ length: slots }, (_, s) => s);
  const out: ScheduledJob[] = [];
  let now = 0;
  while (queue.length > 0 || running.length > 0) {
    for (let i = 0; i < queue.length && free.length > 0; ) {
      if (!ready(queue[i])) {
        i++;
        continue;
      }
      const [j] = queue.splice(i, 1);
      const run = { id: j.id, slot: free.shift()!, start: now, end: now + j.seconds };
      running.push(run);
      out.push(run);
    }
    if (running.length === 0) throw new Error(`schedule: ${queue.length} jobs can never start: ${queue.map((j) => j.id).join(", ")}`);
    now = Math.min(...running.map((r) => r.end));
    for (const r of running.filter((x) => x.end === now)) {
      running.splice(running.indexOf(r), 1);
      finished.add(r.id);
      free.push(r.slot);
    }
    free.sort((a, b) => a - b);
  }
  return { slots, order, makespan: Math.max(0, ...out.map((r) => r.end)), jobs: out };
}
