/**
 * Multi-layer test of §4.2 / Appendix E.2: can each adaptation method move the attention of the
 * word token "leftmost" onto the leftmost object's image tokens in a frozen random transformer,
 * and how far do the rankings over the original tokens move in each layer?
 *
 * Methods (all optimise the same target: cross-entropy between the uniform distribution over
 * the leftmost object's patches and the head-mean attention row of "leftmost" in the target
 * layer, renormalised over the original tokens):
 * - prompt: n trainable tokens at the input only (the paper's soft prompt);
 * - prefix: n trainable tokens in front of every layer's keys/values;
 * - image-embedding: the adapter that maps encoder features to image tokens (x_j changes: the
 *   case Eq. 7 leaves out); linear d x d + bias, starting at the identity;
 * - embedding: prompt + image adapter together (the paper's "embedding tuning");
 * - attention: W_Q, W_K of every layer (the paper's "attention tuning");
 * - lora: rank-r updates of W_Q, W_K, W_V, W_O of every layer.
 */
import * as tf from "@tensorflow/tfjs";
import { Presets } from "../../core/profile";
import { Rng } from "../../core/rng";
import { rankShift, RankShift } from "./ranking";
import { createSceneEncoder, QUERY_WORD, SCENE_WORDS, sceneBatch, SceneBatch, SceneConfig, SceneEncoder } from "./scenes";
import { cloneGpt, createGpt, createGptLora, createPrefix, createPrompt, disposeAdapters, disposeGpt, forwardEmbedded, Gpt, GptAdapters, gptTunable } from "../../models/gpt";
import { countParams, disposeParams, linear, type Params } from "../../nn/layers";
import { tuningVarList, type TuningMode } from "../../nn/tuning";
import { trainLoop } from "../../train/loop";

/** The compared methods; each is a lib/nn tuning mode plus what its embedding part trains. */
export const TUNING_METHODS = ["prompt", "prefix", "image-embedding", "embedding", "attention", "lora"] as const;
export type TuningMethod = (typeof TUNING_METHODS)[number];
export const TUNING_METHOD_MODE: Record<TuningMethod, TuningMode> = {
  prompt: "embedding",
  prefix: "embedding",
  "image-embedding": "embedding",
  embedding: "embedding",
  attention: "attention",
  lora: "lora",
};

export interface AttentionTuningConfig {
  scene: SceneConfig;
  /** Frozen transformer: depth, heads, MLP width (width = scene.d), non-causal (Eq. 11). */
  layers: number;
  heads: number;
  ff: number;
  /** Init std of W_V, W_O, MLP; and of W_Q, W_K (larger = more peaked attention in the random base). */
  initStd: number;
  qkStd: number;
  /** Trainable soft tokens (prompt at the input, prefix per layer). */
  nSoft: number;
  loraRank: number;
  /** Adam steps per method, scenes per step, learning rates for soft tokens / weights. */
  steps: number;
  batch: number;
  softLr: number;
  weightLr: number;
  /** Held-out scenes for the metrics. */
  evalSize: number;
  /** Layer whose "leftmost" row is the target (-1 = last). */
  targetLayer: number;
  seed: number;
}

const SCENE: SceneConfig = { patches: 10, colours: 4, minObjects: 2, maxObjects: 3, maxWidth: 2, noise: 0.05, d: 32 };

export const ATTENTION_TUNING_PRESETS: Presets<AttentionTuningConfig> = {
  tiny: { scene: { ...SCENE, patches: 6, maxObjects: 2, d: 16 }, layers: 2, heads: 2, ff: 32, initStd: 0.15, qkStd: 0.3, nSoft: 2, loraRank: 2, steps: 3, batch: 8, softLr: 0.05, weightLr: 0.01, evalSize: 16, targetLayer: -1, seed: 7 },
  quick: { scene: SCENE, layers: 3, heads: 2, ff: 64, initStd: 0.15, qkStd: 0.25, nSoft: 4, loraRank: 2, steps: 120, batch: 64, softLr: 0.05, weightLr: 0.01, evalSize: 256, targetLayer: -1, seed: 7 },
  paper: { scene: SCENE, layers: 4, heads: 4, ff: 128, initStd: 0.15, qkStd: 0.25, nSoft: 8, loraRank: 4, steps: 400, batch: 128, softLr: 0.05, weightLr: 0.01, evalSize: 512, targetLayer: -1, seed: 7 },
};

/** A method's trainable state on top of the frozen base; `image` = the image adapter `img.{w,b}` (x W + b, W starts at the identity). */
interface Tuned {
  model: Gpt;
  adapters: GptAdapters;
  image: Params | null;
  vars: tf.Variable[];
  lr: number;
  ownsModel: boolean;
}

function imageAdapter(d: number): Params {
  const eye = new Float32Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 1;
  return tf.tidy(() => ({ "img.w": tf.variable(tf.tensor2d(eye, [d, d])), "img.b": tf.variable(tf.zeros([d])) }));
}

function setupMethod(base: Gpt, method: TuningMethod, c: AttentionTuningConfig, rng: Rng): Tuned {
  const mode = TUNING_METHOD_MODE[method];
  if (mode === undefined) throw new Error(`attention tuning: unknown method '${method as string}'; known: ${TUNING_METHODS.join(", ")}`);
  const d = base.config.d;
  const softStd = 1 / Math.sqrt(d);
  let adapters: GptAdapters = {};
  if (method === "prompt" || method === "embedding") adapters = { prompt: createPrompt(base, c.nSoft, rng, softStd) };
  if (method === "prefix") adapters = { prefix: createPrefix(base, c.nSoft, rng, softStd) };
  if (method === "lora") adapters = { lora: createGptLora(base, c.loraRank, ["q", "k", "v", "o"], rng), loraScale: 1 };
  const image = method === "image-embedding" || method === "embedding" ? imageAdapter(d) : null;
  const ownsModel = mode === "attention";
  const model = ownsModel ? cloneGpt(base) : base;
  const tunable = gptTunable(model, adapters);
  const vars = tuningVarList(mode, { ...tunable, always: [...tunable.always, ...Object.values(image ?? {})] }, { projections: ["q", "k"] });
  const lr = method === "prompt" || method === "prefix" || method === "embedding" ? c.softLr : c.weightLr;
  return { model, adapters, image, vars, lr, ownsModel };
}

function disposeTuned(t: Tuned): void {
  disposeAdapters(t.adapters);
  if (t.image) disposeParams(t.image);
  if (t.ownsModel) disposeGpt(t.model);
}

/** Embedded input [B, T, d]: image tokens (through the adapter, if any) then word tokens. */
function embedScenes(s: SceneBatch, P: number, d: number, image: Params | null): tf.Tensor3D {
  const W = SCENE_WORDS.length;
  let img: tf.Tensor2D = tf.tensor2d(s.image, [s.batch * P, d]); // [B*P, d]
  if (image) img = linear(img, image, "img") as tf.Tensor2D;
  return tf.concat([tf.reshape(img, [s.batch, P, d]), tf.tensor3d(s.words, [s.batch, W, d])], 1) as tf.Tensor3D; // [B, P+W, d]
}

/** Attention per layer over the ORIGINAL keys, renormalised per row: [B, H, T, T]. */
function originalAttention(t: Tuned, s: SceneBatch, P: number): tf.Tensor4D[] {
  const r = forwardEmbedded(t.model, embedScenes(s, P, t.model.config.d, t.image), t.adapters, { returnAttention: true });
  return r.attention.map((att, l) => {
    const [B, H, T, S] = att.shape;
    const orig = tf.slice(att, [0, 0, 0, r.extra[l]], [B, H, T, S - r.extra[l]]);
    return tf.div(orig, tf.sum(orig, -1, true)) as tf.Tensor4D;
  });
}

function targetMatrix(s: SceneBatch, T: number): tf.Tensor2D {
  const m = new Float32Array(s.batch * T);
  s.target.forEach((idx, b) => idx.forEach((j) => (m[b * T + j] = 1 / idx.length)));
  return tf.tensor2d(m, [s.batch, T]);
}

/** Cross-entropy of the head-mean "leftmost" row (renormalised over originals) to the target. */
function targetLoss(t: Tuned, s: SceneBatch, P: number, layer: number): tf.Scalar {
  const att = originalAttention(t, s, P)[layer]; // [B, H, T, T]
  const [B, H, T] = att.shape;
  const row = tf.reshape(tf.slice(att, [0, 0, P + QUERY_WORD, 0], [B, H, 1, T]), [B, H, T]); // [B, H, T]
  const mean = tf.mean(row, 1) as tf.Tensor2D; // [B, T]
  return tf.neg(tf.mean(tf.sum(tf.mul(targetMatrix(s, T), tf.log(tf.add(mean, 1e-9))), -1))) as tf.Scalar;
}

export interface TuningMethodResult {
  method: TuningMethod | "base";
  params: number;
  /** Mean attention mass (head mean, renormalised over originals) of "leftmost" on the leftmost object. */
  targetMass: number;
  /** Share of scenes whose head-mean "leftmost" row peaks on the leftmost object. */
  top1Hit: number;
  /** Per layer: how the rankings of all rows (every head, query, scene) moved vs. the frozen base. */
  perLayer: RankShift[];
  finalLoss: number;
  losses: number[];
  seconds: number;
}

export interface AttentionTuningResult {
  config: AttentionTuningConfig;
  base: TuningMethodResult;
  methods: TuningMethodResult[];
  /** One held-out scene: its layout and, per method, attention over ALL keys per layer [layer][head][q][k]. */
  example: { layout: number[]; target: number[]; maps: Record<string, { maps: number[][][][]; extra: number[] }> };
}

function rowsOf(att: number[][][][]): number[][] {
  const out: number[][] = [];
  for (const b of att) for (const h of b) for (const q of h) out.push(q);
  return out;
}

function evaluate(t: Tuned, s: SceneBatch, P: number, layer: number, baseRows: number[][][] | null): { mass: number; hit: number; perLayer: RankShift[]; rows: number[][][] } {
  const atts = tf.tidy(() => originalAttention(t, s, P).map((a) => a.arraySync() as number[][][][]));
  let mass = 0;
  let hit = 0;
  const att = atts[layer];
  for (let b = 0; b < s.batch; b++) {
    const H = att[b].length;
    const row = att[b][0][P + QUERY_WORD].map((_, j) => att[b].reduce((acc, h) => acc + h[P + QUERY_WORD][j], 0) / H);
    mass += s.target[b].reduce((acc, j) => acc + row[j], 0);
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    if (s.target[b].includes(best)) hit++;
  }
  const rows = atts.map(rowsOf);
  const perLayer = baseRows ? rows.map((r, l) => rankShift(baseRows[l], r)) : rows.map((r) => rankShift(r, r));
  return { mass: mass / s.batch, hit: hit / s.batch, perLayer, rows };
}

function exampleMaps(t: Tuned, s: SceneBatch, P: number): { maps: number[][][][]; extra: number[] } {
  return tf.tidy(() => {
    const one: SceneBatch = { batch: 1, image: s.image.subarray(0, P * t.model.config.d), words: s.words.subarray(0, SCENE_WORDS.length * t.model.config.d), target: [s.target[0]], layout: [s.layout[0]] };
    const r = forwardEmbedded(t.model, embedScenes(one, P, t.model.config.d, t.image), t.adapters, { returnAttention: true });
    return { maps: r.attention.map((a) => (a.arraySync() as number[][][][])[0]), extra: r.extra };
  });
}

/** Runs every method from the same frozen base and measures target attention and rank shifts. */
export async function runAttentionTuning(c: AttentionTuningConfig, options: { methods?: readonly TuningMethod[]; silent?: boolean } = {}): Promise<AttentionTuningResult> {
  const methods = options.methods ?? TUNING_METHODS;
  const rng = new Rng(c.seed);
  const P = c.scene.patches;
  const enc: SceneEncoder = createSceneEncoder(c.scene, rng.fork("encoder"));
  const T = P + SCENE_WORDS.length;
  const base = createGpt({ vocab: 1, d: c.scene.d, layers: c.layers, heads: c.heads, ff: c.ff, maxLen: T, causal: false, initStd: c.initStd, qkStd: c.qkStd }, rng.fork("base"));
  const layer = c.targetLayer < 0 ? c.layers + c.targetLayer : c.targetLayer;
  if (layer < 0 || layer >= c.layers) throw new Error(`attention tuning: targetLayer ${c.targetLayer} is outside 0..${c.layers - 1}`);
  const evalSet = sceneBatch(enc, c.evalSize, rng.fork("eval"));
  const frozen: Tuned = { model: base, adapters: {}, image: null, vars: [], lr: 0, ownsModel: false };
  const b0 = evaluate(frozen, evalSet, P, layer, null);
  const baseResult: TuningMethodResult = { method: "base", params: 0, targetMass: b0.mass, top1Hit: b0.hit, perLayer: b0.perLayer, finalLoss: NaN, losses: [], seconds: 0 };
  const out: AttentionTuningResult = { config: c, base: baseResult, methods: [], example: { layout: evalSet.layout[0], target: evalSet.target[0], maps: { base: exampleMaps(frozen, evalSet, P) } } };
  for (const method of methods) {
    const t = setupMethod(base, method, c, rng.fork(`init-${method}`));
    const dataRng = rng.fork(`data-${method}`);
    const t0 = Date.now();
    const losses = await trainLoop(t.vars, () => targetLoss(t, sceneBatch(enc, c.batch, dataRng), P, layer), { steps: c.steps, lr: t.lr, label: `attention target: ${method}`, silent: options.silent });
    const e = evaluate(t, evalSet, P, layer, b0.rows);
    out.methods.push({ method, params: countParams(t.vars), targetMass: e.mass, top1Hit: e.hit, perLayer: e.perLayer, finalLoss: losses[losses.length - 1], losses, seconds: (Date.now() - t0) / 1000 });
    out.example.maps[method] = exampleMaps(t, evalSet, P);
    disposeTuned(t);
  }
  disposeGpt(base);
  return out;
}
