import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { cachedGridNodes, ensureGridNodes, gridLosses, loadGridEditor, seedsInCache } from "../../lib/eval/grid-models";
import { editWithConditions } from "../../lib/eval/trained-editor";
import { recipeConfig } from "../../lib/models/editor/train/recipes";
import { editorConfig } from "../../lib/models/editor/config";
import { disposeEditor, editorParams } from "../../lib/models/editor/model";
import { fromPretrained } from "../../lib/train/checkpoint";
import { disposeParams } from "../../lib/nn/layers";

beforeAll(async () => {
  await initBackend();
});

describe("trained editors from the grid's cache", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grid-models-"));

  it("runs only what the cache lacks, parents first, and a rerun with a full cache runs nothing", async () => {
    const n0 = tf.memory().numTensors;
    const ticks: Record<string, number> = {};
    const first = await ensureGridNodes("tiny", ["spatialedit@s0", "wo-s1@s0"], { cacheDir: dir, silent: true, onProgress: (id, done, total) => { ticks[id] = done; expect(done).toBeLessThanOrEqual(total); } });
    expect(first.nodes.map((n) => `${n.id}:${n.status}`)).toEqual(["base@s0:ran", "stage1@s0:ran", "spatialedit@s0:ran", "wo-s1@s0:ran"]);
    expect(first.ran).toEqual(["base@s0", "stage1@s0", "spatialedit@s0", "wo-s1@s0"]);
    const r = recipeConfig("tiny");
    expect(ticks).toEqual({ "base@s0": r.baseSteps, "stage1@s0": r.stage1Steps, "spatialedit@s0": r.stage2Steps, "wo-s1@s0": r.stage2Steps });
    expect(tf.memory().numTensors).toBe(n0);
    // a node whose parent is cached trains only itself
    const more = await ensureGridNodes("tiny", ["mgie@s0"], { cacheDir: dir, silent: true });
    expect(more.nodes.map((n) => `${n.id}:${n.status}`)).toEqual(["base@s0:cached", "mgie@s0:ran"]);
    const again = await ensureGridNodes("tiny", ["spatialedit@s0", "wo-s1@s0", "mgie@s0"], { cacheDir: dir, silent: true, onProgress: () => { throw new Error("a cached node must not train"); } });
    expect(again.ran).toEqual([]);
    expect(again.nodes.every((n) => n.status === "cached")).toBe(true);
    expect(again.byId["spatialedit@s0"].dir).toBe(first.byId["spatialedit@s0"].dir);
    expect(again.byId["spatialedit@s0"].parent).toBe("stage1@s0");
    expect(gridLosses(again.byId["spatialedit@s0"].record)).toEqual(gridLosses(first.byId["spatialedit@s0"].record));
    expect(gridLosses(again.byId["base@s0"].record).length).toBe(r.baseSteps);
    const peek = cachedGridNodes("tiny", ["spatialedit@s0", "eval-spatialedit@s0"], { cacheDir: dir });
    expect(peek["spatialedit@s0"]).toEqual(again.byId["spatialedit@s0"]);
    expect(peek["eval-spatialedit@s0"]).toBeNull();
    expect(seedsInCache("tiny", [0], (s) => [`spatialedit@s${s}`, `mgie@s${s}`], { cacheDir: dir })).toEqual([0]);
    expect(seedsInCache("tiny", [0], (s) => [`spatialedit@s${s}`, `eval-spatialedit@s${s}`], { cacheDir: dir })).toEqual([]);
    expect(() => cachedGridNodes("tiny", ["x@s0"], { cacheDir: dir })).toThrow(/^cachedGridNodes: the editor grid \(profile tiny\) has no node 'x@s0'; ids: base@s0, /);
    expect(tf.memory().numTensors).toBe(n0);
  }, 600_000);

  it("rebuilds a node's editor from its final checkpoint, which edits and writes language conditions", async () => {
    const nodes = await ensureGridNodes("tiny", ["spatialedit@s0"], { cacheDir: dir, silent: true });
    const n0 = tf.memory().numTensors;
    const { editor, config } = loadGridEditor(nodes.byId["spatialedit@s0"].dir);
    expect(config.phase).toBe("stage2");
    expect(editor.config).toEqual(editorConfig("tiny"));
    const ckpt = fromPretrained(nodes.byId["spatialedit@s0"].dir);
    const p = editorParams(editor);
    for (const [k, w] of Object.entries(ckpt.params)) expect(Array.from(p[k].dataSync())).toEqual(Array.from(w.dataSync()));
    disposeParams(ckpt.params);
    const items = ensureBenchmark("spatialeval", "tiny").items.slice(0, 2);
    // an instruction with words the tokenizer does not know (they become <unk>) still edits
    const out = editWithConditions(editor, items.map((x) => x.source), [items[0].instruction, "move the zorblax cube to the left"], { steps: 2, seed: 0 });
    expect(out.images.map((im) => [im.width, im.height])).toEqual([[16, 16], [16, 16]]);
    expect(out.conditions.length).toBe(2);
    for (const c of out.conditions) expect(typeof c).toBe("string");
    expect(() => editWithConditions(editor, items.map((x) => x.source), ["one"])).toThrow("editWithConditions: 2 images for 1 instructions");
    disposeEditor(editor);
    expect(tf.memory().numTensors).toBe(n0);
  }, 600_000);

  it("says what is wrong with its input", async () => {
    await expect(ensureGridNodes("tiny", ["nope@s0"], { cacheDir: dir, silent: true })).rejects.toThrow(/^ensureGridNodes: the editor grid \(profile tiny\) has no node 'nope@s0'; ids: base@s0, stage1@s0, /);
    await expect(ensureGridNodes("tiny", [], { cacheDir: dir })).rejects.toThrow("ensureGridNodes: ids must be a non-empty list of node ids, e.g. ['spatialedit@s0']");
    await expect(ensureGridNodes("huge", ["base@s0"], { cacheDir: dir })).rejects.toThrow("unknown profile 'huge'; known profiles: tiny, quick, paper (set SPATIALEDIT_PROFILE to one of them)");
    expect(() => loadGridEditor("")).toThrow("loadGridEditor: dir must be a node's output folder (GridModelNode.dir)");
    const missing = path.join(dir, "no-such-node", "out");
    expect(() => loadGridEditor(missing)).toThrow(`no checkpoint at '${missing}' (no config.json and no latest.json); train it first or check the path`);
    const evalNode = await ensureGridNodes("tiny", ["eval-spatialedit@s0"], { cacheDir: dir, silent: true });
    expect(evalNode.ran).toEqual(["eval-spatialedit@s0"]);
    expect(() => gridLosses(evalNode.byId["eval-spatialedit@s0"].record)).toThrow("gridLosses: node 'eval-spatialedit@s0' (editor-eval) has no per-step losses in its done record; only training nodes have them");
  }, 600_000);
});
