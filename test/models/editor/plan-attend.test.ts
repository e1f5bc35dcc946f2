import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { planAttention } from "../../../lib/models/editor/aligned";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams, instructionWords } from "../../../lib/models/editor/model";
import { engineData } from "../../../lib/models/editor/train/data";
import { editorScheduler, editStepLoss, imageBatch } from "../../../lib/models/editor/train/steps";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";

beforeAll(async () => {
  await initBackend();
});

const bil = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
const attend = checkEditorConfig({ ...bil, alignedPlan: "attend" });
const edits = engineData(recipeConfig("tiny").dataSeed, 3, bil.image).edits.slice(0, 4);

describe("the edit plan that reads the instruction's words (alignedPlan: 'attend')", () => {
  it("the words: each item's instruction states, padding masked to 0", () => {
    const e = createEditor(attend, new Rng(1));
    try {
      const texts = ["remove the red cube", "turn the leftmost small sphere into blue"];
      const r = tf.tidy(() => {
        const layout = editorLayout(e, texts);
        const c = editorCondition(e, imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image), layout);
        const w = instructionWords(layout, c.mllm.hidden);
        const first = layout.items[0].instruction;
        const direct = tf.slice(c.mllm.hidden, [0, first.start, 0], [1, first.end - first.start, bil.d]);
        return { mask: w.mask.arraySync() as number[][], shape: w.states.shape, lengths: layout.items.map((it) => it.instruction.end - it.instruction.start), err: tf.max(tf.abs(tf.sub(tf.slice(w.states, [0, 0, 0], [1, first.end - first.start, bil.d]), direct))).dataSync()[0] };
      });
      expect(r.shape).toEqual([2, Math.max(...r.lengths), bil.d]);
      expect(r.mask.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(r.lengths);
      expect(r.mask[0].slice(r.lengths[0]).every((v) => v === 0)).toBe(true);
      expect(r.err).toBe(0);
    } finally {
      disposeEditor(e);
    }
  });

  it("starts as the plain bilinear condition; a patch's weights sum to 1 over the words and are 0 on padding; an item's plan does not depend on its batch; no leaks", () => {
    const plain = createEditor(bil, new Rng(2));
    const e = createEditor(attend, new Rng(2));
    try {
      const texts = [edits[0].instruction, edits[1].instruction + " and then make it a little bigger than the other ones"];
      const n0 = tf.memory().numTensors;
      const images = imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image);
      const r = tf.tidy(() => {
        const a = editorCondition(plain, images, editorLayout(plain, texts)).aligned!;
        const layout = editorLayout(e, texts);
        const c = editorCondition(e, images, layout);
        const b = c.aligned!;
        const w = instructionWords(layout, c.mllm.hidden);
        const z = tf.relu(tf.randomNormal([2, 3, bil.dnD], 0, 1, "float32", 5)) as tf.Tensor3D;
        const att = planAttention(editorParams(e), bil, z, w);
        const alone = editorCondition(e, images.slice([0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D, editorLayout(e, texts.slice(0, 1))).aligned!.plan!;
        return {
          spatialErr: tf.max(tf.abs(tf.sub(a.spatial, b.spatial))).dataSync()[0],
          sums: Array.from(tf.sum(att.weights, -1).dataSync()),
          padMass: tf.sum(tf.mul(att.weights.slice([0, 0, 0], [1, -1, -1]), tf.sub(1, w.mask.slice([0, 0], [1, -1]).expandDims(1)))).dataSync()[0],
          aloneErr: tf.max(tf.abs(tf.sub(alone, b.plan!.slice([0, 0, 0], [1, -1, -1])))).dataSync()[0],
          planShape: b.plan!.shape,
        };
      });
      images.dispose();
      expect(tf.memory().numTensors).toBe(n0);
      expect(r.spatialErr).toBe(0);
      for (const s of r.sums) expect(s).toBeCloseTo(1, 5);
      expect(r.padMass).toBe(0);
      expect(r.aloneErr).toBeLessThan(1e-5);
      expect(r.planShape).toEqual([2, (bil.image / bil.dnPatch) ** 2, 3]);
    } finally {
      disposeEditor(plain);
      disposeEditor(e);
    }
  });

  it("the plan loss trains the word attention; config: keyed when on, bad values are errors", () => {
    const e = createEditor(attend, new Rng(3));
    try {
      const p = editorParams(e);
      const vars = ["edit.loc.plan.q.w", "edit.loc.plan.k.w", "edit.loc.plan.v.w"].map((k) => p[k] as tf.Variable);
      const n0 = tf.memory().numTensors;
      const norms = tf.tidy(() => {
        const g = tf.variableGrads(() => editStepLoss(e, edits, editorScheduler(bil), new Rng(4), { whereWeight: 1 }), vars).grads;
        return vars.map((v) => tf.norm(g[v.name]).dataSync()[0]);
      });
      expect(tf.memory().numTensors).toBe(n0);
      for (const n of norms) expect(n).toBeGreaterThan(0);
    } finally {
      disposeEditor(e);
    }
    expect(keyedEditorConfig(attend, false).alignedPlan).toBe("attend");
    expect(() => checkEditorConfig({ ...bil, alignedPlan: "words" as never })).toThrow('editor: alignedPlan must be true, false, "attend" or "palette", got "words"');
    expect(() => checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedPlan: "attend" })).toThrow("editor: alignedPlan needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')");
  });
});
