/**
 * The oracle-render study (issue 9: where does the editor fail?). Only the editor's denoiser is
 * trained, conditioned on an ORACLE computed from the true edit instead of the MLLM and H_edit,
 * then scored on SpatialEval-mini with the object judge. With "where" and "what" given exactly,
 * what is left is the denoiser's rendering and the path by which the condition reaches it:
 * - the oracle features, per denoiser patch: the share of its pixels the edit changes and the mean
 *   target colour of those pixels ([N, 4], patches in `patchify`'s order);
 * - `inject: "cross"`: they enter as cross-attention tokens (one per patch, with a learned
 *   position each), where H_edit's tokens enter in the editor: the denoiser must learn to match
 *   positions through attention;
 * - `inject: "add"`: they are added to the patch tokens (the denoiser's `spatial` input), aligned
 *   with the patches; cross-attention then sees only the learned null condition;
 * - `inject: "content"`: no position at all, one cross-attention token of what the edit looks like
 *   (mean source and target colour of the changed pixels, and their share of the image): the
 *   denoiser must find the pixels by their content, as it must find the object H_edit describes;
 * - `inject: "split"`: "where" alone added to the patch tokens (each patch's changed share) and
 *   "what" as the content token through cross-attention: the division of labour an aligned map
 *   from the MLLM (e.g. its attention over the image) beside H_edit's tokens would have.
 * - `inject: "gated"`: the per-patch oracle in the editor's form (aligned.ts with where forcing and the
 *   truth's plan): S_n = share_n (g + Lin_pi(rgb_n)), g [dnD] and Lin_pi [3, dnD] zero at the start,
 *   added to the patch tokens: the same truth as `add`, but a patch's colour reaches the denoiser
 *   scaled by its changed share (weak on the partly changed patches at an object's edge).
 * The oracle reads the ground truth by design (like the `oracle` reference editor): it bounds what
 * the editor's conditioning could give, it is not an editor. Same loss as Stage II's L_edit
 * (residual x0-prediction, edit-region weight), EMA, DDIM sampling without guidance.
 */
import * as tf from "@tensorflow/tfjs";
import { resolveConfig, type DeepPartial, type Presets } from "../core/profile";
import { Rng } from "../core/rng";
import type { RgbImage } from "../engine/types";
import type { EditorConfig } from "../models/editor/config";
import { denoise, denoiserTokenCount, initDenoiser } from "../models/editor/denoiser";
import { sampleEdits } from "../models/editor/pipeline";
import { CHANGED_RESIDUAL, conditionDropout, editLoss, regionPixelWeights } from "../models/editor/losses";
import { dropRows } from "../models/editor/model";
import { engineData, toBytes } from "../models/editor/train/data";
import { drawBatch, editorScheduler, imageBatch, residualDiffusionBatch } from "../models/editor/train/steps";
import { Ema } from "../nn/ema";
import { constVariable, disposeParams, initLinear, linear, normalVariable, type Params } from "../nn/layers";
import { trainStep } from "../train/adam";
import { FusedAdam } from "../train/fused-adam";
import type { Benchmark } from "./benchmark-io";
import type { Editor, EditRequest } from "./editor";
import { evaluate } from "./evaluate";
import { meansByKind } from "./kind-means";
import { signedAtSize } from "./trained-editor";

export const ORACLE_INJECTIONS = ["cross", "add", "content", "split", "gated"] as const;
export type OracleInjection = (typeof ORACLE_INJECTIONS)[number];

export interface OracleRenderConfig {
  inject: OracleInjection;
  steps: number;
  /** Score on the benchmark every this many steps (and at the last step). */
  evalEvery: number;
  /** Engine scenes of the training edits (training seeds only). */
  scenes: number;
  dataSeed: number;
  batch: number;
  lr: number;
  /** L_edit's weight on the changed pixels (1 + w), as RecipeConfig.editRegionWeight. */
  regionWeight: number;
  /** EMA of the trained weights (0: off); scoring uses the averages. */
  emaDecay: number;
  ddimSteps: number;
  seed: number;
  /**
   * Train with Stage II's condition dropout (the editor config's rates, MGIE's 5% each): items that lose the text
   * condition also lose the oracle (as the editor's spatial condition is dropped with the text), items that lose
   * the image see a zero source (results written before it existed were trained without).
   */
  conditionDropout: boolean;
}

const BASE: OracleRenderConfig = { inject: "cross", steps: 1000, evalEvery: 500, scenes: 1600, dataSeed: 1234, batch: 64, lr: 1e-3, regionWeight: 8, emaDecay: 0.995, ddimSteps: 10, seed: 0, conditionDropout: false };

export const ORACLE_RENDER_PRESETS: Presets<OracleRenderConfig> = {
  tiny: { ...BASE, steps: 2, evalEvery: 2, scenes: 2, batch: 4, emaDecay: 0, ddimSteps: 2 },
  quick: { ...BASE, steps: 40, evalEvery: 40, scenes: 50, batch: 16, emaDecay: 0, ddimSteps: 5 },
  // the paper editor's Stage II settings (edit-region weight 8, EMA 0.995, 10 DDIM steps) on 1,600 scenes
  paper: { ...BASE },
};

export function oracleRenderConfig(profile?: string, overrides?: DeepPartial<OracleRenderConfig>): OracleRenderConfig {
  const c = resolveConfig(ORACLE_RENDER_PRESETS, "oracle-render", profile, overrides);
  if (!(ORACLE_INJECTIONS as readonly string[]).includes(c.inject)) throw new Error(`oracle-render: inject must be one of ${ORACLE_INJECTIONS.join(", ")}, got '${String(c.inject)}'`);
  for (const k of ["steps", "evalEvery", "scenes", "batch", "ddimSteps"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`oracle-render: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!(c.lr > 0)) throw new Error(`oracle-render: lr must be > 0, got ${c.lr}`);
  if (!(c.regionWeight >= 0) || !Number.isFinite(c.regionWeight)) throw new Error(`oracle-render: regionWeight must be a finite number >= 0, got ${c.regionWeight}`);
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw new Error(`oracle-render: emaDecay must be in [0, 1) (0: off), got ${c.emaDecay}`);
  return c;
}

/** Oracle features per patch. */
export const ORACLE_FEATURES = 4;

/**
 * The oracle of one edit: per `patch` x `patch` patch of a `size` x `size` image (row-major, as
 * `patchify`), [share of the patch's pixels the edit changes, mean target R, G, B of those pixels
 * (0 when none)]; images [size*size*3] in [-1, 1]. A pixel is changed when |target - source| / 2
 * exceeds CHANGED_RESIDUAL in some channel (the edit-region weight's rule). Returns [N * 4].
 */
export function oracleFeatures(source: Float32Array, target: Float32Array, size: number, patch: number): Float32Array {
  const n = size * size * 3;
  if (source.length !== n || target.length !== n) throw new Error(`oracleFeatures: images must have ${size}x${size}x3 = ${n} values, got ${source.length} and ${target.length}`);
  if (!Number.isInteger(patch) || patch < 1 || size % patch !== 0) throw new Error(`oracleFeatures: patch ${patch} does not divide the image size ${size}`);
  const g = size / patch;
  const out = new Float32Array(g * g * ORACLE_FEATURES);
  for (let gy = 0; gy < g; gy++) {
    for (let gx = 0; gx < g; gx++) {
      let k = 0;
      const rgb = [0, 0, 0];
      for (let y = gy * patch; y < (gy + 1) * patch; y++) {
        for (let x = gx * patch; x < (gx + 1) * patch; x++) {
          const p = (y * size + x) * 3;
          let changed = false;
          for (let c = 0; c < 3; c++) if (Math.abs(target[p + c] - source[p + c]) / 2 > CHANGED_RESIDUAL) changed = true;
          if (!changed) continue;
          k++;
          for (let c = 0; c < 3; c++) rgb[c] += target[p + c];
        }
      }
      const o = (gy * g + gx) * ORACLE_FEATURES;
      out[o] = k / (patch * patch);
      for (let c = 0; c < 3; c++) out[o + 1 + c] = k > 0 ? rgb[c] / k : 0;
    }
  }
  return out;
}

/** Features of the `content` oracle: [mean source R, G, B, mean target R, G, B of the changed pixels, their share of the image] (zeros when none changed). */
export const CONTENT_FEATURES = 7;

export function oracleContentFeatures(source: Float32Array, target: Float32Array, size: number): Float32Array {
  const n = size * size * 3;
  if (source.length !== n || target.length !== n) throw new Error(`oracleContentFeatures: images must have ${size}x${size}x3 = ${n} values, got ${source.length} and ${target.length}`);
  const out = new Float32Array(CONTENT_FEATURES);
  let k = 0;
  for (let p = 0; p < n; p += 3) {
    let changed = false;
    for (let c = 0; c < 3; c++) if (Math.abs(target[p + c] - source[p + c]) / 2 > CHANGED_RESIDUAL) changed = true;
    if (!changed) continue;
    k++;
    for (let c = 0; c < 3; c++) {
      out[c] += source[p + c];
      out[3 + c] += target[p + c];
    }
  }
  if (k > 0) for (let c = 0; c < 6; c++) out[c] /= k;
  out[6] = k / (size * size);
  return out;
}

/** The oracle features `inject` reads: per patch ([N * 4]), the content token ([7]), or for `split` the patches' changed shares then the content token ([N + 7]). */
export function oracleFeaturesFor(inject: OracleInjection, source: Float32Array, target: Float32Array, size: number, patch: number): Float32Array {
  if (inject === "content") return oracleContentFeatures(source, target, size);
  const perPatch = oracleFeatures(source, target, size, patch);
  if (inject !== "split") return perPatch;
  const n = perPatch.length / ORACLE_FEATURES;
  const out = new Float32Array(n + CONTENT_FEATURES);
  for (let i = 0; i < n; i++) out[i] = perPatch[i * ORACLE_FEATURES];
  out.set(oracleContentFeatures(source, target, size), n);
  return out;
}

/** The study's weights: the denoiser (`dn.*`) and the oracle's embedding (`or.in`, and `or.pos` for cross-attention). */
export function initOracleRender(rng: Rng, c: EditorConfig, inject: OracleInjection): Params {
  return {
    ...initDenoiser(rng.fork("dn"), c),
    ...(inject === "gated"
      ? { "or.gate": constVariable([c.dnD], 0), "or.in.w": constVariable([ORACLE_FEATURES - 1, c.dnD], 0), "or.in.b": constVariable([c.dnD], 0) }
      : initLinear(rng.fork("or"), inject === "content" ? CONTENT_FEATURES : inject === "split" ? 1 : ORACLE_FEATURES, c.dnD, "or.in")),
    ...(inject === "split" ? initLinear(rng.fork("or-content"), CONTENT_FEATURES, c.dnD, "or.content") : {}),
    ...(inject === "cross" ? { "or.pos": normalVariable(rng.fork("or-pos"), [denoiserTokenCount(c), c.dnD], c.initStd) } : {}),
  };
}

/** The denoiser's prediction [B, H, W, 3] with the oracle `features` (oracleFeaturesFor's, batched) injected as `inject` says. Call inside tf.tidy. */
export function oraclePrediction(p: Params, c: EditorConfig, inject: OracleInjection, noisy: tf.Tensor4D, source: tf.Tensor4D, t: number[], features: tf.Tensor2D, drop?: { dropText: boolean[]; dropImage: boolean[] }): tf.Tensor4D {
  const B = noisy.shape[0];
  const N = denoiserTokenCount(c);
  // with condition dropout the oracle's cross-attention tokens become the null condition and its patch-token input zero
  const run = (cond: tf.Tensor3D, spatial?: tf.Tensor3D) => denoise(p, c, { noisy, source, t, cond, dropText: drop?.dropText, dropImage: drop?.dropImage, ...(spatial !== undefined ? { spatial: dropRows(spatial, drop?.dropText) } : {}) }).prediction;
  if (inject === "content") return run(linear(features.reshape([B, 1, CONTENT_FEATURES]), p, "or.in") as tf.Tensor3D);
  if (inject === "split") {
    const where = linear(features.slice([0, 0], [B, N]).reshape([B, N, 1]), p, "or.in") as tf.Tensor3D; // [B, N, dnD]
    const what = linear(features.slice([0, N], [B, CONTENT_FEATURES]).reshape([B, 1, CONTENT_FEATURES]), p, "or.content") as tf.Tensor3D; // [B, 1, dnD]
    return run(what, where);
  }
  if (inject === "gated") {
    const f = features.reshape([B, N, ORACLE_FEATURES]);
    const share = f.slice([0, 0, 0], [B, N, 1]); // [B, N, 1]
    const colour = linear(f.slice([0, 0, 1], [B, N, ORACLE_FEATURES - 1]), p, "or.in"); // [B, N, dnD]
    return run(nullCondition(p, B), tf.mul(share, tf.add(p["or.gate"], colour)) as tf.Tensor3D);
  }
  const emb = linear(features.reshape([B, N, ORACLE_FEATURES]), p, "or.in") as tf.Tensor3D; // [B, N, dnD]
  if (inject === "cross") return run(tf.add(emb, p["or.pos"]) as tf.Tensor3D);
  return run(nullCondition(p, B), emb);
}

/** The learned null condition for every item, [B, 1, dnD]: cross-attention carries nothing when the oracle comes through the patch tokens. */
function nullCondition(p: Params, B: number): tf.Tensor3D {
  return tf.tile(tf.expandDims(p["dn.null.e"], 0), [B, 1, 1]) as tf.Tensor3D;
}

/** The oracle-conditioned denoiser behind the evaluation's Editor interface (it reads the benchmark record's truth, as the `oracle` reference does). */
export function oracleConditionedEditor(p: Params, c: EditorConfig, cfg: Pick<OracleRenderConfig, "inject" | "ddimSteps" | "seed">): Editor {
  const size = c.image;
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => {
    const B = requests.length;
    // images of another size are resized to the denoiser's, as for a trained editor; the metrics resize results back
    const sources = requests.map((r) => signedAtSize(r.source, size));
    const feats = requests.map((r, i) => {
      if (!r.item) throw new Error("oracle-render: the oracle-conditioned editor needs the benchmark record (request.item) to read the truth");
      return oracleFeaturesFor(cfg.inject, sources[i], signedAtSize(r.item.truth, size), size, c.dnPatch);
    });
    const out = tf.tidy(() => {
      const source = imageBatch(sources, size);
      const f = tf.tensor2d(feats.flatMap((x) => Array.from(x)), [B, feats[0].length]);
      return sampleEdits(c, cfg.ddimSteps, source, new Rng(cfg.seed).fork("sample"), (x, t) => oraclePrediction(p, c, cfg.inject, x, source, t, f));
    });
    const flat = out.dataSync() as Float32Array;
    out.dispose();
    const n = size * size * 3;
    return Array.from({ length: B }, (_, i) => ({ width: size, height: size, data: toBytes(flat.subarray(i * n, (i + 1) * n)) }));
  };
  return { name: `oracle-conditioned denoiser (${cfg.inject})`, edit: async (r) => (await editBatch([r]))[0], editBatch };
}

export interface OracleRenderHooks {
  log?: (line: string) => void;
  onPoint?: (points: readonly OraclePoint[]) => void;
  denoiserInit?: Params;
}

/**
 * Sets every denoiser weight (`dn.*`) of the study's `p` to `from`'s (a trained editor's), in place;
 * returns how many. Every one must be in `from` with the same shape: a denoiser of another size is an error.
 */
export function copyDenoiser(p: Params, from: Params): number {
  const keys = Object.keys(p).filter((k) => k.startsWith("dn."));
  const missing = keys.filter((k) => from[k] === undefined);
  if (missing.length > 0) throw new Error(`oracle-render: the initial weights have no ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ` (and ${missing.length - 3} more)` : ""}: they are not an editor's with this denoiser`);
  for (const k of keys) {
    if (from[k].shape.join(",") !== p[k].shape.join(",")) throw new Error(`oracle-render: the initial ${k} is [${from[k].shape.join(", ")}], this denoiser's [${p[k].shape.join(", ")}]`);
  }
  for (const k of keys) p[k].assign(from[k]);
  return keys.length;
}

export interface OraclePoint {
  step: number;
  trainSeconds: number;
  /** Means over the benchmark's items: the object judge, its two factors, edit-region and background L1. */
  objectJudge: number;
  done: number;
  kept: number;
  l1Region: number;
  l1Background: number;
  n: number;
  /** Object judge per edit kind. */
  perKind: Record<string, { objectJudge: number; n: number }>;
  /** The object judge per judged item (the benchmark's order), for paired comparisons (curve-compare's `oracle` variant). */
  items: number[];
}

/**
 * Trains the oracle-conditioned denoiser of `editor` for `cfg.steps` steps on the engine's spatial
 * edits and scores it on `bench` (SpatialEval-mini) every `cfg.evalEvery` steps and at the end.
 * Hooks: `log` gets one line per 100 steps and per point; `onPoint` gets the points so far after each
 * one (so a caller can save them: a run stopped early keeps what it reached); `denoiserInit`, a
 * trained editor's weights, starts the denoiser from its `dn.*` weights (copied; the caller keeps
 * and frees them) instead of a random one. Frees every tensor it made.
 */
export async function oracleRender(cfg: OracleRenderConfig, editor: EditorConfig, bench: Benchmark, hooks: OracleRenderHooks = {}): Promise<OraclePoint[]> {
  const { log = () => {}, onPoint = () => {} } = hooks;
  const size = editor.image;
  const edits = engineData(cfg.dataSeed, cfg.scenes, size).edits;
  if (edits.length === 0) throw new Error("oracle-render: no training edits");
  const feats = edits.map((e) => oracleFeaturesFor(cfg.inject, e.source, e.target, size, editor.dnPatch));
  const index = edits.map((_, i) => i);
  const p = initOracleRender(new Rng(cfg.seed).fork("init"), editor, cfg.inject);
  if (hooks.denoiserInit !== undefined) {
    try {
      copyDenoiser(p, hooks.denoiserInit);
    } catch (e) {
      disposeParams(p);
      throw e;
    }
  }
  const vars = Object.values(p);
  const optimizer = new FusedAdam(cfg.lr);
  const ema = cfg.emaDecay > 0 ? new Ema(p, cfg.emaDecay) : null;
  const data = new Rng(cfg.seed).fork("data");
  const dropRng = cfg.conditionDropout ? new Rng(cfg.seed).fork("drop") : null;
  const sched = editorScheduler(editor);
  const points: OraclePoint[] = [];
  const t0 = Date.now();
  let trainMs = 0;
  let lossSum = 0;
  try {
    for (let step = 1; step <= cfg.steps; step++) {
      const s0 = Date.now();
      const batch = drawBatch(index, cfg.batch, data);
      lossSum += trainStep(optimizer, () => {
        const { source, r0, t, noisy, target } = residualDiffusionBatch(batch.map((i) => edits[i]), size, sched, data);
        const f = tf.tensor2d(batch.flatMap((i) => Array.from(feats[i])), [batch.length, feats[0].length]);
        const pred = oraclePrediction(p, editor, cfg.inject, noisy, source, t, f, dropRng === null ? undefined : conditionDropout(dropRng, batch.length, editor));
        return editLoss(pred, target, undefined, cfg.regionWeight > 0 ? regionPixelWeights(r0, cfg.regionWeight) : undefined);
      }, {}, vars);
      ema?.update();
      trainMs += Date.now() - s0;
      if (step % 100 === 0) {
        log(`step ${step}/${cfg.steps} loss ${(lossSum / 100).toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
        lossSum = 0;
      }
      if (step % cfg.evalEvery === 0 || step === cfg.steps) {
        const score = () => evaluate(oracleConditionedEditor(p, editor, cfg), bench, { seed: cfg.seed, batchSize: 30 });
        const run = ema ? await ema.withAveragesAsync(score) : await score();
        const mean = (k: string) => run.summary[k]?.mean ?? Number.NaN;
        const judged = run.items.flatMap((it, i) => {
          const v = it.metrics["object judge"];
          return v === undefined ? [] : [{ kind: bench.items[i].kind ?? bench.items[i].type, v }];
        });
        const perKind: OraclePoint["perKind"] = Object.fromEntries(meansByKind(judged, (x) => x.kind, { objectJudge: (x) => x.v }).map((r) => [r.kind, { objectJudge: r.objectJudge, n: r.n }]));
        const point: OraclePoint = { step, trainSeconds: trainMs / 1000, objectJudge: mean("object judge"), done: mean("object judge: done"), kept: mean("object judge: kept"), l1Region: mean("L1 (edit region)"), l1Background: mean("L1 (background)"), n: run.summary["object judge"]?.n ?? 0, perKind, items: judged.map((x) => x.v) };
        points.push(point);
        onPoint(points);
        log(`step ${step}: object judge ${point.objectJudge.toFixed(3)} (done ${point.done.toFixed(3)}, kept ${point.kept.toFixed(3)}), edit-region L1 ${point.l1Region.toFixed(3)}, background L1 ${point.l1Background.toFixed(3)}, n ${point.n}`);
      }
    }
  } finally {
    optimizer.dispose();
    ema?.dispose();
    disposeParams(p);
  }
  return points;
}
