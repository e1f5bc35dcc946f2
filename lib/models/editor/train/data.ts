/**
 * The editor's training data, in memory, from the data engine (paper §5.1, §5.2; Appendix L):
 * - `captionData`: generic, non-spatial image-text data for base pre-training (stands in for the
 *   image-text data LLaVA was trained on): "describe the image ." -> the objects with their
 *   colour, size, material and shape and the count, in a canonical, non-spatial order, and
 *   "describe the <colour> object ." for objects whose colour is unique;
 * - `genericEditData`: the IPr2Pr-like generic edits (~7% spatial, lib/data/generic.ts);
 * - `engineData`: the data engine's spatial VQA pairs (Stage I) and spatial edit records with
 *   exact ground truth (Stage II).
 * Images are [H*W*3] Float32Arrays in [-1, 1]. Every generator checks that its base seed is a
 * training seed (lib/data/seeds.ts), so no benchmark scene is ever trained on.
 */
import { Rng } from "../../../core/rng";
import { CHANGED_RESIDUAL } from "../losses";
import { dataEngineConfig, genericConfig } from "../../../data/config";
import { buildScene } from "../../../data/generate";
import { genericUnit } from "../../../data/generic";
import { decodePng } from "../../../data/png";
import { checkTrainingSeed } from "../../../data/seeds";
import { worldConfig } from "../../../world/config";
import { renderScene } from "../../../world/render";
import { sampleScene } from "../../../world/sampler";

export interface EditExample {
  source: Float32Array;
  target: Float32Array;
  instruction: string;
  /** The language condition (§5.1.3): what the result shows, in words. */
  condition: string;
  /** Edit kind or generic type, for per-kind scores. */
  kind: string;
  /** The data engine's template family (spatial edits; absent for generic edits). */
  family?: string;
  spatial: boolean;
  /** The data engine's spatial edits: the source's objects as the renderer drew them (the object-level where loss's truth). */
  objects?: EditObjects;
}

/**
 * A source's objects: its instance mask [H*W] (object id per pixel, -1 ground) and the id of the object the edit changes most (-1: none);
 * `offset`: how far that object's visible centre moves from the source to the target, [dx, dy] as fractions of the image side (x right,
 * y down; objectOffset), absent when it is visible in only one of them (removed, or moved out of sight) or there is no changed object;
 * `scale`: how much its visible extent grows, the square root of its visible pixels in the target over those in the source
 * (objectScale), absent when `offset` is.
 */
export interface EditObjects {
  mask: Int32Array;
  changed: number;
  offset?: readonly [number, number];
  scale?: number;
}

/** The centre of object `id`'s pixels in an instance mask [size * size] ([x, y] in pixels, pixel centres at +0.5), or null when it has none. */
function maskCentre(mask: ArrayLike<number>, id: number, size: number): [number, number] | null {
  let [sx, sy, n] = [0, 0, 0];
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] !== id) continue;
    sx += (p % size) + 0.5;
    sy += Math.floor(p / size) + 0.5;
    n++;
  }
  return n === 0 ? null : [sx / n, sy / n];
}

/**
 * How far object `id`'s visible centre moves from the source's instance mask to the target's (both [size * size]): [dx, dy] as
 * fractions of the image side (x right, y down), or null when `id` < 0 or it is visible in only one of them.
 */
export function objectOffset(source: ArrayLike<number>, target: ArrayLike<number>, id: number): readonly [number, number] | null {
  if (source.length !== target.length) throw new Error(`objectOffset: source mask has ${source.length} pixels, target ${target.length}`);
  const size = Math.round(Math.sqrt(source.length));
  if (size * size !== source.length) throw new Error(`objectOffset: a mask of ${source.length} pixels is not square`);
  if (id < 0) return null;
  const [a, b] = [maskCentre(source, id, size), maskCentre(target, id, size)];
  return a === null || b === null ? null : [(b[0] - a[0]) / size, (b[1] - a[1]) / size];
}

/**
 * How much object `id`'s visible extent grows from the source's instance mask to the target's (both [size * size]): the square
 * root of its pixels in the target over those in the source (1: the same area), or null when `id` < 0 or it is visible in only one.
 */
export function objectScale(source: ArrayLike<number>, target: ArrayLike<number>, id: number): number | null {
  if (source.length !== target.length) throw new Error(`objectScale: source mask has ${source.length} pixels, target ${target.length}`);
  if (id < 0) return null;
  let [a, b] = [0, 0];
  for (let p = 0; p < source.length; p++) {
    if (source[p] === id) a++;
    if (target[p] === id) b++;
  }
  return a === 0 || b === 0 ? null : Math.sqrt(b / a);
}

/** The id of the object of `mask` with the most pixels in `changed` ([H*W] 1 = the edit changes the pixel); -1 when no object pixel changes; ties to the lower id. */
export function changedObjectId(mask: Int32Array, changed: Uint8Array): number {
  if (mask.length !== changed.length) throw new Error(`changedObjectId: mask has ${mask.length} pixels, changed ${changed.length}`);
  const count = new Map<number, number>();
  for (let p = 0; p < mask.length; p++) if (changed[p] && mask[p] >= 0) count.set(mask[p], (count.get(mask[p]) ?? 0) + 1);
  let best = -1;
  let bestN = 0;
  for (const [id, n] of count) if (n > bestN || (n === bestN && id < best)) [best, bestN] = [id, n];
  return best;
}

export interface TextExample {
  image: Float32Array;
  prompt: string;
  answer: string;
  family: string;
  /** [H*W] 1 on the pixels of the objects the question is about (engine VQA; the grounding loss's target), else absent. */
  objectMask?: Uint8Array;
}

/** 8-bit RGB -> [-1, 1]. */
export function toSigned(rgb: Uint8Array): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = rgb[i] / 127.5 - 1;
  return out;
}

/** [-1, 1] -> 8-bit RGB (clipped, rounded). */
export function toBytes(x: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((x[i] + 1) * 127.5)));
  return out;
}

function checkScenes(n: number, who: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${who}: scenes must be a positive integer, got ${n}`);
}

/** Generic captions and object descriptions of `scenes` fresh scenes (non-spatial: the order is by shape, colour, size, material). */
export function captionData(seed: number, scenes: number, resolution: number): TextExample[] {
  checkTrainingSeed(seed);
  checkScenes(scenes, "captionData");
  const world = worldConfig();
  const out: TextExample[] = [];
  for (let k = 0; k < scenes; k++) {
    const scene = sampleScene(new Rng(seed).fork(`caption-${k}`), world);
    const image = toSigned(renderScene(scene, { width: resolution, height: resolution }).rgb);
    const describe = (o: (typeof scene.objects)[number]) => `${o.size} ${o.colour} ${o.material} ${o.shape}`;
    const sorted = [...scene.objects].sort((a, b) => describe(a).split(" ").reverse().join(" ").localeCompare(describe(b).split(" ").reverse().join(" ")));
    out.push({ image, prompt: "describe the image .", answer: `there are ${scene.objects.length} objects : ${sorted.map(describe).join(" , ")}`, family: "caption" });
    for (const o of scene.objects) {
      if (scene.objects.filter((p) => p.colour === o.colour).length !== 1) continue;
      out.push({ image, prompt: `describe the ${o.colour} object .`, answer: describe(o), family: "attribute" });
    }
  }
  return out;
}

/** The generic IPr2Pr-like edit data of `scenes` scenes (lib/data/generic.ts), decoded. */
export function genericEditData(seed: number, scenes: number, resolution: number, profile?: string): EditExample[] {
  checkTrainingSeed(seed);
  checkScenes(scenes, "genericEditData");
  const cfg = genericConfig(profile, { resolution });
  const out: EditExample[] = [];
  for (let k = 0; k < scenes; k++) {
    const unit = genericUnit(k, seed, cfg);
    const files = new Map(unit.files.map((f) => [f.path, f.bytes]));
    for (const r of unit.records) {
      const src = files.get(String(r.file_name));
      const tgt = files.get(String(r.edited_file_name));
      if (!src || !tgt) throw new Error(`genericEditData: scene ${k} lacks the image files of its record`);
      out.push({
        source: toSigned(decodePng(src).data),
        target: toSigned(decodePng(tgt).data),
        instruction: String(r.instruction),
        condition: String(r.language_condition),
        kind: String(r.type),
        spatial: Boolean(r.spatial_intended),
      });
    }
  }
  return out;
}

/** [H*W] 1 where the instance mask shows one of `ids`, else 0. */
export function objectMask(mask: Int32Array, ids: readonly number[]): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) if (ids.includes(mask[i])) out[i] = 1;
  return out;
}

/**
 * [H*W] 1 where the edit changes the pixel, else 0: some channel of the residual (target - source) / 2
 * beyond CHANGED_RESIDUAL (the threshold of losses.ts changedPixels, the rule of Stage II's where
 * targets), compared in 8-bit steps. Not bit-identical to that float32 rule: on the `paper` training
 * edits (1,600 scenes) 121 of 3,357,696 pixels differ. Images [H*W*3] in [-1, 1] of the same size.
 */
export function changedMask(source: Float32Array, target: Float32Array): Uint8Array {
  if (source.length !== target.length || source.length % 3 !== 0) throw new Error(`changedMask: source (${source.length} values) and target (${target.length}) must be images of the same size`);
  const out = new Uint8Array(source.length / 3);
  const steps = Math.round(CHANGED_RESIDUAL * 255); // r0 = (t - s) / 2 changes by 1/255 per 8-bit step
  for (let p = 0; p < out.length; p++) {
    for (let ch = 0; ch < 3; ch++) if (Math.round(Math.abs(target[3 * p + ch] - source[3 * p + ch]) * 127.5) > steps) out[p] = 1;
  }
  return out;
}

/**
 * Spatial edits read as text examples (Stage I's `stage1EditShare`): the source image with the edit
 * instruction, the language condition as the answer, the pixels the edit changes as the object mask.
 */
export function editTextExamples(edits: readonly EditExample[]): TextExample[] {
  return edits.map((x) => ({ image: x.source, prompt: x.instruction, answer: x.condition, family: x.family ?? x.kind, objectMask: changedMask(x.source, x.target) }));
}

/**
 * The data engine's spatial VQA pairs and spatial edit records of `scenes` scenes (oracle perception), numbered from
 * `first` (scene k is the same whatever the range: a run on scenes 0..n-1 never sees scenes n.. of the same seed).
 */
export function engineData(seed: number, scenes: number, resolution: number, profile?: string, first = 0): { vqa: TextExample[]; edits: EditExample[] } {
  checkTrainingSeed(seed);
  checkScenes(scenes, "engineData");
  if (!Number.isInteger(first) || first < 0) throw new Error(`engineData: first scene must be an integer >= 0, got ${first}`);
  const cfg = dataEngineConfig(profile, { resolution });
  const vqa: TextExample[] = [];
  const edits: EditExample[] = [];
  for (let k = first; k < first + scenes; k++) {
    const s = buildScene(k, seed, cfg);
    const image = toSigned(s.render.rgb);
    for (const q of s.vqa) vqa.push({ image, prompt: q.text, answer: q.answer, family: q.family, objectMask: objectMask(s.render.mask, q.objects) });
    for (const e of s.edits) {
      const target = toSigned(e.target.data);
      const changed = changedObjectId(s.render.mask, changedMask(image, target));
      const offset = objectOffset(s.render.mask, e.targetMask, changed);
      const scale = offset !== null ? objectScale(s.render.mask, e.targetMask, changed) : null;
      edits.push({ source: image, target, instruction: e.text, condition: e.condition, kind: e.kind, family: e.family, spatial: true, objects: { mask: s.render.mask, changed, ...(offset !== null ? { offset } : {}), ...(scale !== null ? { scale } : {}) } });
    }
  }
  return { vqa, edits };
}

/** The index of the first edit of the last `heldOut` source images (edits come scene by scene, one scene's edits sharing its source array); at least one image trains. */
export function heldOutStart(edits: readonly { source: Float32Array }[], heldOut: number): number {
  const starts = edits.map((x, i) => i).filter((i) => i === 0 || edits[i].source !== edits[i - 1].source);
  if (starts.length < 2) throw new Error(`heldOutStart: the edits come from ${starts.length} source image(s); at least two are needed to hold some out`);
  return starts[Math.max(1, starts.length - heldOut)];
}

/**
 * A head's three sets from `edits`: the edits of the last `heldOut` source images are held out, the first half of those
 * images' edits `check` the fit (early stopping), the second half `test` it; the rest `train` it.
 */
export function heldOutSplit<T extends { source: Float32Array }>(edits: readonly T[], heldOut: number): { train: T[]; check: T[]; test: T[] } {
  const cut = heldOutStart(edits, heldOut);
  return { train: edits.slice(0, cut), ...checkTestSplit(edits.slice(cut), heldOut) };
}

/** The held-out edits of `heldOut` source images split in two: the edits of the first half of the images `check`, the rest `test`. */
export function checkTestSplit<T extends { source: Float32Array }>(held: readonly T[], heldOut: number): { check: T[]; test: T[] } {
  const cut = heldOutStart(held, Math.floor(heldOut / 2));
  return { check: held.slice(0, cut), test: held.slice(cut) };
}
