import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { adaptImageTokens } from "../../../lib/models/editor/adapter";
import { denoise, guidanceBranches } from "../../../lib/models/editor/denoiser";
import { encodeImages } from "../../../lib/models/editor/encoder";
import { conditionLogits, editHead } from "../../../lib/models/editor/heads";
import { disposeEditor, editorCondition, editorDenoise, editorLayout, editorParams, type Editor } from "../../../lib/models/editor/model";
import { mllmForward } from "../../../lib/models/editor/mllm";
import { applyResidual, editResidual } from "../../../lib/models/editor/residual";
import { CONDITIONS, disposeBatch, INSTRUCTIONS, perturbZeroInit, scoped, stage2Batch, tinyEditor } from "./helpers";

let e: Editor;
beforeAll(async () => {
  await initBackend();
  e = tinyEditor(1);
});
afterAll(() => disposeEditor(e));

const B = 3;
const images = (seed: number, n = B) => tf.tensor4d(new Rng(seed).uniformArray(n * 16 * 16 * 3, -1, 1), [n, 16, 16, 3]);

describe("editor components on tiny (16x16, d 16, 3 MLLM layers)", () => {
  it("Enc and Ada_img: [B, 16, 16, 3] -> [B, 16, encD] -> [B, 4, d]", () => {
    const r = scoped(() => {
      const enc = encodeImages(editorParams(e), e.config, images(3), true);
      const ada = adaptImageTokens(editorParams(e), e.config, enc.tokens);
      return { enc: enc.tokens.shape, att: enc.attention.map((a) => a.shape), ada: ada.shape };
    });
    expect(r).toEqual({ enc: [3, 16, 16], att: [[3, 2, 16, 16]], ada: [3, 4, 16] });
  });

  it("MLLM: hidden [B, T, d], [IMG] states [B, 8, d], causal attention per layer and head [B, H, T, T]", () => {
    const layout = editorLayout(e, INSTRUCTIONS, CONDITIONS);
    const r = scoped(() => {
      const p = editorParams(e);
      const img = adaptImageTokens(p, e.config, encodeImages(p, e.config, images(4)).tokens);
      const m = mllmForward(p, e.config, layout, img, { returnAttention: true });
      const a0 = m.attention[0].arraySync();
      // causality: no query attends to a later key; every row sums to 1
      let future = 0;
      let rowErr = 0;
      for (const row of a0[1][0].map((r, i) => [i, r] as const)) {
        const [i, probs] = row;
        probs.forEach((p, j) => (future += j > i ? p : 0));
        rowErr = Math.max(rowErr, Math.abs(probs.reduce((s, x) => s + x, 0) - 1));
      }
      const logits = conditionLogits(p, layout, m.hidden);
      return { hidden: m.hidden.shape, img: m.img.shape, att: m.attention.map((a) => a.shape), future, rowErr, logits: logits.shape };
    });
    expect(r.hidden).toEqual([3, layout.T, 16]);
    expect(r.img).toEqual([3, 8, 16]);
    expect(r.att).toEqual([0, 1, 2].map(() => [3, 2, layout.T, layout.T]));
    expect(r.future).toBe(0);
    expect(r.rowErr).toBeLessThan(1e-5);
    expect(r.logits).toEqual([3, layout.maxPredict, e.tokenizer.size]);
  });

  it("the [IMG] states do not depend on the condition that follows them (causal)", () => {
    const d = scoped(() => {
      const x = images(5, 1);
      const a = editorCondition(e, x, editorLayout(e, [INSTRUCTIONS[0]], [CONDITIONS[0]])).mllm.img;
      const b = editorCondition(e, x, editorLayout(e, [INSTRUCTIONS[0]], null)).mllm.img;
      return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    });
    expect(d).toBeLessThan(1e-5);
  });

  it("H_edit: [IMG] states -> condition tokens [B, Q, dnD], attention of encoder, query self and cross layers", () => {
    const r = scoped(() => {
      const p = editorParams(e);
      const h = editHead(p, e.config, tf.randomNormal([3, 8, 16], 0, 1, "float32", 1) as tf.Tensor3D, p["soft.img"] as tf.Tensor2D, true);
      return { tokens: h.tokens.shape, enc: h.attention.encoder.map((a) => a.shape), self: h.attention.self.map((a) => a.shape), cross: h.attention.cross.map((a) => a.shape) };
    });
    expect(r).toEqual({ tokens: [3, 4, 16], enc: [[3, 2, 8, 8]], self: [[3, 2, 4, 4]], cross: [[3, 2, 4, 8]] });
  });

  it("Diff_edit: prediction [B, 16, 16, 3] is exactly 0 at init (zero final layer, adaLN gates 0); attention per block", () => {
    const b = stage2Batch(e, B);
    const r = scoped(() => {
      const cond = editorCondition(e, b.source, b.layout);
      const out = editorDenoise(e, { noisy: b.noisy, source: b.source, t: b.t, cond: cond.edit.tokens, dropText: b.dropText, dropImage: b.dropImage }, true);
      return { shape: out.prediction.shape, maxAbs: tf.max(tf.abs(out.prediction)).dataSync()[0], self: out.attention.self.map((a) => a.shape), cross: out.attention.cross.map((a) => a.shape) };
    });
    disposeBatch(b);
    expect(r.shape).toEqual([3, 16, 16, 3]);
    expect(r.maxAbs).toBe(0);
    expect(r.self).toEqual([[3, 2, 16, 16], [3, 2, 16, 16]]);
    expect(r.cross).toEqual([[3, 2, 16, 4], [3, 2, 16, 4]]);
    const p = editorParams(e);
    const zeroInit = Object.keys(p).filter((k) => k.includes(".ada.") || k.startsWith("dn.final.out"));
    expect(zeroInit.length).toBe(2 * 2 + 2 + 2); // two blocks' and the final layer's adaLN (w, b), final linear (w, b)
    for (const k of zeroInit) expect(p[k].dataSync().every((x) => x === 0)).toBe(true);
  });

  it("condition dropout: a dropped text sees the null condition, a dropped image sees a zero source", () => {
    const e2 = tinyEditor(11);
    perturbZeroInit(e2);
    const r = scoped(() => {
      const p = editorParams(e2);
      const x = images(6, 2);
      const n = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 2) as tf.Tensor4D;
      const c1 = tf.randomNormal([2, 4, 16], 0, 1, "float32", 3) as tf.Tensor3D;
      const c2 = tf.randomNormal([2, 5, 16], 0, 1, "float32", 4) as tf.Tensor3D;
      const run = (cond: tf.Tensor3D, src: tf.Tensor4D, dropText?: boolean[], dropImage?: boolean[]) => denoise(p, e2.config, { noisy: n, source: src, t: [5, 500], cond, dropText, dropImage }).prediction;
      const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      const g = guidanceBranches(p, e2.config, { noisy: n, source: x, t: [5, 500], cond: c1 });
      return {
        condMatters: diff(run(c1, x), run(c2.slice([0, 0, 0], [2, 4, 16]), x)),
        nullIgnoresCond: diff(run(c1, x, [true, true]), run(c2, x, [true, true])),
        imageDrop: diff(run(c1, x, undefined, [true, true]), run(c1, tf.zeros([2, 16, 16, 3]) as tf.Tensor4D)),
        branches: [diff(g.full, run(c1, x)), diff(g.imageOnly, run(c1, x, [true, true])), diff(g.uncond, run(c1, x, [true, true], [true, true]))],
        // a spatial condition of zeros changes nothing; another one changes the prediction, also with the text dropped
        spatialZero: diff(denoise(p, e2.config, { noisy: n, source: x, t: [5, 500], cond: c1, spatial: tf.zeros([2, 16, 16]) as tf.Tensor3D }).prediction, run(c1, x)),
        spatialMatters: diff(denoise(p, e2.config, { noisy: n, source: x, t: [5, 500], cond: c1, dropText: [true, true], spatial: tf.randomNormal([2, 16, 16], 0, 1, "float32", 5) as tf.Tensor3D }).prediction, run(c1, x, [true, true])),
      };
    });
    disposeEditor(e2);
    expect(r.condMatters).toBeGreaterThan(1e-4);
    expect(r.nullIgnoresCond).toBeLessThan(1e-5);
    expect(r.imageDrop).toBe(0);
    for (const d of r.branches) expect(d).toBeLessThan(1e-5);
    expect(r.spatialZero).toBe(0);
    expect(r.spatialMatters).toBeGreaterThan(1e-4);
  });

  it("the language-only (LGIE-like) variant reads no image", () => {
    const lg = tinyEditor(1, { imageTokens: false });
    const r = scoped(() => {
      const layout = editorLayout(lg, INSTRUCTIONS, null);
      const c = editorCondition(lg, null, layout, true);
      return { T: layout.T, image: layout.items[0].image, att: c.mllm.attention[0].shape, enc: c.encoderAttention.length, tokens: c.edit.tokens.shape };
    });
    disposeEditor(lg);
    expect(r.image.start).toBe(r.image.end);
    expect(r.att).toEqual([3, 2, r.T, r.T]);
    expect(r.enc).toBe(0);
    expect(r.tokens).toEqual([3, 4, 16]);
  });

  it("residual round trip: source + 2 (target - source) / 2 = target", () => {
    const d = scoped(() => {
      const s = images(7, 1);
      const t = images(8, 1);
      return tf.max(tf.abs(tf.sub(applyResidual(s, editResidual(t, s)), t))).dataSync()[0];
    });
    expect(d).toBeLessThan(1e-6);
  });

  it("bad input: wrong image size, missing image, batch mismatch, wrong condition width", () => {
    const layout = editorLayout(e, INSTRUCTIONS.slice(0, 2), null);
    expect(() => scoped(() => editorCondition(e, tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, layout))).toThrow("encoder: images must be [B, 16, 16, 3] (config.image = 16, RGB in [-1, 1]), got [2, 32, 32, 3]");
    expect(() => scoped(() => editorCondition(e, null, layout))).toThrow("editorCondition: this editor reads the source image; pass images [B, H, W, 3]");
    expect(() => scoped(() => editorCondition(e, images(1, 3), layout))).toThrow("editorCondition: 3 images for 2 instructions");
    expect(() => editorLayout(e, [""], null)).toThrow("editor layout: item 0 has an empty instruction; every item needs an instruction");
    expect(() =>
      scoped(() => editorDenoise(e, { noisy: images(1, 2), source: images(2, 2), t: [1, 2], cond: tf.zeros([2, 4, 8]) as tf.Tensor3D })),
    ).toThrow("denoiser: condition tokens must be [2, L, 16], got [2, 4, 8]");
    expect(() =>
      scoped(() => editorDenoise(e, { noisy: images(1, 2), source: images(2, 2), t: [1, 2], cond: tf.zeros([2, 4, 16]) as tf.Tensor3D, spatial: tf.zeros([2, 4, 16]) as tf.Tensor3D })),
    ).toThrow("denoiser: spatial condition must be [2, 16, 16], got [2, 4, 16]");
    expect(() => scoped(() => editorDenoise(e, { noisy: images(1, 2), source: images(2, 2), t: [1], cond: tf.zeros([2, 4, 16]) as tf.Tensor3D }))).toThrow(
      "denoiser: got 1 timesteps for a batch of 2; give one timestep per item",
    );
  });
});
