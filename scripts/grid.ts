/**
 * The experiment grid runner (issue 9, step 5): runs a registered grid's dependency graph with a cache.
 *
 *   npm run grid -- [--grid toy] [--profile tiny|quick|paper] [--jobs N] [--only <glob>[,<glob>]]
 *                   [--cache <dir>] [--dry-run] [--list] [--inline] [--record <name>] [--report] [--export-records]
 *   npm run grid -- --run <key> [--parent <key>] ...   (one node: what --list prints, for Slurm/k8s)
 *
 * Each node is a job keyed by the hash of its kind, config, seed, data manifest and parent's key;
 * finished nodes are cache hits; `--jobs N` runs N single-threaded child processes at once; a killed
 * grid, run again, resumes (finished nodes skipped, a half-trained node continues from its last
 * checkpoint). `--list` prints one command line per job in dependency order, so that any batch
 * scheduler can run the grid across machines with the cache folder as the only shared state.
 * `--only` runs the matching nodes and their ancestors; `--dry-run` shows what would run.
 * `--record <name>` writes the run's wall time and each job's to results/<profile>/<name>.json.
 * `--report` (editor grid) summarises what the cache, or else the committed records, hold:
 * results/<profile>/editor-grid.json. `--export-records` copies every finished node's done record
 * from the cache to results/<profile>/grid-records/ (lib/eval/grid-records.ts), to be committed, so
 * that the report and notebook 06 still read them on a clone or machine without the cache.
 */
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { checkName, displayPath, projectRoot } from "../lib/core/paths";
import { checkProfileName, currentProfile, PROFILE_ENV } from "../lib/core/profile";
import { progress } from "../lib/core/progress";
import { GridCache } from "../lib/train/grid/cache";
import { gridNames, gridNodes } from "../lib/train/grid/grids";
import { listCommands, runArgs } from "../lib/train/grid/list";
import { keyGrid, selectWithAncestors, uniqueJobs, type KeyedNode } from "../lib/train/grid/node";
import { runNode } from "../lib/train/grid/run-node";
import { inlineRunner, processRunner, PROGRESS_PREFIX } from "../lib/train/grid/runners";
import { runGrid } from "../lib/train/grid/scheduler";
import { registerToyGrid } from "../lib/train/grid/toy";
import { editorGridReport, registerEditorGrid, stage1GridSummary, stage2GridSummary } from "../lib/eval/editor-grid";
import { layerGridSummary } from "../lib/eval/layer-ablation";
import { exportGridRecords, GridRecords, gridRecordsDir } from "../lib/eval/grid-records";
import { writeResult } from "../lib/core/results";

// Grids and recipes: the toy grid (tests) and the editor's (lib/eval/editor-grid.ts: training phases + evaluation).
registerToyGrid();
registerEditorGrid();

interface Args {
  grid: string;
  profile: string;
  cache: string;
  jobs: number;
  only: string[];
  list: boolean;
  dryRun: boolean;
  inline: boolean;
  run: string | null;
  parent: string | null;
  child: boolean;
  report: boolean;
  exportRecords: boolean;
  record: string | null;
}

const USAGE = "usage: npm run grid -- [--grid <name>] [--profile tiny|quick|paper] [--jobs N] [--only <glob>[,<glob>]] [--cache <dir>] [--list] [--dry-run] [--inline] [--report] [--export-records] [--record <name>] | --run <key> [--parent <key>]";

function parseArgs(argv: string[]): Args {
  const a: Args = {
    grid: gridNames().includes("editor") ? "editor" : "toy",
    profile: currentProfile(),
    cache: "",
    jobs: 1,
    only: [],
    list: false,
    dryRun: false,
    inline: false,
    run: null,
    parent: null,
    child: false,
    report: false,
    exportRecords: false,
    record: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value; ${USAGE}`);
      return v;
    };
    if (flag === "--grid") a.grid = value();
    else if (flag === "--profile") a.profile = value();
    else if (flag === "--cache") a.cache = value();
    else if (flag === "--jobs") a.jobs = Number(value());
    else if (flag === "--only") a.only.push(...value().split(",").filter((s) => s !== ""));
    else if (flag === "--list") a.list = true;
    else if (flag === "--dry-run") a.dryRun = true;
    else if (flag === "--inline") a.inline = true;
    else if (flag === "--run") a.run = value();
    else if (flag === "--parent") a.parent = value();
    else if (flag === "--child") a.child = true;
    else if (flag === "--report") a.report = true;
    else if (flag === "--export-records") a.exportRecords = true;
    else if (flag === "--record") a.record = checkName(value(), "result");
    else if (flag === "--help" || flag === "-h") throw new Error(USAGE);
    else throw new Error(`unknown argument '${flag}'; ${USAGE}`);
  }
  if (!Number.isInteger(a.jobs) || a.jobs < 1) throw new Error(`--jobs must be a positive integer, got ${a.jobs}`);
  a.cache = path.resolve(a.cache || path.join(projectRoot(), "data", "generated", "grid-cache"));
  // recipes that read the profile from the environment see the one asked for here
  process.env[PROFILE_ENV] = checkProfileName(a.profile);
  return a;
}

/** Runs one node in this process (child mode: progress lines on stdout for the scheduler). */
async function runOne(a: Args, nodes: KeyedNode[]): Promise<number> {
  const node = nodes.find((n) => n.key === a.run);
  if (node === undefined) throw new Error(`grid '${a.grid}' (profile ${a.profile}) has no node with key ${a.run}; the code or the grid changed since the list was made: list it again`);
  if (a.parent !== null && a.parent !== node.parentKey) throw new Error(`node '${node.id}' has parent key ${node.parentKey}, not ${a.parent}: the grid changed since the list was made`);
  if (a.child) {
    // the scheduler holds our stdin open; when it dies (killed grid), stop too: the checkpoints stay
    process.stdin.on("end", () => process.exit(130));
    process.stdin.resume();
  }
  try {
    const report = await initBackend();
    const write = a.child ? (line: string) => process.stdout.write(`${PROGRESS_PREFIX}${line}\n`) : undefined;
    const res = await runNode(node, new GridCache(a.cache), (total, label) => progress({ total, label: label ?? node.id, write, intervalMs: a.child ? 500 : undefined }));
    process.stderr.write(`${node.id} (${node.key}) ${res.cached ? "was already finished" : "finished"} on ${report.name}: ${JSON.stringify(res.record.summary)}\n`);
    return 0;
  } finally {
    if (a.child) process.stdin.destroy();
  }
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  const nodes = keyGrid(gridNodes(a.grid, a.profile));
  if (a.run !== null) return runOne(a, nodes);
  const cache = new GridCache(a.cache);
  if (a.exportRecords) {
    if (a.grid !== "editor") throw new Error("--export-records exports the editor grid's records; use --grid editor");
    const r = exportGridRecords(a.profile, nodes, cache);
    console.log(`${r.written.length} records written, ${r.unchanged.length} unchanged, ${r.notFinished.length} nodes not finished in the cache (${a.cache}); folder ${displayPath(r.dir)}`);
    for (const id of r.written) console.log(`  wrote ${id}`);
    if (!a.report) return 0;
  }
  if (a.report) {
    if (a.grid !== "editor") throw new Error("--report reads the editor grid's cache; use --grid editor");
    const report = editorGridReport(nodes, cache, new GridRecords(gridRecordsDir(a.profile)));
    const stage1 = stage1GridSummary(report.vqa);
    const stage2 = stage2GridSummary(report.evaluations);
    const layers = layerGridSummary(report.evaluations);
    // per-item scores stay in the cache and the committed records (notebook 06 reads them); the file keeps the means
    const evaluations = report.evaluations.map(({ items: _items, ...e }) => e);
    const file = writeResult("editor-grid", { config: { grid: a.grid, profile: a.profile, nodes: nodes.map((n) => ({ id: n.id, key: n.key, kind: n.kind, parent: n.parent ?? null })) }, seed: [...new Set(nodes.map((n) => n.seed))], data: { ...report, evaluations, stage1, stage2, layers } });
    for (const v of report.vqa) console.log(`${v.id.padEnd(24)} ${v.row.padEnd(28)} held-out VQA ${v.score.overall.acc.toFixed(3)} [${v.score.overall.lo.toFixed(3)}, ${v.score.overall.hi.toFixed(3)}] (n ${v.score.overall.n})`);
    if (stage1) console.log(`Stage I, seeds ${stage1.seeds.join(", ")}:\n${stage1.conclusion}`);
    if (stage2) console.log(`Stage II on SpatialEval-mini (object judge):\n${stage2.text}`);
    if (layers) console.log(layers.text);
    for (const e of report.evaluations) console.log(`${e.id.padEnd(24)} ${e.row.padEnd(28)} ${Object.entries(e.metrics).map(([k, v]) => `${k} ${v.mean.toFixed(3)} (n ${v.n})`).join(", ")}`);
    console.log(`${report.training.length} training nodes finished, ${report.fromRecords.length} nodes read from committed records, ${report.missing.length} nodes in neither; written to ${file}`);
    return 0;
  }
  const selected = uniqueJobs(a.only.length > 0 ? selectWithAncestors(nodes, a.only) : nodes);
  if (a.list) {
    for (const line of listCommands(selected, a, (k) => cache.isDone(k))) process.stdout.write(`${line}\n`);
    return 0;
  }
  if (a.inline) await initBackend();
  const root = projectRoot();
  const runner = a.inline
    ? inlineRunner(cache)
    : processRunner(cache, (n) => ({
        command: process.execPath,
        args: ["--import", "tsx", path.join(root, "scripts", "grid.ts"), ...runArgs(a, n), "--child"],
        cwd: root,
        env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", SPATIALEDIT_PROFILE: a.profile },
      }));
  process.stderr.write(`grid '${a.grid}' profile ${a.profile}: ${selected.length} jobs, cache ${a.cache}, ${a.jobs} at once (${a.inline ? "in this process" : "one process each"})\n`);
  const report = await runGrid(nodes, { cache, runner, jobs: a.jobs, only: a.only, dryRun: a.dryRun });
  for (const j of report.jobs) {
    const wall = j.wallMs === undefined ? "" : ` ${(j.wallMs / 1000).toFixed(1)}s`;
    process.stdout.write(`${j.status.padEnd(7)} ${j.key} ${j.id}${wall}${j.error ? `: ${j.error}` : ""}\n`);
  }
  const failed = report.jobs.filter((j) => j.status === "failed" || j.status === "skipped").length;
  process.stdout.write(`${a.dryRun ? "dry run: " : ""}${report.jobs.length} jobs in ${(report.wallMs / 1000).toFixed(1)}s, ${failed} failed or skipped\n`);
  if (a.record !== null && !a.dryRun) {
    const file = writeResult(a.record, {
      config: { grid: a.grid, profile: a.profile, jobs: a.jobs, only: a.only, inline: a.inline, cache: displayPath(a.cache) },
      seed: [...new Set(nodes.map((n) => n.seed))],
      data: { wallSeconds: report.wallMs / 1000, failed, jobs: report.jobs.map((j) => ({ id: j.id, key: j.key, status: j.status, wallSeconds: j.wallMs === undefined ? null : j.wallMs / 1000, ...(j.error ? { error: j.error } : {}) })) },
    });
    process.stdout.write(`wrote ${file}\n`);
  }
  return failed > 0 ? 1 : 0;
}

runMain(main);
