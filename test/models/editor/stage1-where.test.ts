import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { editorGrid } from "../../../lib/eval/editor-grid";
import { changedShare, questionWhereTargets, whereLoss } from "../../../lib/models/editor/aligned-targets";
import { checkEditorConfig, editorConfig, keyedEditorConfig, type EditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams, type Editor } from "../../../lib/models/editor/model";
import { changedMask, editTextExamples, engineData, type TextExample } from "../../../lib/models/editor/train/data";
import { editResidual } from "../../../lib/models/editor/residual";
import { editorPhaseTask, type EditorNodeConfig } from "../../../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig, textPhaseRecipe, type RecipeConfig } from "../../../lib/models/editor/train/recipes";
import { imageBatch, textLoss } from "../../../lib/models/editor/train/steps";
import { keyGrid } from "../../../lib/train/grid/node";
import { scoped } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

const plainCfg = editorConfig("tiny");
const cfg = checkEditorConfig({ ...plainCfg, aligned: true });
const rc = recipeConfig("tiny");

/** A Stage I node on tiny's recipe with `recipe` over it. */
function stage1Node(editor: EditorConfig, recipe: Partial<RecipeConfig>): EditorNodeConfig {
  return { editor, recipe: textPhaseRecipe({ ...rc, ...recipe }), phase: "stage1", mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 };
}

/** Setting `on` changes the grid key of Stage I, and not those of base or of Stage II without Stage I (tiny, seed 0). */
function expectStage1KeyOnly(on: Partial<RecipeConfig>): void {
  const keys = (over: Partial<RecipeConfig>) => Object.fromEntries(keyGrid(editorGrid("tiny", [0], over)).map((n) => [n.id, n.key]));
  const off = keys({});
  const set = keys(on);
  expect(set["base@s0"]).toBe(off["base@s0"]);
  expect(set["stage1@s0"]).not.toBe(off["stage1@s0"]);
  expect(set["wo-s1@s0"]).toBe(off["wo-s1@s0"]);
}

/** The losses of the first two steps of `node`'s task from `parent`'s weights. */
async function twoSteps(node: EditorNodeConfig, parent: Editor): Promise<number[]> {
  const task = editorPhaseTask(node, 0, editorParams(parent), null);
  const l = [await task.step(0), await task.step(1)];
  task.dispose();
  return l;
}

describe("the where loss with item weights", () => {
  it("weights [1, 0] give the first item's loss; no weights the mean over items; a wrong weight count is an error", () => {
    const r = scoped(() => {
      const z = tf.tensor2d([[0.3, -1.2], [2.0, -0.5]]);
      const y = tf.tensor2d([[1, 0], [0, 0.5]]);
      return {
        first: whereLoss(z, y, tf.tensor1d([1, 0])).dataSync()[0],
        second: whereLoss(z, y, tf.tensor1d([0, 3])).dataSync()[0],
        mean: whereLoss(z, y).dataSync()[0],
        alone: whereLoss(tf.tensor2d([[0.3, -1.2]]), tf.tensor2d([[1, 0]])).dataSync()[0],
      };
    });
    const bce = (z: number, y: number) => -(y * Math.log(1 / (1 + Math.exp(-z))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-z))));
    const item0 = (bce(0.3, 1) + bce(-1.2, 0)) / 2;
    const item1 = (bce(2.0, 0) + bce(-0.5, 0.5)) / 2;
    expect(r.first).toBeCloseTo(item0, 5);
    expect(r.alone).toBeCloseTo(item0, 5);
    expect(r.second).toBeCloseTo(item1, 5);
    expect(r.mean).toBeCloseTo((item0 + item1) / 2, 5);
    expect(() => scoped(() => whereLoss(tf.zeros([2, 2]) as tf.Tensor2D, tf.zeros([2, 2]) as tf.Tensor2D, tf.ones([3]) as tf.Tensor1D))).toThrow("whereLoss: 3 weights for 2 items");
  });

  it("question targets: each denoiser patch's covered share; no mask or an empty one gets weight 0", () => {
    const c = { image: 8, dnPatch: 4 }; // a 2 x 2 grid of 4 x 4 patches
    const m = new Uint8Array(64);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) m[y * 8 + x] = 1; // all of patch 0
    m[7 * 8 + 7] = 1; // one pixel of patch 3
    const { target, weight } = questionWhereTargets([m, undefined, new Uint8Array(64)], c);
    expect(Array.from(target.subarray(0, 4))).toEqual([1, 0, 0, 1 / 16]);
    expect(Array.from(target.subarray(4))).toEqual(new Array(8).fill(0));
    expect(Array.from(weight)).toEqual([1, 0, 0]);
  });
});

describe("Stage I's where loss", () => {
  const ex = engineData(rc.dataSeed, 2, cfg.image).vqa.slice(0, 4);

  it("adds to the cross-entropy and reaches the where head; adds nothing without masks; needs the aligned path; no tensor leaks", () => {
    expect(ex.some((x) => x.objectMask!.some((v) => v === 1))).toBe(true);
    const e = createEditor(cfg, new Rng(4));
    const plain = createEditor(plainCfg, new Rng(4));
    try {
      const n0 = tf.memory().numTensors;
      const ce = tf.tidy(() => textLoss(e, ex).dataSync()[0]);
      const withWhere = tf.tidy(() => textLoss(e, ex, 0, 2).dataSync()[0]);
      expect(withWhere).toBeGreaterThan(ce);
      const noMasks: TextExample[] = ex.map(({ objectMask: _m, ...rest }) => rest);
      expect(tf.tidy(() => textLoss(e, noMasks, 0, 2).dataSync()[0])).toBeCloseTo(ce, 6);
      // the plain editor's cross-entropy equals the aligned one's: the [LOC] rows change no other state
      expect(tf.tidy(() => textLoss(plain, ex).dataSync()[0])).toBeCloseTo(ce, 5);
      const w = editorParams(e)["edit.loc.where.w"] as tf.Variable;
      const q = editorParams(e)["mllm.blocks.1.attn.q.w"] as tf.Variable;
      const g = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sub(textLoss(e, ex, 0, 1), textLoss(e, ex)) as tf.Scalar, [w, q]);
        return [tf.norm(grads[w.name]).dataSync()[0], tf.norm(grads[q.name]).dataSync()[0]];
      });
      expect(g[0]).toBeGreaterThan(0);
      expect(g[1]).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(n0);
      expect(() => tf.tidy(() => textLoss(plain, ex, 0, 1))).toThrow("textLoss: the where loss needs an editor with the aligned path (config.aligned)");
    } finally {
      disposeEditor(e);
      disposeEditor(plain);
    }
  });

  it("a Stage I task with it trains differently from one without; an editor without the path is an error", async () => {
    const base = createEditor(plainCfg, new Rng(5));
    const node = (where: number, editor = cfg) => stage1Node(editor, { stage1WhereLossWeight: where });
    const losses = (where: number) => twoSteps(node(where), base);
    try {
      expect((await losses(1))[0]).toBeGreaterThan((await losses(0))[0]);
      expect(() => editorPhaseTask(node(1, plainCfg), 0, editorParams(base), null)).toThrow("editor node: stage1WhereLossWeight needs Stage I's editor to have the aligned path (editor.aligned) and image tokens");
    } finally {
      disposeEditor(base);
    }
  });

  it("keys: absent while 0; kept by Stage I's recipe when set; bad values are errors", () => {
    expect("stage1WhereLossWeight" in textPhaseRecipe(rc)).toBe(false);
    expect("stage1WhereLossWeight" in keyedRecipe({ ...rc, stage1WhereLossWeight: 0 })).toBe(false);
    expect(textPhaseRecipe({ ...rc, stage1WhereLossWeight: 0.5 }).stage1WhereLossWeight).toBe(0.5);
    expect(() => recipeConfig("tiny", { stage1WhereLossWeight: -1 })).toThrow("editor recipes: stage1WhereLossWeight must be a finite number >= 0, got -1");
    expectStage1KeyOnly({ stage1WhereLossWeight: 1 });
  });
});

describe("the bilinear where head", () => {
  const bil = checkEditorConfig({ ...plainCfg, aligned: true, alignedWhere: "bilinear" });
  const ex = engineData(rc.dataSeed, 2, bil.image).vqa.slice(0, 3);

  it("per-patch logits that depend on the instruction; the gate starts at zero, so the condition starts as the additive path's; no tensor leaks", () => {
    const e = createEditor(bil, new Rng(6));
    try {
      const names = Object.keys(editorParams(e)).filter((k) => k.startsWith("edit.loc."));
      expect(names).toContain("edit.loc.q.w");
      expect(names).toContain("edit.loc.gate");
      expect(names).not.toContain("edit.loc.where.w");
      const n0 = tf.memory().numTensors;
      const run = (texts: string[]) =>
        tf.tidy(() => {
          const c = editorCondition(e, imageBatch(ex.map((x) => x.image), bil.image), editorLayout(e, texts));
          return { where: c.aligned!.where.arraySync(), spatial: tf.abs(c.aligned!.spatial).max().dataSync()[0], shape: c.aligned!.where.shape };
        });
      const a = run(ex.map((x) => x.prompt));
      const b = run(ex.map(() => "what is left of the red cube"));
      expect(a.shape).toEqual([3, (bil.image / bil.dnPatch) ** 2]);
      expect(a.spatial).toBe(0);
      expect(a.where).not.toEqual(b.where);
      expect(tf.memory().numTensors).toBe(n0);
      const w = editorParams(e)["edit.loc.q.w"] as tf.Variable;
      const g = tf.tidy(() => tf.norm(tf.variableGrads(() => textLoss(e, ex, 0, 1), [w]).grads[w.name]).dataSync()[0]);
      expect(g).toBeGreaterThan(0);
    } finally {
      disposeEditor(e);
    }
  });

  it("config: absent or additive keeps the keyed config as before; bad values are errors", () => {
    expect(keyedEditorConfig({ ...plainCfg, aligned: true, alignedWhere: "additive" }, false)).toEqual(keyedEditorConfig({ ...plainCfg, aligned: true }, false));
    expect(keyedEditorConfig(bil, false).alignedWhere).toBe("bilinear");
    expect("alignedWhere" in keyedEditorConfig(bil, true)).toBe(false);
    expect(() => checkEditorConfig({ ...plainCfg, aligned: true, alignedWhere: "cubic" as never })).toThrow('editor: alignedWhere must be additive or bilinear, got "cubic"');
  });
});

describe("Stage I on spatial edits read as text (stage1EditShare)", () => {
  const edits = engineData(rc.dataSeed, 2, cfg.image).edits.slice(0, 4);

  it("the changed-pixel mask gives the where targets Stage II gives (changedShare) on these edits; mismatched sizes are an error", () => {
    const masks = edits.map((x) => changedMask(x.source, x.target));
    expect(masks.some((m) => m.some((v) => v === 1))).toBe(true);
    const fromMask = questionWhereTargets(masks, cfg).target;
    const fromR0 = scoped(() => changedShare(editResidual(imageBatch(edits.map((x) => x.target), cfg.image), imageBatch(edits.map((x) => x.source), cfg.image)), cfg.dnPatch).dataSync() as Float32Array);
    expect(Array.from(fromMask)).toEqual(Array.from(fromR0).map((v) => Math.fround(v)));
    // a one-step change is below the rule's threshold, three steps above it
    const s = new Float32Array([0, 0, 0, 0, 0, 0]);
    const t = new Float32Array([2 / 127.5, 0, 0, 0, 0, -3 / 127.5]);
    expect(Array.from(changedMask(s, t))).toEqual([0, 1]);
    expect(() => changedMask(s, new Float32Array(3))).toThrow("changedMask: source (6 values) and target (3) must be images of the same size");
  });

  it("edits as text: the source with the instruction, the condition as the answer, the changed pixels as the mask", () => {
    const t = editTextExamples(edits);
    expect(t.map((x) => x.prompt)).toEqual(edits.map((x) => x.instruction));
    expect(t.map((x) => x.answer)).toEqual(edits.map((x) => x.condition));
    expect(t[0].image).toBe(edits[0].source);
    expect(t[0].family).toBe(edits[0].family);
    expect(Array.from(t[1].objectMask!)).toEqual(Array.from(changedMask(edits[1].source, edits[1].target)));
  });

  it("a Stage I task with edits in its batches trains differently; a share that leaves no edit or no question is an error; keys absent while 0", async () => {
    const base = createEditor(plainCfg, new Rng(5));
    const node = (share: number) => stage1Node(cfg, { stage1WhereLossWeight: 1, stage1EditShare: share });
    const losses = (share: number) => twoSteps(node(share), base);
    try {
      const off = await losses(0);
      const on = await losses(0.5);
      expect(on[0]).not.toBeCloseTo(off[0], 4);
      expect(await losses(0.5)).toEqual(on);
      // tiny's batch is 4: a share of 0.1 rounds to no edit
      expect(() => editorPhaseTask(node(0.1), 0, editorParams(base), null)).toThrow("editor node: stage1EditShare 0.1 of a batch of 4 leaves 0 edits; it must give at least one edit and one question");
    } finally {
      disposeEditor(base);
    }
    expect("stage1EditShare" in textPhaseRecipe(rc)).toBe(false);
    expect("stage1EditShare" in keyedRecipe({ ...rc, stage1EditShare: 0 })).toBe(false);
    expect(textPhaseRecipe({ ...rc, stage1EditShare: 0.25 }).stage1EditShare).toBe(0.25);
    expect(() => recipeConfig("tiny", { stage1EditShare: 1 })).toThrow("editor recipes: stage1EditShare must be in [0, 1) (Stage I keeps some VQA in every batch), got 1");
    expectStage1KeyOnly({ stage1EditShare: 0.5 });
  });
});
