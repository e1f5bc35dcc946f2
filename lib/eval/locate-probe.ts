/**
 * Does the MLLM ground a named object to its place in the image? The data engine's "locate"
 * questions (lib/data/vqa.ts) answer "at (x, y), <region>"; exact match (vqa.ts) is almost never
 * right on two decimals, so it cannot tell "near" from "anywhere". `locateScores` reads the
 * coordinates and the region word of each answer instead:
 * - `regionAccuracy`: the predicted region word equals the true one (of nine: top left ... bottom right);
 * - `majorityRegion`: the same for always answering the most common true region (a constant guess);
 * - `meanError`: Euclidean distance of the predicted point to the true one (image units, [0, 1]);
 *   unreadable answers count as the largest error of the image, sqrt(2);
 * - `constantError`: the distance for always answering the mean true point.
 * A model that grounds objects beats both constant guesses; one that does not, does not.
 * `locateItems` and `probeLocate` run it on an editor (scripts/locate-probe.ts, scripts/stage1-locate.ts).
 */
import type { Editor } from "../models/editor/model";
import { answerVqa, type VqaItem } from "./vqa";

export interface LocateAnswer {
  x: number;
  y: number;
  region: string;
}

/** "at (0.69, 0.19), top right" -> { x, y, region }, or null when the answer is not of that form. */
export function parseLocate(answer: string): LocateAnswer | null {
  const m = /\(\s*(-?\d*\.?\d+)\s*,\s*(-?\d*\.?\d+)\s*\)\s*,?\s*(.*)$/.exec(answer.trim().toLowerCase());
  if (m === null) return null;
  const x = Number(m[1]);
  const y = Number(m[2]);
  return Number.isFinite(x) && Number.isFinite(y) ? { x, y, region: m[3].trim().replace(/\s+/g, " ") } : null;
}

export interface LocateScores {
  n: number;
  /** Answers of the "at (x, y), region" form. */
  readable: number;
  regionAccuracy: number;
  majorityRegion: number;
  meanError: number;
  constantError: number;
}

/** Scores predicted answers against true locate answers (same order); an error when a true answer is unreadable. */
export function locateScores(truths: readonly string[], predicted: readonly string[]): LocateScores {
  if (truths.length !== predicted.length) throw new Error(`locateScores: ${truths.length} true answers but ${predicted.length} predictions`);
  if (truths.length === 0) throw new Error("locateScores: no locate questions");
  const t = truths.map((a, i) => {
    const p = parseLocate(a);
    if (p === null) throw new Error(`locateScores: true answer ${i} ('${a}') is not of the form 'at (x, y), region'`);
    return p;
  });
  const p = predicted.map(parseLocate);
  const n = t.length;
  const counts = new Map<string, number>();
  for (const x of t) counts.set(x.region, (counts.get(x.region) ?? 0) + 1);
  const mx = t.reduce((s, x) => s + x.x, 0) / n;
  const my = t.reduce((s, x) => s + x.y, 0) / n;
  let hits = 0;
  let err = 0;
  p.forEach((q, i) => {
    if (q !== null && q.region === t[i].region) hits++;
    err += q === null ? Math.SQRT2 : Math.hypot(q.x - t[i].x, q.y - t[i].y);
  });
  return {
    n,
    readable: p.filter((q) => q !== null).length,
    regionAccuracy: hits / n,
    majorityRegion: Math.max(...counts.values()) / n,
    meanError: err / n,
    constantError: t.reduce((s, x) => s + Math.hypot(x.x - mx, x.y - my), 0) / n,
  };
}

/** The "locate" questions among held-out VQA items (vqa.ts spatialVqaItems). */
export function locateItems(vqa: readonly VqaItem[]): VqaItem[] {
  return vqa.filter((x) => x.family === "locate");
}

/** The editor's answers to `items` (batches of `batch`) and their locate scores. */
export async function probeLocate(e: Editor, items: readonly VqaItem[], batch: number): Promise<{ scores: LocateScores; answers: string[] }> {
  const answers = await answerVqa(e, items, { batch });
  return { scores: locateScores(items.map((x) => x.answer), answers), answers };
}
