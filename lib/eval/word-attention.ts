/**
 * Where a word of the instruction looks in the image (paper §4.2, Fig. 5; Appendix O): the MLLM's
 * attention row of one instruction token over the image tokens, per layer and head. The image
 * tokens form a row-major g x g grid (the adapter merges the encoder's patch grid), so each row
 * is a coarse map of the image. `regionMass` sums a map over the tokens covering a pixel mask
 * (e.g. the target object's), the proxy for "this layer localises the object".
 */
import * as tf from "@tensorflow/tfjs";
import { editorCondition, editorLayout, type Editor } from "../models/editor/model";
import { imageTokenGrid, tokenCoverage } from "../models/editor/grounding";
import { splitWords } from "../models/editor/tokenizer";
import { objectMask } from "../models/editor/train/data";
import { imageBatch } from "../models/editor/train/steps";

export interface WordAttention {
  question: string;
  word: string;
  /** Position of the word's (first) token in the MLLM sequence. */
  position: number;
  /** Side of the image-token grid (g x g tokens). */
  grid: number;
  /** maps[layer][head]: the word's attention probabilities over the image tokens (row-major g x g). */
  maps: number[][][];
  /** Per layer, the head-mean share of the word's attention that falls on image tokens. */
  imageMass: number[];
}

/** The token position of `word` in the layout of `question` (its first occurrence). */
function wordPosition(e: Editor, question: string, word: string, start: number): number {
  const ids = e.tokenizer.encode(question);
  const w = e.tokenizer.encode(word);
  if (w.length !== 1) throw new Error(`wordImageAttention: '${word}' is ${w.length} tokens; pass one word of the vocabulary`);
  const at = ids.indexOf(w[0]);
  if (at < 0) throw new Error(`wordImageAttention: '${word}' is not in the question '${question}'`);
  return start + at;
}

/** The attention of `word` in `question` over the image tokens of `image` ([H*W*3] in [-1, 1]). */
export function wordImageAttention(e: Editor, image: Float32Array, question: string, word: string): WordAttention {
  if (!e.imageTokens) throw new Error("wordImageAttention: this editor has no image tokens (the LGIE-like variant)");
  const layout = editorLayout(e, [question]);
  const it = layout.items[0];
  const position = wordPosition(e, question, word, it.instruction.start);
  const { count: Ni, grid } = imageTokenGrid(layout);
  const rows = tf.tidy(() => {
    const images = imageBatch([image], e.config.image);
    const r = editorCondition(e, images, layout, true);
    // per layer [H, Ni]: row `position`, image columns
    return r.mllm.attention.map((a) => a.slice([0, 0, position, it.image.start], [1, -1, 1, Ni]).reshape([a.shape[1], Ni]).arraySync() as number[][]);
  });
  const imageMass = rows.map((heads) => heads.reduce((s, h) => s + h.reduce((a, b) => a + b, 0), 0) / heads.length);
  return { question, word, position, grid, maps: rows, imageMass };
}

/**
 * Per layer (head mean), the share of the word's image attention that lands on the masked region,
 * weighting each token by its coverage; and the share a uniform map would give (the baseline).
 */
export function regionMass(a: WordAttention, coverage: readonly number[]): { perLayer: number[]; uniform: number } {
  if (coverage.length !== a.grid * a.grid) throw new Error(`regionMass: coverage has ${coverage.length} tokens, the map ${a.grid * a.grid}`);
  const perLayer = a.maps.map((heads) => {
    let s = 0;
    for (const h of heads) {
      const total = h.reduce((x, y) => x + y, 0);
      s += total > 0 ? h.reduce((acc, v, i) => acc + v * coverage[i], 0) / total : 0;
    }
    return s / heads.length;
  });
  const uniform = coverage.reduce((x, y) => x + y, 0) / coverage.length;
  return { perLayer, uniform };
}

/** Words that carry a question's spatial relation (the data engine's rank and relation words). */
export const SPATIAL_WORDS = ["leftmost", "rightmost", "tallest", "shortest", "biggest", "smallest", "nearest", "farthest", "left", "right", "taller", "shorter", "bigger", "smaller", "nearer", "farther"] as const;

/**
 * The first word of `question` (as the tokenizer splits it: one token) that is a spatial word or
 * a hyphenated paraphrase of one ("furthest-right"), or null.
 */
export function firstSpatialWord(question: string): string | null {
  const spatial = (w: string) => w.split("-").some((part) => (SPATIAL_WORDS as readonly string[]).includes(part));
  return splitWords(question).find(spatial) ?? null;
}

/** What `regionMassStudy` needs of a question: its image, text, the object it is about and the scene's instance mask. */
export interface RegionItem {
  image: Float32Array;
  question: string;
  objects: readonly number[];
  mask: Int32Array;
}

export interface RegionMassRow {
  model: string;
  /** Per layer, the mean over questions of the share on the object (head mean). */
  perLayer: number[];
  /** Per question, per layer. */
  perItem: number[][];
  /** Mean share a uniform map would put on the object. */
  uniform: number;
}

/**
 * For each model and each question with a spatial word: the share of that word's image attention
 * that lands on the first object the question is about, per layer (the "localises the object"
 * proxy of Appendix O), beside what a uniform map would give. Questions without a spatial word
 * or whose object is not visible are skipped (the same ones for every model).
 */
export function regionMassStudy(models: readonly { name: string; editor: Editor }[], items: readonly RegionItem[], size: number): { rows: RegionMassRow[]; questions: string[] } {
  const usable = items.filter((it) => firstSpatialWord(it.question) !== null && it.objects.length > 0 && it.mask.some((v) => v === it.objects[0]));
  const rows = models.map(({ name, editor }) => {
    const perItem: number[][] = [];
    let uniform = 0;
    for (const it of usable) {
      const a = wordImageAttention(editor, it.image, it.question, firstSpatialWord(it.question)!);
      const cov = tokenCoverage(objectMask(it.mask, [it.objects[0]]), size, a.grid);
      const r = regionMass(a, cov);
      perItem.push(r.perLayer);
      uniform += r.uniform / usable.length;
    }
    const L = perItem[0]?.length ?? 0;
    const perLayer = Array.from({ length: L }, (_, l) => perItem.reduce((s, p) => s + p[l], 0) / perItem.length);
    return { model: name, perLayer, perItem, uniform };
  });
  return { rows, questions: usable.map((it) => it.question) };
}
