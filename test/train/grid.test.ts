import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { disposeParams } from "../../lib/nn/layers";
import { fromPretrained } from "../../lib/train/checkpoint";
import { GridCache } from "../../lib/train/grid/cache";
import { listCommands } from "../../lib/train/grid/list";
import { keyGrid, nodeKey, selectWithAncestors, uniqueJobs, type GridNode, type KeyedNode } from "../../lib/train/grid/node";
import { registerRecipe, type Recipe } from "../../lib/train/grid/recipes";
import { inlineRunner } from "../../lib/train/grid/runners";
import { runGrid } from "../../lib/train/grid/scheduler";
import { makeToyRecipe, makeToyTask, TOY_TUNINGS, toyConfig, toyGrid } from "../../lib/train/grid/toy";

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "grid-"));

/** The toy grid on counting recipe kinds (`count-base`, `count-ft`). */
function countingGrid(overrides = {}): GridNode[] {
  return toyGrid("tiny", overrides).map((n) => ({ ...n, kind: n.parent === undefined ? "count-base" : "count-ft" }));
}

const calls: string[] = [];
let stopAt: Record<string, number> = {};
const toy = makeToyRecipe({ stopAfter: (n) => stopAt[n.id] });
const counting: Recipe = (node, parentDir, outDir, progress) => {
  calls.push(node.id);
  return toy(node, parentDir, outDir, progress);
};

async function runAll(nodes: KeyedNode[], cacheDir: string, only?: string[]) {
  calls.length = 0;
  const cache = new GridCache(cacheDir);
  return runGrid(nodes, { cache, runner: inlineRunner(cache), jobs: 1, only, silent: true });
}

function weightsOf(dir: string): Record<string, number[]> {
  const { params } = fromPretrained(dir);
  const out = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.from(v.dataSync())]));
  disposeParams(params);
  return out;
}

beforeAll(async () => {
  await initBackend({ force: "wasm" });
  registerRecipe("count-base", counting);
  registerRecipe("count-ft", counting);
});

describe("toy task tuning (lib/nn tuning modes)", () => {
  for (const tune of TOY_TUNINGS) {
    it(`'${tune}' trains exactly its variables and nothing else`, async () => {
      const task = makeToyTask(toyConfig({ tune }), 5);
      const before = Object.fromEntries(Object.entries(task.params).map(([k, v]) => [k, v.dataSync().slice()]));
      await task.step(0);
      const changed = Object.entries(task.params).filter(([k, v]) => v.dataSync().some((x, i) => x !== before[k][i])).map(([k]) => k).sort();
      const want = Object.keys(task.params).filter((k) => tune === "full" || /^blocks\.\d+\.attn\.[qkvo]\.[wb]$/.test(k)).sort();
      task.dispose();
      expect(changed).toEqual(want);
    });
  }
  it("an unknown tuning is a clear error", () => {
    expect(() => toyConfig({ tune: "lora" as never })).toThrow("toy recipe: tune must be 'full' or 'attention', got 'lora'");
  });
});

describe("grid keys", () => {
  it("are stable under key order and change with kind, config, seed, data and parent", () => {
    const n: GridNode = { id: "a", kind: "k", config: { x: 1, y: { p: [1, 2], q: "s" } }, seed: 0, dataManifestHash: "d" };
    const k = nodeKey(n, null);
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    expect(nodeKey({ ...n, id: "renamed", config: { y: { q: "s", p: [1, 2] }, x: 1 } }, null)).toBe(k);
    for (const changed of [{ ...n, kind: "k2" }, { ...n, config: { x: 2, y: { p: [1, 2], q: "s" } } }, { ...n, seed: 1 }, { ...n, dataManifestHash: "e" }]) {
      expect(nodeKey(changed, null)).not.toBe(k);
    }
    expect(nodeKey(n, "parent")).not.toBe(k);
    // a code version enters the key when present: a new version of the training code is a new node
    expect(nodeKey({ ...n, version: 1 }, null)).not.toBe(k);
    expect(nodeKey({ ...n, version: 2 }, null)).not.toBe(nodeKey({ ...n, version: 1 }, null));
  });

  it("a parent's config change invalidates its descendants only", () => {
    const a = keyGrid(countingGrid());
    const b = keyGrid(countingGrid().map((n) => (n.id === "base@s0" ? { ...n, config: { ...(n.config as object), lr: 0.02 } } : n)));
    for (let i = 0; i < a.length; i++) {
      expect(a[i].id).toBe(b[i].id);
      expect(a[i].key === b[i].key, a[i].id).toBe(!a[i].id.endsWith("@s0"));
    }
  });

  it("rejects unknown parents, cycles, duplicate ids and bad ids", () => {
    const n: GridNode = { id: "a", kind: "k", config: {}, seed: 0, dataManifestHash: "d" };
    expect(() => keyGrid([{ ...n, parent: "x" }])).toThrow("grid: node 'a' has parent 'x', which is not in the grid");
    expect(() => keyGrid([{ ...n, parent: "b" }, { ...n, id: "b", parent: "a" }])).toThrow("grid: dependency cycle a -> b -> a");
    expect(() => keyGrid([n, n])).toThrow("grid: two nodes have the id 'a'");
    expect(() => keyGrid([{ ...n, id: "a b" }])).toThrow("must be letters, digits");
    expect(() => keyGrid([{ ...n, version: 0 }])).toThrow("grid: node 'a' version must be an integer >= 1, got 0");
  });
});

describe("selection and listing", () => {
  const nodes = keyGrid(countingGrid());
  it("--only selects the matching nodes and their ancestors, in dependency order", () => {
    expect(selectWithAncestors(nodes, ["stage2-full@s1"]).map((n) => n.id)).toEqual(["base@s1", "stage1-full@s1", "stage2-full@s1"]);
    expect(selectWithAncestors(nodes, ["stage1-*@s0"]).map((n) => n.id)).toEqual(["base@s0", "stage1-attention@s0", "stage1-full@s0"]);
    expect(() => selectWithAncestors(nodes, ["nope*"])).toThrow("grid: --only 'nope*' matches no node; ids: base@s0,");
  });

  it("--list prints one command per job, parents first, with its key and its parent's key", () => {
    const jobs = selectWithAncestors(nodes, ["stage2-attention@s0"]);
    const [base, s1, s2] = jobs;
    const lines = listCommands(jobs, { grid: "toy", profile: "tiny", cache: "/shared/cache" }, (k) => k === base.key);
    expect(lines).toEqual([
      `npx tsx scripts/grid.ts --grid toy --profile tiny --cache /shared/cache --run ${base.key}  # base@s0 (done)`,
      `npx tsx scripts/grid.ts --grid toy --profile tiny --cache /shared/cache --run ${s1.key} --parent ${base.key}  # stage1-attention@s0`,
      `npx tsx scripts/grid.ts --grid toy --profile tiny --cache /shared/cache --run ${s2.key} --parent ${s1.key}  # stage2-attention@s0`,
    ]);
  });
});

describe("grid runs (in process)", () => {
  it("trains shared parents once, skips finished nodes, re-runs what a parent's change invalidates, leaks nothing", async () => {
    const dir = tmp();
    const nodes = keyGrid(countingGrid());
    // a second node with the same content as base@s0 is the same job
    const dup = keyGrid([...countingGrid(), { ...countingGrid()[0], id: "base-copy@s0" }]);
    expect(uniqueJobs(dup).length).toBe(nodes.length);
    const before = tf.memory().numTensors;

    const first = await runAll(dup, dir);
    expect(first.jobs.every((j) => j.status === "ran")).toBe(true);
    expect(calls.length).toBe(10);
    expect(calls.filter((id) => id.startsWith("base")).sort()).toEqual(["base@s0", "base@s1"]);

    const second = await runAll(nodes, dir);
    expect(calls).toEqual([]);
    expect(second.jobs.map((j) => j.status)).toEqual(Array(10).fill("cached"));

    const changed = keyGrid(countingGrid().map((n) => (n.id === "base@s1" ? { ...n, config: { ...(n.config as object), lr: 0.02 } } : n)));
    const third = await runAll(changed, dir);
    expect(calls.sort()).toEqual(["base@s1", "stage1-attention@s1", "stage1-full@s1", "stage2-attention@s1", "stage2-full@s1"]);
    expect(third.jobs.filter((j) => j.status === "cached").map((j) => j.id)).toEqual(nodes.filter((n) => n.id.endsWith("@s0")).map((n) => n.id));
    expect(tf.memory().numTensors).toBe(before);

    // a stage1 node really starts from its parent: with zero steps it equals the parent's weights
    const zero = keyGrid(countingGrid({ steps: 0 }));
    await runAll(zero, dir, ["stage1-attention@s0"]);
    const cache = new GridCache(dir);
    expect(weightsOf(cache.outDir(zero[1].key))).toEqual(weightsOf(cache.outDir(zero[0].key)));
  });

  it("a killed grid resumes where it stopped and ends as an uninterrupted one", async () => {
    const clean = tmp();
    const nodes = keyGrid(countingGrid()).filter((n) => n.id.endsWith("@s0") && n.id.includes("full") || n.id === "base@s0");
    await runAll(nodes, clean);

    const dir = tmp();
    stopAt = { "stage1-full@s0": 3 }; // killed after 3 of 4 steps (checkpoint at 2)
    const killed = await runAll(nodes, dir);
    expect(killed.jobs.map((j) => [j.id, j.status])).toEqual([["base@s0", "ran"], ["stage1-full@s0", "failed"], ["stage2-full@s0", "skipped"]]);
    expect(killed.jobs[1].error).toContain("stopped after 3 of 4 steps");
    stopAt = {};

    const again = await runAll(nodes, dir);
    expect(calls).toEqual(["stage1-full@s0", "stage2-full@s0"]);
    expect(again.jobs.map((j) => j.status)).toEqual(["cached", "ran", "ran"]);
    const cache = new GridCache(dir);
    expect(cache.done(nodes[1].key)?.summary.resumedFrom).toBe(2);
    const cleanCache = new GridCache(clean);
    for (const n of nodes) expect(weightsOf(cache.outDir(n.key)), n.id).toEqual(weightsOf(cleanCache.outDir(n.key)));
  });

  it("a dry run reports cached and planned jobs and runs nothing", async () => {
    const dir = tmp();
    const nodes = keyGrid(countingGrid());
    await runAll(nodes, dir, ["base@s0"]);
    const cache = new GridCache(dir);
    calls.length = 0;
    const r = await runGrid(nodes, { cache, runner: inlineRunner(cache), dryRun: true, only: ["stage1-full@s0"], silent: true });
    expect(calls).toEqual([]);
    expect(r.jobs.map((j) => [j.id, j.status])).toEqual([["base@s0", "cached"], ["stage1-full@s0", "planned"]]);
  });
});
