/**
 * Table 4 analogue: the quality of editing data (paper Appendix I: 5 human raters scored 100
 * pairs per dataset for editing effect, reasonableness and spatial content). Here each column is
 * a function with a name, applied to every record:
 *   groundTruthExact    the instruction, read back from the text the model sees and executed on
 *                       the scene's exact truth (instruction-parser.ts), gives exactly the
 *                       record's ground-truth image, byte for byte ("Helpfulness": is the edit
 *                       what the instruction asks?);
 *   parsesToOneReferent the instruction resolves on the truth to one unambiguous referent (an
 *                       object, or the set "every ...") ("Reasonable");
 *   isSpatialInstruction the data engine's classifier says spatial ("Spatial").
 * Datasets: the data engine's edit data (oracle or noisy perception) and the generic IPr2Pr-like
 * data, exactly as their generators write them (same seeds, configs and functions).
 */
import { Rng } from "../core/rng";
import type { RgbImage } from "../engine/types";
import { isSpatialInstruction } from "../data/classifier";
import type { DataEngineConfig, GenericConfig } from "../data/config";
import { buildScene } from "../data/generate";
import { applyPixelOp, genericUnit } from "../data/generic";
import { decodePng, encodePng } from "../data/png";
import { truthExtraction } from "../data/truth";
import { worldConfig } from "../world/config";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import type { Scene } from "../world/types";
import { executeInstruction } from "./instruction-parser";
import { Interval, wilsonCi } from "./stats";

/** The measuring functions of the three columns, by the names the table shows. */
export const QUALITY_FUNCTIONS = {
  groundTruthExact: "executeInstruction(text, truth) renders to the record's ground truth",
  parsesToOneReferent: "executeInstruction(text, truth).ok (one unambiguous referent)",
  spatial: "isSpatialInstruction(text)",
} as const;

export interface QualityRecord {
  text: string;
  scene: Scene;
  target: RgbImage;
}

export interface QualityShare {
  k: number;
  n: number;
  share: number;
  ci: Interval;
}

export interface QualityRow {
  dataset: string;
  records: number;
  groundTruthExact: QualityShare;
  parsesToOneReferent: QualityShare;
  spatial: QualityShare;
  /** Up to 5 records whose ground truth is not what the instruction asks, with why. */
  examples: string[];
}

const share = (k: number, n: number): QualityShare => ({ k, n, share: n === 0 ? NaN : k / n, ci: wilsonCi(k, n) });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** The three measures over any records (pure apart from rendering). */
export function measureQuality(dataset: string, records: readonly QualityRecord[], moves: { moveStep: number; trendStep: number }): QualityRow {
  let exact = 0;
  let parsed = 0;
  let spatial = 0;
  const examples: string[] = [];
  for (const r of records) {
    if (isSpatialInstruction(r.text)) spatial++;
    const size = { width: r.target.width, height: r.target.height };
    const render = renderScene(r.scene, size);
    const p = executeInstruction(r.text, r.scene, truthExtraction(r.scene, render), moves);
    if (!p.ok) {
      if (examples.length < 5) examples.push(`'${r.text}': ${(p as { reason: string }).reason} (${(p as { detail: string }).detail})`);
      continue;
    }
    parsed++;
    const img = p.edited ? renderScene(p.edited, size).rgb : applyPixelOp({ width: render.width, height: render.height, data: render.rgb }, p.pixelOp!).data;
    if (sameBytes(img, r.target.data)) exact++;
    else if (examples.length < 5) examples.push(`'${r.text}': the ground truth is not the instruction executed on the truth (referent ${p.targets.join(", ") || "the whole picture"})`);
  }
  return { dataset, records: records.length, groundTruthExact: share(exact, records.length), parsesToOneReferent: share(parsed, records.length), spatial: share(spatial, records.length), examples };
}

/** The data engine's edit records of scenes 0..scenes-1 (buildScene: what generateDataEngine writes). */
export function engineRecords(cfg: DataEngineConfig, seed: number, scenes = cfg.scenes): QualityRecord[] {
  const out: QualityRecord[] = [];
  for (let k = 0; k < scenes; k++) {
    const d = buildScene(k, seed, cfg);
    for (const e of d.edits) out.push({ text: e.text, scene: d.scene, target: e.target });
  }
  return out;
}

/**
 * The generic data's records of scenes 0..scenes-1 (genericUnit: what generateGeneric writes).
 * Its records carry no scene, so the scene is sampled again from the generator's stream and
 * checked against the written source image byte for byte.
 */
export function genericRecords(cfg: GenericConfig, seed: number, scenes = cfg.scenes): QualityRecord[] {
  const out: QualityRecord[] = [];
  const world = worldConfig();
  for (let k = 0; k < scenes; k++) {
    const unit = genericUnit(k, seed, cfg, world);
    if (unit.records.length === 0) continue;
    const scene = sampleScene(new Rng(seed).fork(`generic-${k}`).fork("scene"), world);
    const r = renderScene(scene, { width: cfg.resolution, height: cfg.resolution });
    const files = new Map(unit.files.map((f) => [f.path, f.bytes]));
    const src = files.get(String(unit.records[0].file_name));
    if (!src || !sameBytes(encodePng({ width: r.width, height: r.height, data: r.rgb }), src)) {
      throw new Error(`genericRecords: scene ${k} sampled again does not match the generator's source image; lib/data/generic.ts changed how it samples scenes, update genericRecords`);
    }
    for (const rec of unit.records) out.push({ text: String(rec.instruction), scene, target: decodePng(files.get(String(rec.edited_file_name))!, String(rec.edited_file_name)) });
  }
  return out;
}
