/**
 * Executes notebooks headless with the tslab kernel (nbclient, as nbconvert does), on a chosen
 * profile. Stops at the first failing notebook. A notebook fails when a cell fails, when a
 * promise or timer fails after its cell returned, or when the kernel dies (scripts/execute-notebook.py).
 * Executed copies go to `notebooks/executed/<profile>/` (ignored by git; with a `lib` link, so they
 * open and re-run in Jupyter, and signed, so their figures draw). Times per notebook go to
 * `results/<profile>/notebooks.json`. A paper run refuses a tree with uncommitted changes unless
 * --allow-dirty (then every result records the stored diff).
 *
 *   npx tsx scripts/run-notebooks.ts [--profile quick] [--timeout 3600] [--grace 1] [--allow-dirty]
 *                                    [--out DIR] [notebooks/01-x.ipynb ...]
 *
 * Exit codes: 0 all ran; 1 a notebook failed (its executed copy holds the error); 2 nothing could
 * be run (bad option, a file that is not a notebook, a dirty tree for a paper run).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { checkEnvironment, envValue } from "../lib/core/env";
import { displayPath, projectRoot } from "../lib/core/paths";
import { checkProfileName, PROFILE_ENV, ProfileName } from "../lib/core/profile";
import { gitState, uncommittedFiles } from "../lib/core/provenance";
import { readResult, writeResult } from "../lib/core/results";
import { patchTslab } from "./tslab-send-queue";

export interface RunnerArgs {
  profile: ProfileName;
  /** Seconds a cell may run. */
  timeout: number;
  /** Seconds the final check waits for errors that come after the last cell returned. */
  grace: number;
  allowDirty: boolean;
  /** Folder of the executed copies (default notebooks/executed/<profile>). */
  out: string | null;
  notebooks: string[];
}

/** One notebook's last run: time, outcome, and the commit it ran on. */
export interface NotebookTiming {
  notebook: string;
  seconds: number;
  ok: boolean;
  commit?: string;
  gitDirty?: boolean | null;
  at?: string;
}

/**
 * The timings file after a run: this run's entries replace those of the same notebooks, and the
 * entries of notebooks not run this time are kept (each names its own commit), sorted by name.
 * So running one notebook no longer erases the recorded times of the others.
 */
export function mergeTimings(previous: readonly NotebookTiming[], current: readonly NotebookTiming[]): NotebookTiming[] {
  const ran = new Set(current.map((t) => t.notebook));
  return [...previous.filter((t) => !ran.has(t.notebook)), ...current].sort((a, b) => a.notebook.localeCompare(b.notebook));
}

export class RunnerUsageError extends Error {}

const USAGE = "use --profile NAME, --timeout SECONDS, --grace SECONDS, --allow-dirty, --out DIR, then notebook paths";

function seconds(option: string, raw: string | undefined, min: number): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isFinite(n) || n < min || (min > 0 && n === 0)) {
    throw new RunnerUsageError(`${option} must be a number of seconds${min > 0 ? " > 0" : " >= 0"}, got ${raw === undefined ? "nothing" : `'${raw}'`}`);
  }
  return n;
}

export function parseArgs(argv: string[], env: Record<string, string | undefined> = process.env): RunnerArgs {
  let profile: string = envValue("SPATIALEDIT_PROFILE", env);
  const args: Omit<RunnerArgs, "profile"> = { timeout: 3600, grace: 1, allowDirty: false, out: null, notebooks: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new RunnerUsageError(`${a} needs a value; ${USAGE}`);
      return v;
    };
    if (a === "--profile") profile = value();
    else if (a === "--timeout") args.timeout = seconds(a, value(), 1);
    else if (a === "--grace") args.grace = seconds(a, value(), 0);
    else if (a === "--allow-dirty") args.allowDirty = true;
    else if (a === "--out") args.out = path.resolve(value());
    else if (a.startsWith("--")) throw new RunnerUsageError(`unknown option ${a}; ${USAGE}`);
    else args.notebooks.push(a);
  }
  try {
    return { ...args, profile: checkProfileName(profile) };
  } catch (e) {
    throw new RunnerUsageError((e as Error).message);
  }
}

/** Checks that `file` is a notebook (nbformat 4 JSON with a cells array) before any kernel starts. */
export function checkNotebookFile(file: string): void {
  const shown = displayPath(file);
  if (!fs.existsSync(file)) throw new RunnerUsageError(`notebook not found: ${shown}`);
  if (!fs.statSync(file).isFile()) throw new RunnerUsageError(`${shown} is not a file`);
  if (!file.endsWith(".ipynb")) throw new RunnerUsageError(`${shown} is not a notebook (the name must end in .ipynb)`);
  let nb: unknown;
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new RunnerUsageError(`${shown} is not a notebook: not valid JSON (${(e as Error).message})`);
  }
  const o = nb as { nbformat?: unknown; cells?: unknown };
  if (o === null || typeof o !== "object" || !Array.isArray(o.cells) || o.nbformat !== 4) {
    throw new RunnerUsageError(`${shown} is not a notebook: expected nbformat 4 JSON with a 'cells' array`);
  }
}

/**
 * A paper run refuses a tree with uncommitted changes (outside figures/, results/, data/) unless
 * `allowDirty`: its results must be reproducible from a commit.
 */
export function checkTreeForProfile(profile: ProfileName, allowDirty: boolean, root: string = projectRoot()): void {
  if (profile !== "paper" || allowDirty || gitState(root).dirty !== true) return;
  const files = uncommittedFiles(root);
  throw new RunnerUsageError(
    `the tree has uncommitted changes outside figures/, results/, data/ (${files.slice(0, 5).join(", ")}${files.length > 5 ? `, ... ${files.length} files` : ""}); paper results must be reproducible: commit first, or pass --allow-dirty (every result then records the stored diff)`,
  );
}

/**
 * The runner's own Jupyter path: a `tslab` kernel spec that starts this checkout's tslab. The spec
 * registered for the user (setup.sh) points at whichever checkout ran setup last, which may be
 * another clone, since deleted; the runner puts this folder first on JUPYTER_PATH, where Jupyter
 * looks before the user's kernels, so a headless run always uses the tslab of the tree it tests.
 * Returns the folder to put on JUPYTER_PATH.
 */
export function runnerKernelPath(root: string): string {
  const tslab = path.join(root, "node_modules", ".bin", "tslab");
  if (!fs.existsSync(tslab)) throw new RunnerUsageError(`no tslab in this checkout (${displayPath(tslab)} is missing): run 'npm run setup'`);
  const dir = path.join(root, "node_modules", ".cache", "spatialedit-jupyter");
  const specDir = path.join(dir, "kernels", "tslab");
  fs.mkdirSync(specDir, { recursive: true });
  const spec = { argv: [tslab, "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript", language: "typescript" };
  fs.writeFileSync(path.join(specDir, "kernel.json"), JSON.stringify(spec) + "\n");
  return dir;
}

/** The folder of executed copies, with a `lib` link so that the copies run again in Jupyter. */
function prepareOutDir(dir: string, root: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const link = path.join(dir, "lib");
  if (!fs.existsSync(link)) fs.symlinkSync(path.relative(dir, path.join(root, "lib")), link);
}

function main(): number {
  checkEnvironment();
  const args = parseArgs(process.argv.slice(2));
  const root = projectRoot();
  const nbDir = path.join(root, "notebooks");
  const notebooks =
    args.notebooks.length > 0
      ? args.notebooks.map((n) => path.resolve(n))
      : fs.readdirSync(nbDir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(nbDir, f));
  if (notebooks.length === 0) throw new RunnerUsageError(`no notebooks in ${displayPath(nbDir)}`);
  for (const nb of notebooks) checkNotebookFile(nb);
  checkTreeForProfile(args.profile, args.allowDirty, root);
  // the kernel must not die of two ZeroMQ sends at once (scripts/tslab-send-queue.ts); setup.sh patches too
  if (patchTslab(root) === "patched") process.stderr.write("[notebooks] tslab patched: its ZeroMQ sends go one at a time\n");
  // the runner's own result (timings) is a result of this profile
  process.env[PROFILE_ENV] = args.profile;
  const outDir = args.out ?? path.join(nbDir, "executed", args.profile);
  prepareOutDir(outDir, root);
  const jupyterPath = [runnerKernelPath(root), process.env.JUPYTER_PATH].filter((p) => p !== undefined && p !== "").join(path.delimiter);
  const timings: { notebook: string; seconds: number; ok: boolean }[] = [];
  let failed: { name: string; copy: string | null } | null = null;
  for (const nb of notebooks) {
    const name = path.basename(nb);
    const copy = path.join(outDir, name);
    fs.rmSync(copy, { force: true }); // never report an older run's copy as this run's
    process.stderr.write(`[notebooks] ${name} on profile '${args.profile}' ...\n`);
    const t0 = Date.now();
    const r = spawnSync("/usr/bin/python3", [path.join(root, "scripts", "execute-notebook.py"), nb, copy, "tslab", String(args.timeout), String(args.grace)], {
      cwd: nbDir,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, [PROFILE_ENV]: args.profile, JUPYTER_PATH: jupyterPath },
    });
    const seconds = (Date.now() - t0) / 1000;
    const ok = r.status === 0;
    timings.push({ notebook: name, seconds, ok });
    process.stderr.write(`[notebooks] ${name}: ${ok ? "ok" : "FAILED"} in ${seconds.toFixed(1)} s\n`);
    if (!ok) {
      if (r.error) process.stderr.write(`[notebooks] could not start /usr/bin/python3 with nbclient: ${r.error.message} (run 'npm run setup')\n`);
      failed = { name, copy: r.status === 1 && fs.existsSync(copy) ? copy : null };
      break;
    }
  }
  const state = gitState(root);
  const previous = readResult<{ timings?: NotebookTiming[] }>("notebooks", args.profile)?.data.timings ?? [];
  const stamped = timings.map((t) => ({ ...t, commit: state.commit, gitDirty: state.dirty, at: new Date().toISOString() }));
  writeResult("notebooks", { config: { profile: args.profile, timeout: args.timeout, grace: args.grace }, seed: null, data: { timings: mergeTimings(previous, stamped), failed: failed?.name ?? null } });
  for (const t of timings) process.stderr.write(`  ${t.ok ? "ok    " : "FAILED"} ${t.seconds.toFixed(1).padStart(7)} s  ${t.notebook}\n`);
  if (failed !== null) {
    const where = failed.copy !== null ? `executed copy with the error: ${displayPath(failed.copy)}` : "no executed copy was written";
    process.stderr.write(`[notebooks] stopped at the first failure: ${failed.name} (${where})\n`);
    return 1;
  }
  process.stderr.write(`[notebooks] executed copies in ${displayPath(outDir)}\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (e) {
    process.stderr.write(`run-notebooks: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
