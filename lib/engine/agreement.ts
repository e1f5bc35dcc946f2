/**
 * Do the extracted rank facts agree with the renderer's truth? For every key, every pair the
 * engine decides (not a tie) is checked against the truth order, and every rank fact it
 * decides ("object 3 is the 2nd from the right") against the truth ranking. Undecided facts
 * are refusals: they cost coverage, not agreement. A truth tie (equal true values) that the
 * engine decides counts as a disagreement.
 */
import type { Rng } from "../core/rng";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import type { WorldConfig } from "../world/types";
import type { EngineConfig, NoisyConfig } from "./config";
import { extractSpatialInfo } from "./extract";
import { noisySource, oracleSource } from "./perception";
import { compareObjects, pickRank } from "./ranks";
import { renderTruth } from "./truth";
import type { TruthObject } from "./truth";
import { RANK_KEYS } from "./types";
import type { ExtractionResult, PerceptionSource, RankKey } from "./types";

export interface KeyAgreement {
  pairs: number;
  pairsDecided: number;
  pairsAgreed: number;
  rankFacts: number;
  rankFactsDecided: number;
  rankFactsAgreed: number;
  /** Decided rank facts in frames where the source missed a visible object (they cannot agree). */
  rankFactsDecidedMissing: number;
}

export interface AgreementCounts {
  scenes: number;
  objectsTrue: number;
  objectsExtracted: number;
  framesRefused: number;
  objectsRefused: number;
  incompleteFrames: number;
  colourCorrect: number;
  /** Extracted objects whose class label / material / size class / trend equals the truth (a dropped hint is not correct). */
  labelCorrect: { shape: number; material: number; size: number; trend: number };
  perKey: Record<RankKey, KeyAgreement>;
  /** Up to 20 disagreements, for debugging. */
  examples: string[];
}

export function emptyCounts(): AgreementCounts {
  const perKey = {} as Record<RankKey, KeyAgreement>;
  for (const k of RANK_KEYS) perKey[k] = { pairs: 0, pairsDecided: 0, pairsAgreed: 0, rankFacts: 0, rankFactsDecided: 0, rankFactsAgreed: 0, rankFactsDecidedMissing: 0 };
  return { scenes: 0, objectsTrue: 0, objectsExtracted: 0, framesRefused: 0, objectsRefused: 0, incompleteFrames: 0, colourCorrect: 0, labelCorrect: { shape: 0, material: 0, size: 0, trend: 0 }, perKey, examples: [] };
}

/** The truth's k-th object in direction dir, or null when the truth itself ties there. */
function truthAtRank(truth: TruthObject[], key: RankKey, k: number, dir: "asc" | "desc"): number | null {
  const s = truth.slice().sort((a, b) => (dir === "asc" ? a.values[key] - b.values[key] : b.values[key] - a.values[key]));
  const t = s[k - 1].values[key];
  if ((k >= 2 && s[k - 2].values[key] === t) || (k < s.length && s[k].values[key] === t)) return null;
  return s[k - 1].id;
}

/** Adds one scene's facts to `counts`. */
export function addAgreement(counts: AgreementCounts, ex: ExtractionResult, truth: TruthObject[], label = ""): void {
  counts.scenes++;
  counts.objectsTrue += truth.length;
  counts.objectsExtracted += ex.objects.length;
  if (ex.refusals.some((r) => r.id === null)) counts.framesRefused++;
  counts.objectsRefused += ex.refusals.filter((r) => r.id !== null).length;
  if (!ex.complete) counts.incompleteFrames++;
  const byId = new Map(truth.map((t) => [t.id, t]));
  for (const o of ex.objects) {
    const t = byId.get(o.id);
    if (t === undefined) continue;
    if (t.colour === o.colour) counts.colourCorrect++;
    if (t.shape === o.object) counts.labelCorrect.shape++;
    if (t.material === o.material) counts.labelCorrect.material++;
    if (t.size === o.sizeClass) counts.labelCorrect.size++;
    if (t.trend === o.trend) counts.labelCorrect.trend++;
  }
  const note = (s: string) => {
    if (counts.examples.length < 20) counts.examples.push(`${label} ${s}`);
  };
  for (const key of RANK_KEYS) {
    const a = counts.perKey[key];
    const objs = ex.objects.filter((o) => byId.has(o.id));
    for (let i = 0; i < objs.length; i++) {
      for (let j = i + 1; j < objs.length; j++) {
        a.pairs++;
        const c = compareObjects(ex, key, objs[i].id, objs[j].id);
        if (c === "tie") continue;
        a.pairsDecided++;
        const ti = byId.get(objs[i].id)!.values[key];
        const tj = byId.get(objs[j].id)!.values[key];
        if ((c === "less" && ti < tj) || (c === "greater" && ti > tj)) a.pairsAgreed++;
        else note(`${key}: engine says ${objs[i].id} ${c} ${objs[j].id}, truth ${ti.toPrecision(4)} vs ${tj.toPrecision(4)}`);
      }
    }
    if (ex.objects.length === 0) continue;
    for (const dir of ["asc", "desc"] as const) {
      for (let k = 1; k <= ex.objects.length; k++) {
        a.rankFacts++;
        const pick = pickRank(ex, key, k, dir);
        if (!pick.ok) continue;
        a.rankFactsDecided++;
        if (ex.objects.length < truth.length) a.rankFactsDecidedMissing++;
        const t = k <= truth.length ? truthAtRank(truth, key, k, dir) : null;
        if (t === pick.id && ex.objects.length === truth.length) a.rankFactsAgreed++;
        else note(`${key} ${dir} rank ${k}: engine picks ${pick.id}, truth ${t} (${ex.objects.length} extracted, ${truth.length} true)`);
      }
    }
  }
}

export interface AgreementOptions {
  scenes: number;
  width: number;
  height: number;
  source: "oracle" | "noisy";
  world: WorldConfig;
  engine: EngineConfig;
  noisy: NoisyConfig;
}

/** Samples `scenes` scenes from `rng`, renders, extracts with the chosen source, counts agreement. */
export function measureRankAgreement(rng: Rng, opts: AgreementOptions, onScene?: (i: number) => void): AgreementCounts {
  const counts = emptyCounts();
  const sceneRng = rng.fork("scenes");
  const source: PerceptionSource = opts.source === "oracle" ? oracleSource() : noisySource(rng.fork("noise"), opts.noisy);
  for (let i = 0; i < opts.scenes; i++) {
    const scene = sampleScene(sceneRng.fork(i), opts.world);
    const render = renderScene(scene, { width: opts.width, height: opts.height });
    const frame = source.perceive({ image: { width: render.width, height: render.height, data: render.rgb }, render });
    const ex = extractSpatialInfo(frame, opts.engine);
    addAgreement(counts, ex, renderTruth(render), `scene ${i}`);
    onScene?.(i);
  }
  return counts;
}

/** Agreement rates (agreed / decided) and coverage (decided / all) per key, pairs and rank facts. */
export function summariseAgreement(c: AgreementCounts): Record<string, number> {
  const out: Record<string, number> = {};
  let dec = 0;
  let agr = 0;
  let all = 0;
  for (const key of RANK_KEYS) {
    const a = c.perKey[key];
    out[`${key}.pairAgreement`] = a.pairsDecided ? a.pairsAgreed / a.pairsDecided : NaN;
    out[`${key}.pairCoverage`] = a.pairs ? a.pairsDecided / a.pairs : NaN;
    out[`${key}.rankAgreement`] = a.rankFactsDecided ? a.rankFactsAgreed / a.rankFactsDecided : NaN;
    out[`${key}.rankCoverage`] = a.rankFacts ? a.rankFactsDecided / a.rankFacts : NaN;
    const kept = a.rankFactsDecided - a.rankFactsDecidedMissing;
    out[`${key}.rankAgreementNoMissed`] = kept ? a.rankFactsAgreed / kept : NaN;
    dec += a.pairsDecided + a.rankFactsDecided;
    agr += a.pairsAgreed + a.rankFactsAgreed;
    all += a.pairs + a.rankFacts;
  }
  out.overallAgreement = dec ? agr / dec : NaN;
  out.overallCoverage = all ? dec / all : NaN;
  out.colourAccuracy = c.objectsExtracted ? c.colourCorrect / c.objectsExtracted : NaN;
  for (const k of ["shape", "material", "size", "trend"] as const) out[`${k}Accuracy`] = c.objectsExtracted ? c.labelCorrect[k] / c.objectsExtracted : NaN;
  return out;
}
