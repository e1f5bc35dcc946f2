/**
 * `--list`: one shell command per job, parents before children, each naming its node's key and its
 * parent's key, so that a batch scheduler (a Slurm array with dependencies, Kubernetes Jobs) can run
 * the grid on many machines; the cache folder is the only state they share.
 */
import type { KeyedNode } from "./node";

/** Where a `--run` command finds its grid: the registered grid's name, the profile and the cache folder. */
export interface GridLocation {
  grid: string;
  profile: string;
  cache: string;
}

/** The arguments of `scripts/grid.ts` that run one node. */
export function runArgs(at: GridLocation, n: KeyedNode): string[] {
  return ["--grid", at.grid, "--profile", at.profile, "--cache", at.cache, "--run", n.key, ...(n.parentKey === null ? [] : ["--parent", n.parentKey])];
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@+,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** One line per job: `npx tsx scripts/grid.ts ... --run <key> [--parent <key>]  # <id>[ (done)]`. */
export function listCommands(jobs: readonly KeyedNode[], at: GridLocation, isDone: (key: string) => boolean = () => false): string[] {
  return jobs.map((n) => `npx tsx scripts/grid.ts ${runArgs(at, n).map(shellQuote).join(" ")}  # ${n.id}${isDone(n.key) ? " (done)" : ""}`);
}
