import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { gatedSpatial } from "../../../lib/models/editor/aligned";
import { planPaletteLoss } from "../../../lib/models/editor/aligned-targets";
import { paletteArgmaxColours, paletteOneHot, PLAN_PALETTE, snapToPalette } from "../../../lib/models/editor/palette";
import { editImages } from "../../../lib/models/editor/pipeline";
import { perturbZeroInit } from "./helpers";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { engineData } from "../../../lib/models/editor/train/data";
import { editorScheduler, editStepLoss, imageBatch } from "../../../lib/models/editor/train/steps";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { COLOURS } from "../../../lib/world/types";

beforeAll(async () => {
  await initBackend();
});

const bil = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
const palette = checkEditorConfig({ ...bil, alignedPlan: "palette" });
const K = COLOURS.length;
const edits = engineData(recipeConfig("tiny").dataSeed, 3, bil.image).edits.slice(0, 4);

describe("the palette plan (alignedPlan: 'palette')", () => {
  it("paletteOneHot: each palette colour, shaded or lit, is its own class; black is gray; a colour between two goes to the nearer", () => {
    const rows = PLAN_PALETTE.flatMap((c) => [c, c.map((v) => (v + 1) * 0.5 - 1), c.map((v) => Math.min(1, (v + 1) * 1.1 - 1))]); // as it is, half as bright, 10% brighter
    // red [173, 35, 35] and purple [129, 38, 192]: a red with a little of purple's blue stays red
    const between = [173, 35, 60].map((v) => v / 127.5 - 1);
    const n0 = tf.memory().numTensors;
    const got = tf.tidy(() => tf.argMax(paletteOneHot(tf.tensor3d([...rows.map((r) => [...r]), [-1, -1, -1], between].flat(), [1, rows.length + 2, 3])), -1).arraySync() as number[][]);
    expect(tf.memory().numTensors).toBe(n0);
    expect(got[0].slice(0, rows.length)).toEqual(COLOURS.flatMap((_, k) => [k, k, k]));
    expect(COLOURS[got[0][rows.length]]).toBe("gray");
    expect(COLOURS[got[0][rows.length + 1]]).toBe("red");
    expect(() => tf.tidy(() => paletteOneHot(tf.zeros([1, 2, 4]) as tf.Tensor3D))).toThrow("paletteOneHot: colours [1, 2, 4] must end in 3 channels");
  });

  it("planPaletteLoss: golden value (share-weighted cross-entropy, items without a change left out); shape errors", () => {
    const blue = PLAN_PALETTE[COLOURS.indexOf("blue")];
    const logits = [Array.from({ length: K }, () => 0), Array.from({ length: K }, (_, k) => (COLOURS[k] === "blue" ? 2 : 0))];
    const v = tf.tidy(() =>
      planPaletteLoss(tf.tensor3d([logits, logits], [2, 2, K]), tf.tensor3d([[[...blue], [...blue]], [[...blue], [...blue]]], [2, 2, 3]), tf.tensor2d([[0.5, 1.5], [0, 0]], [2, 2])).dataSync()[0],
    );
    // item 0: patch 0 has uniform logits (CE log K), patch 1 puts 2 on blue (CE log(e^2 + K - 1) - 2); shares 0.5 and 1.5; item 1 changes nothing
    const expected = (0.5 * Math.log(K) + 1.5 * (Math.log(Math.exp(2) + K - 1) - 2)) / 2;
    expect(v).toBeCloseTo(expected, 5);
    expect(() => tf.tidy(() => planPaletteLoss(tf.zeros([1, 2, 3]) as tf.Tensor3D, tf.zeros([1, 2, 3]) as tf.Tensor3D, tf.zeros([1, 2]) as tf.Tensor2D))).toThrow(`planPaletteLoss: logits [1, 2, 3] and truth [1, 2, 3] must be [B, N, ${K}] and [B, N, 3]`);
  });

  it("starts as the plain bilinear condition; probabilities over the palette ride on the gate; forcing gives the truth's one-hot; no leaks", () => {
    const plain = createEditor(bil, new Rng(2));
    const e = createEditor(palette, new Rng(2));
    try {
      const p = editorParams(e);
      expect(p["edit.loc.plan.o.w"].shape).toEqual([bil.dnD, K]);
      expect(p["edit.loc.plan.i.w"].shape).toEqual([K, bil.dnD]);
      const texts = edits.slice(0, 2).map((x) => x.instruction);
      const n0 = tf.memory().numTensors;
      const images = imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image);
      const N = (bil.image / bil.dnPatch) ** 2;
      const start = tf.tidy(() => tf.max(tf.abs(tf.sub(editorCondition(plain, images, editorLayout(plain, texts)).aligned!.spatial, editorCondition(e, images, editorLayout(e, texts)).aligned!.spatial))).dataSync()[0]);
      expect(start).toBe(0);
      // give Lin_pi a seeded value so that the plan's code shows in the condition
      const w = p["edit.loc.plan.i.w"] as tf.Variable;
      tf.tidy(() => w.assign(tf.randomNormal(w.shape, 0, 1, "float32", 3)));
      const yellow = PLAN_PALETTE[COLOURS.indexOf("yellow")];
      const r = tf.tidy(() => {
        const a = editorCondition(e, images, editorLayout(e, texts)).aligned!;
        const gate = tf.fill([2, N], 0.5) as tf.Tensor2D;
        const truth = tf.tensor3d(Array.from({ length: 2 * N }, () => yellow.map((v) => (v + 1) * 0.7 - 1)).flat(), [2, N, 3]); // a shaded yellow
        const forced = gatedSpatial(a, gate, [true, false], { p, truth });
        const onehot = tf.oneHot(tf.fill([N], COLOURS.indexOf("yellow"), "int32"), K).toFloat();
        const code = (x: tf.Tensor) => tf.add(tf.matMul(x, p["edit.loc.plan.i.w"]), p["edit.loc.plan.i.b"]);
        const want0 = tf.add(a.ungated!.slice([0, 0, 0], [1, -1, -1]), tf.mul(0.5, tf.add(a.gated!, code(onehot))));
        const own = gatedSpatial(a, gate, undefined, { p });
        const want1 = tf.add(a.ungated!, tf.mul(0.5, tf.add(a.gated!, code(a.planCode!.reshape([2 * N, K])).reshape([2, N, bil.dnD]))));
        return {
          sums: Array.from(tf.sum(a.planCode!, -1).dataSync()),
          planShape: a.plan!.shape,
          logitShape: a.planLogits!.shape,
          forcedErr: tf.max(tf.abs(tf.sub(forced.slice([0, 0, 0], [1, -1, -1]), want0))).dataSync()[0],
          keptErr: tf.max(tf.abs(tf.sub(forced.slice([1, 0, 0], [1, -1, -1]), a.spatial.slice([1, 0, 0], [1, -1, -1])))).dataSync()[0], // not forced: its own gate and plan
          ownErr: tf.max(tf.abs(tf.sub(own, want1))).dataSync()[0],
          expectedColour: tf.max(tf.abs(tf.sub(a.plan!, tf.matMul(a.planCode!.reshape([2 * N, K]), tf.tensor2d(PLAN_PALETTE.map((c) => [...c]))).reshape([2, N, 3])))).dataSync()[0],
        };
      });
      images.dispose();
      expect(tf.memory().numTensors).toBe(n0);
      for (const s of r.sums) expect(s).toBeCloseTo(1, 5);
      expect(r.planShape).toEqual([2, N, 3]);
      expect(r.logitShape).toEqual([2, N, K]);
      expect(r.forcedErr).toBeLessThan(1e-5);
      expect(r.keptErr).toBeLessThan(1e-5);
      expect(r.ownErr).toBeLessThan(1e-5);
      expect(r.expectedColour).toBeLessThan(1e-5);
    } finally {
      disposeEditor(plain);
      disposeEditor(e);
    }
  });

  it("the palette loss trains the plan head through the where loss's weight, and only with it; config: keyed when on", () => {
    const e = createEditor(palette, new Rng(3));
    try {
      const v = editorParams(e)["edit.loc.plan.o.w"] as tf.Variable;
      const n0 = tf.memory().numTensors;
      const norm = (whereWeight: number) => tf.tidy(() => tf.norm(tf.variableGrads(() => editStepLoss(e, edits, editorScheduler(bil), new Rng(4), { whereWeight }), [v]).grads[v.name]).dataSync()[0]);
      const [on, off] = [norm(1), norm(0)];
      expect(tf.memory().numTensors).toBe(n0);
      expect(on).toBeGreaterThan(0);
      expect(off).toBe(0);
    } finally {
      disposeEditor(e);
    }
    expect(keyedEditorConfig(palette, false).alignedPlan).toBe("palette");
    expect(keyedEditorConfig(palette, true).alignedPlan).toBeUndefined();
  });

  it("planDecode 'argmax' edits with the one-hot of each patch's most likely colour, as if that colour's plan were given; errors", () => {
    const logits = tf.tensor3d(Array.from({ length: 2 * K }, (_, i) => (i % K === (Math.floor(i / K) * 3) % K ? 4 : 0)), [1, 2, K]);
    const colours = tf.tidy(() => paletteArgmaxColours(logits).arraySync() as number[][][])[0];
    expect(colours).toEqual([[...PLAN_PALETTE[0]], [...PLAN_PALETTE[3]]].map((c) => c.map((v) => Math.fround(v))));
    expect(tf.tidy(() => tf.argMax(paletteOneHot(paletteArgmaxColours(logits)), -1).arraySync())).toEqual([[0, 3]]);
    logits.dispose();
    expect(() => tf.tidy(() => paletteArgmaxColours(tf.zeros([1, 2, 3]) as tf.Tensor3D))).toThrow(`paletteArgmaxColours: logits [1, 2, 3] must end in the palette's ${K} colours`);

    const e = createEditor(palette, new Rng(5));
    perturbZeroInit(e, 6);
    try {
      const p = editorParams(e);
      tf.tidy(() => {
        (p["edit.loc.gate"] as tf.Variable).assign(tf.randomNormal([bil.dnD], 0, 0.5, "float32", 7));
        (p["edit.loc.plan.i.w"] as tf.Variable).assign(tf.randomNormal([K, bil.dnD], 0, 0.5, "float32", 8));
      });
      const sources = edits.slice(0, 2).map((x) => x.source);
      const texts = edits.slice(0, 2).map((x) => x.instruction);
      const n0 = tf.memory().numTensors;
      const snapped = editImages(e, sources, texts, { steps: 1, planDecode: "argmax" }).images;
      const soft = editImages(e, sources, texts, { steps: 1, planDecode: "soft" }).images;
      const plain = editImages(e, sources, texts, { steps: 1 }).images;
      const own = tf.tidy(() => paletteArgmaxColours(editorCondition(e, imageBatch(sources, bil.image), editorLayout(e, texts)).aligned!.planLogits!).arraySync() as number[][][]);
      const given = editImages(e, sources, texts, { steps: 1 }, { plan: own.map((rows) => Float32Array.from(rows.flat())) }).images;
      expect(tf.memory().numTensors).toBe(n0);
      const maxDiff = (a: Float32Array[], b: Float32Array[]) => a.reduce((m, x, i) => x.reduce((mm, v, j) => Math.max(mm, Math.abs(v - b[i][j])), m), 0);
      expect(maxDiff(snapped, given)).toBe(0);
      expect(maxDiff(soft, plain)).toBe(0);
      expect(maxDiff(snapped, soft)).toBeGreaterThan(0);
      expect(() => editImages(e, sources, texts, { steps: 1, planDecode: "hard" as never })).toThrow("editImages: planDecode must be soft, argmax or snap, got 'hard'");
      expect(() => editImages(e, sources, texts, { steps: 1, planDecode: "snap" })).toThrow("editImages: planDecode 'snap' needs an editor with a colour plan (alignedPlan: true or 'attend') that reads the image");
    } finally {
      disposeEditor(e);
    }
    const colourPlan = createEditor(checkEditorConfig({ ...bil, alignedPlan: true }), new Rng(5));
    try {
      expect(() => editImages(colourPlan, [edits[0].source], ["remove the red cube"], { steps: 1, planDecode: "argmax" })).toThrow("editImages: planDecode 'argmax' needs an editor with a palette plan (alignedPlan: 'palette') that reads the image");
    } finally {
      disposeEditor(colourPlan);
    }
  });

  it("snapToPalette and planDecode 'snap': a colour plan's colour moved onto its nearest palette colour at its own brightness", () => {
    const toPlan = (bytes: number[]) => bytes.map((v) => v / 127.5 - 1);
    const rows = [
      [86.5, 17.5, 17.5], // red at half brightness: already a palette chromaticity, unchanged
      [173, 35, 60], // red with a little blue: red's chromaticity at brightness 173
      [100, 100, 100], // a neutral: gray's
      [0, 0, 0], // black stays black
    ];
    const want = [
      [86.5, 17.5, 17.5],
      [173, 35, 35],
      [100, 100, 100],
      [0, 0, 0],
    ];
    const n0 = tf.memory().numTensors;
    const got = tf.tidy(() => snapToPalette(tf.tensor3d(rows.map(toPlan).flat(), [1, rows.length, 3])).arraySync() as number[][][])[0];
    expect(tf.memory().numTensors).toBe(n0);
    for (const [i, row] of got.entries()) for (const [ch, v] of row.entries()) expect((v + 1) * 127.5).toBeCloseTo(want[i][ch], 3);

    const e = createEditor(checkEditorConfig({ ...bil, alignedPlan: true }), new Rng(5));
    perturbZeroInit(e, 6);
    try {
      const p = editorParams(e);
      tf.tidy(() => {
        (p["edit.loc.gate"] as tf.Variable).assign(tf.randomNormal([bil.dnD], 0, 0.5, "float32", 7));
        (p["edit.loc.plan.i.w"] as tf.Variable).assign(tf.randomNormal([3, bil.dnD], 0, 0.5, "float32", 8));
      });
      const sources = edits.slice(0, 2).map((x) => x.source);
      const texts = edits.slice(0, 2).map((x) => x.instruction);
      const snapped = editImages(e, sources, texts, { steps: 1, planDecode: "snap" }).images;
      const own = tf.tidy(() => snapToPalette(editorCondition(e, imageBatch(sources, bil.image), editorLayout(e, texts)).aligned!.plan!).arraySync() as number[][][]);
      const given = editImages(e, sources, texts, { steps: 1 }, { plan: own.map((r) => Float32Array.from(r.flat())) }).images;
      const soft = editImages(e, sources, texts, { steps: 1 }).images;
      const maxDiff = (a: Float32Array[], b: Float32Array[]) => a.reduce((m, x, i) => x.reduce((mm, v, j) => Math.max(mm, Math.abs(v - b[i][j])), m), 0);
      expect(maxDiff(snapped, given)).toBe(0);
      expect(maxDiff(snapped, soft)).toBeGreaterThan(0);
      expect(() => editImages(e, sources, texts, { steps: 1, planDecode: "argmax" })).toThrow("editImages: planDecode 'argmax' needs an editor with a palette plan (alignedPlan: 'palette') that reads the image");
    } finally {
      disposeEditor(e);
    }
  });
});
