import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { engineData } from "../../../lib/models/editor/train/data";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { editorScheduler, editStepLoss, imageBatch, textLoss } from "../../../lib/models/editor/train/steps";
import { attention, initAttention } from "../../../lib/nn/attention";
import { disposeParams } from "../../../lib/nn/layers";

beforeAll(async () => {
  await initBackend();
});

const bil = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
const refer = checkEditorConfig({ ...bil, alignedRefer: 2, alignedPlan: true });
const data = engineData(recipeConfig("tiny").dataSeed, 3, bil.image);
const edits = data.edits.slice(0, 4);

describe("a per-item mask on cross-attention (lib/nn/attention.ts)", () => {
  it("hidden context keys get no weight; with a prefix it is an error", () => {
    const p = initAttention(new Rng(1), { dModel: 8, nHeads: 2, causal: false }, "x");
    try {
      const r = tf.tidy(() => {
        const x = tf.randomNormal([2, 3, 8], 0, 1, "float32", 2) as tf.Tensor3D;
        const ctx = tf.randomNormal([2, 4, 8], 0, 1, "float32", 3) as tf.Tensor3D;
        // item 0 sees all 4 context rows, item 1 only the first 2
        const mask = tf.tensor4d([...Array(3).fill([0, 0, 0, 0]).flat(), ...Array(3).fill([0, 0, -1e9, -1e9]).flat()], [2, 1, 3, 4]);
        let probs: tf.Tensor4D | null = null;
        const y = attention(x, p, "x", { dModel: 8, nHeads: 2, causal: false }, { context: ctx, mask, onAttention: (a) => (probs = tf.keep(a)) });
        // item 1 with only its 2 visible context rows gives the same output
        const y1 = attention(x.slice([1, 0, 0], [1, -1, -1]), p, "x", { dModel: 8, nHeads: 2, causal: false }, { context: ctx.slice([1, 0, 0], [1, 2, -1]) as tf.Tensor3D });
        const hidden = tf.sum(tf.slice(probs!, [1, 0, 0, 2], [1, -1, -1, 2])).dataSync()[0];
        probs!.dispose();
        return { hidden, err: tf.max(tf.abs(tf.sub(y.slice([1, 0, 0], [1, -1, -1]), y1))).dataSync()[0] };
      });
      expect(r.hidden).toBe(0);
      expect(r.err).toBeLessThan(1e-6);
      expect(() =>
        tf.tidy(() => attention(tf.zeros([1, 2, 8]) as tf.Tensor3D, p, "x", { dModel: 8, nHeads: 2, causal: false }, { prefixHidden: tf.zeros([1, 8]) as tf.Tensor2D, mask: tf.zeros([1, 1, 2, 3]) as tf.Tensor4D })),
      ).toThrow("attention 'x': a per-item mask needs attention without prefix");
    } finally {
      disposeParams(p);
    }
  });
});

describe("the referring decoder (editor config alignedRefer)", () => {
  it("the where logits and the plan read the words; an item's do not depend on its batch; no leaks", () => {
    const e = createEditor(refer, new Rng(2));
    try {
      const texts = [edits[0].instruction, edits[1].instruction + " and then make it a little bigger than the other ones"];
      const n0 = tf.memory().numTensors;
      const images = imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image);
      const r = tf.tidy(() => {
        const both = editorCondition(e, images, editorLayout(e, texts)).aligned!;
        const first = images.slice([0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
        const alone = editorCondition(e, first, editorLayout(e, texts.slice(0, 1))).aligned!;
        const other = editorCondition(e, first, editorLayout(e, ["remove the smallest yellow sphere"])).aligned!;
        const d = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
        return {
          whereAlone: d(alone.where, both.where.slice([0, 0], [1, -1])),
          planAlone: d(alone.plan!, both.plan!.slice([0, 0, 0], [1, -1, -1])),
          whereOther: d(alone.where, other.where),
        };
      });
      images.dispose();
      expect(tf.memory().numTensors).toBe(n0);
      expect(r.whereAlone).toBeLessThan(1e-5);
      expect(r.planAlone).toBeLessThan(1e-5);
      expect(r.whereOther).toBeGreaterThan(1e-4);
      expect(Object.keys(editorParams(e)).filter((k) => k.startsWith("edit.loc.refer.")).length).toBeGreaterThan(0);
    } finally {
      disposeEditor(e);
    }
  });

  it("Stage I's and Stage II's where losses train it; config: keyed when on, bad values are errors", () => {
    const e = createEditor(refer, new Rng(3));
    try {
      const p = editorParams(e);
      const vars = ["edit.loc.refer.words.w", "edit.loc.refer.0.cross.q.w", "edit.loc.refer.1.mlp.fc2.w"].map((k) => p[k] as tf.Variable);
      const n0 = tf.memory().numTensors;
      const norms = (f: () => tf.Scalar) => tf.tidy(() => vars.map((v) => tf.norm(tf.variableGrads(f, [v]).grads[v.name]).dataSync()[0]));
      const vqa = data.vqa.filter((x) => x.objectMask !== undefined).slice(0, 4);
      for (const n of norms(() => textLoss(e, vqa, 0, 1))) expect(n).toBeGreaterThan(0);
      for (const n of norms(() => editStepLoss(e, edits, editorScheduler(bil), new Rng(4), { whereWeight: 1 }))) expect(n).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(n0);
    } finally {
      disposeEditor(e);
    }
    expect(keyedEditorConfig(refer, false).alignedRefer).toBe(2);
    expect("alignedRefer" in keyedEditorConfig(bil, false)).toBe(false);
    expect(() => checkEditorConfig({ ...bil, alignedRefer: 0 })).toThrow("editor: alignedRefer must be a positive number of layers, got 0");
    expect(() => checkEditorConfig({ ...bil, alignedRefer: 1.5 })).toThrow("editor: alignedRefer must be a positive number of layers, got 1.5");
    expect(() => checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedRefer: 1 })).toThrow("editor: alignedRefer needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')");
  });
});
