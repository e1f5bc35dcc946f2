/**
 * Does the frozen image encoder's patch token say which object lies in its patch? The editor's
 * encoder (lib/models/editor/encoder.ts) is trained in the base phase on generic, non-spatial
 * captions and then frozen; no later phase makes the MLLM locate a named object (locate-probe.ts).
 * If the tokens Enc(M) [B, N, encD] did not carry what lies in each patch, no later phase could.
 *
 * Linear probes (ridge-probe.ts: closed form, λ chosen on validation scenes) from each patch's
 * features to its exact ground truth (patch-truth.ts), on held-out scenes split by scene into
 * train / val / test:
 * - coverage: share of the patch's pixels on an object (R²);
 * - colour and shape class of the object covering most of the patch, for patches at least
 *   `minCover` covered (one-vs-all ridge, argmax accuracy, against the majority class).
 * Feature sources, each probed the same way: `encoder` (the node's frozen encoder), `random-encoder`
 * (the same architecture at initialisation: what training added), `pixels` (the patch's raw RGB:
 * colour is there by construction, shape may need context), `pixel-context` (the raw RGB of the
 * 3 x 3 patches around it, zero outside the image: what a linear read-out of the neighbourhood the
 * encoder can attend to gives), `encoder+adapter` (the encoder token beside the MLLM image token
 * Ada_img makes of the m x m patches around it).
 * `encoderVerdict` reads the numbers: an attribute is carried when the probe beats the majority
 * class by `minGain` and the Wilson 95% lower bound of its accuracy is above the majority class;
 * coverage when its R² is at least `minR2`. For an attribute the encoder does not carry, the verdict
 * also says whether the pixel context does (then the encoder drops what a linear read-out could
 * have; if not, a linear probe cannot tell whether the encoder holds it in another form).
 */
import { createHash } from "crypto";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, type DeepPartial, type Presets } from "../core/profile";
import { Rng } from "../core/rng";
import { adaptImageTokens } from "../models/editor/adapter";
import { encodeImages } from "../models/editor/encoder";
import { createEditor, disposeEditor, editorParams, type Editor } from "../models/editor/model";
import { imageBatch } from "../models/editor/train/steps";
import { patchify } from "../nn/layers";
import { COLOURS, SHAPES } from "../world/types";
import { patchTruth, type ProbeScene } from "./patch-truth";
import { classificationProbe, regressionProbe, type ClassProbe, type ProbeSplit, type RegressionProbe } from "./ridge-probe";
import { wilsonCi } from "./stats";

export const FEATURE_SOURCES = ["encoder", "random-encoder", "pixels", "pixel-context", "encoder+adapter"] as const;
export type FeatureSource = (typeof FEATURE_SOURCES)[number];

export interface EncoderProbeConfig {
  /** Held-out scenes (patch-truth.ts probeScenes). */
  scenes: number;
  /** Images encoded per batch. */
  batch: number;
  /** Shares of the scenes for choosing λ and for the reported numbers (the rest fit the probes). */
  valShare: number;
  testShare: number;
  /** Patches less covered by objects have no colour or shape target. */
  minCover: number;
  /** Ridge strengths tried (on standardised features), chosen on the validation scenes. */
  lambdas: number[];
  /** Seed of the random-init encoder. */
  randomSeed: number;
  /** The verdict: an attribute is carried when the probe beats the majority class by this much... */
  minGain: number;
  /** ...and coverage when its R² is at least this. */
  minR2: number;
}

const BASE: EncoderProbeConfig = { scenes: 400, batch: 50, valShare: 0.2, testShare: 0.2, minCover: 0.5, lambdas: [1e-4, 1e-3, 1e-2, 1e-1, 1, 10], randomSeed: 0, minGain: 0.1, minR2: 0.5 };

export const ENCODER_PROBE_PRESETS: Presets<EncoderProbeConfig> = {
  tiny: { ...BASE, scenes: 15, batch: 8 },
  quick: { ...BASE, scenes: 100 },
  paper: BASE,
};

export function encoderProbeConfig(profile?: string, overrides?: DeepPartial<EncoderProbeConfig>): EncoderProbeConfig {
  const c = resolveConfig(ENCODER_PROBE_PRESETS, "encoder probe", profile, overrides);
  if (!Number.isInteger(c.scenes) || c.scenes < 3) throw new Error(`encoder probe: scenes must be an integer >= 3 (train, val and test scenes), got ${c.scenes}`);
  if (!Number.isInteger(c.batch) || c.batch < 1) throw new Error(`encoder probe: batch must be a positive integer, got ${c.batch}`);
  if (!(c.valShare > 0 && c.testShare > 0 && c.valShare + c.testShare < 1)) throw new Error(`encoder probe: valShare and testShare must be > 0 with a sum < 1, got ${c.valShare} and ${c.testShare}`);
  if (c.lambdas.length === 0 || c.lambdas.some((l) => !(l > 0))) throw new Error(`encoder probe: lambdas must be positive numbers, got [${c.lambdas.join(", ")}]`);
  return c;
}

/** Scene indices 0..n-1 split in order: the first ones fit, then validation, then test (each at least one scene). */
export function sceneSplit(n: number, valShare: number, testShare: number): { train: number[]; val: number[]; test: number[] } {
  const nVal = Math.max(1, Math.round(n * valShare));
  const nTest = Math.max(1, Math.round(n * testShare));
  const nTrain = n - nVal - nTest;
  if (nTrain < 1) throw new Error(`sceneSplit: ${n} scenes leave none to fit the probes (val ${nVal}, test ${nTest})`);
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  return { train: range(0, nTrain), val: range(nTrain, nTrain + nVal), test: range(nTrain + nVal, n) };
}

/** sha256 of the encoder's weights (names and values, in name order): equal for nodes that share a frozen encoder. */
export function encoderWeightsHash(e: Editor): string {
  const h = createHash("sha256");
  for (const [name, v] of Object.entries(e.groups.enc).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const data = v.dataSync() as Float32Array;
    h.update(`${name}:${v.shape.join("x")}:`).update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest("hex");
}

/** Per patch of every image, its encoder token [B * N * encD] (and, with `adapter`, the image token of Ada_img over it: [B * N * (encD + d)]). */
export function encoderFeatures(e: Editor, images: readonly Float32Array[], batch: number, adapter = false): { x: Float32Array; d: number } {
  const c = e.config;
  const g = c.image / c.encPatch;
  const m = c.adapterMerge;
  const d = c.encD + (adapter ? c.d : 0);
  const x = new Float32Array(images.length * g * g * d);
  const p = editorParams(e);
  const up = Array.from({ length: g }, (_, i) => Math.floor(i / m));
  for (let i = 0; i < images.length; i += batch) {
    const part = images.slice(i, i + batch);
    const out = tf.tidy(() => {
      const tokens = encodeImages(p, c, imageBatch(part, c.image)).tokens; // [B, N, encD]
      if (!adapter) return tokens;
      const B = part.length;
      const ada = adaptImageTokens(p, c, tokens).reshape([B, g / m, g / m, c.d]); // one token per m x m patches
      const spread = tf.gather(tf.gather(ada, up, 1), up, 2).reshape([B, g * g, c.d]); // the image token over each patch
      return tf.concat([tokens, spread], 2);
    });
    x.set(out.dataSync(), i * g * g * d);
    out.dispose();
  }
  return { x, d };
}

/** Per patch of every image [size * size * 3], its raw values [B * N * patch * patch * 3] (the encoder's patchify order). */
export function pixelFeatures(images: readonly Float32Array[], size: number, patch: number): { x: Float32Array; d: number } {
  const x = tf.tidy(() => patchify(imageBatch(images, size), patch).dataSync() as Float32Array); // [B, N, patch * patch * 3]
  return { x, d: patch * patch * 3 };
}

/**
 * Per patch of every image, the raw values of the (2 radius + 1)^2 patches around it (row-major,
 * each in patchify order; 0 outside the image) [B * N * (2 radius + 1)^2 * patch * patch * 3].
 */
export function pixelContextFeatures(images: readonly Float32Array[], size: number, patch: number, radius = 1): { x: Float32Array; d: number } {
  const own = pixelFeatures(images, size, patch);
  const g = size / patch;
  const w = 2 * radius + 1;
  const d = w * w * own.d;
  const x = new Float32Array(images.length * g * g * d);
  for (let b = 0; b < images.length; b++) {
    for (let pr = 0; pr < g; pr++) {
      for (let pc = 0; pc < g; pc++) {
        const row = (b * g + pr) * g + pc;
        for (let dr = -radius; dr <= radius; dr++) {
          for (let dc = -radius; dc <= radius; dc++) {
            const r = pr + dr;
            const c = pc + dc;
            if (r < 0 || r >= g || c < 0 || c >= g) continue;
            const at = row * d + ((dr + radius) * w + (dc + radius)) * own.d;
            const from = ((b * g + r) * g + c) * own.d;
            x.set(own.x.subarray(from, from + own.d), at);
          }
        }
      }
    }
  }
  return { x, d };
}

/** The targets of all scenes, patches stacked scene after scene. */
export interface StackedTruth {
  patchesPerScene: number;
  coverage: Float32Array;
  colour: Int32Array;
  shape: Int32Array;
  /** 1 where the patch's main object is the only one of its colour in the scene (its colour names it), else 0. */
  uniqueColour: Uint8Array;
}

export function stackTruth(scenes: readonly ProbeScene[], size: number, patch: number, minCover: number): StackedTruth {
  const per = (size / patch) ** 2;
  const n = scenes.length * per;
  const out: StackedTruth = { patchesPerScene: per, coverage: new Float32Array(n), colour: new Int32Array(n), shape: new Int32Array(n), uniqueColour: new Uint8Array(n) };
  scenes.forEach((s, k) => {
    const t = patchTruth(s.mask, s.objects, size, patch, minCover);
    out.coverage.set(t.coverage, k * per);
    out.colour.set(t.colour, k * per);
    out.shape.set(t.shape, k * per);
    t.object.forEach((id, j) => {
      const o = s.objects.find((x) => x.id === id);
      out.uniqueColour[k * per + j] = o !== undefined && s.objects.filter((x) => x.colour === o.colour).length === 1 ? 1 : 0;
    });
  });
  return out;
}

/** The patch rows of the split's scenes; `keep` filters them (e.g. patches with a colour target). */
export function patchRows(scenes: { train: number[]; val: number[]; test: number[] }, per: number, keep: (row: number) => boolean = () => true): ProbeSplit {
  const rows = (ks: number[]) => ks.flatMap((k) => Array.from({ length: per }, (_, j) => k * per + j)).filter(keep);
  return { train: rows(scenes.train), val: rows(scenes.val), test: rows(scenes.test) };
}

export interface SourceProbe {
  source: FeatureSource;
  /** Feature width. */
  dim: number;
  coverage: RegressionProbe;
  colour: ClassProbe;
  shape: ClassProbe;
}

/** The three probes on one feature source. */
export function probeSource(source: FeatureSource, f: { x: Float32Array; d: number }, truth: StackedTruth, scenes: { train: number[]; val: number[]; test: number[] }, lambdas: readonly number[]): SourceProbe {
  const all = patchRows(scenes, truth.patchesPerScene);
  const objects = patchRows(scenes, truth.patchesPerScene, (r) => truth.colour[r] >= 0);
  for (const part of ["train", "val", "test"] as const) {
    if (objects[part].length === 0) throw new Error(`encoder probe: no patch of the ${part} scenes is covered enough by an object for a colour and shape target; use more scenes`);
  }
  return {
    source,
    dim: f.d,
    coverage: regressionProbe(f.x, f.d, truth.coverage, all, lambdas),
    colour: classificationProbe(f.x, f.d, truth.colour, COLOURS.length, objects, lambdas),
    shape: classificationProbe(f.x, f.d, truth.shape, SHAPES.length, objects, lambdas),
  };
}

export interface EncoderVerdict {
  coverage: boolean;
  colour: boolean;
  shape: boolean;
  text: string;
}

/** Whether a class probe beats its majority class by `minGain`, with the Wilson 95% lower bound of its accuracy above it. */
export function beatsMajority(p: Pick<ClassProbe, "testAcc" | "majority" | "n">, minGain: number): boolean {
  return p.testAcc - p.majority >= minGain && wilsonCi(Math.round(p.testAcc * p.n.test), p.n.test).lo > p.majority;
}

function numbers(p: SourceProbe): string {
  return `coverage R² ${p.coverage.testR2.toFixed(2)}, colour ${p.colour.testAcc.toFixed(2)}, shape ${p.shape.testAcc.toFixed(2)}`;
}

/** The reading of the probes; `probes` must hold the `encoder` source, and may hold baselines to name. */
export function encoderVerdict(probes: readonly SourceProbe[], t: Pick<EncoderProbeConfig, "minGain" | "minR2">): EncoderVerdict {
  const enc = probes.find((p) => p.source === "encoder");
  if (enc === undefined) throw new Error(`encoderVerdict: no 'encoder' probe among ${probes.map((p) => p.source).join(", ") || "none"}`);
  const coverage = enc.coverage.testR2 >= t.minR2;
  const colour = beatsMajority(enc.colour, t.minGain);
  const shape = beatsMajority(enc.shape, t.minGain);
  const parts = [
    { ok: coverage, text: `where objects are (coverage R² ${enc.coverage.testR2.toFixed(2)}, threshold ${t.minR2})` },
    { ok: colour, text: `the object's colour (probe accuracy ${enc.colour.testAcc.toFixed(2)} vs majority class ${enc.colour.majority.toFixed(2)})` },
    { ok: shape, text: `the object's shape (probe accuracy ${enc.shape.testAcc.toFixed(2)} vs majority class ${enc.shape.majority.toFixed(2)})` },
  ];
  const list = (xs: typeof parts) => (xs.length === 1 ? xs[0].text : `${xs.slice(0, -1).map((x) => x.text).join(", ")} and ${xs[xs.length - 1].text}`);
  const yes = parts.filter((x) => x.ok);
  const no = parts.filter((x) => !x.ok);
  const carries = yes.length === 0 ? `the frozen encoder's patch tokens do not carry ${list(no)}` : no.length === 0 ? `the frozen encoder's patch tokens carry ${list(yes)}` : `the frozen encoder's patch tokens carry ${list(yes)}, but not ${list(no)}`;
  const reading =
    colour && shape
      ? "so the hypothesis that the encoder does not say which object lies in a patch is rejected: what stops later phases from grounding objects comes after the encoder"
      : !colour && !shape
        ? "so the hypothesis holds: the encoder does not say which object lies in a patch, and no later phase that keeps it frozen can read it there"
        : `so the hypothesis holds in part: the encoder does not say the object's ${colour ? "shape" : "colour"} in its patch`;
  const context = probes.find((p) => p.source === "pixel-context");
  const notes =
    context === undefined
      ? []
      : (["colour", "shape"] as const)
          .filter((k) => !(k === "colour" ? colour : shape))
          .map((k) => {
            const q = context[k];
            const at = `${q.testAcc.toFixed(2)} vs majority class ${q.majority.toFixed(2)}`;
            return beatsMajority(q, t.minGain)
              ? `a linear probe reads the object's ${k} from the pixels of the 3 x 3 patches around the patch (${at}), so the encoder drops what its context holds`
              : `nor does a linear probe read the object's ${k} from the pixels of the 3 x 3 patches around the patch (${at}), so a linear probe cannot tell whether the encoder holds it in another form`;
          });
  const others = probes.filter((p) => p.source !== "encoder").map((p) => `${p.source}: ${numbers(p)}`);
  return { coverage, colour, shape, text: `${carries}; ${reading}${notes.map((n) => `; ${n}`).join("")}${others.length > 0 ? ` (test split; ${others.join("; ")})` : ""}.` };
}

export interface EncoderProbeResult {
  /** Patch side, patches per scene. */
  patch: number;
  patchesPerScene: number;
  scenes: { train: number; val: number; test: number };
  patches: { train: number; val: number; test: number };
  /** Patches with a colour and shape target (at least minCover covered). */
  objectPatches: { train: number; val: number; test: number };
  /** Object patches per class over all scenes (COLOURS, SHAPES order). */
  classCounts: { colour: Record<string, number>; shape: Record<string, number> };
  /** Share of the object patches whose main object is the only one of its colour in the scene (so its colour names it). */
  uniqueColourShare: number;
  sources: SourceProbe[];
  verdict: EncoderVerdict;
  seconds: { features: number; probes: number };
}

export interface EncoderProbeOptions {
  config: EncoderProbeConfig;
  /** Sources to probe (default all; encoder+adapter only when the editor reads image tokens). */
  sources?: readonly FeatureSource[];
}

function features(e: Editor, source: FeatureSource, images: Float32Array[], c: EncoderProbeConfig): { x: Float32Array; d: number } {
  if (source === "encoder") return encoderFeatures(e, images, c.batch);
  if (source === "encoder+adapter") return encoderFeatures(e, images, c.batch, true);
  if (source === "pixels") return pixelFeatures(images, e.config.image, e.config.encPatch);
  if (source === "pixel-context") return pixelContextFeatures(images, e.config.image, e.config.encPatch);
  const fresh = createEditor(e.config, new Rng(c.randomSeed).fork("random-encoder"), { tokenizer: e.tokenizer, imageTokens: e.imageTokens });
  try {
    return encoderFeatures(fresh, images, c.batch);
  } finally {
    disposeEditor(fresh);
  }
}

/** The probes of every source on `scenes` (rendered at the editor's image size). */
export function probeEncoder(e: Editor, scenes: readonly ProbeScene[], o: EncoderProbeOptions): EncoderProbeResult {
  const c = o.config;
  const size = e.config.image;
  const patch = e.config.encPatch;
  for (const s of scenes) {
    if (s.image.length !== size * size * 3) throw new Error(`probeEncoder: scene ${s.index} is not rendered at the editor's size ${size} x ${size}`);
  }
  const sources = o.sources ?? FEATURE_SOURCES.filter((s) => s !== "encoder+adapter" || e.imageTokens);
  if (!sources.includes("encoder")) throw new Error(`probeEncoder: sources must include 'encoder' (the verdict reads it); got ${sources.join(", ")}`);
  if (sources.includes("encoder+adapter") && !e.imageTokens) throw new Error("probeEncoder: this editor reads no image tokens (the LGIE-like variant), so it has no adapter output to probe");
  const split = sceneSplit(scenes.length, c.valShare, c.testShare);
  const truth = stackTruth(scenes, size, patch, c.minCover);
  const images = scenes.map((s) => s.image);
  let featureMs = 0;
  let probeMs = 0;
  const probes: SourceProbe[] = [];
  for (const source of sources) {
    const t0 = performance.now();
    const f = features(e, source, images, c);
    const t1 = performance.now();
    probes.push(probeSource(source, f, truth, split, c.lambdas));
    featureMs += t1 - t0;
    probeMs += performance.now() - t1;
  }
  const all = patchRows(split, truth.patchesPerScene);
  const objects = patchRows(split, truth.patchesPerScene, (r) => truth.colour[r] >= 0);
  const count = (labels: Int32Array, names: readonly string[]) => Object.fromEntries(names.map((n, i) => [n, labels.filter((v) => v === i).length]));
  const sizes = (s: ProbeSplit) => ({ train: s.train.length, val: s.val.length, test: s.test.length });
  return {
    patch,
    patchesPerScene: truth.patchesPerScene,
    scenes: { train: split.train.length, val: split.val.length, test: split.test.length },
    patches: sizes(all),
    objectPatches: sizes(objects),
    classCounts: { colour: count(truth.colour, COLOURS), shape: count(truth.shape, SHAPES) },
    uniqueColourShare: truth.uniqueColour.reduce((a, v) => a + v, 0) / truth.colour.filter((c) => c >= 0).length,
    sources: probes,
    verdict: encoderVerdict(probes, c),
    seconds: { features: featureMs / 1000, probes: probeMs / 1000 },
  };
}
