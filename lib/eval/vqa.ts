/**
 * Held-out spatial VQA (paper §5.2.1, Stage I): the data engine's VQA families asked about scenes
 * from a held-out seed (lib/data/seeds.ts `BENCHMARK_SEEDS.spatialVqa`, forked under their own
 * label), answered greedily by the editor's language head, scored by exact match per family with
 * Wilson intervals. Stage I's claim: attention tuning raises this accuracy more than embedding
 * tuning does.
 */
import { resolveConfig, type DeepPartial, type Presets } from "../core/profile";
import { Rng } from "../core/rng";
import { dataEngineConfig } from "../data/config";
import { buildScene } from "../data/generate";
import { BENCHMARK_SEEDS, checkHeldOutSeed } from "../data/seeds";
import { VQA_FAMILIES } from "../data/vqa";
import { answerQuestions } from "../models/editor/pipeline";
import type { Editor } from "../models/editor/model";
import { toSigned } from "../models/editor/train/data";
import { wilsonCi, type Interval } from "./stats";

export interface VqaItem {
  /** [H*W*3] in [-1, 1]. */
  image: Float32Array;
  question: string;
  answer: string;
  family: string;
  scene: number;
  /** Ids of the objects the question is about (the first is the one it names first). */
  objects: number[];
  /** The scene's instance mask [H*W] (object id per pixel, -1 background), shared by its questions. */
  mask: Int32Array;
}

/** `scenes` held-out scenes' VQA pairs at `resolution` (oracle perception: exact answers). */
export function spatialVqaItems(scenes: number, resolution: number, profile?: string, seed: number = BENCHMARK_SEEDS.spatialVqa): VqaItem[] {
  checkHeldOutSeed(seed);
  if (!Number.isInteger(scenes) || scenes < 1) throw new Error(`spatialVqaItems: scenes must be a positive integer, got ${scenes}`);
  const cfg = dataEngineConfig(profile, { resolution });
  const out: VqaItem[] = [];
  for (let k = 0; k < scenes; k++) {
    const s = buildScene(k, seed, cfg, undefined, "spatialvqa-scene");
    const image = toSigned(s.render.rgb);
    for (const q of s.vqa) out.push({ image, question: q.text, answer: q.answer, family: q.family, scene: k, objects: q.objects, mask: s.render.mask });
  }
  return out;
}

/** Lower case, single spaces, no space before punctuation: how two answers are compared. */
export function normalizeAnswer(s: string): string {
  return s.toLowerCase().replace(/\s+/g, " ").replace(/\s+([.,?!])/g, "$1").trim();
}

export interface FamilyScore extends Interval {
  family: string;
  correct: number;
  n: number;
  acc: number;
}

export interface VqaScore {
  /** One row per family present, in VQA_FAMILIES order, then "all". */
  families: FamilyScore[];
  overall: FamilyScore;
}

function score(family: string, correct: number, n: number): FamilyScore {
  return { family, correct, n, acc: n === 0 ? NaN : correct / n, ...wilsonCi(correct, n) };
}

/** Exact-match accuracy per family of `answers` to `items`. */
export function vqaAccuracy(items: readonly Pick<VqaItem, "answer" | "family">[], answers: readonly string[]): VqaScore {
  if (items.length !== answers.length) throw new Error(`vqaAccuracy: ${answers.length} answers for ${items.length} questions`);
  const tally = new Map<string, [number, number]>();
  items.forEach((it, i) => {
    const t = tally.get(it.family) ?? [0, 0];
    t[0] += normalizeAnswer(answers[i]) === normalizeAnswer(it.answer) ? 1 : 0;
    t[1] += 1;
    tally.set(it.family, t);
  });
  const order = [...VQA_FAMILIES, ...[...tally.keys()].filter((f) => !(VQA_FAMILIES as readonly string[]).includes(f)).sort()];
  const families = order.filter((f) => tally.has(f)).map((f) => score(f, ...tally.get(f)!));
  const correct = families.reduce((a, f) => a + f.correct, 0);
  return { families, overall: score("all", correct, items.length) };
}

/** One question with the truth and a model's answer (what a notebook shows). */
export interface VqaExample {
  family: string;
  question: string;
  answer: string;
  predicted: string;
}

export interface AnswerOptions {
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Greedy answers of `editor` to every item, in batches (yields to the event loop between them). */
export async function answerVqa(editor: Editor, items: readonly VqaItem[], o: AnswerOptions = {}): Promise<string[]> {
  const batch = o.batch ?? 32;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`answerVqa: batch must be a positive integer, got ${batch}`);
  const out: string[] = [];
  for (let i = 0; i < items.length; i += batch) {
    const part = items.slice(i, i + batch);
    const longest = Math.max(...part.map((it) => editor.tokenizer.encode(it.answer).length));
    out.push(...answerQuestions(editor, part.map((it) => it.image), part.map((it) => it.question), Math.min(editor.config.maxCondition, longest + 2)));
    o.onProgress?.(out.length, items.length);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** A fixed sample of `n` items (the same for every model compared), drawn without replacement. */
export function sampleItems<T>(items: readonly T[], n: number, seed = 0): T[] {
  if (n >= items.length) return [...items];
  const idx = new Rng(seed).fork("vqa-sample").shuffle(items.map((_, i) => i)).slice(0, n).sort((a, b) => a - b);
  return idx.map((i) => items[i]);
}

export interface VqaEvalConfig {
  /** Held-out scenes (each gives the data engine's VQA pairs per scene). */
  scenes: number;
  /** Questions answered per batch. */
  batch: number;
}

export const VQA_EVAL_PRESETS: Presets<VqaEvalConfig> = {
  tiny: { scenes: 2, batch: 8 },
  quick: { scenes: 40, batch: 32 },
  paper: { scenes: 200, batch: 64 },
};

export function vqaEvalConfig(profile?: string, overrides?: DeepPartial<VqaEvalConfig>): VqaEvalConfig {
  return resolveConfig(VQA_EVAL_PRESETS, "held-out VQA", profile, overrides);
}
