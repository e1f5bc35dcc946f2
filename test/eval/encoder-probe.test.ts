import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { SEED_RANGES } from "../../lib/data/seeds";
import {
  beatsMajority,
  encoderFeatures,
  encoderProbeConfig,
  encoderVerdict,
  encoderWeightsHash,
  pixelContextFeatures,
  pixelFeatures,
  probeEncoder,
  sceneSplit,
  stackTruth,
  type SourceProbe,
} from "../../lib/eval/encoder-probe";
import { ensureGridNodes, loadGridEditor } from "../../lib/eval/grid-models";
import { patchTruth, probeScenes } from "../../lib/eval/patch-truth";
import { argmaxAccuracy, classificationProbe, regressionProbe, ridgePredict, ridgeSolve, ridgeStats, rSquared } from "../../lib/eval/ridge-probe";
import { adaptImageTokens } from "../../lib/models/editor/adapter";
import { editorConfig } from "../../lib/models/editor/config";
import { encodeImages } from "../../lib/models/editor/encoder";
import { createEditor, disposeEditor, editorParams } from "../../lib/models/editor/model";
import { imageBatch } from "../../lib/models/editor/train/steps";
import { patchify } from "../../lib/nn/layers";
import type { SceneObject } from "../../lib/world/types";

beforeAll(async () => {
  await initBackend();
});

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe("ridge probe math", () => {
  it("recovers a known linear target, and its R² is 1", () => {
    const rng = new Rng(3);
    const n = 300;
    const d = 5;
    const x = rng.normalArray(n * d, 0, 2);
    for (let i = 0; i < n; i++) x[i * d + 4] = x[i * d + 4] * 10 + 7; // a column on another scale
    const w = [0.5, -2, 0, 1.5, 0.1];
    const y = Float64Array.from(range(0, n), (i) => 3 + w.reduce((s, wj, j) => s + wj * x[i * d + j], 0));
    const m = ridgeSolve(ridgeStats(x, d, y, 1, range(0, 200)), 1e-9);
    // weights on the original scale: w_std * scale
    for (let j = 0; j < d; j++) expect(m.w[j] * m.scale[j]).toBeCloseTo(w[j], 5);
    const rows = range(200, n);
    const pred = ridgePredict(m, x, rows);
    expect(rSquared(rows.map((r) => y[r]), pred)).toBeCloseTo(1, 8);
    const probe = regressionProbe(x, d, y, { train: range(0, 200), val: range(200, 250), test: range(250, n) }, [1e-6, 1, 100]);
    expect(probe.lambda).toBe(1e-6);
    expect(probe.testR2).toBeGreaterThan(0.999999);
    expect(probe.valByLambda[2]).toBeLessThan(probe.valByLambda[0]); // heavy shrinkage fits worse
    expect(probe.n).toEqual({ train: 200, val: 50, test: 50 });
  });

  it("R² is 1 for a perfect fit, 0 for the truth's mean, NaN for a constant truth", () => {
    expect(rSquared([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(rSquared([1, 2, 3], [2, 2, 2])).toBe(0);
    expect(rSquared([1, 2, 3], [3, 2, 1])).toBe(-3);
    expect(rSquared([2, 2], [1, 3])).toBeNaN();
    expect(() => rSquared([1], [1, 2])).toThrow("rSquared: 1 true values but 2 predictions");
  });

  it("one-vs-all ridge separates linearly separable classes; the majority class comes from the training rows", () => {
    const rng = new Rng(5);
    const k = 3;
    const centres = [[0, 0], [6, 0], [0, 6]];
    const n = 240;
    const labels = Int32Array.from(range(0, n), (i) => (i % 8 === 0 ? 1 : i % 8 === 1 ? 2 : 0)); // class 0 most common
    const x = new Float32Array(n * 2);
    labels.forEach((c, i) => {
      x[i * 2] = centres[c][0] + rng.normal(0, 0.5);
      x[i * 2 + 1] = centres[c][1] + rng.normal(0, 0.5);
    });
    const p = classificationProbe(x, 2, labels, k, { train: range(0, 160), val: range(160, 200), test: range(200, n) }, [1e-3, 1]);
    expect(p.testAcc).toBe(1);
    expect(p.majorityClass).toBe(0);
    expect(p.majority).toBeCloseTo(30 / 40, 10);
    expect(argmaxAccuracy([0, 1], [1, 0, 0, 1], 2)).toBe(1);
    expect(argmaxAccuracy([0, 1], [0, 0, 0, 0], 2)).toBe(0.5); // ties: the lowest class
  });

  it("λ is chosen on the validation rows: the test rows' labels do not change it", () => {
    const rng = new Rng(7);
    const n = 200;
    const x = rng.normalArray(n * 4);
    const labels = Int32Array.from(range(0, n), (i) => (x[i * 4] + 0.8 * rng.normal() > 0 ? 1 : 0));
    const split = { train: range(0, 100), val: range(100, 150), test: range(150, n) };
    const lambdas = [1e-4, 1e-1, 10, 1000];
    const a = classificationProbe(x, 4, labels, 2, split, lambdas);
    const flipped = Int32Array.from(labels, (c, i) => (i >= 150 ? 1 - c : c));
    const b = classificationProbe(x, 4, flipped, 2, split, lambdas);
    expect(b.lambda).toBe(a.lambda);
    expect(b.valByLambda).toEqual(a.valByLambda);
    expect(b.testAcc).toBeCloseTo(1 - a.testAcc, 10);
  });

  it("says what is wrong with its input", () => {
    expect(() => ridgeStats([1, 2, 3], 2, [1], 1, [0])).toThrow("ridgeStats: 3 feature values are not rows of width 2");
    expect(() => ridgeStats([1, 2], 1, [1], 1, [0])).toThrow("ridgeStats: targets must be [2 x k] for 2 feature rows, got 1 values with k = 1");
    expect(() => ridgeStats([1, 2], 1, [1, 2], 1, [2])).toThrow("ridgeStats: row 2 is outside 0..1");
    expect(() => ridgeSolve(ridgeStats([1, 2], 1, [1, 2], 1, [0, 1]), 0)).toThrow("ridgeSolve: lambda must be a positive number, got 0");
    expect(() => classificationProbe([1, 2, 3], 1, [0, -1, 1], 2, { train: [0, 1], val: [2], test: [2] }, [1])).toThrow("oneHotRows: label -1 at row 1 is not a class in 0..1");
    expect(() => regressionProbe([1, 2, 3], 1, [0, 1, 2], { train: [0, 1], val: [2], test: [2] }, [])).toThrow("regressionProbe: give at least one lambda");
  });
});

describe("patch targets from the exact ground truth", () => {
  const obj = (id: number, colour: SceneObject["colour"], shape: SceneObject["shape"]): SceneObject => ({ id, colour, shape, material: "matte", size: "small", position: { x: 0, y: 0, z: 0 }, rotation: 0, trend: "none" });

  it("coverage, and the colour and shape of the object with most pixels, per patch in row-major order", () => {
    // 4 x 4 image, 2 x 2 patches: top left all object 3; top right 3 pixels of object 5 (75%); bottom left 1 + 1 pixels (50%, a tie: the lower id); bottom right empty
    const mask = Int32Array.from([
      3, 3, 5, 5,
      3, 3, 5, -1,
      7, -1, -1, -1,
      -1, 2, -1, -1,
    ]);
    const objects = [obj(2, "red", "cone"), obj(3, "blue", "cube"), obj(5, "yellow", "sphere"), obj(7, "gray", "cylinder")];
    const t = patchTruth(mask, objects, 4, 2);
    expect(Array.from(t.coverage)).toEqual([1, 0.75, 0.5, 0]);
    expect(Array.from(t.colour)).toEqual([2, 7, 1, -1]); // blue, yellow, red (id 2 before 7), none
    expect(Array.from(t.shape)).toEqual([0, 1, 3, -1]); // cube, sphere, cone, none
    expect(Array.from(t.object)).toEqual([3, 5, 2, -1]);
    // stacked over scenes: whether the main object's colour names it in its scene
    const twin = [obj(2, "red", "cone"), obj(3, "blue", "cube"), obj(5, "blue", "sphere"), obj(7, "gray", "cylinder")];
    const stacked = stackTruth([{ index: 0, image: new Float32Array(48), mask, objects }, { index: 1, image: new Float32Array(48), mask, objects: twin }], 4, 2, 0.5);
    expect(Array.from(stacked.uniqueColour)).toEqual([1, 1, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(stacked.colour)).toEqual([2, 7, 1, -1, 2, 2, 1, -1]);
    const strict = patchTruth(mask, objects, 4, 2, 0.6);
    expect(Array.from(strict.colour)).toEqual([2, 7, -1, -1]);
    expect(() => patchTruth(mask, objects, 4, 3)).toThrow("patchTruth: patch (3) must divide the image side (4)");
    expect(() => patchTruth(mask, objects.slice(1), 4, 2)).toThrow("patchTruth: the mask shows object id 2, which is not in the scene's object list");
    expect(() => patchTruth(mask, objects, 5, 1)).toThrow("patchTruth: the mask has 16 pixels, expected 5 x 5");
  });

  it("probe scenes come from a held-out seed, deterministically", () => {
    const a = probeScenes(2, 16);
    expect(probeScenes(2, 16)[1].image).toEqual(a[1].image);
    expect(a[0].image).not.toEqual(a[1].image);
    expect(a[0].mask.length).toBe(256);
    expect(() => probeScenes(1, 16, SEED_RANGES.training.from + 5)).toThrow(/^checkHeldOutSeed: benchmark seed 5 is outside the held-out range/);
  });
});

describe("features per patch", () => {
  it("pixels follow the encoder's patchify order; the adapter's image token is spread over its m x m patches", () => {
    const c = editorConfig("tiny");
    const n0 = tf.memory().numTensors;
    const e = createEditor(c, new Rng(11));
    const images = probeScenes(3, c.image).map((s) => s.image);
    const px = pixelFeatures(images, c.image, c.encPatch);
    const want = tf.tidy(() => patchify(imageBatch(images, c.image), c.encPatch).dataSync());
    expect(px.d).toBe(c.encPatch * c.encPatch * 3);
    expect(Array.from(px.x)).toEqual(Array.from(want));
    // the 3 x 3 context: the patch itself in the middle, its neighbours around, 0 outside the image
    const ctx = pixelContextFeatures(images, c.image, c.encPatch);
    const gp = c.image / c.encPatch;
    expect(ctx.d).toBe(9 * px.d);
    const block = (row: number, k: number) => Array.from(ctx.x.subarray(row * ctx.d + k * px.d, row * ctx.d + (k + 1) * px.d));
    const own = (row: number) => Array.from(px.x.subarray(row * px.d, (row + 1) * px.d));
    const inner = gp + 1; // patch (1, 1) of image 0
    expect(block(inner, 4)).toEqual(own(inner));
    expect(block(inner, 0)).toEqual(own(0)); // up-left neighbour
    expect(block(inner, 5)).toEqual(own(inner + 1)); // right neighbour
    expect(block(gp * gp + 0, 0)).toEqual(new Array(px.d).fill(0)); // image 1's corner patch: nothing up-left
    expect(block(gp * gp + 0, 4)).toEqual(own(gp * gp));
    const enc = encoderFeatures(e, images, 2);
    const both = encoderFeatures(e, images, 2, true);
    const g = c.image / c.encPatch;
    const m = c.adapterMerge;
    const [tokens, ada] = tf.tidy(() => {
      const p = editorParams(e);
      const t = encodeImages(p, c, imageBatch(images, c.image)).tokens;
      return [t.dataSync(), adaptImageTokens(p, c, t).dataSync()];
    });
    expect(enc.d).toBe(c.encD);
    expect(both.d).toBe(c.encD + c.d);
    for (let b = 0; b < images.length; b++) {
      for (let r = 0; r < g; r++) {
        for (let col = 0; col < g; col++) {
          const row = (b * g + r) * g + col;
          const merged = b * (g / m) ** 2 + Math.floor(r / m) * (g / m) + Math.floor(col / m);
          for (let j = 0; j < c.encD; j++) {
            expect(enc.x[row * c.encD + j]).toBeCloseTo(tokens[row * c.encD + j], 5);
            expect(both.x[row * both.d + j]).toBeCloseTo(tokens[row * c.encD + j], 5);
          }
          for (let j = 0; j < c.d; j++) expect(both.x[row * both.d + c.encD + j]).toBeCloseTo(ada[merged * c.d + j], 5);
        }
      }
    }
    disposeEditor(e);
    expect(tf.memory().numTensors).toBe(n0);
  });
});

describe("the verdict", () => {
  const cls = (testAcc: number, majority: number, n = 500) => ({ lambda: 1, valByLambda: [testAcc], valAcc: testAcc, testAcc, majority, majorityClass: 0, classes: 4, n: { train: n, val: n, test: n } });
  const probe = (source: SourceProbe["source"], r2: number, colour: number, shape: number): SourceProbe => ({
    source,
    dim: 8,
    coverage: { lambda: 1, valByLambda: [r2], valR2: r2, testR2: r2, n: { train: 1, val: 1, test: 1 } },
    colour: cls(colour, 0.15),
    shape: cls(shape, 0.4),
  });
  const t = { minGain: 0.1, minR2: 0.5 };

  it("flips when the numbers flip", () => {
    const yes = encoderVerdict([probe("encoder", 0.9, 0.9, 0.8), probe("pixels", 0.8, 0.6, 0.4)], t);
    expect(yes).toMatchObject({ coverage: true, colour: true, shape: true });
    expect(yes.text).toMatch(/^the frozen encoder's patch tokens carry where objects are \(coverage R² 0\.90, threshold 0\.5\), the object's colour \(probe accuracy 0\.90 vs majority class 0\.15\) and the object's shape \(probe accuracy 0\.80 vs majority class 0\.40\); so the hypothesis .* is rejected/);
    expect(yes.text).toContain("pixels: coverage R² 0.80, colour 0.60, shape 0.40");
    const no = encoderVerdict([probe("encoder", 0.1, 0.16, 0.41)], t);
    expect(no).toMatchObject({ coverage: false, colour: false, shape: false });
    expect(no.text).toMatch(/^the frozen encoder's patch tokens do not carry where objects are .*; so the hypothesis holds:/);
    const part = encoderVerdict([probe("encoder", 0.9, 0.9, 0.42)], t);
    expect(part).toMatchObject({ coverage: true, colour: true, shape: false });
    expect(part.text).toContain("but not the object's shape (probe accuracy 0.42 vs majority class 0.40); so the hypothesis holds in part: the encoder does not say the object's shape in its patch.");
    const other = encoderVerdict([probe("encoder", 0.9, 0.2, 0.8)], t);
    expect(other.text).toContain("the encoder does not say the object's colour in its patch");
    // for what the encoder lacks, whether the pixels around the patch hold it linearly
    const read = encoderVerdict([probe("encoder", 0.9, 0.9, 0.42), probe("pixel-context", 0.9, 0.9, 0.7)], t);
    expect(read.text).toContain("; a linear probe reads the object's shape from the pixels of the 3 x 3 patches around the patch (0.70 vs majority class 0.40), so the encoder drops what its context holds");
    const unread = encoderVerdict([probe("encoder", 0.9, 0.9, 0.42), probe("pixel-context", 0.9, 0.9, 0.41)], t);
    expect(unread.text).toContain("; nor does a linear probe read the object's shape from the pixels of the 3 x 3 patches around the patch (0.41 vs majority class 0.40), so a linear probe cannot tell whether the encoder holds it in another form");
    expect(yes.text).not.toContain("3 x 3");
    expect(() => encoderVerdict([probe("pixels", 1, 1, 1)], t)).toThrow("encoderVerdict: no 'encoder' probe among pixels");
  });

  it("a gain needs its margin and a Wilson lower bound above the majority class", () => {
    expect(beatsMajority(cls(0.6, 0.4, 500), 0.1)).toBe(true);
    expect(beatsMajority(cls(0.45, 0.4, 500), 0.1)).toBe(false); // below the margin
    expect(beatsMajority(cls(0.6, 0.4, 10), 0.1)).toBe(false); // 6 of 10: the interval reaches the majority class
  });
});

describe("the encoder probe on a grid node (tiny)", () => {
  it("probes every source on held-out scenes split by scene, and leaks no tensor", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "encoder-probe-"));
    const nodes = await ensureGridNodes("tiny", ["base@s0"], { cacheDir: dir, silent: true });
    const n0 = tf.memory().numTensors;
    const { editor } = loadGridEditor(nodes.byId["base@s0"].dir);
    const config = encoderProbeConfig("tiny");
    const scenes = probeScenes(config.scenes, editor.config.image);
    const r = probeEncoder(editor, scenes, { config });
    expect(r.sources.map((s) => s.source)).toEqual(["encoder", "random-encoder", "pixels", "pixel-context", "encoder+adapter"]);
    expect(r.sources.map((s) => s.dim)).toEqual([editor.config.encD, editor.config.encD, 48, 9 * 48, editor.config.encD + editor.config.d]);
    expect(r.scenes).toEqual({ train: 9, val: 3, test: 3 });
    expect(r.patches).toEqual({ train: 9 * 16, val: 3 * 16, test: 3 * 16 });
    expect(r.objectPatches.train + r.objectPatches.val + r.objectPatches.test).toBe(Object.values(r.classCounts.colour).reduce((a, b) => a + b, 0));
    expect(r.uniqueColourShare).toBeGreaterThanOrEqual(0);
    expect(r.uniqueColourShare).toBeLessThanOrEqual(1);
    for (const s of r.sources) {
      expect(s.colour.n).toEqual(r.objectPatches);
      expect(s.coverage.n).toEqual(r.patches);
      expect(config.lambdas).toContain(s.colour.lambda);
      for (const v of [s.coverage.testR2, s.colour.testAcc, s.shape.testAcc, s.colour.majority, s.shape.majority]) expect(Number.isFinite(v)).toBe(true);
    }
    expect(r.sources[1].coverage.testR2).not.toBe(r.sources[0].coverage.testR2); // a different encoder
    expect(typeof r.verdict.text).toBe("string");
    expect(encoderWeightsHash(editor)).toMatch(/^[0-9a-f]{64}$/);
    expect(() => probeEncoder(editor, scenes, { config, sources: ["pixels"] })).toThrow("probeEncoder: sources must include 'encoder' (the verdict reads it); got pixels");
    expect(() => probeEncoder(editor, probeScenes(3, 32), { config })).toThrow("probeEncoder: scene 0 is not rendered at the editor's size 16 x 16");
    disposeEditor(editor);
    expect(tf.memory().numTensors).toBe(n0);
  }, 60_000);

  it("splits scenes in order and checks its config", () => {
    expect(sceneSplit(10, 0.2, 0.2)).toEqual({ train: range(0, 6), val: [6, 7], test: [8, 9] });
    expect(sceneSplit(3, 0.2, 0.2)).toEqual({ train: [0], val: [1], test: [2] });
    expect(() => sceneSplit(2, 0.2, 0.2)).toThrow("sceneSplit: 2 scenes leave none to fit the probes (val 1, test 1)");
    expect(encoderProbeConfig("paper").scenes).toBe(400);
    expect(() => encoderProbeConfig("tiny", { scenes: 2 })).toThrow("encoder probe: scenes must be an integer >= 3 (train, val and test scenes), got 2");
    expect(() => encoderProbeConfig("tiny", { lambdas: [0] })).toThrow("encoder probe: lambdas must be positive numbers, got [0]");
    expect(() => encoderProbeConfig("tiny", { valShare: 0.5, testShare: 0.5 })).toThrow("encoder probe: valShare and testShare must be > 0 with a sum < 1, got 0.5 and 0.5");
  });
});
