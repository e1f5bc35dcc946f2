/**
 * The two benchmarks, made by the data engine from held-out seeds (paper §5.3; docs/architecture.md §5):
 *
 * SpatialEval-mini: each scene gets one instruction of each of the paper's three types. The
 * paper's benchmark has human-written instructions "related to spatial perception, spatial
 * reasoning, and spatial visualization"; ours are the data engine's templates (Appendix K.1),
 * mapped onto the three types by what answering them takes:
 *   perception     read one spatial attribute off the picture: direction (leftmost, left of X),
 *                  depth (nearest, farthest), contour (biggest/smallest outline);
 *   reasoning      infer or order beyond one reading: volume (real 3D volume, not the outline)
 *                  and rank (the k-th of a group by any key);
 *   visualisation  imagine the scene after a motion: movement (where it will be at the next
 *                  moment, or moved by a magnitude in a direction) — §5.1.3's "visualizing the
 *                  moving object at next moment".
 * Templates are filled from the engine's oracle extraction (its tie tolerances refuse ambiguous
 * referents), and each referent is re-checked on the scene's exact truth; edits with no visible
 * effect are refused. A scene that cannot give all three types is skipped (counted).
 *
 * General editing (Table 2 analogue): non-spatial edits of the generic IPr2Pr-like generator
 * (attribute, global and photometric edits) on held-out scenes.
 *
 * Both are written with the data engine's resumable writer; each unit is one sampled scene
 * (skipped scenes are empty units), so generation is a pure function of (config, seed).
 */
import { projectPath } from "../core/paths";
import { Rng } from "../core/rng";
import type { ExtractionResult, RgbImage } from "../engine/types";
import { isSpatialInstruction } from "../data/classifier";
import { applyPixelOp, makeGenericEdit } from "../data/generic";
import { EDIT_FAMILIES, EDIT_KINDS, makeEdit } from "../data/instructions";
import type { EditFamily, EditSpec } from "../data/instructions";
import { paraphrase } from "../data/paraphrase";
import { perceiveScene } from "../data/perceive";
import { encodePng } from "../data/png";
import { pickByRank, Refused } from "../data/select";
import { truthExtraction } from "../data/truth";
import { Counts, DatasetWriter, readManifest, WriterUnit } from "../data/writer";
import { worldConfig } from "../world/config";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import type { RenderResult, Scene } from "../world/types";
import { BenchmarkConfig } from "./benchmark-config";
import { Benchmark, contentHash, loadBenchmark, SPATIAL_TYPES, SpatialType } from "./benchmark-io";
import { sceneChanges } from "./scene-diff";
import { benchmarkConfig } from "./benchmark-config";
import { benchmarkDir } from "./benchmark-io";
import { l1 } from "./metrics";
import { BENCHMARK_SEEDS, checkHeldOutSeed } from "../data/seeds";

/** Which data-engine families make each SpatialEval type (see the file comment). */
export const TYPE_FAMILIES: Readonly<Record<SpatialType, readonly EditFamily[]>> = {
  perception: ["direction", "depth", "contour"],
  reasoning: ["volume", "rank"],
  visualisation: ["movement"],
};

const pad = (k: number) => String(k).padStart(6, "0");
const imageOf = (r: RenderResult): RgbImage => ({ width: r.width, height: r.height, data: r.rgb });

function inc(c: Counts, group: string, key: string): void {
  const g = (c[group] ??= {});
  g[key] = (g[key] ?? 0) + 1;
}

/** Mean |truth - source| over the pixels of the changed objects (before and after), in [0, 1]; 0 when they cover no pixel. */
export function visibleChange(source: RenderResult, truth: RenderResult, ids: readonly number[]): number {
  const set = new Set(ids);
  let s = 0;
  let n = 0;
  for (let p = 0; p < source.mask.length; p++) {
    if (!set.has(source.mask[p]) && !set.has(truth.mask[p])) continue;
    for (let c = 0; c < 3; c++) s += Math.abs(source.rgb[p * 3 + c] - truth.rgb[p * 3 + c]);
    n += 3;
  }
  return n === 0 ? 0 : s / n / 255;
}

/** Re-checks the rank fact behind a referent on the exact truth; throws Refused when it does not hold. */
function checkOnTruth(spec: EditSpec, truth: ExtractionResult): void {
  const f = spec.referent;
  if (!f) return; // relation and trend forms carry no rank fact
  const group = f.group.map((id) => truth.objects.find((o) => o.id === id));
  if (group.some((o) => o === undefined)) throw new Refused("no_referent", `an object of the referent's group is not visible in the truth`);
  let picked: number;
  try {
    picked = pickByRank(truth, group as NonNullable<(typeof group)[number]>[], f.key, f.dir, f.k).id;
  } catch (e) {
    if (e instanceof Refused) throw new Refused(e.reason, `on the truth: ${e.message}`);
    throw e;
  }
  if (picked !== spec.targets[0]) throw new Refused("no_referent", `the truth picks object ${picked}, the template picked ${spec.targets[0]}`);
}

interface Sampled {
  scene: Scene;
  render: RenderResult;
  rng: Rng;
}

function sample(seed: number, label: string, k: number, cfg: BenchmarkConfig): Sampled {
  const rng = new Rng(seed).fork(`${label}-${k}`);
  const scene = sampleScene(rng.fork("scene"), worldConfig());
  return { scene, render: renderScene(scene, { width: cfg.resolution, height: cfg.resolution }), rng };
}

function baseRecord(id: string, k: number, src: string, tgt: string) {
  return { id, file_name: src, edited_file_name: tgt, scene: k };
}

/** SpatialEval-mini unit of sampled scene k: three records (one per type) or none (skipped). */
export function spatialEvalUnit(k: number, seed: number, cfg: BenchmarkConfig): WriterUnit {
  const { scene, render, rng } = sample(seed, "spatialeval-scene", k, cfg);
  const size = { width: cfg.resolution, height: cfg.resolution };
  const counts: Counts = {};
  const ex = perceiveScene("oracle", scene, render, rng.fork("perception"));
  const truth = truthExtraction(scene, render);
  const opts = { moveStep: cfg.moveStep, trendStep: cfg.trendStep, ...size };
  const picked: { type: SpatialType; spec: EditSpec; target: RenderResult }[] = [];
  for (const type of SPATIAL_TYPES) {
    const tr = rng.fork(`type-${type}`);
    for (let attempt = 0; attempt < cfg.attemptsPerSlot; attempt++) {
      const family = tr.choice(TYPE_FAMILIES[type]);
      const kind = family === "movement" ? "move" : tr.choice(EDIT_KINDS);
      try {
        const spec = makeEdit(scene, ex, tr, family, kind, opts);
        checkOnTruth(spec, truth);
        if (picked.some((p) => p.spec.instruction === spec.instruction)) throw new Refused("not_unique", "the same instruction as another slot of this scene");
        const target = renderScene(spec.edited, size);
        if (visibleChange(render, target, spec.targets) < cfg.minVisibleChange) throw new Refused("no_change", `the edit changes the picture by less than ${cfg.minVisibleChange}`);
        picked.push({ type, spec, target });
        break;
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        inc(counts, "refusal", e.reason);
        inc(counts, "refusal_by_type", `${type}/${e.reason}`);
      }
    }
    if (picked.length === 0 || picked[picked.length - 1].type !== type) {
      inc(counts, "skipped_scene", type);
      return { records: [], files: [], counts };
    }
  }
  const src = `images/s${pad(k)}-src.png`;
  const files: WriterUnit["files"] = [{ path: src, bytes: encodePng(imageOf(render)) }];
  const records = picked.map(({ type, spec, target }) => {
    const tgt = `images/s${pad(k)}-${type}.png`;
    files.push({ path: tgt, bytes: encodePng(imageOf(target)) });
    const text = cfg.paraphrase ? paraphrase(spec.instruction, rng.fork(`para-${type}`), { pSwap: cfg.pSwap }) : spec.instruction;
    inc(counts, "type", type);
    inc(counts, "family", spec.family);
    inc(counts, "kind", spec.kind);
    inc(counts, "type_family", `${type}/${spec.family}`);
    return {
      ...baseRecord(`s${pad(k)}-${type}`, k, src, tgt),
      type,
      family: spec.family,
      kind: spec.kind,
      form: spec.form,
      instruction: text,
      template_instruction: spec.instruction,
      language_condition: spec.condition,
      targets: spec.targets,
      params: spec.params,
      spatial_by_classifier: isSpatialInstruction(text),
      source_scene: scene,
      edited_scene: spec.edited,
      pixel_op: null,
    };
  });
  inc(counts, "scenes", "accepted");
  return { records, files, counts };
}

/** General-editing unit of sampled scene k: `generalPerScene` non-spatial edits (refused slots are counted, not written). */
export function generalEditUnit(k: number, seed: number, cfg: BenchmarkConfig): WriterUnit {
  const { scene, render, rng } = sample(seed, "general-scene", k, cfg);
  const ex = truthExtraction(scene, render);
  const source = imageOf(render);
  const counts: Counts = {};
  const src = `images/g${pad(k)}-src.png`;
  const files: WriterUnit["files"] = [];
  const records: Record<string, unknown>[] = [];
  const er = rng.fork("edit");
  const seen = new Set<string>();
  for (let i = 0; i < cfg.generalPerScene; i++) {
    for (let attempt = 0; attempt < cfg.attemptsPerSlot; attempt++) {
      try {
        const g = makeGenericEdit(scene, ex, er, cfg.resolution, cfg.resolution);
        if (seen.has(g.instruction)) throw new Refused("not_unique", "the same instruction as another edit of this scene");
        const targetRender = g.edited ? renderScene(g.edited, { width: cfg.resolution, height: cfg.resolution }) : null;
        const truth = targetRender ? imageOf(targetRender) : applyPixelOp(source, g.pixelOp!);
        const targets = g.edited ? sceneChanges(scene, g.edited).map((c) => c.id) : [];
        const change = targetRender ? visibleChange(render, targetRender, targets) : l1(truth, source);
        if (change < cfg.minVisibleChange) throw new Refused("no_change", `the edit changes the picture by less than ${cfg.minVisibleChange}`);
        seen.add(g.instruction);
        const tgt = `images/g${pad(k)}-e${i}.png`;
        files.push({ path: tgt, bytes: encodePng(truth) });
        const text = cfg.paraphrase ? paraphrase(g.instruction, rng.fork(`para-${i}`), { pSwap: cfg.pSwap }) : g.instruction;
        inc(counts, "type", g.type);
        records.push({
          ...baseRecord(`g${pad(k)}-e${i}`, k, src, tgt),
          type: g.type,
          family: null,
          kind: null,
          form: null,
          instruction: text,
          template_instruction: g.instruction,
          language_condition: g.condition,
          targets,
          params: g.pixelOp ? { op: g.pixelOp } : {},
          spatial_by_classifier: isSpatialInstruction(text),
          source_scene: scene,
          edited_scene: g.edited ?? null,
          pixel_op: g.pixelOp ?? null,
        });
        break;
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        inc(counts, "refusal", e.reason);
      }
    }
  }
  if (records.length > 0) files.unshift({ path: src, bytes: encodePng(source) });
  return { records, files, counts };
}

/**
 * Writes (or resumes, or just loads when finished) a benchmark under `dir` and returns it.
 * `seed` must be a held-out seed (seeds.ts).
 */
export function generateBenchmark(kind: "spatialeval" | "general", dir: string, cfg: BenchmarkConfig, seed: number): Benchmark {
  checkHeldOutSeed(seed);
  const spatial = kind === "spatialeval";
  const wanted = spatial ? cfg.spatialScenes * SPATIAL_TYPES.length : cfg.generalScenes * cfg.generalPerScene;
  const config = { benchmark: cfg, world: worldConfig(), kind };
  const w = DatasetWriter.open(dir, { name: spatial ? "spatialeval-mini" : "general-edit", config, seed });
  if (!w.finished) {
    const maxUnits = (spatial ? cfg.spatialScenes : cfg.generalScenes) * cfg.maxSceneFactor;
    // spatial: stop at `spatialScenes` accepted scenes; general: at `generalScenes` sampled scenes
    const done = () => (spatial ? w.committedRecords >= wanted : w.committedUnits >= cfg.generalScenes);
    while (!done()) {
      if (w.committedUnits >= maxUnits) throw new Error(`generateBenchmark: only ${w.committedRecords} of ${wanted} ${kind} items after ${maxUnits} scenes; raise maxSceneFactor or attemptsPerSlot`);
      const k = w.committedUnits;
      w.commit(spatial ? spatialEvalUnit(k, seed, cfg) : generalEditUnit(k, seed, cfg));
    }
    const families = spatial ? Object.fromEntries(SPATIAL_TYPES.map((t) => [t, [...TYPE_FAMILIES[t]]])) : null;
    w.finish({ benchmark: kind, paper: spatial ? "SpatialEval (§5.3): 90 images x 3 instructions" : "general editing (Table 2 analogue)", typeFamilies: families, allFamilies: [...EDIT_FAMILIES], contentHash: contentHash(dir) });
  }
  readManifest(dir);
  return loadBenchmark(dir);
}

/**
 * The committed benchmark of `kind` for `profile` (`data/benchmarks/<kind>-<profile>`), written
 * first if it is not there yet, from its held-out seed (seeds.ts) and the profile's preset.
 */
export function ensureBenchmark(kind: "spatialeval" | "general", profile: string): Benchmark {
  const seed = kind === "spatialeval" ? BENCHMARK_SEEDS.spatialEval : BENCHMARK_SEEDS.generalEdit;
  return generateBenchmark(kind, benchmarkDir(kind, profile), benchmarkConfig(profile), seed);
}

/**
 * The validation set (`data/benchmarks/spatialeval-validation-<profile>`): made like SpatialEval-mini
 * from its own held-out seed (other scenes), for choosing settings; SpatialEval-mini stays the test set.
 */
export function ensureValidationBenchmark(profile: string): Benchmark {
  return generateBenchmark("spatialeval", projectPath(`data/benchmarks/spatialeval-validation-${profile}`), benchmarkConfig(profile), BENCHMARK_SEEDS.spatialEvalValidation);
}
