import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { editorGrid, editorGridReport, registerEditorGrid, STAGE1_PAIRS, stage1GridSummary, stage2GridSummary, VARIANT_ROWS, VQA_ROWS } from "../../lib/eval/editor-grid";
import { GridCache } from "../../lib/train/grid/cache";
import { keyGrid } from "../../lib/train/grid/node";
import { inlineRunner } from "../../lib/train/grid/runners";
import { runGrid } from "../../lib/train/grid/scheduler";
import { EDITOR_TRAIN_VERSION, editorNodeConfig } from "../../lib/models/editor/train/node";
import { fromPretrained } from "../../lib/train/checkpoint";
import { TABLE2_SPEC } from "../../lib/eval/table-specs";
import { disposeParams } from "../../lib/nn/layers";
import type { EditorNodeConfig } from "../../lib/models/editor/train/node";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { evaluate, type ItemScores } from "../../lib/eval/evaluate";
import { readEdits, storedEditor } from "../../lib/eval/stored-edits";
import { exportGridRecords, GridRecords } from "../../lib/eval/grid-records";
import { layerGridSummary } from "../../lib/eval/layer-ablation";

beforeAll(async () => {
  await initBackend();
  registerEditorGrid();
});

describe("the editor's grid", () => {
  it("has every variant of Tables 1/5 and Appendix O, with shared parents and equal Stage II budgets", () => {
    const nodes = keyGrid(editorGrid("quick"));
    const ids = nodes.map((n) => n.id);
    for (const v of Object.keys(VARIANT_ROWS)) expect(ids).toContain(`eval-${v}@s0`);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    expect(byId.get("spatialedit@s0")!.parent).toBe("stage1@s0");
    expect(byId.get("wo-s1@s0")!.parent).toBe("base@s0");
    expect(byId.get("stage1@s0")!.parent).toBe("base@s0");
    const budgets = new Set(nodes.filter((n) => ["editor-stage2", "editor-mgie", "editor-wo-de", "editor-finetune", "editor-ip2p"].includes(n.kind)).map((n) => {
      const c = n.config as EditorNodeConfig;
      return `${c.recipe.stage2Steps}x${c.recipe.batch}`;
    }));
    expect(budgets.size).toBe(1);
    // Stage I (§5.2.1): embedding- and attention-tuned from the same base, the same steps; held-out VQA of both and of the base
    const s1 = byId.get("stage1@s0")!.config as EditorNodeConfig;
    const s1e = byId.get("stage1-emb@s0")!.config as EditorNodeConfig;
    expect([s1.mode, s1e.mode, s1e.phase, byId.get("stage1-emb@s0")!.parent]).toEqual(["attention", "embedding", "stage1", "base@s0"]);
    expect(s1e.recipe).toEqual(s1.recipe);
    expect(["vqa-base@s0", "vqa-stage1-emb@s0", "vqa-stage1@s0"].map((id) => byId.get(id)!.parent)).toEqual(["base@s0", "stage1-emb@s0", "stage1@s0"]);
    expect(() => editorNodeConfig(byId.get("base@s0")!.config as EditorNodeConfig, { phase: "stage3" })).toThrow("editor node: unknown phase 'stage3'; known: base, mgie, stage1, stage2, wo-de, finetune, ip2p");
    // Table 2: every row the miniature can have is a general-editing evaluation node
    for (const row of TABLE2_SPEC.rows) {
      const v = Object.keys(VARIANT_ROWS).find((k) => VARIANT_ROWS[k] === row)!;
      expect(ids).toContain(`eval-general-${v}@s0`);
    }
    const ip2p = byId.get("ip2p@s0")!.config as EditorNodeConfig;
    expect([ip2p.phase, ip2p.imageTokens, byId.get("ip2p@s0")!.parent]).toEqual(["ip2p", false, "base@s0"]);
    // base and Stage I keys do not move with Stage II settings; the Stage II nodes' keys do
    const other = keyGrid(editorGrid("quick", [0], { stage2Steps: 41, editRegionWeight: 3, emaDecay: 0.99 }));
    const key = (ns: typeof nodes, id: string) => ns.find((n) => n.id === id)!.key;
    for (const id of ["base@s0", "stage1@s0", "stage1-emb@s0", "vqa-stage1@s0"]) expect(key(other, id), id).toBe(key(nodes, id));
    for (const id of ["spatialedit@s0", "wo-s1@s0", "mgie@s0", "eval-spatialedit@s0"]) expect(key(other, id), id).not.toBe(key(nodes, id));
    expect((byId.get("base@s0")!.config as EditorNodeConfig).recipe.stage2Steps).toBe(0);
    expect("emaDecay" in (byId.get("stage1@s0")!.config as EditorNodeConfig).recipe).toBe(false);
    expect((byId.get("spatialedit@s0")!.config as EditorNodeConfig).recipe).toHaveProperty("emaDecay", 0);
    // the paper grid's cached base and Stage I (trained before emaDecay existed) keep their keys
    const paper = keyGrid(editorGrid("paper", [0]));
    expect([key(paper, "base@s0"), key(paper, "stage1@s0")]).toEqual(["c15e44930fa925b6", "d1bc942c663e708a"]);
    // ... and so do its trained Stage II nodes (trained before the edit map and its loss existed)
    expect(["spatialedit@s0", "wo-s1@s0", "mgie@s0"].map((id) => key(paper, id))).toEqual(["c2a6f49ba6e376bd", "f5dc09d34650247b", "daef8899c8db8f4c"]);
    // the edit map changes the edit phases' keys only: base and Stage I are made without it
    const mapped = keyGrid(editorGrid("paper", [0], undefined, { editMap: true }));
    for (const id of ["base@s0", "stage1@s0", "stage1-emb@s0"]) expect(key(mapped, id), id).toBe(key(paper, id));
    for (const id of ["spatialedit@s0", "wo-s1@s0", "mgie@s0", "lgie@s0"]) expect(key(mapped, id), id).not.toBe(key(paper, id));
    expect("editMap" in (mapped.find((n) => n.id === "stage1@s0")!.config as EditorNodeConfig).editor).toBe(false);
    // every training node carries the training code's version in its key
    for (const n of nodes.filter((x) => x.kind.startsWith("editor-") && x.kind !== "editor-eval" && x.kind !== "editor-vqa")) expect(n.version, n.id).toBe(EDITOR_TRAIN_VERSION);
  });

  it("states the Stage II claims from the evaluations' per-item object-judge scores over seeds, and the verdict flips with the numbers", () => {
    type Evals = Parameters<typeof stage2GridSummary>[0];
    const evalOf = (row: string, seed: number, scores: number[]): Evals[number] => ({
      id: `${row}@s${seed}`,
      row,
      seed,
      benchmark: "spatialeval",
      metrics: {},
      items: scores.map((x, i) => ({ item: `i${i}`, type: "perception", metrics: { "object judge": x, "pixel agreement (masked)": 0.5 } })),
    });
    const n = 40;
    const high = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0.5));
    const low = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0.5 : 0));
    const grid = (se: number[], other: number[]): Evals =>
      [0, 1].flatMap((seed) => [evalOf(VARIANT_ROWS.spatialedit, seed, se), evalOf(VARIANT_ROWS["wo-s1"], seed, other), evalOf(VARIANT_ROWS.mgie, seed, other)]);
    const holds = stage2GridSummary(grid(high, low), 300)!;
    const measured = (vs: typeof holds.verdicts) => vs.filter((v) => v.verdict !== "not measured");
    expect(measured(holds.verdicts).map((v) => `${v.a} > ${v.b}: ${v.verdict}`)).toEqual([`${VARIANT_ROWS.spatialedit} > ${VARIANT_ROWS["wo-s1"]}: holds`, `${VARIANT_ROWS.spatialedit} > ${VARIANT_ROWS.mgie}: holds`]);
    expect(holds.verdicts.map((v) => v.b)).toEqual(["wo-s1", "wo-s2", "mgie", "wo-de", "finetune", "ip2p", "lora"].map((v) => VARIANT_ROWS[v]));
    expect(holds.seeds[VARIANT_ROWS.spatialedit]).toEqual([0, 1]);
    expect(holds.verdicts[0].ours!.diff).toBeCloseTo(0.75 - 0.125, 12);
    expect(holds.text).toContain("- Stage I helps: SpatialEdit > SpatialEdit w/o S1: reproduces (holds; over seeds 0, 1).");
    expect(holds.text).toContain("- the data engine helps: SpatialEdit > SpatialEdit w/o DE: not measured (no finished evaluation of SpatialEdit w/o DE).");
    const reversed = stage2GridSummary(grid(low, high), 300)!;
    expect(measured(reversed.verdicts).map((v) => v.verdict)).toEqual(["reversed", "reversed"]);
    expect(reversed.text).toContain("beats MGIE-like: SpatialEdit > MGIE: reversed");
    // without MGIE-like's evaluation that claim is not measured
    const partial = stage2GridSummary(grid(high, low).filter((e) => e.row !== VARIANT_ROWS.mgie), 300)!;
    expect(partial.verdicts[2].verdict).toBe("not measured");
    // a baseline finished at one seed only is compared at that seed: seed 1 of SpatialEdit does not enter its verdict
    const oneSeed = [evalOf(VARIANT_ROWS.spatialedit, 0, high), evalOf(VARIANT_ROWS.spatialedit, 1, low), evalOf(VARIANT_ROWS.ip2p, 0, low)];
    const ip2p = stage2GridSummary(oneSeed, 300)!.verdicts.find((v) => v.b === VARIANT_ROWS.ip2p)!;
    expect(ip2p.ours!.diff).toBeCloseTo(0.75 - 0.125, 12);
    expect(ip2p.ours!.paired).toBe(true);
    expect(stage2GridSummary(oneSeed, 300)!.text).toContain("SpatialEdit > InsPix2Pix: reproduces (holds; over seeds 0).");
    const noCommon = stage2GridSummary([evalOf(VARIANT_ROWS.spatialedit, 1, high), evalOf(VARIANT_ROWS.ip2p, 0, low)], 300)!;
    expect(noCommon.text).toContain("SpatialEdit > InsPix2Pix: not measured (no seed that both have finished).");
    expect(stage2GridSummary([])).toBeNull();
    expect(() => stage2GridSummary([{ ...evalOf(VARIANT_ROWS.spatialedit, 0, high), items: [] }])).toThrow(`stage2GridSummary: evaluation '${VARIANT_ROWS.spatialedit}@s0' has no per-item scores`);
  });

  it("tests Appendix O's R2 and R3 from the per-layer evaluations at the seeds that have all three, and the verdicts flip with the numbers", () => {
    type Evals = Parameters<typeof stage2GridSummary>[0]; // the report's evaluations, as --report passes them
    const n = 40;
    const evalOf = (part: string, seed: number, background: number, region: number): Evals[number] => ({
      id: `eval-${part}@s${seed}`,
      row: VARIANT_ROWS[part],
      seed,
      benchmark: "spatialeval",
      metrics: { "object judge": { mean: 0.01, n }, "L1 (background)": { mean: background, n }, "L1 (edit region)": { mean: region, n } },
      items: Array.from({ length: n }, (_, i) => ({ item: `i${i}`, type: "perception", metrics: { "L1 (background)": background + (i % 5) / 1000, "L1 (edit region)": region + (i % 3) / 1000 } })),
    });
    // the paper's reading: middle keeps the background best, deep renders the edit best; seed 2 lacks the deep variant
    const paperLike: Evals = [0, 1].flatMap((s) => [evalOf("shallow", s, 0.2, 0.5), evalOf("middle", s, 0.1, 0.5), evalOf("deep", s, 0.2, 0.3), evalOf("spatialedit", s, 0.15, 0.4)]);
    paperLike.push(evalOf("shallow", 2, 0.9, 0.9), evalOf("middle", 2, 0.9, 0.9), { ...evalOf("deep", 2, 0.2, 0.3), benchmark: "general" });
    const holds = layerGridSummary(paperLike, 300)!;
    expect(holds.seeds).toEqual([0, 1]);
    expect(holds.items).toBe(2 * n);
    expect(holds.readings.map((r) => `${r.reading} ${r.verdict}`)).toEqual(["R2 holds", "R3 holds"]);
    expect(holds.means.map((m) => m.variant)).toEqual(["shallow layers", "middle layers", "deep layers", "all layers (SpatialEdit)"]);
    expect(holds.means[1].m["L1 (background)"]).toBeCloseTo(0.1, 12);
    expect(holds.text).toContain("Appendix O from the evaluations at seeds 0, 1 (80 paired items; R1 needs the trained weights: notebook 07):");
    expect(holds.text).toContain("**R2** (middle layers handle the background");
    expect(holds.text).toContain("lowest background L1: middle layers (0.1000)");
    const flipped = layerGridSummary([0, 1].flatMap((s) => [evalOf("shallow", s, 0.1, 0.3), evalOf("middle", s, 0.2, 0.5), evalOf("deep", s, 0.2, 0.5), evalOf("spatialedit", 0, 0.15, 0.4)].slice(0, s === 0 ? 4 : 3)), 300)!;
    expect(flipped.readings.map((r) => r.verdict)).toEqual(["reversed", "reversed"]);
    expect(flipped.means[3].variant).toBe("all layers (SpatialEdit) (seeds 0)");
    expect(layerGridSummary(paperLike.filter((e) => !e.id.startsWith("eval-middle")), 300)).toBeNull();
    expect(() => layerGridSummary([{ ...evalOf("shallow", 0, 0.1, 0.1), items: [] }, evalOf("middle", 0, 0.1, 0.1), evalOf("deep", 0, 0.1, 0.1)])).toThrow("layerGridSummary: evaluation 'eval-shallow@s0' has no per-item scores");
  });

  it("runs base -> stage1 -> SpatialEdit -> evaluation on tiny, then serves it from the cache", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "editor-grid-"));
    const cache = new GridCache(dir);
    const nodes = keyGrid(editorGrid("tiny"));
    const n0 = tf.memory().numTensors;
    const first = await runGrid(nodes, { cache, runner: inlineRunner(cache), jobs: 1, only: ["eval-spatialedit@s0"], silent: true });
    expect(first.jobs.map((j) => `${j.id}:${j.status}`)).toEqual(["base@s0:ran", "stage1@s0:ran", "spatialedit@s0:ran", "eval-spatialedit@s0:ran"]);
    expect(tf.memory().numTensors).toBe(n0);
    const evalKey = nodes.find((n) => n.id === "eval-spatialedit@s0")!.key;
    const summary = (cache.done(evalKey)!.summary as { summary: Record<string, { mean: number; n: number }> }).summary;
    expect(summary["object judge"].n).toBeGreaterThan(0);
    expect(summary["object judge"].mean).toBeGreaterThanOrEqual(0);
    // the trained variant gets the independent network's feature similarity too, and its edits are stored:
    // scored again without the editor, they give the node's per-item scores
    expect(summary["feature sim (MobileNetV2)"].n).toBe(summary.L1.n);
    const bench = ensureBenchmark("spatialeval", "tiny");
    const stored = readEdits(cache.outDir(evalKey));
    expect(stored.size).toBe(bench.items.length);
    const items = (cache.done(evalKey)!.summary as { items: ItemScores[] }).items;
    const rescored = await evaluate(storedEditor("SpatialEdit", stored), bench, { seed: 0 });
    expect(rescored.items.map((x) => x.metrics["object judge"])).toEqual(items.map((x) => x.metrics["object judge"]));
    expect(rescored.items.map((x) => x.metrics.SSIM)).toEqual(items.map((x) => x.metrics.SSIM));
    const again = await runGrid(nodes, { cache, runner: inlineRunner(cache), jobs: 1, only: ["eval-spatialedit@s0"], silent: true });
    expect(again.jobs.every((j) => j.status === "cached")).toBe(true);
    // every training phase records its tensors and RSS per step: the tensor count is flat over the phase
    const report = editorGridReport(nodes, cache);
    const trained = report.training.filter((t) => ["base@s0", "stage1@s0", "spatialedit@s0"].includes(t.id));
    expect(trained.length).toBe(3);
    for (const t of trained) {
      expect(t.memory!.samples).toBe(t.steps);
      expect(t.memory!.tensorsLast).toBe(t.memory!.tensorsFirst);
      expect(t.memory!.rssMaxMiB).toBeGreaterThan(0);
    }
    // committed records: a clone without the cache rebuilds the same report from them
    const results = process.env.SPATIALEDIT_RESULTS_DIR;
    process.env.SPATIALEDIT_RESULTS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "editor-grid-results-")); // provenance's diff of a dirty tree goes there
    try {
      const recordsDir = fs.mkdtempSync(path.join(os.tmpdir(), "editor-grid-records-"));
      expect(exportGridRecords("tiny", nodes, cache, { dir: recordsDir }).written.length).toBe(4);
      const fromRecords = editorGridReport(nodes, new GridCache(fs.mkdtempSync(path.join(os.tmpdir(), "editor-grid-empty-"))), new GridRecords(recordsDir));
      expect(fromRecords.evaluations).toEqual(report.evaluations);
      expect(fromRecords.training).toEqual(report.training);
      expect(fromRecords.fromRecords).toEqual(["base@s0", "stage1@s0", "spatialedit@s0", "eval-spatialedit@s0"]);
    } finally {
      if (results === undefined) delete process.env.SPATIALEDIT_RESULTS_DIR;
      else process.env.SPATIALEDIT_RESULTS_DIR = results;
    }
  }, 300_000);

  it("the InsPix2Pix-like baseline trains only the edit head and the denoiser, from the frozen base read as a text encoder, and is evaluated", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "editor-grid-ip2p-"));
    const cache = new GridCache(dir);
    const nodes = keyGrid(editorGrid("tiny"));
    const r = await runGrid(nodes, { cache, runner: inlineRunner(cache), jobs: 1, only: ["eval-ip2p@s0", "eval-general-ip2p@s0"], silent: true });
    expect(r.jobs.map((j) => `${j.id}:${j.status}`).sort()).toEqual(["base@s0:ran", "eval-general-ip2p@s0:ran", "eval-ip2p@s0:ran", "ip2p@s0:ran"]);
    const evals = editorGridReport(nodes, cache).evaluations.map((e) => `${e.row}|${e.benchmark}`).sort();
    expect(evals).toEqual(["InsPix2Pix|general", "InsPix2Pix|spatialeval"]);
    const base = fromPretrained(cache.outDir(nodes.find((n) => n.id === "base@s0")!.key));
    const ip2p = fromPretrained(cache.outDir(nodes.find((n) => n.id === "ip2p@s0")!.key));
    const changed = Object.keys(base.params).filter((k) => {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(base.params[k], ip2p.params[k]))).dataSync()[0]);
      return d > 0;
    });
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((k) => k.startsWith("edit.") || k.startsWith("dn."))).toBe(true);
    disposeParams(base.params);
    disposeParams(ip2p.params);
    const summary = (cache.done(nodes.find((n) => n.id === "eval-ip2p@s0")!.key)!.summary as { row: string }).row;
    expect(summary).toBe("InsPix2Pix");
  }, 300_000);

  it("scores held-out VQA of Stage I on tiny (cached parents are reused), and the report lists it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "editor-grid-vqa-"));
    const cache = new GridCache(dir);
    const nodes = keyGrid(editorGrid("tiny"));
    const n0 = tf.memory().numTensors;
    const r = await runGrid(nodes, { cache, runner: inlineRunner(cache), jobs: 1, only: ["vqa-*"], silent: true });
    expect(r.jobs.map((j) => `${j.id}:${j.status}`).sort()).toEqual(["base@s0:ran", "stage1-emb@s0:ran", "stage1@s0:ran", "vqa-base@s0:ran", "vqa-stage1-emb@s0:ran", "vqa-stage1@s0:ran"]);
    expect(tf.memory().numTensors).toBe(n0);
    const report = editorGridReport(nodes, cache);
    expect(report.vqa.map((v) => v.row).sort()).toEqual(Object.values(VQA_ROWS).sort());
    for (const v of report.vqa) {
      expect(v.score.overall.n).toBe(v.score.families.reduce((a, f) => a + f.n, 0));
      expect(v.score.overall.n).toBeGreaterThan(0);
    }
    const s1 = stage1GridSummary(report.vqa, 200)!;
    expect(s1.seeds).toEqual([0]);
    expect(s1.comparisons.map((c) => `${c.a} vs ${c.b}`)).toEqual(STAGE1_PAIRS.map(([a, b]) => `${a} vs ${b}`));
    for (const c of s1.comparisons) expect(c.paired).toBe(true);
    expect(s1.conclusion).toContain("The paper's claim");
    expect(stage1GridSummary([])).toBeNull();
  }, 300_000);
});
