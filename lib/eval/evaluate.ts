/**
 * The evaluation runner (paper §7; docs/architecture.md §5): an editor on a benchmark -> per-item judge
 * scores and pixel metrics, written to a results file. Any `Editor` plugs in (the trained
 * variants of the editor issue, or the oracle / identity references).
 *
 * Per item (all in [0, 1] except L1, where lower is better):
 *   object judge, perception judge      (left out when not applicable to the item)
 *   object judge: done, object judge: kept   (the two factors of the object judge: share of the
 *                                        instructed objects done, share of the others and the ground kept)
 *   pixel agreement, pixel agreement (masked), L1 (edit region), L1 (background)
 *   L1, SSIM                            (result against the exact ground truth)
 *   <extractor name>                    cosine of the features of result and ground truth
 */
import * as crypto from "crypto";
import { resolveConfig } from "../core/profile";
import { readResult, writeResult } from "../core/results";
import type { DeepPartial, Presets } from "../core/profile";
import type { RgbImage } from "../engine/types";
import type { Benchmark, BenchmarkItem } from "./benchmark-io";
import type { Editor, EditRequest } from "./editor";
import { cosine, FeatureExtractor } from "./features";
import { checkImage, toRgb } from "./image";
import { JudgeConfig, judgeConfig } from "./judge-config";
import { perceptionJudge } from "./judge-perception";
import { atTruthSize, objectJudge, pixelAgreement } from "./judges";
import { l1, ssim } from "./metrics";
import { mean } from "./stats";
import type { Measurement } from "./tables";

export interface EvalConfig {
  /** Items handed to `editBatch` at once (editors without it get one request at a time). */
  batchSize: number;
  /** Square input side of the MobileNetV2 features (224 as trained; smaller is faster). */
  mobileNetInputSize: number;
  /** Bootstrap resamples of the tables' confidence intervals. */
  bootstrap: number;
}

export const EVAL_PRESETS: Presets<EvalConfig> = {
  tiny: { batchSize: 8, mobileNetInputSize: 64, bootstrap: 200 },
  quick: { batchSize: 16, mobileNetInputSize: 224, bootstrap: 1000 },
  paper: { batchSize: 32, mobileNetInputSize: 224, bootstrap: 2000 },
};

export function evalConfig(profile?: string, overrides?: DeepPartial<EvalConfig>): EvalConfig {
  const c = resolveConfig(EVAL_PRESETS, "eval", profile, overrides);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) throw new Error(`eval: batchSize must be an integer >= 1, got ${c.batchSize}`);
  return c;
}

export interface ItemScores {
  item: string;
  type: string;
  metrics: Record<string, number>;
}

export interface EvalRun {
  method: string;
  seed: number;
  benchmark: string;
  benchmarkHash: string;
  items: ItemScores[];
  /** Mean of each metric over the items that have it, and how many have it. */
  summary: Record<string, { mean: number; n: number }>;
  seconds: number;
}

export interface EvaluateOptions {
  /** The seed of the editor variant (tables show mean and spread over seeds). */
  seed: number;
  judges?: JudgeConfig;
  /** Feature extractors (each adds a metric named by its `name`). */
  features?: FeatureExtractor[];
  batchSize?: number;
  /** Called after each batch (progress bars). */
  onProgress?: (done: number, total: number) => void;
  /** Called with each batch's items and the editor's images for them (to store the edits). */
  onResults?: (items: readonly BenchmarkItem[], results: readonly RgbImage[]) => void;
}

const digest = (img: RgbImage) => crypto.createHash("sha1").update(img.data).update(`${img.width}x${img.height}`).digest("hex");

/** Feature vectors by image content, shared across runs of one process (truths and sources repeat). */
const featureCache = new Map<string, Float32Array>();

async function featuresOf(fx: FeatureExtractor, images: RgbImage[]): Promise<Float32Array[]> {
  const keys = images.map((im) => `${fx.name}|${fx.dim}|${digest(im)}`);
  const missing = [...new Set(keys.filter((k) => !featureCache.has(k)))];
  if (missing.length > 0) {
    const todo = missing.map((k) => images[keys.indexOf(k)]);
    const f = await fx.extract(todo);
    missing.forEach((k, i) => featureCache.set(k, f[i]));
  }
  return keys.map((k) => featureCache.get(k)!);
}

/** Forgets cached features (e.g. after an extractor changed its weights under the same name). */
export function clearFeatureCache(): void {
  featureCache.clear();
}

async function runEditor(editor: Editor, items: BenchmarkItem[]): Promise<RgbImage[]> {
  const reqs: EditRequest[] = items.map((item) => ({ source: item.source, instruction: item.instruction, item }));
  const out = editor.editBatch ? await editor.editBatch(reqs) : await Promise.all(reqs.map((r) => Promise.resolve(editor.edit(r))));
  if (out.length !== items.length) throw new Error(`evaluate: editor '${editor.name}' returned ${out.length} images for ${items.length} requests`);
  return out.map((im, i) => {
    checkImage(im, `evaluate: editor '${editor.name}' on ${items[i].id}`);
    return toRgb(im);
  });
}

/** Runs `editor` on every item of `benchmark` and scores the results (see the file comment). */
export async function evaluate(editor: Editor, benchmark: Benchmark, options: EvaluateOptions): Promise<EvalRun> {
  if (!editor || typeof editor.edit !== "function") throw new Error("evaluate: editor must implement Editor { name, edit(request) }");
  if (benchmark.items.length === 0) throw new Error(`evaluate: benchmark ${benchmark.dir} has no items`);
  if (!Number.isInteger(options.seed)) throw new Error(`evaluate: seed must be an integer, got ${options.seed}`);
  const cfg = options.judges ?? judgeConfig();
  const batch = options.batchSize ?? 16;
  const t0 = Date.now();
  const scores: ItemScores[] = [];
  for (let s = 0; s < benchmark.items.length; s += batch) {
    const items = benchmark.items.slice(s, s + batch);
    const results = await runEditor(editor, items);
    options.onResults?.(items, results);
    const feats = new Map<string, { r: Float32Array[]; t: Float32Array[] }>();
    for (const fx of options.features ?? []) feats.set(fx.name, { r: await featuresOf(fx, results.map((r, i) => toRgb(atTruthSize(r, items[i].truth, "evaluate")))), t: await featuresOf(fx, items.map((it) => it.truth)) });
    items.forEach((item, i) => {
      const r = results[i];
      const m: Record<string, number> = {};
      const o = objectJudge(item, r, cfg);
      if (o.applicable) {
        m["object judge"] = o.score;
        m["object judge: done"] = o.done;
        m["object judge: kept"] = o.kept;
      }
      const p = perceptionJudge(item, r, cfg);
      if (p.applicable) m["perception judge"] = p.score;
      const px = pixelAgreement(item, r, cfg);
      m["pixel agreement"] = px.unmasked;
      m["pixel agreement (masked)"] = px.masked;
      if (Number.isFinite(px.regionL1)) m["L1 (edit region)"] = px.regionL1;
      if (Number.isFinite(px.backgroundL1)) m["L1 (background)"] = px.backgroundL1;
      m.L1 = l1(r, item.truth);
      m.SSIM = ssim(atTruthSize(r, item.truth, "evaluate"), item.truth);
      for (const [name, f] of feats) m[name] = cosine(f.r[i], f.t[i]);
      scores.push({ item: item.id, type: item.type, metrics: m });
    });
    options.onProgress?.(Math.min(s + batch, benchmark.items.length), benchmark.items.length);
  }
  const names = [...new Set(scores.flatMap((x) => Object.keys(x.metrics)))];
  const summary = Object.fromEntries(names.map((n) => {
    const v = scores.map((x) => x.metrics[n]).filter((x) => x !== undefined && Number.isFinite(x));
    return [n, { mean: mean(v), n: v.length }];
  }));
  return { method: editor.name, seed: options.seed, benchmark: benchmark.kind, benchmarkHash: benchmark.contentHash, items: scores, summary, seconds: (Date.now() - t0) / 1000 };
}

/** The run's per-item values as table measurements (only the given metrics, or all). */
export function runMeasurements(run: EvalRun, metrics?: readonly string[], method = run.method): Measurement[] {
  const out: Measurement[] = [];
  for (const it of run.items) {
    for (const [metric, value] of Object.entries(it.metrics)) {
      if (metrics && !metrics.includes(metric)) continue;
      if (Number.isFinite(value)) out.push({ method, metric, seed: run.seed, item: it.item, value });
    }
  }
  return out;
}

/** Writes evaluation runs to `results/<name>.json` (with config, seeds and provenance); returns the path. */
export function writeEvalRuns(name: string, runs: readonly EvalRun[], config: unknown): string {
  if (runs.length === 0) throw new Error("writeEvalRuns: no runs to write");
  return writeResult(name, { config, seed: [...new Set(runs.map((r) => r.seed))], data: { runs } });
}

/** Reads runs written by `writeEvalRuns` (the cache a table row is recomputed from). */
export function readEvalRuns(name: string): EvalRun[] {
  const r = readResult<{ runs: EvalRun[] }>(name);
  if (r === null) throw new Error(`readEvalRuns: results/${name}.json does not exist; run the evaluation first`);
  if (!Array.isArray(r.data?.runs)) throw new Error(`readEvalRuns: results/${name}.json holds no evaluation runs`);
  return r.data.runs;
}

export interface ReferenceSanity {
  /** The reference editors' mean object and perception judge on the benchmark. */
  rows: { editor: string; object: number; perception: number }[];
  /** Oracle scores 1 and identity 0 on both judges (and both were run). */
  sane: boolean;
  /** The rows, one line each, then the verdict line. */
  text: string;
}

/**
 * The judges' sanity check on the reference editors: on `benchmark`, the oracle (the exact truth)
 * must score 1 and the identity (the unedited source) 0 on the object and the perception judge.
 * Runs of other editors are ignored; a missing reference run or judge fails the check.
 */
export function referenceSanity(runs: readonly EvalRun[], benchmark = "spatialeval"): ReferenceSanity {
  const refs = runs.filter((r) => r.benchmark === benchmark && (r.method === "oracle" || r.method === "identity"));
  const rows = refs.map((r) => ({ editor: r.method, object: r.summary["object judge"]?.mean ?? NaN, perception: r.summary["perception judge"]?.mean ?? NaN }));
  const bound = (s: { editor: string }) => (s.editor === "oracle" ? 1 : 0);
  const sane = rows.some((s) => s.editor === "oracle") && rows.some((s) => s.editor === "identity") && rows.every((s) => s.object === bound(s) && s.perception === bound(s));
  const verdict = sane ? "sanity rows as required: oracle 1, identity 0" : "SANITY FAILED: the judges do not bound the reference editors";
  return { rows, sane, text: [...rows.map((s) => `${s.editor}: object judge ${s.object}, perception judge ${s.perception}`), verdict].join("\n") };
}
