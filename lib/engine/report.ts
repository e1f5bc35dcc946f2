/**
 * Measurements the notebook (01-data-engine) and bench/data-engine call: rank agreement of the
 * oracle and noisy sources with the renderer's truth (written to results/<profile>/engine-rank-agreement.json)
 * and timings of rendering and of extraction alone.
 */
import { resolveConfig } from "../core/profile";
import type { DeepPartial, Presets } from "../core/profile";
import { writeResult } from "../core/results";
import { Rng } from "../core/rng";
import { worldConfig } from "../world/config";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import { measureRankAgreement, summariseAgreement } from "./agreement";
import type { AgreementCounts } from "./agreement";
import { engineConfig, NOISY_LABEL_MODE, noisyConfig } from "./config";
import { extractSpatialInfo } from "./extract";
import { oracleSource } from "./perception";

export interface AgreementReportConfig {
  /** Scenes per source. */
  scenes: number;
  /** Square render size in pixels. */
  resolution: number;
  seed: number;
}

export const AGREEMENT_PRESETS: Presets<AgreementReportConfig> = {
  tiny: { scenes: 50, resolution: 32, seed: 4242 },
  quick: { scenes: 500, resolution: 64, seed: 4242 },
  paper: { scenes: 5000, resolution: 64, seed: 4242 },
};

export interface AgreementReport {
  oracle: { counts: AgreementCounts; summary: Record<string, number> };
  noisy: { counts: AgreementCounts; summary: Record<string, number> };
  /** The noisy source with label noise too (NOISY_LABEL_MODE): covers the semantic step. */
  noisyLabels: { counts: AgreementCounts; summary: Record<string, number> };
  seconds: number;
}

/**
 * Measures the rank-fact agreement of the oracle source, the noisy source (geometry only) and the noisy source with label noise on the same scenes and
 * writes `results/<profile>/engine-rank-agreement.json` (config, seed, counts and rates). Returns the report.
 */
export function writeRankAgreementReport(profile?: string, overrides?: DeepPartial<AgreementReportConfig>, onScene?: (i: number) => void): AgreementReport {
  const cfg = resolveConfig(AGREEMENT_PRESETS, "rank agreement report", profile, overrides);
  const world = worldConfig(profile);
  const engine = engineConfig(profile);
  const noisy = noisyConfig(profile);
  const t0 = performance.now();
  const base = { scenes: cfg.scenes, width: cfg.resolution, height: cfg.resolution, world, engine, noisy };
  const oracle = measureRankAgreement(new Rng(cfg.seed), { ...base, source: "oracle" }, onScene);
  const noisyCounts = measureRankAgreement(new Rng(cfg.seed), { ...base, source: "noisy" }, onScene);
  const noisyLabels = { ...noisy, ...NOISY_LABEL_MODE };
  const labelCounts = measureRankAgreement(new Rng(cfg.seed), { ...base, noisy: noisyLabels, source: "noisy" }, onScene);
  const report: AgreementReport = {
    oracle: { counts: oracle, summary: summariseAgreement(oracle) },
    noisy: { counts: noisyCounts, summary: summariseAgreement(noisyCounts) },
    noisyLabels: { counts: labelCounts, summary: summariseAgreement(labelCounts) },
    seconds: (performance.now() - t0) / 1000,
  };
  writeResult("engine-rank-agreement", { config: { report: cfg, world, engine, noisy, noisyLabels }, seed: cfg.seed, data: report });
  return report;
}

/**
 * Does label noise lower the overall rank agreement? One sentence from the report's two noisy
 * rows (geometry only, geometry + labels): the verdict, both agreements and both shape accuracies.
 */
export function labelNoiseText(report: Pick<AgreementReport, "noisy" | "noisyLabels">): string {
  const a = report.noisy.summary;
  const b = report.noisyLabels.summary;
  const lowers = a.overallAgreement - b.overallAgreement > 0 ? "lowers" : "does not lower";
  return `label noise ${lowers} the overall rank agreement (${a.overallAgreement.toFixed(4)} -> ${b.overallAgreement.toFixed(4)}); class labels right ${(100 * b.shapeAccuracy).toFixed(1)}% of the time with label noise, ${(100 * a.shapeAccuracy).toFixed(1)}% without.`;
}

export interface Timing {
  width: number;
  height: number;
  repeats: number;
  /** Mean milliseconds per call. */
  meanMs: number;
  /** Median call. */
  medianMs: number;
  /** Fastest call (least disturbed by other processes on a shared machine). */
  minMs: number;
}

function timeIt(repeats: number, fn: (i: number) => void): { meanMs: number; medianMs: number; minMs: number } {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { meanMs: times.reduce((a, b) => a + b, 0) / repeats, medianMs: median, minMs: times[0] };
}

/** Milliseconds per `renderScene` at width x height over `repeats` seeded scenes (scene sampling not timed). */
export function timeRender(width: number, height = width, repeats = 20, seed = 1): Timing {
  const rng = new Rng(seed);
  const scenes = Array.from({ length: repeats }, (_, i) => sampleScene(rng.fork(i), worldConfig()));
  renderScene(scenes[0], { width, height }); // warm-up (JIT)
  return { width, height, repeats, ...timeIt(repeats, (i) => renderScene(scenes[i], { width, height })) };
}

/**
 * Milliseconds per `extractSpatialInfo` alone (oracle frames prepared beforehand; rendering and
 * perception are not timed) at width x height, default 512 x 512.
 */
export function timeExtraction(width = 512, height = width, repeats = 5, seed = 1): Timing {
  const rng = new Rng(seed);
  const src = oracleSource();
  const frames = Array.from({ length: repeats }, (_, i) => {
    const r = renderScene(sampleScene(rng.fork(i), worldConfig()), { width, height });
    return src.perceive({ image: { width, height, data: r.rgb }, render: r });
  });
  const cfg = engineConfig();
  extractSpatialInfo(frames[0], cfg); // warm-up (JIT)
  return { width, height, repeats, ...timeIt(repeats, (i) => extractSpatialInfo(frames[i], cfg)) };
}

export interface TimingReport {
  render: Timing[];
  extraction: Timing[];
}

/**
 * Times rendering at 32, 256 and 512 pixels and extraction alone at 32 and 512 pixels, and
 * writes `results/<profile>/world-engine-timing.json`. Shared machines make these numbers noisy: the
 * minimum over repeats is the least disturbed one.
 */
export function writeTimingReport(repeats = { small: 200, large: 10 }): TimingReport {
  const report: TimingReport = {
    render: [timeRender(32, 32, repeats.small), timeRender(256, 256, repeats.large), timeRender(512, 512, repeats.large)],
    extraction: [timeExtraction(32, 32, repeats.small), timeExtraction(512, 512, repeats.large)],
  };
  writeResult("world-engine-timing", { config: { repeats }, seed: 1, data: report });
  return report;
}
