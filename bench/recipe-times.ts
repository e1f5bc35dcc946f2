/**
 * bench/recipe-times: what every recipe of the editor grid (lib/eval/editor-grid.ts, `npm run grid`)
 * costs on this machine, to project the training time of every node and of the whole grid without
 * training it. The grid's training nodes of its first seed are grouped by what sets their cost
 * (phase, tuning mode, layer group, image tokens: lib/eval/grid-recipes.ts); per group ("recipe")
 * it builds the phase's task as a grid node does (train/node.ts editorPhaseTask: the phase's
 * training data generated in memory, the editor, the optimizer; parent weights are a fresh editor's,
 * which costs the same per step as trained ones) and times
 *   setup         building the task, once (data generation dominates on paper)
 *   ms/step       --steps optimizer steps after --warmup untimed ones (median, mean, every sample)
 *   checkpoint    one checkpoint save (a node writes one every checkpointEvery steps and at the end)
 * and projects a node as setup + steps x median ms/step + checkpoints x checkpoint seconds.
 * Evaluation nodes (SpatialEval-mini, general editing, held-out VQA) are timed on their first
 * --eval-items items with an untrained editor and projected to all items (--eval-items=0: not
 * timed). Every node of every seed gets its group's time; the grid's one-core time is their sum,
 * and its 2-process time the list schedule of the dependency graph on 2 slots
 * (lib/train/grid/projection.ts), in the grid's own order (what `npm run grid -- --jobs 2` does)
 * and longest-chain-first. With --cache, the times recorded in the cache's done.json files are
 * shown beside the projections and the remaining (unfinished) part of the grid is projected too.
 * Times are wall clock, measured with whatever else ran on the machine: the load average before and
 * after each recipe is recorded. Prints a table; writes results/<profile>/recipe-times.json.
 *
 * Usage: SPATIALEDIT_PROFILE=paper npm run bench:recipe-times -- [--steps=10] [--warmup=2]
 *          [--only=<recipe or node id>,...] [--eval-items=16] [--cache=<grid cache dir>] [--name=recipe-times]
 *   --only takes recipe names (spaces as '-': stage2-attention-all, eval-general, vqa) or node ids (spatialedit, lgie@s0)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { nativeBlasStatus } from "../lib/backend/native-blas";
import { initBackend } from "../lib/backend/select";
import { intFlag, parseFlags } from "../lib/core/cli-args";
import { runMain } from "../lib/core/cli";
import { checkName } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { Rng } from "../lib/core/rng";
import { toMarkdown, type Row } from "../lib/core/table";
import { ensureBenchmark } from "../lib/eval/benchmark-generate";
import type { BenchmarkKind } from "../lib/eval/benchmark-io";
import { editorGrid, evaluateGridEditor } from "../lib/eval/editor-grid";
import { evalGroups, gridRecipes, isTrainingNode, nodeGroupName, projectedSeconds, projectGrid, selectGroups, type EvalGroup, type GridRecipe } from "../lib/eval/grid-recipes";
import { mean, quantile } from "../lib/eval/stats";
import { answerVqa, spatialVqaItems, type VqaEvalConfig } from "../lib/eval/vqa";
import { createEditor, disposeEditor, editorParams, type Editor } from "../lib/models/editor/model";
import type { EditorNodeConfig } from "../lib/models/editor/train/node";
import { editorPhaseTask } from "../lib/models/editor/train/node";
import { saveCheckpoint } from "../lib/train/checkpoint";
import { GridCache } from "../lib/train/grid/cache";
import { keyGrid, type KeyedNode } from "../lib/train/grid/node";
import { listSchedule, lowerBound, type TimedJob } from "../lib/train/grid/projection";

const KNOWN = ["steps", "warmup", "only", "eval-items", "cache", "name"];
/** The 2-process projection: the machine has 2 cores, and the grid is run with --jobs 2 on it. */
const SLOTS = 2;
const NOTE =
  "wall clock measured on a shared machine: every time includes whatever else ran on it then (loadAverage before/after each recipe, 1/5/15 min); projections are only as good as that load is like the load the grid will run under";

interface Load {
  before: number[];
  after: number[];
}

interface Tensors {
  before: number;
  after: number;
  /** after - before: 0 when the recipe freed everything it made. */
  leaked: number;
}

interface RecipeTiming {
  name: string;
  nodes: string[];
  phase: string;
  mode: string;
  layers: string;
  imageTokens: boolean;
  phaseSteps: number;
  setupSeconds: number;
  msPerStep: { median: number; mean: number; samples: number[] };
  checkpointSeconds: number;
  checkpoints: number;
  projectedNodeSeconds: number;
  rssMiB: number;
  tensors: Tensors;
  loadAverage: Load;
}

interface EvalTiming {
  name: string;
  nodes: string[];
  /** Items (or questions) of one evaluation node, and how many were timed. */
  items: number;
  timedItems: number;
  setupSeconds: number;
  msPerItem: number;
  projectedNodeSeconds: number;
  tensors: Tensors;
  loadAverage: Load;
}

const ms = (t0: number): number => performance.now() - t0;

/** Runs `fn`, recording live tensors and the load average around it. */
async function watched<T>(fn: () => Promise<T>): Promise<T & { tensors: Tensors; loadAverage: Load }> {
  const before = tf.memory().numTensors;
  const load = os.loadavg();
  const out = await fn();
  const after = tf.memory().numTensors;
  return { ...out, tensors: { before, after, leaked: after - before }, loadAverage: { before: load, after: os.loadavg() } };
}

/** Checkpoints a node writes: one every checkpointEvery steps and one after the last. */
function checkpointCount(steps: number, every: number): number {
  return Math.floor(steps / every) + (steps % every === 0 ? 0 : 1);
}

/** Times one training recipe: setup, warm-up, then `steps` timed steps and one checkpoint save. */
async function timeRecipe(r: GridRecipe, steps: number, warmup: number) {
  return watched(async () => {
    const c = r.config;
    // parent weights: a fresh editor shaped like this node's (values do not change the time)
    const parent = r.phase === "base" ? null : createEditor(c.editor, new Rng(r.seed).fork("parent"), { imageTokens: c.imageTokens });
    const t0 = performance.now();
    const task = (() => {
      try {
        return editorPhaseTask(c, r.seed, parent === null ? null : editorParams(parent), null);
      } finally {
        if (parent !== null) disposeEditor(parent);
      }
    })();
    const setupSeconds = ms(t0) / 1000;
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "recipe-times-"));
    try {
      for (let i = 0; i < warmup; i++) await task.step(i);
      const samples: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t = performance.now();
        await task.step(warmup + i);
        samples.push(ms(t));
      }
      const t1 = performance.now();
      saveCheckpoint(path.join(scratch, "step-000001"), { params: task.params, optimizer: task.optimizer, state: task.state, rng: task.rng, config: c, seed: r.seed, step: 1, dataManifestHash: null, parentHash: null, extra: { losses: [] } });
      const checkpointSeconds = ms(t1) / 1000;
      const rssMiB = process.memoryUsage().rss / 2 ** 20;
      const median = quantile(samples, 0.5);
      const checkpoints = checkpointCount(r.steps, c.checkpointEvery);
      const timing: Omit<RecipeTiming, "tensors" | "loadAverage"> = {
        name: r.name,
        nodes: r.nodes,
        phase: r.phase,
        mode: r.mode,
        layers: r.layers,
        imageTokens: r.imageTokens,
        phaseSteps: r.steps,
        setupSeconds,
        msPerStep: { median, mean: mean(samples), samples },
        checkpointSeconds,
        checkpoints,
        projectedNodeSeconds: projectedSeconds(setupSeconds, r.steps, median, checkpoints * checkpointSeconds),
        rssMiB,
      };
      return timing;
    } finally {
      task.dispose();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
}

/** Times one evaluation group on its first `n` items with an untrained editor built like the group's first parent. */
async function timeEval(g: EvalGroup, parent: KeyedNode, profile: string, n: number) {
  return watched(async () => {
    const c = parent.config as EditorNodeConfig;
    const seed = g.first.seed;
    const t0 = performance.now();
    const model: Editor = createEditor(c.editor, new Rng(seed).fork("eval"), { imageTokens: c.imageTokens });
    try {
      let items: number;
      let timed: number;
      let run: () => Promise<unknown>;
      if (g.kind === "editor-vqa") {
        const { scenes, batch } = g.first.config as VqaEvalConfig;
        const all = spatialVqaItems(scenes, c.editor.image, profile);
        items = all.length;
        timed = Math.min(n, items);
        run = () => answerVqa(model, all.slice(0, timed), { batch });
      } else {
        const { row, benchmark } = g.first.config as { row: string; benchmark: BenchmarkKind };
        const bench = ensureBenchmark(benchmark, profile);
        items = bench.items.length;
        timed = Math.min(n, items);
        run = () => evaluateGridEditor(row, model, { ...bench, items: bench.items.slice(0, timed) }, seed, { profile });
      }
      const setupSeconds = ms(t0) / 1000;
      const t1 = performance.now();
      await run();
      const msPerItem = ms(t1) / timed;
      const timing: Omit<EvalTiming, "tensors" | "loadAverage"> = { name: g.name, nodes: g.nodes, items, timedItems: timed, setupSeconds, msPerItem, projectedNodeSeconds: projectedSeconds(setupSeconds, items, msPerItem) };
      return timing;
    } finally {
      disposeEditor(model);
    }
  });
}

/** One-core sum, 2-slot schedules in both orders and the lower bound of a set of jobs. */
function projection(jobs: TimedJob[], untimed: string[]) {
  const grid = listSchedule(jobs, SLOTS, "grid");
  const critical = listSchedule(jobs, SLOTS, "critical-path");
  const lb = lowerBound(jobs, SLOTS);
  return {
    nodes: jobs.length,
    oneCoreSeconds: lb.sum,
    twoJobs: { gridOrderSeconds: grid.makespan, longestChainFirstSeconds: critical.makespan, lowerBoundSeconds: lb.bound, longestChainSeconds: lb.longestChain },
    untimed,
    scheduleGridOrder: grid.jobs,
  };
}

const hours = (s: number): string => `${s.toFixed(0)} s = ${(s / 3600).toFixed(2)} h`;

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const steps = intFlag(a, "steps", 10, 1);
  const warmup = intFlag(a, "warmup", 2);
  const evalItems = intFlag(a, "eval-items", 16);
  const name = checkName(a.name ?? "recipe-times", "result");
  const only = (a.only ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (a.cache !== undefined && !fs.existsSync(a.cache)) throw new Error(`--cache: no folder '${a.cache}'`);
  const cache = a.cache === undefined ? null : new GridCache(path.resolve(a.cache));
  const profile = currentProfile();
  const nodes = keyGrid(editorGrid(profile));
  const seeds = [...new Set(nodes.map((n) => n.seed))].sort((x, y) => x - y);
  const allRecipes = gridRecipes(nodes, seeds[0]);
  const allEvals = evalGroups(nodes, seeds[0]);
  const chosen = only.length > 0 ? selectGroups<{ name: string; nodes: string[] }>([...allRecipes, ...allEvals], only) : [...allRecipes, ...allEvals];
  const recipes = allRecipes.filter((r) => chosen.includes(r));
  const evals = evalItems > 0 ? allEvals.filter((g) => chosen.includes(g)) : [];
  const byId = new Map(nodes.map((n) => [n.id, n]));

  const backend = await initBackend();
  // what each grid node's child process pays before its recipe starts (tsx, imports, backend): not in the projections
  const processStartSeconds = process.uptime();
  const native = nativeBlasStatus();
  process.stdout.write(
    `bench/recipe-times: profile ${profile}, seeds ${seeds.join(", ")}, ${nodes.length} grid nodes; ${recipes.length} of ${allRecipes.length} training recipes, ${evals.length} of ${allEvals.length} evaluation groups; ` +
      `${warmup} warm-up + ${steps} timed steps each; backend ${backend.name}, native BLAS: ${native.detail}; ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join("/")}\n` +
      `note: ${NOTE}\n`,
  );

  const trained: RecipeTiming[] = [];
  for (const r of recipes) {
    process.stderr.write(`${r.name} (${r.nodes.join(", ")}): setup, ${warmup} + ${steps} steps ...\n`);
    const t = await timeRecipe(r, steps, warmup);
    trained.push(t);
    process.stderr.write(
      `  setup ${t.setupSeconds.toFixed(1)} s, ${t.msPerStep.median.toFixed(0)} ms/step (median), checkpoint ${t.checkpointSeconds.toFixed(2)} s -> ${t.projectedNodeSeconds.toFixed(0)} s per node; tensors ${t.tensors.before} -> ${t.tensors.after}\n`,
    );
  }
  const evaluated: EvalTiming[] = [];
  for (const g of evals) {
    const parent = byId.get(g.first.parent ?? "");
    if (parent === undefined) throw new Error(`evaluation node '${g.first.id}' has no parent in the grid`);
    process.stderr.write(`${g.name} (${g.nodes.length} nodes): first ${evalItems} items ...\n`);
    evaluated.push(await timeEval(g, parent, profile, evalItems));
  }

  const recorded = (n: KeyedNode): number | null => {
    const d = cache?.done(n.key) ?? null;
    return d === null ? null : d.wallMs / 1000;
  };
  // per group: the measured projection; else (not timed here) the median of the node times recorded in --cache
  const recordedByGroup = new Map<string, number[]>();
  for (const n of nodes) {
    const r = recorded(n);
    if (r !== null) recordedByGroup.set(nodeGroupName(n), [...(recordedByGroup.get(nodeGroupName(n)) ?? []), r]);
  }
  const groupSeconds = new Map<string, { seconds: number; source: "measured" | "recorded" }>([...trained, ...evaluated].map((t) => [t.name, { seconds: t.projectedNodeSeconds, source: "measured" }]));
  for (const [g, rs] of recordedByGroup) if (!groupSeconds.has(g)) groupSeconds.set(g, { seconds: quantile(rs, 0.5), source: "recorded" });
  const seconds = new Map([...groupSeconds].map(([g, v]) => [g, v.seconds]));
  const recordedCell = (g: string): string => {
    const rs = recordedByGroup.get(g);
    return rs === undefined ? "" : `${quantile(rs, 0.5).toFixed(1)} (n ${rs.length})`;
  };
  const perNode = nodes.map((n) => ({ id: n.id, group: nodeGroupName(n), training: isTrainingNode(n), parent: n.parent ?? null, projectedSeconds: seconds.get(nodeGroupName(n)) ?? null, recordedSeconds: recorded(n) }));
  const training = nodes.filter(isTrainingNode);
  const remaining = cache === null ? null : nodes.filter((n) => recorded(n) === null);
  const project = (ns: KeyedNode[]) => {
    const p = projectGrid(ns, seconds);
    return projection(p.jobs, p.untimed);
  };
  const projections = {
    training: project(training),
    all: project(nodes),
    ...(remaining === null ? {} : { remainingTraining: project(remaining.filter(isTrainingNode)), remainingAll: project(remaining) }),
  };

  const rows: Row[] = trained.map((t) => ({
    recipe: t.name,
    nodes: t.nodes.map((id) => id.replace(/@s\d+$/, "")).join(", "),
    steps: t.phaseSteps,
    "setup s": t.setupSeconds,
    "ms/step": t.msPerStep.median,
    "ckpt s": t.checkpointSeconds,
    "node s": t.projectedNodeSeconds,
    "node h": t.projectedNodeSeconds / 3600,
    ...(cache === null ? {} : { "recorded s": recordedCell(t.name) }),
    load: `${t.loadAverage.before[0].toFixed(1)}->${t.loadAverage.after[0].toFixed(1)}`,
    tensors: t.tensors.leaked === 0 ? "ok" : `+${t.tensors.leaked}`,
  }));
  const evalRows: Row[] = evaluated.map((t) => ({
    group: t.name,
    nodes: t.nodes.length,
    items: t.items,
    timed: t.timedItems,
    "setup s": t.setupSeconds,
    "ms/item": t.msPerItem,
    "node s": t.projectedNodeSeconds,
    ...(cache === null ? {} : { "recorded s": recordedCell(t.name) }),
    load: `${t.loadAverage.before[0].toFixed(1)}->${t.loadAverage.after[0].toFixed(1)}`,
    tensors: t.tensors.leaked === 0 ? "ok" : `+${t.tensors.leaked}`,
  }));
  if (rows.length > 0) process.stdout.write(`\ntraining recipes (node s = setup + steps x median ms/step + checkpoints x ckpt s):\n${toMarkdown(rows, 2)}`);
  if (evalRows.length > 0) process.stdout.write(`\nevaluation groups (node s = setup + items x ms/item; an untrained editor on the first items):\n${toMarkdown(evalRows, 2)}`);
  const fromCache = [...groupSeconds].filter(([, v]) => v.source === "recorded");
  if (fromCache.length > 0) process.stdout.write(`not timed here, projected from the median time recorded in the cache: ${fromCache.map(([g, v]) => `${g} ${v.seconds.toFixed(0)} s (n ${recordedByGroup.get(g)!.length})`).join(", ")}\n`);
  const notTimedEvals = allEvals.filter((g) => !evals.includes(g));
  const untimedEvals = notTimedEvals.filter((g) => !groupSeconds.has(g.name));
  if (untimedEvals.length > 0) process.stdout.write(`evaluation groups not timed: ${untimedEvals.map((g) => `${g.name} (${g.nodes.length} nodes)`).join(", ")}\n`);
  const line = (what: string, p: ReturnType<typeof projection>) =>
    `${what.padEnd(20)} ${String(p.nodes).padStart(3)} nodes: one core ${hours(p.oneCoreSeconds)}; ${SLOTS} jobs ${hours(p.twoJobs.gridOrderSeconds)} in the grid's order, ${hours(p.twoJobs.longestChainFirstSeconds)} longest chain first (no schedule under ${hours(p.twoJobs.lowerBoundSeconds)})` +
    (p.untimed.length > 0 ? `; ${p.untimed.length} nodes not timed, counted as 0` : "");
  process.stdout.write(`\nprojected grid (seeds ${seeds.join(", ")}):\n${line("training", projections.training)}\n${line("training + evaluation", projections.all)}\n`);
  if ("remainingAll" in projections) process.stdout.write(`${line("remaining training", projections.remainingTraining!)}\n${line("remaining, all", projections.remainingAll!)}\n`);
  process.stdout.write(`not included: the start of each node's process (${processStartSeconds.toFixed(1)} s for this one, to the backend), loading the parent's checkpoint\n`);
  const leaks = [...trained, ...evaluated].filter((t) => t.tensors.leaked !== 0);
  if (leaks.length > 0) process.stdout.write(`warning: live tensors did not return to their starting count after ${leaks.map((t) => `${t.name} (+${t.tensors.leaked})`).join(", ")}\n`);

  const file = writeResult(name, {
    config: { profile, steps, warmup, evalItems, only, slots: SLOTS, cache: a.cache ?? null, grid: nodes.map((n) => ({ id: n.id, key: n.key, kind: n.kind, parent: n.parent ?? null })) },
    seed: seeds,
    data: {
      note: NOTE,
      backend: backend.name,
      nativeBlas: native.detail,
      cpus: os.cpus().length,
      processStartSeconds,
      recipes: trained,
      evaluations: evaluated,
      evaluationsNotTimed: notTimedEvals.map((g) => ({ name: g.name, nodes: g.nodes })),
      groupSeconds: Object.fromEntries([...groupSeconds].map(([g, v]) => [g, { ...v, recorded: recordedByGroup.get(g) ?? [] }])),
      nodes: perNode,
      projections,
    },
  });
  process.stdout.write(`wrote ${file}\n`);
}

runMain(main);
