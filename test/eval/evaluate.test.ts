import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core";
import { dataEngineConfig, genericConfig } from "../../lib/data";
import {
  BENCHMARK_SEEDS,
  benchmarkConfig,
  buildTable,
  Editor,
  engineRecords,
  evalConfig,
  evaluate,
  executeInstruction,
  generateBenchmark,
  genericRecords,
  identityEditor,
  judgeConfig,
  measureQuality,
  oracleEditor,
  readEvalRuns,
  writeEvalRuns,
  runMeasurements,
  TABLE1_SPEC,
  tfFeatureExtractor,
} from "../../lib/eval";
import { truthExtraction } from "../../lib/data";
import { renderScene } from "../../lib/world";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eval-run-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});
const bench = generateBenchmark("spatialeval", path.join(tmp, "s"), benchmarkConfig("tiny"), BENCHMARK_SEEDS.spatialEval);
const general = generateBenchmark("general", path.join(tmp, "g"), benchmarkConfig("tiny"), BENCHMARK_SEEDS.generalEdit);
const cfg = judgeConfig("tiny");
const means = tfFeatureExtractor((x) => x.mean([1, 2]) as tf.Tensor2D, { name: "feature sim (ours)", dim: 3 });

describe("evaluate with the reference editors (Table 1 sanity rows)", () => {
  it("oracle scores 1 and identity 0 on the object and perception judges; Table 1 shows them", async () => {
    const before = tf.memory().numTensors;
    const oracle = await evaluate(oracleEditor(), bench, { seed: 0, judges: cfg, features: [means] });
    const identity = await evaluate(identityEditor(), bench, { seed: 0, judges: cfg, features: [means] });
    expect(tf.memory().numTensors).toBe(before);
    expect(oracle.summary).toMatchObject({ "object judge": { mean: 1, n: 12 }, "pixel agreement (masked)": { mean: 1 }, L1: { mean: 0 }, SSIM: { mean: 1 } });
    expect(oracle.summary["feature sim (ours)"].mean).toBeCloseTo(1, 6);
    expect(oracle.summary["perception judge"].mean).toBe(1);
    expect(identity.summary["object judge"]).toEqual({ mean: 0, n: 12 });
    // the judge's two factors: the oracle does and keeps everything; the source does nothing instructed
    expect([oracle.summary["object judge: done"], oracle.summary["object judge: kept"]]).toEqual([{ mean: 1, n: 12 }, { mean: 1, n: 12 }]);
    expect(identity.summary["object judge: done"]).toEqual({ mean: 0, n: 12 });
    expect(identity.summary["perception judge"].mean).toBe(0);
    expect(identity.summary.L1.mean).toBeGreaterThan(0);
    const ms = [...runMeasurements(oracle, TABLE1_SPEC.metrics.map((m) => m.ours)), ...runMeasurements(identity, TABLE1_SPEC.metrics.map((m) => m.ours))];
    const t = buildTable(TABLE1_SPEC, ms, { rng: new Rng(1), resamples: 200 });
    expect(t.rows.find((r) => r.method === "oracle")).toMatchObject({ "object judge (ours)": 1, "perception judge (ours)": 1, "object judge CI lo": 1 });
    expect(t.rows.find((r) => r.method === "identity")).toMatchObject({ "object judge (ours)": 0, "perception judge (ours)": 0, "object judge CI hi": 0 });
  });
  it("runs are written to a results file and read back (the cache a row is recomputed from)", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "results-"));
    const old = process.env.SPATIALEDIT_RESULTS_DIR;
    process.env.SPATIALEDIT_RESULTS_DIR = dir;
    try {
      const run = await evaluate(identityEditor(), bench, { seed: 4, judges: cfg });
      const file = writeEvalRuns("eval-test", [run], { judges: cfg });
      expect(file).toBe(path.join(dir, "eval-test.json"));
      expect(readEvalRuns("eval-test")).toEqual([JSON.parse(JSON.stringify(run))]);
      expect(() => readEvalRuns("missing")).toThrow("readEvalRuns: results/missing.json does not exist; run the evaluation first");
      expect(() => writeEvalRuns("eval-test", [], {})).toThrow("writeEvalRuns: no runs to write");
    } finally {
      if (old === undefined) delete process.env.SPATIALEDIT_RESULTS_DIR;
      else process.env.SPATIALEDIT_RESULTS_DIR = old;
    }
  });
  it("general set: photometric items carry pixel metrics but no object judge", async () => {
    const run = await evaluate(oracleEditor(), general, { seed: 0, judges: cfg });
    const photo = run.items.filter((x) => x.type === "photometric");
    expect(photo.length).toBeGreaterThan(0);
    for (const p of photo) {
      expect(p.metrics["object judge"]).toBeUndefined();
      expect(p.metrics.L1).toBe(0);
    }
  });
  it("batched editors are used in batches; async editors are awaited", async () => {
    const sizes: number[] = [];
    const batched: Editor = {
      name: "oracle",
      edit: () => {
        throw new Error("not used");
      },
      async editBatch(reqs) {
        sizes.push(reqs.length);
        return reqs.map((r) => r.item!.truth);
      },
    };
    const run = await evaluate(batched, bench, { seed: 3, judges: cfg, batchSize: 5 });
    expect(sizes).toEqual([5, 5, 2]);
    expect(run.summary["object judge"].mean).toBe(1);
    const slow: Editor = { name: "identity", edit: async (r) => r.source };
    expect((await evaluate(slow, bench, { seed: 0, judges: cfg })).summary["object judge"].mean).toBe(0);
  });
  it("bad input: empty benchmark, bad editor output, no editor, oracle without the record", async () => {
    await expect(evaluate(oracleEditor(), { ...bench, items: [] }, { seed: 0 })).rejects.toThrow(`evaluate: benchmark ${bench.dir} has no items`);
    const broken: Editor = { name: "broken", edit: () => ({ width: 32, height: 32, data: new Uint8Array(10) }) };
    await expect(evaluate(broken, bench, { seed: 0, judges: cfg })).rejects.toThrow(`evaluate: editor 'broken' on ${bench.items[0].id}: image data has 10 values, expected 32x32x3 = 3072`);
    await expect(evaluate({} as Editor, bench, { seed: 0 })).rejects.toThrow("evaluate: editor must implement Editor { name, edit(request) }");
    expect(() => oracleEditor().edit({ source: bench.items[0].source, instruction: "x" })).toThrow("oracleEditor: needs the benchmark record (request.item) to read the ground truth");
    expect(() => evalConfig("tiny", { batchSize: 0 })).toThrow("eval: batchSize must be an integer >= 1, got 0");
  });
});

describe("Table 4 analogue: data quality measures", () => {
  it("the engine's oracle data is exact and spatial; generic data is exact and mostly non-spatial", () => {
    const ec = dataEngineConfig("tiny");
    const oracle = measureQuality("engine", engineRecords(ec, 1234, 6), ec);
    expect(oracle.records).toBeGreaterThan(5);
    expect(oracle.groundTruthExact.share).toBe(1);
    expect(oracle.parsesToOneReferent.share).toBe(1);
    expect(oracle.spatial.share).toBe(1);
    const gc = genericConfig("tiny");
    const generic = measureQuality("generic", genericRecords(gc, 1234), gc);
    expect(generic.groundTruthExact.share).toBe(1);
    expect(generic.spatial.share).toBeLessThan(0.3);
  });
  it("a record whose ground truth is not the instruction's edit is counted as not exact, with the reason", () => {
    const ec = dataEngineConfig("tiny");
    const recs = engineRecords(ec, 1234, 3);
    const other = recs.find((r) => r.scene.objects.length >= 2)!;
    const swapped = { ...other, target: { ...other.target, data: Uint8Array.from(other.target.data, (x, i) => (i < 30 ? 255 - x : x)) } };
    const q = measureQuality("x", [swapped], ec);
    expect(q.groundTruthExact.k).toBe(0);
    expect(q.examples[0]).toMatch(/: the ground truth is not the instruction executed on the truth \(referent \d+(, \d+)*\)$/);
  });
  it("the parser refuses what it cannot read and ambiguous names", () => {
    const it0 = bench.items[0];
    const ex = truthExtraction(it0.sourceScene, renderScene(it0.sourceScene, { width: 32, height: 32 }));
    expect(executeInstruction("paint a moustache on it", it0.sourceScene, ex, { moveStep: 0.6, trendStep: 0.8 })).toEqual({ ok: false, reason: "unparsed", detail: "no action pattern matches 'paint a moustache on it'" });
    const r = executeInstruction("remove the object", it0.sourceScene, ex, { moveStep: 0.6, trendStep: 0.8 });
    expect(r).toEqual({ ok: false, reason: "ambiguous", detail: `${ex.objects.length} objects are 'object'` });
  });
});
