/**
 * bench/data-engine: throughput of the data engine (paper §5.1) on one core (single-threaded
 * Node process): scenes -> render -> extraction (oracle perception through lib/engine) -> VQA and
 * edit templates -> ground-truth edited renders, at 32x32 and 256x256, then PNG encoding of the
 * writer units; and the time of the extraction alone on one 512x512 image (median of runs).
 * Target of the issue: >= 50 edit records per second per core at 32x32.
 * Prints a table; writes results/<profile>/bench-data-engine.json. Timings are wall clock on a shared
 * machine: noisy.
 *
 * Usage: npx tsx bench/data-engine.ts [--scenes32=150] [--scenes256=12] [--runs512=5]
 */
import { runMain } from "../lib/core/cli";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { Rng } from "../lib/core/rng";
import { dataEngineConfig } from "../lib/data/config";
import { buildScene, editUnit, vqaUnit } from "../lib/data/generate";
import { perceiveScene } from "../lib/data/perceive";
import { worldConfig } from "../lib/world/config";
import { renderScene } from "../lib/world/render";
import { sampleScene } from "../lib/world/sampler";
import * as os from "os";

const SEED = 1234;
/** A positive-integer option `--name=N`; anything else is an error that says what is allowed. */
function arg(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (a === undefined) return def;
  const v = Number(a.slice(name.length + 3));
  if (!Number.isInteger(v) || v < 1) throw new Error(`bench/data-engine: --${name} must be a positive integer, got '${a.slice(name.length + 3)}'`);
  return v;
}

interface Row {
  resolution: number;
  scenes: number;
  editRecords: number;
  vqaPairs: number;
  refusals: number;
  seconds: number;
  editRecordsPerSec: number;
  vqaPairsPerSec: number;
  scenesPerSec: number;
  /** seconds spent in PNG encoding of the writer units (not in the rates above) */
  pngSeconds: number;
  editRecordsPerSecWithPng: number;
  /** breakdown per scene (ms), measured in a second pass over the same scenes */
  renderMsPerScene: number;
  extractMsPerScene: number;
  templatesAndEditsMsPerScene: number;
}

function throughput(resolution: number, scenes: number): Row {
  const cfg = dataEngineConfig("quick", { resolution, scenes, perception: "oracle" });
  const world = worldConfig();
  buildScene(0, SEED + 1, cfg, world); // warm-up (JIT)
  let edits = 0;
  let vqa = 0;
  let refusals = 0;
  let png = 0;
  const t0 = performance.now();
  const built = [];
  for (let k = 0; k < scenes; k++) {
    const d = buildScene(k, SEED, cfg, world);
    edits += d.edits.length;
    vqa += d.vqa.length;
    refusals += d.refusals.length;
    built.push(d);
  }
  const seconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  for (const d of built) {
    vqaUnit(d);
    editUnit(d);
  }
  png = (performance.now() - t1) / 1000;
  // breakdown: render alone and extraction alone on the same scenes; the rest is templates + edit renders
  let renderMs = 0;
  let extractMs = 0;
  for (const d of built) {
    const a = performance.now();
    const r = renderScene(d.scene, { width: resolution, height: resolution });
    const b = performance.now();
    perceiveScene("oracle", d.scene, r, new Rng(d.index));
    extractMs += performance.now() - b;
    renderMs += b - a;
  }
  const totalMs = seconds * 1000;
  return {
    renderMsPerScene: renderMs / scenes,
    extractMsPerScene: extractMs / scenes,
    templatesAndEditsMsPerScene: Math.max(0, totalMs - renderMs - extractMs) / scenes,
    resolution,
    scenes,
    editRecords: edits,
    vqaPairs: vqa,
    refusals,
    seconds,
    editRecordsPerSec: edits / seconds,
    vqaPairsPerSec: vqa / seconds,
    scenesPerSec: scenes / seconds,
    pngSeconds: png,
    editRecordsPerSecWithPng: edits / (seconds + png),
  };
}

function extraction512(runs: number): { renderMs: number; extractMsMedian: number; extractMsAll: number[]; objects: number } {
  const scene = sampleScene(new Rng(SEED).fork("bench-512"), worldConfig());
  const t0 = performance.now();
  const render = renderScene(scene, { width: 512, height: 512 });
  const renderMs = performance.now() - t0;
  const times: number[] = [];
  let objects = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const ex = perceiveScene("oracle", scene, render, new Rng(i));
    times.push(performance.now() - t);
    objects = ex.objects.length;
  }
  const sorted = times.slice().sort((a, b) => a - b);
  return { renderMs, extractMsMedian: sorted[Math.floor(sorted.length / 2)], extractMsAll: times, objects };
}

function main(): void {
  // validate everything a run needs before measuring anything: the profile (read again by
  // writeResult at the end), the options, and the configs
  currentProfile();
  const opts = { scenes32: arg("scenes32", 150), scenes256: arg("scenes256", 12), runs512: arg("runs512", 5) };
  const unknown = process.argv.slice(2).filter((a) => !/^--(scenes32|scenes256|runs512)=/.test(a));
  if (unknown.length > 0) throw new Error(`bench/data-engine: unknown argument(s) ${unknown.join(" ")}; usage: npx tsx bench/data-engine.ts [--scenes32=150] [--scenes256=12] [--runs512=5]`);
  worldConfig();
  const rows = [throughput(32, opts.scenes32), throughput(256, opts.scenes256)];
  const ex = extraction512(opts.runs512);
  const fmt = (x: number, d = 1) => x.toFixed(d);
  console.log(`data engine throughput, one core of ${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} cores, shared; wall clock)`);
  console.log("| resolution | scenes | edit records | VQA pairs | refusals | s | edit records/s | VQA pairs/s | scenes/s | PNG s | edit records/s incl. PNG | ms/scene: render / extraction / templates + edit renders |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of rows) {
    console.log(`| ${r.resolution}x${r.resolution} | ${r.scenes} | ${r.editRecords} | ${r.vqaPairs} | ${r.refusals} | ${fmt(r.seconds, 2)} | ${fmt(r.editRecordsPerSec)} | ${fmt(r.vqaPairsPerSec)} | ${fmt(r.scenesPerSec)} | ${fmt(r.pngSeconds, 2)} | ${fmt(r.editRecordsPerSecWithPng)} | ${fmt(r.renderMsPerScene, 2)} / ${fmt(r.extractMsPerScene, 2)} / ${fmt(r.templatesAndEditsMsPerScene, 2)} |`);
  }
  console.log(`extraction alone (oracle source, lib/engine) on 512x512, ${ex.objects} objects: median ${fmt(ex.extractMsMedian)} ms over ${ex.extractMsAll.length} runs (render ${fmt(ex.renderMs)} ms)`);
  const target = 50;
  console.log(`target >= ${target} edit records/s per core at 32x32: ${rows[0].editRecordsPerSec >= target ? "met" : "NOT met"} (${fmt(rows[0].editRecordsPerSec)}; ratio ${fmt(rows[0].editRecordsPerSec / target, 2)}x)`);
  const file = writeResult("bench-data-engine", { config: { seed: SEED, dataEngine: dataEngineConfig("quick", { perception: "oracle" }) }, seed: SEED, data: { rows, extraction512: ex, targetEditRecordsPerSec: target } });
  console.log(`wrote ${file}`);
}

runMain(main);
