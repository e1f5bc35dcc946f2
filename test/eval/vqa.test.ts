import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { BENCHMARK_SEEDS, SEED_RANGES } from "../../lib/data/seeds";
import { engineData } from "../../lib/models/editor/train/data";
import { answerVqa, normalizeAnswer, sampleItems, spatialVqaItems, vqaAccuracy } from "../../lib/eval/vqa";
import { tokenCoverage } from "../../lib/models/editor/grounding";
import { regionMass, wordImageAttention } from "../../lib/eval/word-attention";
import { tinyEditor } from "../models/editor/helpers";

beforeAll(async () => {
  await initBackend();
});

describe("held-out spatial VQA", () => {
  it("comes from the held-out seed, shares no image with the training VQA, and covers several families", () => {
    const held = spatialVqaItems(4, 16, "tiny");
    const train = engineData(1234, 4, 16, "tiny").vqa;
    expect(held.length).toBeGreaterThan(0);
    const key = (im: Float32Array) => Array.from(im).join(",");
    const trainImages = new Set(train.map((t) => key(t.image)));
    expect(held.some((h) => trainImages.has(key(h.image)))).toBe(false);
    expect(new Set(held.map((h) => h.family)).size).toBeGreaterThan(1);
    expect(() => spatialVqaItems(2, 16, "tiny", 1234)).toThrow(`checkHeldOutSeed: benchmark seed 1234 is outside the held-out range ${SEED_RANGES.heldOut.from}..${SEED_RANGES.heldOut.to}`);
    expect(() => spatialVqaItems(0, 16, "tiny")).toThrow("spatialVqaItems: scenes must be a positive integer, got 0");
    expect(BENCHMARK_SEEDS.spatialVqa).not.toBe(BENCHMARK_SEEDS.spatialEval);
  });

  it("scores exact matches per family with Wilson intervals; case and spacing do not matter", () => {
    const items = [
      { family: "height", answer: "the red cube" },
      { family: "height", answer: "yes" },
      { family: "direction", answer: "left of" },
      { family: "direction", answer: "no" },
    ];
    const s = vqaAccuracy(items, ["The  red cube", "no", "left of", "no ."]);
    expect(s.families.map((f) => [f.family, f.correct, f.n])).toEqual([["height", 1, 2], ["direction", 1, 2]]);
    expect(s.overall).toMatchObject({ family: "all", correct: 2, n: 4, acc: 0.5 });
    expect(s.overall.lo).toBeLessThan(0.5);
    expect(s.overall.hi).toBeGreaterThan(0.5);
    expect(normalizeAnswer(" No . ")).toBe("no.");
    expect(() => vqaAccuracy(items, ["yes"])).toThrow("vqaAccuracy: 1 answers for 4 questions");
  });

  it("answers with a tiny editor (no leak) and a fixed sample is the same for every caller", async () => {
    const e = tinyEditor();
    const items = sampleItems(spatialVqaItems(2, e.config.image, "tiny"), 5, 3);
    expect(items).toEqual(sampleItems(spatialVqaItems(2, e.config.image, "tiny"), 5, 3));
    const n0 = tf.memory().numTensors;
    const seen: number[] = [];
    const answers = await answerVqa(e, items, { batch: 2, onProgress: (d) => seen.push(d) });
    expect(tf.memory().numTensors).toBe(n0);
    expect(answers.length).toBe(items.length);
    expect(seen).toEqual([2, 4, 5]);
    await expect(answerVqa(e, items, { batch: 0 })).rejects.toThrow("answerVqa: batch must be a positive integer, got 0");
  });
});

describe("attention of a word over the image tokens", () => {
  it("is a probability row per layer and head; the image share matches the maps; no leak", () => {
    const e = tinyEditor();
    const img = new Rng(4).uniformArray(e.config.image * e.config.image * 3, -1, 1);
    const n0 = tf.memory().numTensors;
    const a = wordImageAttention(e, img, "turn the leftmost cube into red", "leftmost");
    expect(tf.memory().numTensors).toBe(n0);
    expect(a.maps.length).toBe(e.config.layers);
    expect(a.maps[0].length).toBe(e.config.heads);
    expect(a.maps[0][0].length).toBe(a.grid * a.grid);
    for (let l = 0; l < a.maps.length; l++) {
      const mean = a.maps[l].reduce((s, h) => s + h.reduce((x, y) => x + y, 0), 0) / a.maps[l].length;
      expect(a.imageMass[l]).toBeCloseTo(mean, 6);
      expect(a.imageMass[l]).toBeGreaterThan(0);
      expect(a.imageMass[l]).toBeLessThan(1); // causal: the word also sees the prompt, soft prompt and earlier words
    }
    expect(() => wordImageAttention(e, img, "turn the leftmost cube into red", "rightmost")).toThrow("wordImageAttention: 'rightmost' is not in the question 'turn the leftmost cube into red'");
  });

  it("token coverage and region mass: a map concentrated on the masked token gives 1, a uniform one the area share", () => {
    const size = 8;
    const mask = new Array(size * size).fill(0);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) mask[y * size + x] = 1; // top-left quarter
    const cov = tokenCoverage(mask, size, 2);
    expect(cov).toEqual([1, 0, 0, 0]);
    const peaked = { question: "", word: "", position: 0, grid: 2, maps: [[[0.5, 0, 0, 0]], [[0.1, 0.1, 0.1, 0.1]]], imageMass: [] };
    const r = regionMass(peaked, cov);
    expect(r.perLayer[0]).toBeCloseTo(1, 12);
    expect(r.perLayer[1]).toBeCloseTo(0.25, 12);
    expect(r.uniform).toBeCloseTo(0.25, 12);
    expect(() => tokenCoverage(mask, size, 3)).toThrow("tokenCoverage: image side 8 is not a multiple of the token grid 3");
    expect(() => regionMass(peaked, [1, 0])).toThrow("regionMass: coverage has 2 tokens, the map 4");
  });
});

describe("the word-attention figure", () => {
  it("has one image column and one heatmap per layer, model and slider option; the slider shows one option at a time", async () => {
    const { wordAttentionFigure } = await import("../../lib/eval/word-attention-figure");
    const e = tinyEditor();
    const S = e.config.image;
    const img = new Rng(4).uniformArray(S * S * 3, -1, 1);
    const a = wordImageAttention(e, img, "turn the leftmost cube into red", "leftmost");
    const bytes = new Uint8Array(S * S * 3).fill(100);
    const mask = new Array(S * S).fill(0);
    mask[0] = 1;
    const fig = wordAttentionFigure(bytes, S, [{ model: "a", attention: a }, { model: "b", attention: a }], "t", mask);
    const L = e.config.layers;
    const H = e.config.heads;
    const heat = fig.data.filter((t) => t.type === "heatmap");
    expect(heat.length).toBe(2 * L * (H + 1));
    expect(fig.data.filter((t) => t.type === "image").length).toBe(2);
    const steps = (fig.layout!.sliders as { steps: { args: [{ visible: boolean[] }] }[] }[])[0].steps;
    expect(steps.length).toBe(H + 1);
    for (const st of steps) expect(st.args[0].visible.filter((v, i) => v && fig.data[i].type === "heatmap").length).toBe(2 * L);
    expect(() => wordAttentionFigure(bytes, S, [], "t")).toThrow("wordAttentionFigure: no models to show");
  });
});

describe("region-mass study", () => {
  it("finds the spatial word, skips questions without one, and gives per-layer shares in [0, 1] for each model", async () => {
    const { firstSpatialWord, regionMassStudy } = await import("../../lib/eval/word-attention");
    expect(firstSpatialWord("Is the red cube left of the blue cone?")).toBe("left");
    expect(firstSpatialWord("what is the colour of the cube?")).toBe(null);
    expect(firstSpatialWord("Tell me which object is the furthest-right object?")).toBe("furthest-right");
    const e = tinyEditor();
    const items = spatialVqaItems(2, e.config.image, "tiny");
    const n0 = tf.memory().numTensors;
    const s = regionMassStudy([{ name: "a", editor: e }, { name: "b", editor: e }], items, e.config.image);
    expect(tf.memory().numTensors).toBe(n0);
    expect(s.questions.every((q) => firstSpatialWord(q) !== null)).toBe(true);
    expect(s.rows.map((r) => r.model)).toEqual(["a", "b"]);
    expect(s.questions.length).toBeGreaterThan(0);
    expect(s.questions.length).toBeLessThan(items.length);
    expect(s.rows[0].perLayer.length).toBe(e.config.layers);
    for (const v of s.rows[0].perLayer) expect(v >= 0 && v <= 1).toBe(true);
    expect(s.rows[0].perLayer).toEqual(s.rows[1].perLayer); // the same editor gives the same numbers
    expect(s.rows[0].uniform).toBeGreaterThan(0);
  });
});
