import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { planProbeSummary, probePlanHead } from "../../lib/eval/plan-probe";
import { signedAtSize, trainedEditor, whereOracleEditor } from "../../lib/eval/trained-editor";
import { changedPatchMean, changedShare, planTargets } from "../../lib/models/editor/aligned-targets";
import { paletteOneHot } from "../../lib/models/editor/palette";
import { checkEditorConfig, editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../lib/models/editor/model";
import { editImages } from "../../lib/models/editor/pipeline";
import { editResidual } from "../../lib/models/editor/residual";
import { imageBatch } from "../../lib/models/editor/train/steps";
import { perturbZeroInit } from "../models/editor/helpers";

beforeAll(async () => {
  await initBackend();
});

const bil = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
const planCfg = checkEditorConfig({ ...bil, alignedPlan: true });
const paletteCfg = checkEditorConfig({ ...bil, alignedPlan: "palette" });

/** Per patch, the index of the palette colour nearest each colour [N, 3]. */
function paletteIndex(colours: number[][]): number[] {
  return tf.tidy(() => tf.argMax(paletteOneHot(tf.tensor3d(colours.flat(), [1, colours.length, 3])), -1).arraySync() as number[][])[0];
}
const N = (bil.image / bil.dnPatch) ** 2;

describe("the plan probe (lib/eval/plan-probe.ts)", () => {
  const bench = ensureBenchmark("spatialeval", "tiny");

  it("a constant plan's error is the share-weighted squared distance to the truth's plan, by hand; skill is 1 - error / unchanged; no leaks", () => {
    const e = createEditor(planCfg, new Rng(3));
    const colour = [0.2, -0.4, 0.6];
    try {
      const p = editorParams(e);
      (p["edit.loc.plan.o.w"] as tf.Variable).assign(tf.zeros(p["edit.loc.plan.o.w"].shape));
      (p["edit.loc.plan.o.b"] as tf.Variable).assign(tf.tensor1d(colour));
      const n0 = tf.memory().numTensors;
      const items = probePlanHead(e, bench, 4);
      expect(tf.memory().numTensors).toBe(n0);
      expect(items.length).toBeGreaterThan(0);
      // by hand for the first probed item
      const it0 = bench.items.find((x) => x.id === items[0].item)!;
      const [truth, kept, share] = tf.tidy(() => {
        const source = imageBatch([signedAtSize(it0.source, bil.image)], bil.image);
        const r0 = editResidual(imageBatch([signedAtSize(it0.truth, bil.image)], bil.image), source);
        return [planTargets(r0, source, bil.dnPatch).arraySync()[0], changedPatchMean(r0, source, bil.dnPatch).arraySync()[0], changedShare(r0, bil.dnPatch).arraySync()[0]] as [number[][], number[][], number[]];
      });
      const weighted = (plan: (n: number) => number[]) => share.reduce((s, w, n) => s + w * plan(n).reduce((a, v, ch) => a + (v - truth[n][ch]) ** 2, 0), 0) / share.reduce((s, w) => s + w, 0);
      expect(items[0].error).toBeCloseTo(weighted(() => colour), 4);
      expect(items[0].unchanged).toBeCloseTo(weighted((n) => kept[n]), 4);
      // the palette colour of the constant plan against each patch's truth's
      const mine = paletteIndex([colour])[0];
      const classes = paletteIndex(truth);
      expect(items[0].palette).toBeCloseTo(share.reduce((s, w, n) => s + (classes[n] === mine ? w : 0), 0) / share.reduce((s, w) => s + w, 0), 5);
      const rows = planProbeSummary(items);
      expect(rows[0].kind).toBe("all");
      expect(rows[0].n).toBe(items.length);
      for (const r of rows) expect(r.skill).toBeCloseTo(1 - r.error / r.unchanged, 10);
      for (const r of rows) expect(r.palette).toBeGreaterThanOrEqual(0);
    } finally {
      disposeEditor(e);
    }
    // a palette plan that always names one colour: right exactly on the truth's patches of that colour
    const q = createEditor(paletteCfg, new Rng(3));
    try {
      const p = editorParams(q);
      const K = p["edit.loc.plan.o.b"].shape[0];
      const hits = Array.from({ length: K }, (_, k) => {
        tf.tidy(() => {
          (p["edit.loc.plan.o.w"] as tf.Variable).assign(tf.zeros(p["edit.loc.plan.o.w"].shape));
          (p["edit.loc.plan.o.b"] as tf.Variable).assign(tf.oneHot(tf.tensor1d([k], "int32"), K).reshape([K]).mul(5));
        });
        return probePlanHead(q, bench, 4);
      });
      // over the colours, each changed patch is right for exactly one: the item's hits sum to 1
      for (const i of hits[0].keys()) expect(hits.reduce((s, h) => s + h[i].palette, 0)).toBeCloseTo(1, 5);
      expect(hits.some((h) => h[0].palette > 0 && h[0].palette <= 1)).toBe(true);
    } finally {
      disposeEditor(q);
    }
    const plain = createEditor(bil, new Rng(4));
    try {
      expect(() => probePlanHead(plain, bench)).toThrow("probePlanHead: this editor predicts no edit plan (config alignedPlan off, or no image tokens)");
    } finally {
      disposeEditor(plain);
    }
  });

  it("the oracle where-and-plan diagnostic puts the truth's plan in place of the predicted one; bad plans are errors", async () => {
    const e = createEditor(planCfg, new Rng(5));
    perturbZeroInit(e, 6);
    try {
      const p = editorParams(e);
      (p["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(7).normalArray(bil.dnD, 0, 0.5)));
      (p["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(8).normalArray(3 * bil.dnD, 0, 0.5), [3, bil.dnD]));
      const requests = bench.items.slice(0, 2).map((item) => ({ source: item.source, instruction: item.instruction, item }));
      const n0 = tf.memory().numTensors;
      const where = await whereOracleEditor("oracle where", e, { steps: 1 }).editBatch!(requests);
      const both = await whereOracleEditor("oracle where and plan", e, { steps: 1 }, { plan: true }).editBatch!(requests);
      expect(tf.memory().numTensors).toBe(n0);
      const diff = where[0].data.reduce((m, v, i) => Math.max(m, Math.abs(v - both[0].data[i])), 0);
      expect(diff).toBeGreaterThan(0);
      const sources = requests.map((r) => signedAtSize(r.source, bil.image));
      const gates = [new Float32Array(N), new Float32Array(N)];
      // the truth's plan with the editor's own gate: differs from both the editor's own edit and the where-and-plan oracle
      const planOnly = await whereOracleEditor("oracle plan", e, { steps: 1 }, { where: false, plan: true }).editBatch!(requests);
      const own = await trainedEditor("own", e, { steps: 1 }).editBatch!(requests);
      const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      expect(maxDiff(planOnly[0].data, both[0].data)).toBeGreaterThan(0);
      expect(maxDiff(planOnly[0].data, own[0].data)).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(n0);
      expect(() => whereOracleEditor("x", e, {}, { where: false })).toThrow("whereOracleEditor: with where: false give plan: true; an editor with neither oracle half is the editor itself");
      expect(() => editImages(e, sources, ["a", "b"], { steps: 1 }, { whereGate: gates, plan: [new Float32Array(N * 3)] })).toThrow("editImages: 1 edit plans for 2 images");
      expect(() => editImages(e, sources, ["a", "b"], { steps: 1 }, { whereGate: gates, plan: [new Float32Array(N * 3), new Float32Array(5)] })).toThrow(`editImages: edit plan 1 has 5 values; the denoiser has ${N} patches x 3 colours`);
    } finally {
      disposeEditor(e);
    }
    const plain = createEditor(bil, new Rng(9));
    try {
      expect(() => whereOracleEditor("x", plain, {}, { plan: true })).toThrow("whereOracleEditor: the oracle plan needs an editor that predicts an edit plan (alignedPlan)");
      expect(() => editImages(plain, [signedAtSize(bench.items[0].source, bil.image)], ["a"], { steps: 1 }, { plan: [new Float32Array(N * 3)] })).toThrow("editImages: an edit plan (extras.plan) needs an editor that predicts an edit plan (alignedPlan) and reads the image");
    } finally {
      disposeEditor(plain);
    }
  });
});
