/**
 * Toy "image + instruction" token sequences for the multi-layer attention experiment of §4.2:
 * a strip of image patch tokens (some covered by coloured objects) followed by the words of
 * "change the leftmost object". The paper's example: the word token "leftmost" should attend to
 * the image tokens of the leftmost object. Embeddings come from a frozen random "encoder"
 * (fixed vectors drawn from an Rng): patch = position vector + (colour or background) vector + noise.
 */
import { Rng } from "../../core/rng";

export const SCENE_WORDS = ["change", "the", "leftmost", "object"] as const;
/** Index, among the word tokens, of the query token whose attention row is the target. */
export const QUERY_WORD = 2;

export interface SceneConfig {
  /** Image patch tokens in the strip (left to right). */
  patches: number;
  /** Object colours in the frozen encoder's vocabulary. */
  colours: number;
  /** Objects per scene: min and max (inclusive). */
  minObjects: number;
  maxObjects: number;
  /** Widest object, in patches. */
  maxWidth: number;
  /** Std of the per-patch noise added by the encoder. */
  noise: number;
  /** Width of the token embeddings. */
  d: number;
}

/** The frozen encoder: fixed random vectors (each ~ N(0, 1/d) per component, norm ~1). */
export interface SceneEncoder {
  config: SceneConfig;
  position: Float32Array[]; // [patches][d]
  colour: Float32Array[]; // [colours][d]
  background: Float32Array; // [d]
  word: Float32Array[]; // [words][d]
}

export function createSceneEncoder(config: SceneConfig, rng: Rng): SceneEncoder {
  const { patches, colours, minObjects, maxObjects, maxWidth, d } = config;
  if (minObjects < 1 || maxObjects < minObjects) throw new Error(`createSceneEncoder: need 1 <= minObjects <= maxObjects, got ${minObjects}, ${maxObjects}`);
  if (maxObjects * maxWidth + (maxObjects - 1) > patches) {
    throw new Error(`createSceneEncoder: ${maxObjects} objects of width up to ${maxWidth} with gaps do not fit in ${patches} patches; use more patches or fewer objects`);
  }
  const v = (label: string) => rng.fork(label).normalArray(d, 0, 1 / Math.sqrt(d));
  return {
    config: { ...config },
    position: Array.from({ length: patches }, (_, i) => v(`pos${i}`)),
    colour: Array.from({ length: colours }, (_, i) => v(`colour${i}`)),
    background: v("background"),
    word: SCENE_WORDS.map((w) => v(`word-${w}`)),
  };
}

export interface SceneBatch {
  batch: number;
  /** Image tokens [B, patches, d] and word tokens [B, words, d], row-major. */
  image: Float32Array;
  words: Float32Array;
  /** Per example, the patch indices of the leftmost object (the target of the "leftmost" row). */
  target: number[][];
  /** Per example, object id per patch (-1 = background). */
  layout: number[][];
}

/** `batch` random scenes: non-overlapping objects with at least one empty patch between them. */
export function sceneBatch(enc: SceneEncoder, batch: number, rng: Rng): SceneBatch {
  const { patches, colours, minObjects, maxObjects, maxWidth, noise, d } = enc.config;
  const W = SCENE_WORDS.length;
  const image = new Float32Array(batch * patches * d);
  const words = new Float32Array(batch * W * d);
  const target: number[][] = [];
  const layout: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const k = rng.int(minObjects, maxObjects + 1);
    let occ: number[] = [];
    for (let attempt = 0; ; attempt++) {
      occ = new Array(patches).fill(-1);
      let ok = true;
      for (let o = 0; o < k && ok; o++) {
        const w = rng.int(1, maxWidth + 1);
        const start = rng.int(0, patches - w + 1);
        for (let c = Math.max(0, start - 1); c < Math.min(patches, start + w + 1); c++) if (occ[c] !== -1) ok = false;
        if (ok) for (let c = start; c < start + w; c++) occ[c] = o;
      }
      if (ok) break;
      if (attempt > 1000) throw new Error("sceneBatch: could not place the objects; use more patches");
    }
    const colourOf = Array.from({ length: k }, () => rng.int(0, colours));
    const first = occ.findIndex((o) => o !== -1);
    target.push(occ.map((o, i) => (o === occ[first] ? i : -1)).filter((i) => i >= 0));
    layout.push(occ);
    for (let c = 0; c < patches; c++) {
      const base = (b * patches + c) * d;
      const content = occ[c] === -1 ? enc.background : enc.colour[colourOf[occ[c]]];
      for (let j = 0; j < d; j++) image[base + j] = enc.position[c][j] + content[j] + rng.normal(0, noise);
    }
    for (let w = 0; w < W; w++) words.set(enc.word[w], (b * W + w) * d);
  }
  return { batch, image, words, target, layout };
}

/** Token labels of a scene sequence: image patches then words. */
export function sceneTokenLabels(patches: number, layout?: number[]): string[] {
  const img = Array.from({ length: patches }, (_, i) => (layout && layout[i] >= 0 ? `img${i}[o${layout[i]}]` : `img${i}`));
  return [...img, ...SCENE_WORDS];
}
