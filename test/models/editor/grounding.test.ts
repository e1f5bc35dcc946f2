import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { ensureBenchmark } from "../../../lib/eval/benchmark-generate";
import { probeEditGrounding, probeGrounding } from "../../../lib/eval/ground-probe";
import { editorGrid } from "../../../lib/eval/editor-grid";
import { spatialVqaItems } from "../../../lib/eval/vqa";
import { editorConfig } from "../../../lib/models/editor/config";
import { GROUND_FIRST_LAYER, groundLoss, groundTargets, imgImageAttention, objectCoverages, targetMass, tokenCoverage } from "../../../lib/models/editor/grounding";
import { createEditor, disposeEditor, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { engineData, objectMask, type TextExample } from "../../../lib/models/editor/train/data";
import { editorPhaseTask, type EditorNodeConfig } from "../../../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig, textPhaseRecipe } from "../../../lib/models/editor/train/recipes";
import { textLoss } from "../../../lib/models/editor/train/steps";
import { keyGrid } from "../../../lib/train/grid/node";

beforeAll(async () => {
  await initBackend();
});

const cfg = editorConfig("tiny");
const rc = recipeConfig("tiny");

describe("grounding targets and loss", () => {
  it("targets: the objects' token coverage as a distribution; no mask or an empty one gets weight 0", () => {
    const size = 8;
    const quarter = new Uint8Array(size * size);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) quarter[y * size + x] = 1; // top-left token
    const straddle = new Uint8Array(size * size);
    for (let x = 2; x < 6; x++) straddle[x] = 1; // row 0, x 2..5: half in token 0, half in token 1
    const r = groundTargets([quarter, undefined, new Uint8Array(size * size), straddle], size, 2);
    expect(Array.from(r.weight)).toEqual([1, 0, 0, 1]);
    expect(Array.from(r.target)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0, 0]);
    expect(() => groundTargets([quarter], 8, 3)).toThrow("tokenCoverage: image side 8 is not a multiple of the token grid 3");
  });

  it("loss: 0 when the map is the target, log 2 for a target on one of two equally attended tokens; weight-0 items do not count", () => {
    const n0 = tf.memory().numTensors;
    const target = tf.tensor2d([[1, 0], [0.5, 0.5], [1, 0]]);
    const weight = tf.tensor1d([1, 1, 0]);
    const exact = tf.tensor2d([[1, 0], [0.5, 0.5], [0, 1]]);
    const flat = tf.tensor2d([[0.5, 0.5], [0.5, 0.5], [0, 1]]);
    const wide = tf.zeros([3, 3]) as tf.Tensor2D;
    const one = tf.tensor1d([1]);
    const loss = (maps: tf.Tensor2D[], w = weight) => tf.tidy(() => groundLoss(maps, target, w).dataSync()[0]);
    expect(loss([exact])).toBeCloseTo(0, 6);
    // item 0: KL([1, 0] || [.5, .5]) = log 2, item 1: 0, item 2 has weight 0 -> log 2 / 2; two layers are averaged
    expect(loss([flat])).toBeCloseTo(Math.log(2) / 2, 6);
    expect(loss([flat, exact])).toBeCloseTo(Math.log(2) / 4, 6);
    expect(() => loss([])).toThrow("groundLoss: no attention maps (the MLLM needs more than one layer)");
    expect(() => loss([wide])).toThrow("groundLoss: map [3, 3] and target [3, 2] differ in shape");
    expect(() => loss([exact], one)).toThrow("groundLoss: 1 weights for 3 items");
    tf.dispose([target, weight, exact, flat, wide, one]);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it("target mass: the map's mass on the covered tokens, against a uniform map's", () => {
    const r = targetMass([0.7, 0.1, 0.1, 0.1, 0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0, 0.5, 0.5, 0, 0], 4);
    expect(r.mass[0]).toBeCloseTo(0.7, 12);
    expect(r.mass[1]).toBeCloseTo(0.5, 12);
    expect(r.uniform).toEqual([0.25, 0.5]);
    expect(() => targetMass([1, 0], [1, 0, 0], 2)).toThrow("targetMass: map (2) and target (3) must both be [B, 2]");
  });
});

describe("[IMG] attention over the image", () => {
  it("reads the [IMG] rows and image columns: a hand-made attention on one image token gives a one-hot map", () => {
    const e = createEditor(cfg, new Rng(3));
    const layout = editorLayout(e, ["make the cube red", "remove the sphere"]);
    const it0 = layout.items[0];
    const Ni = it0.image.end - it0.image.start;
    const H = cfg.heads;
    const probs = new Float32Array(2 * H * layout.T * layout.T);
    layout.items.forEach((it, b) => {
      for (let h = 0; h < H; h++)
        for (let q = 0; q < layout.T; q++) {
          const row = ((b * H + h) * layout.T + q) * layout.T;
          // [IMG] rows: half on the instruction's first token, half on image token b + 1; other rows uniform over images
          if (q >= it.img.start && q < it.img.end) {
            probs[row + it.instruction.start] = 0.5;
            probs[row + it.image.start + b + 1] = 0.5;
          } else for (let j = 0; j < Ni; j++) probs[row + it.image.start + j] = 1 / Ni;
        }
    });
    const map = tf.tidy(() => imgImageAttention(tf.tensor4d(probs, [2, H, layout.T, layout.T]), layout).arraySync());
    expect(map.length).toBe(2);
    expect(map[0].length).toBe(Ni);
    expect(map[0][1]).toBeCloseTo(1, 5);
    expect(map[1][2]).toBeCloseTo(1, 5);
    expect(map[0].reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(() => tf.tidy(() => imgImageAttention(tf.zeros([1, H, layout.T, layout.T]) as tf.Tensor4D, layout))).toThrow(`imgImageAttention: attention [1, ${H}, ${layout.T}, ${layout.T}] does not match the layout (batch 2, ${layout.T} tokens)`);
    disposeEditor(e);
  });
});

describe("the grounding loss in Stage I", () => {
  it("engine VQA carries the question's object mask; the loss adds to the cross-entropy and trains the attention projections", () => {
    const { vqa } = engineData(rc.dataSeed, 2, cfg.image);
    const ex = vqa.slice(0, 4);
    for (const x of ex) expect(x.objectMask?.length).toBe(cfg.image * cfg.image);
    expect(ex.some((x) => x.objectMask!.some((v) => v === 1))).toBe(true);
    const e = createEditor(cfg, new Rng(4));
    const n0 = tf.memory().numTensors;
    const ce = tf.tidy(() => textLoss(e, ex).dataSync()[0]);
    const withGround = tf.tidy(() => textLoss(e, ex, 2).dataSync()[0]);
    expect(withGround).toBeGreaterThan(ce);
    const noMasks: TextExample[] = ex.map(({ objectMask: _m, ...rest }) => rest);
    expect(tf.tidy(() => textLoss(e, noMasks, 2).dataSync()[0])).toBeCloseTo(ce, 6);
    // the grounding term alone has a gradient on a layer >= GROUND_FIRST_LAYER's attention projections
    const q = editorParams(e)[`mllm.blocks.${GROUND_FIRST_LAYER}.attn.q.w`] as tf.Variable;
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sub(textLoss(e, ex, 1), textLoss(e, ex)) as tf.Scalar, [q]);
      return tf.norm(grads[q.name]).dataSync()[0];
    });
    expect(g).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(n0);
    disposeEditor(e);
  });

  it("objectMask marks the pixels of the given ids", () => {
    expect(Array.from(objectMask(Int32Array.from([-1, 0, 1, 2, 1]), [1, 2]))).toEqual([0, 0, 1, 1, 1]);
  });

  it("a Stage I task with the loss trains differently from one without; base never reads it", async () => {
    const base = createEditor(cfg, new Rng(5));
    const node = (phase: "base" | "stage1", ground: number): EditorNodeConfig => ({ editor: cfg, recipe: textPhaseRecipe({ ...rc, groundLossWeight: ground }), phase, mode: phase === "base" ? "full" : "attention", layers: "all", imageTokens: true, checkpointEvery: 1 });
    const losses = async (phase: "base" | "stage1", ground: number) => {
      const task = editorPhaseTask(node(phase, ground), 0, editorParams(base), null);
      const l = [await task.step(0), await task.step(1)];
      task.dispose();
      return l;
    };
    expect((await losses("stage1", 1))[0]).toBeGreaterThan((await losses("stage1", 0))[0]);
    expect(await losses("base", 1)).toEqual(await losses("base", 0));
    disposeEditor(base);
  });
});

describe("grounding keys", () => {
  it("absent while 0, so cached nodes keep their keys; in Stage I's key (not base's) when set", () => {
    expect("groundLossWeight" in textPhaseRecipe(rc)).toBe(false);
    expect("groundLossWeight" in keyedRecipe({ ...rc, groundLossWeight: 0 })).toBe(false);
    expect(textPhaseRecipe({ ...rc, groundLossWeight: 0.5 }).groundLossWeight).toBe(0.5);
    expect(() => recipeConfig("tiny", { groundLossWeight: -1 })).toThrow("editor recipes: groundLossWeight must be a finite number >= 0, got -1");
    const keys = (g: number) => Object.fromEntries(keyGrid(editorGrid("tiny", [0], { groundLossWeight: g })).map((n) => [n.id, n.key]));
    const off = keys(0);
    const on = keys(1);
    expect(on["base@s0"]).toBe(off["base@s0"]);
    expect(on["stage1@s0"]).not.toBe(off["stage1@s0"]);
    expect(on["wo-s1@s0"]).toBe(off["wo-s1@s0"]);
  });
});

describe("the grounding probe", () => {
  it("per layer a mass in [0, 1] on held-out questions and on benchmark edits, against the uniform map's", () => {
    const e = createEditor(cfg, new Rng(6));
    const items = spatialVqaItems(2, cfg.image, "tiny");
    const n0 = tf.memory().numTensors;
    const r = probeGrounding(e, items, 3);
    expect(tf.memory().numTensors).toBe(n0);
    expect(r.perLayer.length).toBe(cfg.layers);
    for (const m of r.perLayer) {
      expect(m).toBeGreaterThanOrEqual(0);
      expect(m).toBeLessThanOrEqual(1 + 1e-6);
    }
    expect(r.uniform).toBeGreaterThan(0);
    expect(r.n).toBeGreaterThan(0);
    expect(() => probeGrounding(e, items.map((it) => ({ ...it, objects: [] })))).toThrow(`probeGrounding: none of the ${items.length} items has a nonempty mask`);
    // on edits: the mass on the pixels the truth changes; an unchanged truth leaves every item out
    const bench = ensureBenchmark("spatialeval", "tiny");
    const n1 = tf.memory().numTensors;
    const g = probeEditGrounding(e, bench, 4);
    expect(tf.memory().numTensors).toBe(n1);
    expect(g.n).toBe(bench.items.length);
    expect(g.perLayer.length).toBe(cfg.layers);
    expect(g.uniform).toBeGreaterThan(0);
    expect(g.uniform).toBeLessThan(1);
    expect(() => probeEditGrounding(e, { items: bench.items.map((it) => ({ ...it, truth: it.source })) })).toThrow(`probeGrounding: none of the ${bench.items.length} items has a nonempty mask`);
    disposeEditor(e);
  });
});

describe("objectCoverages", () => {
  it("equals tokenCoverage of each object's own mask, in one pass; ids absent from the mask cover nothing; bad sizes are errors", () => {
    const size = 8;
    const rng = new Rng(4);
    const mask = Int32Array.from({ length: size * size }, () => rng.int(-1, 4)); // ids -1 (ground) .. 3
    const ids = [3, 0, 7, 1];
    const got = objectCoverages(mask, ids, size, 4);
    expect(got).toEqual(ids.map((id) => tokenCoverage(Array.from(mask, (m) => (m === id ? 1 : 0)), size, 4)));
    expect(got[2].every((v) => v === 0)).toBe(true);
    expect(() => objectCoverages(mask, ids, 7, 7)).toThrow("objectCoverages: mask has 64 pixels, expected 7 x 7");
    expect(() => objectCoverages(mask, ids, size, 3)).toThrow("objectCoverages: image side 8 is not a multiple of the token grid 3");
  });
});
