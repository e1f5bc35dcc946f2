/**
 * bench/grid-jobs: how to spend the cores on a grid. The same total work (N independent toy nodes,
 * S Adam steps each, batch B) is run as
 *   jobs1     the grid scheduler, one child process per node, one at a time   (npm run grid -- --jobs 1)
 *   jobs2     the same, two child processes at once                          (--jobs 2)
 *   workers2  node after node in this process, each trained by two data-parallel worker threads
 *             (lib/train/data-parallel.ts) splitting every batch
 *   inline    node after node in this process, no child processes (the floor: no start-up cost)
 * Modes run one after another, in alternating order over rounds (load from other processes hits
 * them alike); per mode the median time, and per round the ratio to jobs1 of the same round (with the
 * median over rounds) go to results/grid-jobs.json.
 * Process and worker start-up is part of the measured time: it is part of what a grid pays; the
 * recipes' own time (from done.json, summed over nodes) shows how much of it is start-up.
 *
 * Usage: npm run bench:grid-jobs -- [--nodes=4] [--steps=60] [--rounds=3] [--name=grid-jobs]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { projectRoot } from "../lib/core/paths";
import { writeResult } from "../lib/core/results";
import { DataParallelTrainer } from "../lib/train/data-parallel";
import { GridCache } from "../lib/train/grid/cache";
import { runArgs } from "../lib/train/grid/list";
import { keyGrid, type GridNode } from "../lib/train/grid/node";
import { inlineRunner, processRunner } from "../lib/train/grid/runners";
import { runGrid } from "../lib/train/grid/scheduler";
import { registerToyRecipes, toyConfig, toyDataHash } from "../lib/train/grid/toy";

function arg(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? def : Number(a.split("=")[1]);
}
const nameArg = process.argv.find((x) => x.startsWith("--name="))?.split("=")[1] ?? "grid-jobs";

/** The bench grid: `nodes` independent toy nodes of `steps` steps (the same in the parent and in every child). */
function benchGrid(nodes: number, steps: number) {
  const config = toyConfig({ dModel: 32, dFF: 64, nHeads: 2, nLayers: 2, seq: 16, batch: 16, steps, lr: 1e-3, checkpointEvery: steps });
  const grid = keyGrid(Array.from({ length: nodes }, (_, seed): GridNode => ({ id: `toy@s${seed}`, kind: "toy-base", config, seed, dataManifestHash: toyDataHash(config) })));
  return { config, grid };
}

const MODES = ["jobs1", "jobs2", "workers2", "inline"] as const;
type Mode = (typeof MODES)[number];

async function main(): Promise<void> {
  const nodesN = arg("nodes", 4);
  const steps = arg("steps", 60);
  const rounds = arg("rounds", 3);
  const { config, grid: nodes } = benchGrid(nodesN, steps);
  const seeds = nodes.map((n) => n.seed);
  const root = projectRoot();
  // scripts/grid.ts does not know this grid: the children run through this file's --child entry
  const gridName = "bench-grid-jobs";
  const report = await initBackend();
  registerToyRecipes();
  const times: Record<Mode, number[]> = { jobs1: [], jobs2: [], workers2: [], inline: [] };
  const trainMs: Record<string, number[]> = { jobs1: [], jobs2: [], inline: [] };
  const loadBefore = os.loadavg();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "grid-jobs-"));

  const runMode = async (mode: Mode, round: number): Promise<number> => {
    const cache = new GridCache(path.join(scratch, `${mode}-${round}`));
    const t0 = Date.now();
    if (mode === "workers2") {
      for (const seed of seeds) {
        const dp = await DataParallelTrainer.create({
          workers: 2,
          factory: { module: path.join(root, "lib", "train", "grid", "toy.ts"), export: "toyShardTask", args: { config, seed } },
        });
        for (let s = 0; s < steps; s++) await dp.step();
        await dp.close();
      }
    } else {
      const runner =
        mode === "inline"
          ? inlineRunner(cache)
          : processRunner(cache, (n) => ({
              command: process.execPath,
              args: ["--import", "tsx", __filename, "--child", ...runArgs({ grid: gridName, profile: "tiny", cache: cache.root }, n), `--steps=${steps}`, `--nodes=${nodesN}`],
              cwd: root,
              env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
            }));
      const r = await runGrid(nodes, { cache, runner, jobs: mode === "jobs2" ? 2 : 1, silent: true });
      const bad = r.jobs.filter((j) => j.status !== "ran");
      if (bad.length > 0) throw new Error(`${mode}: ${bad.map((j) => `${j.id} ${j.status} ${j.error ?? ""}`).join("; ")}`);
      // the recipes' own wall time (training and checkpoints, without process start-up), summed over nodes
      trainMs[mode].push(nodes.reduce((sum, n) => sum + (cache.done(n.key)?.wallMs ?? 0), 0));
    }
    return Date.now() - t0;
  };

  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) {
      const ms = await runMode(mode, round);
      times[mode].push(ms);
      process.stderr.write(`round ${round + 1}/${rounds} ${mode}: ${(ms / 1000).toFixed(1)} s\n`);
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const med = Object.fromEntries(MODES.map((m) => [m, median(times[m])])) as Record<Mode, number>;
  // ratios within a round (modes of one round saw similar load), then their median over rounds
  const perRound = Object.fromEntries(MODES.map((m) => [`${m}/jobs1`, times[m].map((t, r) => t / times.jobs1[r])]));
  const ratios = Object.fromEntries(Object.entries(perRound).map(([k, xs]) => [k, median(xs)]));
  const data = {
    totalSteps: nodesN * steps,
    backend: report.name,
    wallMs: times,
    recipeMsSummedOverNodes: trainMs,
    medianMs: med,
    ratiosPerRound: perRound,
    ratios,
    loadAverage: { before: loadBefore, after: os.loadavg() },
    cpus: os.cpus().length,
    note: "the machine is shared with other engineers' jobs: the load average shows how busy it was; only ratios within this run mean anything",
  };
  const file = writeResult(nameArg, { config: { nodes: nodesN, steps, rounds, model: config }, seed: seeds, data });
  for (const m of MODES) process.stdout.write(`${m.padEnd(9)} median ${(med[m] / 1000).toFixed(1)} s, ${ratios[`${m}/jobs1`].toFixed(2)}x jobs1 (median of per-round ratios ${perRound[`${m}/jobs1`].map((x) => x.toFixed(2)).join(", ")})\n`);
  process.stdout.write(`load average before ${loadBefore.map((x) => x.toFixed(1)).join("/")} after ${os.loadavg().map((x) => x.toFixed(1)).join("/")}; wrote ${file}\n`);
}

/** Child mode: run one node of the bench grid (the scheduler's command line). */
async function child(): Promise<void> {
  const { runNode } = await import("../lib/train/grid/run-node");
  const { PROGRESS_PREFIX } = await import("../lib/train/grid/runners");
  const { progress } = await import("../lib/core/progress");
  const get = (flag: string): string => process.argv[process.argv.indexOf(flag) + 1];
  const node = benchGrid(arg("nodes", 4), arg("steps", 60)).grid.find((n) => n.key === get("--run"));
  if (node === undefined) throw new Error(`bench child: no node with key ${get("--run")}`);
  await initBackend();
  registerToyRecipes();
  await runNode(node, new GridCache(get("--cache")), (total) => progress({ total, label: node.id, write: (l) => process.stdout.write(`${PROGRESS_PREFIX}${l}\n`), intervalMs: 1000 }));
}

runMain(process.argv.includes("--child") ? child : main);
