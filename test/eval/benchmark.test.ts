import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { CORE_PRESETS, PROFILE_NAMES } from "../../lib/core";
import { buildScene, dataEngineConfig, DatasetWriter, stableJson } from "../../lib/data";
import {
  BENCHMARK_SEEDS,
  benchmarkConfig,
  benchmarkDir,
  checkTrainingSeed,
  contentHash,
  generateBenchmark,
  loadBenchmark,
  rangesDisjoint,
  sceneChanges,
  SEED_RANGES,
  SPATIAL_TYPES,
  TYPE_FAMILIES,
  inRange,
} from "../../lib/eval";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eval-bench-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tiny = benchmarkConfig("tiny");

describe("held-out seeds", () => {
  it("training and held-out ranges are disjoint, and every benchmark seed is held out", () => {
    expect(rangesDisjoint(SEED_RANGES.training, SEED_RANGES.heldOut)).toBe(true);
    for (const s of Object.values(BENCHMARK_SEEDS)) {
      expect(inRange(s, SEED_RANGES.heldOut)).toBe(true);
      expect(inRange(s, SEED_RANGES.training)).toBe(false);
    }
    expect(rangesDisjoint({ from: 0, to: 10 }, { from: 10, to: 20 })).toBe(false);
  });
  it("the profiles' training seed is a training seed; a held-out seed is refused for training", () => {
    for (const p of PROFILE_NAMES) expect(checkTrainingSeed(CORE_PRESETS[p].seed)).toBe(CORE_PRESETS[p].seed);
    expect(() => checkTrainingSeed(BENCHMARK_SEEDS.spatialEval)).toThrow(
      "checkTrainingSeed: training data seed 2000000001 is outside 0..999999; seeds 2000000000..2000999999 are held out for the benchmarks",
    );
    expect(() => generateBenchmark("spatialeval", path.join(tmp, "bad"), tiny, 1234)).toThrow("checkHeldOutSeed: benchmark seed 1234 is outside the held-out range 2000000000..2000999999");
  });
  it("no scene of the committed quick SpatialEval-mini appears in the quick training data", () => {
    const bench = loadBenchmark(benchmarkDir("spatialeval", "quick"), { verifyTruth: false });
    const cfg = dataEngineConfig("quick");
    const train = new Set<string>();
    for (let k = 0; k < cfg.scenes; k++) train.add(stableJson(buildScene(k, CORE_PRESETS.quick.seed, cfg).scene.objects));
    const overlap = bench.items.filter((it) => train.has(stableJson(it.sourceScene.objects)));
    expect(train.size).toBe(cfg.scenes);
    expect(overlap.map((it) => it.id)).toEqual([]);
  });
});

describe("SpatialEval-mini", () => {
  const a = generateBenchmark("spatialeval", path.join(tmp, "s1"), tiny, BENCHMARK_SEEDS.spatialEval);
  it("has scenes x 3 items, one of each type per scene, from the mapped families", () => {
    expect(a.items.length).toBe(tiny.spatialScenes * 3);
    const byScene = new Map<number, string[]>();
    for (const it of a.items) byScene.set(it.scene, [...(byScene.get(it.scene) ?? []), it.type]);
    for (const types of byScene.values()) expect(types).toEqual([...SPATIAL_TYPES]);
    for (const it of a.items) expect(TYPE_FAMILIES[it.type as (typeof SPATIAL_TYPES)[number]]).toContain(it.family);
  });
  it("each item's targets are exactly the objects its edited scene changes", () => {
    for (const it of a.items) expect(sceneChanges(it.sourceScene, it.editedScene!).map((c) => c.id)).toEqual([...it.targets].sort((x, y) => x - y));
  });
  it("is deterministic: the same seed writes the same bytes (content hash)", () => {
    const b = generateBenchmark("spatialeval", path.join(tmp, "s2"), tiny, BENCHMARK_SEEDS.spatialEval);
    expect(b.contentHash).toBe(a.contentHash);
    expect(a.manifest.extra.contentHash).toBe(a.contentHash);
    const c = generateBenchmark("spatialeval", path.join(tmp, "s3"), tiny, BENCHMARK_SEEDS.spatialEval + 7);
    expect(c.contentHash).not.toBe(a.contentHash);
  });
  it("the validation set (its own held-out seed) shares no scene with SpatialEval-mini", () => {
    const v = generateBenchmark("spatialeval", path.join(tmp, "val"), tiny, BENCHMARK_SEEDS.spatialEvalValidation);
    const test = new Set(a.items.map((it) => stableJson(it.sourceScene.objects)));
    expect(v.items.length).toBe(a.items.length);
    expect(v.items.filter((it) => test.has(stableJson(it.sourceScene.objects))).map((it) => it.id)).toEqual([]);
  });
  it("the committed quick and paper files are what the generator writes today", () => {
    for (const profile of ["quick", "paper"]) {
      const committed = loadBenchmark(benchmarkDir("spatialeval", profile), { verifyTruth: false });
      const fresh = generateBenchmark("spatialeval", path.join(tmp, `fresh-${profile}`), benchmarkConfig(profile), BENCHMARK_SEEDS.spatialEval);
      expect(fresh.contentHash).toBe(committed.contentHash);
    }
    expect(loadBenchmark(benchmarkDir("spatialeval", "paper"), { verifyTruth: false }).items.length).toBe(270);
  });
  it("a changed file is refused with a clear error", () => {
    const dir = path.join(tmp, "s2");
    const img = path.join(dir, "train", a.items[0].id.replace(/-.*/, "-src.png").replace(/^/, "images/"));
    const bytes = fs.readFileSync(img);
    bytes[bytes.length - 20] ^= 1;
    fs.writeFileSync(img, bytes);
    expect(() => loadBenchmark(dir)).toThrow(/^loadBenchmark: .*s2 has changed since it was written \(content hash [0-9a-f]{16}, manifest [0-9a-f]{16}\); regenerate it$/);
  });
});

describe("general-editing set", () => {
  const g = generateBenchmark("general", path.join(tmp, "g1"), tiny, BENCHMARK_SEEDS.generalEdit);
  it("holds only non-spatial edits with exact ground truth", () => {
    expect(g.items.length).toBe(tiny.generalScenes * tiny.generalPerScene);
    for (const it of g.items) {
      expect(["attribute", "global", "photometric"]).toContain(it.type);
      expect(it.family).toBeNull();
      expect((it.editedScene === null) !== (it.pixelOp === null)).toBe(true);
    }
    expect(g.items.filter((it) => it.spatialByClassifier)).toEqual([]);
  });
});

describe("bad input", () => {
  it("config: zero scenes, unknown key", () => {
    expect(() => benchmarkConfig("tiny", { spatialScenes: 0 })).toThrow("benchmark: spatialScenes must be an integer >= 1, got 0");
    expect(() => benchmarkConfig("tiny", { scenes: 3 } as never)).toThrow("benchmark (profile 'tiny'): unknown config key 'scenes'");
    expect(() => benchmarkDir("vqa" as never, "quick")).toThrow("benchmarkDir: unknown benchmark 'vqa'; known: spatialeval, general");
  });
  it("an empty benchmark is refused", () => {
    const dir = path.join(tmp, "empty");
    const w = DatasetWriter.open(dir, { name: "spatialeval-mini", config: {}, seed: BENCHMARK_SEEDS.spatialEval });
    w.commit({ records: [], files: [] });
    w.finish({ benchmark: "spatialeval", contentHash: contentHash(dir) });
    expect(() => loadBenchmark(dir)).toThrow(`loadBenchmark: ${dir} has no items`);
  });
  it("a folder that is not a benchmark is refused", () => {
    const dir = path.join(tmp, "notbench");
    const w = DatasetWriter.open(dir, { name: "x", config: {}, seed: 1 });
    w.finish({});
    expect(() => loadBenchmark(dir)).toThrow(`loadBenchmark: ${dir} is not a benchmark (manifest.extra.benchmark is undefined)`);
  });
});
