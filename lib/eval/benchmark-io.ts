/**
 * Reading a benchmark written by `benchmark-generate.ts`: the writer's imagefolder layout
 * (`<dir>/train/metadata.jsonl`, `<dir>/train/images/*.png`, `<dir>/manifest.json`) plus a
 * content hash over every file of the split, stored in the manifest. Loading checks the hash
 * (a changed file is an error) and, by default, that each ground-truth image is exactly the
 * render of its stored edited scene (paper §5.3's benchmark, here with exact ground truth).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { projectPath } from "../core/paths";
import type { RgbImage } from "../engine/types";
import { applyPixelOp } from "../data/generic";
import { decodePng } from "../data/png";
import { IMAGES_DIR, METADATA_FILE, readManifest, readMetadata, SPLIT_DIR } from "../data/writer";
import type { Manifest } from "../data/writer";
import { renderScene } from "../world/render";
import type { Scene } from "../world/types";

export const BENCHMARK_KINDS = ["spatialeval", "general"] as const;
export type BenchmarkKind = (typeof BENCHMARK_KINDS)[number];

/** The three instruction types of SpatialEval (paper §5.3). */
export const SPATIAL_TYPES = ["perception", "reasoning", "visualisation"] as const;
export type SpatialType = (typeof SPATIAL_TYPES)[number];

/** One benchmark item: source, instruction, exact ground truth and the scenes behind them. */
export interface BenchmarkItem {
  /** Stable id, e.g. "s000007-reasoning" or "g000003-e1". */
  id: string;
  benchmark: BenchmarkKind;
  /** Scene index within the benchmark's seed stream. */
  scene: number;
  /** SpatialEval: perception / reasoning / visualisation; general: attribute / global / photometric. */
  type: string;
  /** Data-engine template family and edit kind (spatial items), null for general items. */
  family: string | null;
  kind: string | null;
  form: string | null;
  /** What the editor reads (paraphrased). */
  instruction: string;
  templateInstruction: string;
  /** The expected result in words (§5.1.3 language condition). */
  condition: string;
  /** Ids of the objects the instruction is about (spatial items); changed objects (general items). */
  targets: number[];
  params: Record<string, unknown>;
  /** Does the data engine's classifier call the instruction spatial (Table 3/4)? */
  spatialByClassifier: boolean;
  source: RgbImage;
  /** The exact ground-truth edited image. */
  truth: RgbImage;
  sourceScene: Scene;
  /** The edited scene (null for photometric edits, whose truth is a pixel operation). */
  editedScene: Scene | null;
  pixelOp: "darker" | "brighter" | "grayscale" | null;
}

export interface Benchmark {
  kind: BenchmarkKind;
  dir: string;
  manifest: Manifest;
  /** SHA-256 over metadata.jsonl and every image file (names and bytes), hex. */
  contentHash: string;
  items: BenchmarkItem[];
}

/** Where the committed benchmark of a kind and profile lives: `data/benchmarks/<kind>-<profile>`. */
export function benchmarkDir(kind: BenchmarkKind, profile: string): string {
  if (!(BENCHMARK_KINDS as readonly string[]).includes(kind)) throw new Error(`benchmarkDir: unknown benchmark '${kind}'; known: ${BENCHMARK_KINDS.join(", ")}`);
  return projectPath(`data/benchmarks/${kind}-${profile}`);
}

/** SHA-256 over the split folder's metadata.jsonl and images (sorted by name; name and bytes). */
export function contentHash(dir: string): string {
  const split = path.join(dir, SPLIT_DIR);
  const h = crypto.createHash("sha256");
  const meta = path.join(split, METADATA_FILE);
  if (!fs.existsSync(meta)) throw new Error(`contentHash: ${meta} does not exist; is ${dir} a benchmark folder?`);
  h.update(`${METADATA_FILE}\n`);
  h.update(fs.readFileSync(meta));
  const imgDir = path.join(split, IMAGES_DIR);
  const names = fs.existsSync(imgDir) ? fs.readdirSync(imgDir).filter((n) => n.endsWith(".png")).sort() : [];
  for (const n of names) {
    h.update(`\n${IMAGES_DIR}/${n}\n`);
    h.update(fs.readFileSync(path.join(imgDir, n)));
  }
  return h.digest("hex");
}

function field<T>(rec: Record<string, unknown>, key: string, check: (v: unknown) => boolean, line: number): T {
  const v = rec[key];
  if (!check(v)) throw new Error(`loadBenchmark: record ${line} has a bad or missing '${key}' (${JSON.stringify(v)?.slice(0, 60)})`);
  return v as T;
}

const isStr = (v: unknown) => typeof v === "string";
const isStrOrNull = (v: unknown) => v === null || typeof v === "string";
const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

function sameImage(a: RgbImage, b: RgbImage): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

export interface LoadOptions {
  /** Re-render every edited scene (or re-apply the pixel operation) and require the stored truth to equal it byte for byte (default true). */
  verifyTruth?: boolean;
}

/** Loads a finished benchmark folder; the content hash must match the manifest's. */
export function loadBenchmark(dir: string, options: LoadOptions = {}): Benchmark {
  const manifest = readManifest(dir);
  const kind = (manifest.extra as { benchmark?: string }).benchmark;
  if (!(BENCHMARK_KINDS as readonly (string | undefined)[]).includes(kind)) throw new Error(`loadBenchmark: ${dir} is not a benchmark (manifest.extra.benchmark is ${JSON.stringify(kind)})`);
  const expected = (manifest.extra as { contentHash?: string }).contentHash;
  const hash = contentHash(dir);
  if (hash !== expected) throw new Error(`loadBenchmark: ${dir} has changed since it was written (content hash ${hash.slice(0, 16)}, manifest ${String(expected).slice(0, 16)}); regenerate it`);
  const split = path.join(dir, SPLIT_DIR);
  const images = new Map<string, RgbImage>();
  const img = (rel: string) => {
    let im = images.get(rel);
    if (!im) {
      const f = path.join(split, rel);
      im = decodePng(fs.readFileSync(f), f);
      images.set(rel, im);
    }
    return im;
  };
  const items = readMetadata(dir).map((r, i): BenchmarkItem => {
    const line = i + 1;
    const editedScene = field<Scene | null>(r, "edited_scene", (v) => v === null || isObj(v), line);
    const pixelOp = field<BenchmarkItem["pixelOp"]>(r, "pixel_op", (v) => v === null || v === "darker" || v === "brighter" || v === "grayscale", line);
    const item: BenchmarkItem = {
      id: field<string>(r, "id", isStr, line),
      benchmark: kind as BenchmarkKind,
      scene: field<number>(r, "scene", Number.isInteger, line),
      type: field<string>(r, "type", isStr, line),
      family: field<string | null>(r, "family", isStrOrNull, line),
      kind: field<string | null>(r, "kind", isStrOrNull, line),
      form: field<string | null>(r, "form", isStrOrNull, line),
      instruction: field<string>(r, "instruction", isStr, line),
      templateInstruction: field<string>(r, "template_instruction", isStr, line),
      condition: field<string>(r, "language_condition", isStr, line),
      targets: field<number[]>(r, "targets", (v) => Array.isArray(v) && v.every(Number.isInteger), line),
      params: field<Record<string, unknown>>(r, "params", isObj, line),
      spatialByClassifier: field<boolean>(r, "spatial_by_classifier", (v) => typeof v === "boolean", line),
      source: img(field<string>(r, "file_name", isStr, line)),
      truth: img(field<string>(r, "edited_file_name", isStr, line)),
      sourceScene: field<Scene>(r, "source_scene", isObj, line),
      editedScene,
      pixelOp,
    };
    if ((editedScene === null) === (pixelOp === null)) throw new Error(`loadBenchmark: record ${line} (${item.id}) must have exactly one of edited_scene and pixel_op`);
    if (options.verifyTruth ?? true) {
      const size = { width: item.truth.width, height: item.truth.height };
      const src = renderScene(item.sourceScene, size);
      if (!sameImage({ width: src.width, height: src.height, data: src.rgb }, item.source)) throw new Error(`loadBenchmark: ${item.id}: the source image is not the render of its source scene`);
      const want = editedScene ? (() => { const t = renderScene(editedScene, size); return { width: t.width, height: t.height, data: t.rgb }; })() : applyPixelOp(item.source, pixelOp!);
      if (!sameImage(want, item.truth)) throw new Error(`loadBenchmark: ${item.id}: the ground-truth image is not the exact edit of its source`);
    }
    return item;
  });
  if (items.length === 0) throw new Error(`loadBenchmark: ${dir} has no items`);
  return { kind: kind as BenchmarkKind, dir, manifest, contentHash: hash, items };
}
