import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { whereOracleEditor } from "../../../lib/eval/trained-editor";
import { gatedSpatial } from "../../../lib/models/editor/aligned";
import { changedShare, planLoss, planTargets } from "../../../lib/models/editor/aligned-targets";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams, jitteredPlan, type Editor } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { engineData } from "../../../lib/models/editor/train/data";
import { editorPhaseTask, type EditorNodeConfig } from "../../../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig, textPhaseRecipe } from "../../../lib/models/editor/train/recipes";
import { brightnessJitter, editorScheduler, editStepLoss, imageBatch } from "../../../lib/models/editor/train/steps";
import { editResidual } from "../../../lib/models/editor/residual";
import { perturbZeroInit, scoped } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

const plainCfg = editorConfig("tiny");
const bil = checkEditorConfig({ ...plainCfg, aligned: true, alignedWhere: "bilinear" });
const additive = checkEditorConfig({ ...plainCfg, aligned: true });
const rc = recipeConfig("tiny");
const edits = engineData(rc.dataSeed, 3, bil.image).edits.slice(0, 4);
const N = (bil.image / bil.dnPatch) ** 2;

/** A bilinear editor whose zero-initialised weights (the gate, the denoiser's adaLN and output) are perturbed, so that the gate reaches the loss. */
function liveEditor(seed: number, config = bil): Editor {
  const e = createEditor(config, new Rng(seed));
  perturbZeroInit(e, seed + 1);
  const p = editorParams(e);
  if (p["edit.loc.gate"]) (p["edit.loc.gate"] as tf.Variable).assign(tf.tensor1d(new Rng(seed + 2).normalArray(config.dnD, 0, 0.5)));
  return e;
}

describe("the where gate (aligned.ts gatedSpatial)", () => {
  it("forced items get ungated + gate g, the others keep the predicted condition; bad inputs are errors; no leaks", () => {
    const e = liveEditor(3);
    try {
      const n0 = tf.memory().numTensors;
      const r = tf.tidy(() => {
        const c = editorCondition(e, imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image), editorLayout(e, edits.slice(0, 2).map((x) => x.instruction)));
        const a = c.aligned!;
        const gate = tf.tensor2d(Array.from({ length: 2 * N }, (_, i) => (i % 3 === 0 ? 1 : 0)), [2, N]);
        const mixed = gatedSpatial(a, gate, [true, false]);
        const expectForced = tf.add(a.ungated!, tf.mul(tf.expandDims(gate, 2), editorParams(e)["edit.loc.gate"]));
        return {
          forcedErr: tf.max(tf.abs(tf.sub(mixed.slice([0, 0, 0], [1, -1, -1]), expectForced.slice([0, 0, 0], [1, -1, -1])))).dataSync()[0],
          keptErr: tf.max(tf.abs(tf.sub(mixed.slice([1, 0, 0], [1, -1, -1]), a.spatial.slice([1, 0, 0], [1, -1, -1])))).dataSync()[0],
          differs: tf.max(tf.abs(tf.sub(mixed, a.spatial))).dataSync()[0],
          allForcedErr: tf.max(tf.abs(tf.sub(gatedSpatial(a, gate), expectForced))).dataSync()[0],
        };
      });
      expect(r.forcedErr).toBeLessThan(1e-6);
      expect(r.keptErr).toBe(0);
      expect(r.differs).toBeGreaterThan(1e-3);
      expect(r.allForcedErr).toBeLessThan(1e-6);
      expect(tf.memory().numTensors).toBe(n0);
      expect(() =>
        scoped(() => {
          const c = editorCondition(e, imageBatch([edits[0].source], bil.image), editorLayout(e, [edits[0].instruction]));
          return gatedSpatial(c.aligned!, tf.zeros([1, N + 1]) as tf.Tensor2D);
        }),
      ).toThrow(`gatedSpatial: gate [1, ${N + 1}] does not match the where logits [1, ${N}]`);
    } finally {
      disposeEditor(e);
    }
    const add = createEditor(additive, new Rng(4));
    try {
      expect(() =>
        scoped(() => {
          const c = editorCondition(add, imageBatch([edits[0].source], bil.image), editorLayout(add, [edits[0].instruction]));
          return gatedSpatial(c.aligned!, tf.zeros([1, N]) as tf.Tensor2D);
        }),
      ).toThrow("gatedSpatial: only the bilinear where head has a gate (editor config alignedWhere: 'bilinear')");
    } finally {
      disposeEditor(add);
    }
  });
});

describe("where forcing in Stage II (recipe whereForcing)", () => {
  const sched = editorScheduler(bil);
  const loss = (e: Editor, forcing: number, whereWeight = 0) => tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), { whereWeight, whereForcing: forcing }).dataSync()[0]);

  it("0 is the plain step; 1 cuts L_edit's gradient to the where head (only the where loss trains it), and changes the loss", () => {
    const e = liveEditor(5);
    try {
      const plain = tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), {}).dataSync()[0]);
      expect(loss(e, 0)).toBe(plain);
      expect(loss(e, 1)).not.toBe(plain);
      const q = editorParams(e)["edit.loc.q.w"] as tf.Variable;
      const gradNorm = (forcing: number, whereWeight: number) => tf.tidy(() => tf.norm(tf.variableGrads(() => editStepLoss(e, edits, sched, new Rng(11), { whereWeight, whereForcing: forcing }), [q]).grads[q.name]).dataSync()[0]);
      const n0 = tf.memory().numTensors;
      expect(gradNorm(0, 0)).toBeGreaterThan(0);
      expect(gradNorm(1, 0)).toBe(0);
      expect(gradNorm(1, 1)).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(n0);
    } finally {
      disposeEditor(e);
    }
  });

  it("a node with it needs the bilinear head; keys are unchanged while 0; bad values are errors", async () => {
    const base = createEditor(plainCfg, new Rng(7));
    const node = (editor = bil, forcing = 0.5): EditorNodeConfig => ({ editor, recipe: { ...rc, whereForcing: forcing }, phase: "stage2", mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 });
    try {
      const task = editorPhaseTask(node(), 0, editorParams(base), null);
      expect(Number.isFinite(await task.step(0))).toBe(true);
      task.dispose();
      expect(() => editorPhaseTask(node(additive), 0, editorParams(base), null)).toThrow("editor node: whereForcing needs the aligned path with the bilinear where head (editor.aligned, alignedWhere: 'bilinear') and image tokens");
    } finally {
      disposeEditor(base);
    }
    expect("whereForcing" in keyedRecipe({ ...rc, whereForcing: 0 })).toBe(false);
    expect(keyedRecipe({ ...rc, whereForcing: 0.5 }).whereForcing).toBe(0.5);
    expect("whereForcing" in textPhaseRecipe({ ...rc, whereForcing: 0.5 })).toBe(false);
    expect(() => recipeConfig("tiny", { whereForcing: 1.5 })).toThrow("editor recipes: whereForcing must be a probability in [0, 1], got 1.5");
  });
});

describe("the oracle-where diagnostic", () => {
  it("editing with the predicted gate given back is editing without one; the truth's gate changes the edit; bad gates are errors", () => {
    const e = liveEditor(8);
    const sources = edits.slice(0, 2).map((x) => x.source);
    const instructions = edits.slice(0, 2).map((x) => x.instruction);
    try {
      const predicted = tf.tidy(() => {
        const c = editorCondition(e, imageBatch(sources, bil.image), editorLayout(e, instructions));
        const s = tf.sigmoid(c.aligned!.where).arraySync() as number[][];
        return s.map((row) => Float32Array.from(row));
      });
      const n0 = tf.memory().numTensors;
      const plain = editImages(e, sources, instructions, { steps: 2 });
      const same = editImages(e, sources, instructions, { steps: 2 }, { whereGate: predicted });
      const truth = tf.tidy(() => changedShare(editResidual(imageBatch(edits.slice(0, 2).map((x) => x.target), bil.image), imageBatch(sources, bil.image)), bil.dnPatch).arraySync() as number[][]).map((r) => Float32Array.from(r));
      const forced = editImages(e, sources, instructions, { steps: 2 }, { whereGate: truth });
      expect(tf.memory().numTensors).toBe(n0);
      const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      expect(maxDiff(same.images[0], plain.images[0])).toBeLessThan(1e-4);
      expect(maxDiff(forced.images[0], plain.images[0])).toBeGreaterThan(1e-3);
      expect(() => editImages(e, sources, instructions, { steps: 2 }, { whereGate: [predicted[0]] })).toThrow("editImages: 1 where gates for 2 images");
      expect(() => editImages(e, sources, instructions, { steps: 2 }, { whereGate: [predicted[0], new Float32Array(3)] })).toThrow(`editImages: where gate 1 has 3 values; the denoiser has ${N} patches`);
    } finally {
      disposeEditor(e);
    }
    const plainEditor = createEditor(plainCfg, new Rng(9));
    try {
      expect(() => editImages(plainEditor, [edits[0].source], [edits[0].instruction], { steps: 2 }, { whereGate: [new Float32Array(N)] })).toThrow("editImages: whereGate needs an editor with the aligned path's bilinear where head (alignedWhere: 'bilinear') and image tokens");
    } finally {
      disposeEditor(plainEditor);
    }
  });

  it("reads the benchmark record's truth, and says so when there is none", async () => {
    const e = createEditor(bil, new Rng(10));
    try {
      const ed = whereOracleEditor("oracle where", e, { steps: 1 });
      const src = { width: bil.image, height: bil.image, data: new Uint8Array(bil.image * bil.image * 3) };
      await expect(ed.editBatch!([{ source: src, instruction: "remove the red cube" }])).rejects.toThrow("whereOracleEditor: request 0 has no benchmark record (request.item); the oracle gate reads its ground truth");
    } finally {
      disposeEditor(e);
    }
  });
});

describe("the instruction's what on the gate (editor config alignedWhat)", () => {
  const what = checkEditorConfig({ ...bil, alignedWhat: true });

  it("starts as the plain bilinear condition (Lin_what is zero); once trained, the gated vector depends on the instruction; no leaks", () => {
    const a = liveEditor(12);
    const b = liveEditor(12, what);
    try {
      const pb = editorParams(b);
      expect(Object.keys(pb)).toContain("edit.loc.what.w");
      const images = imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image);
      const spatial = (e: Editor, texts: string[]) => tf.tidy(() => editorCondition(e, images, editorLayout(e, texts)).aligned!.spatial.dataSync() as Float32Array);
      const texts = edits.slice(0, 2).map((x) => x.instruction);
      expect(Array.from(spatial(b, texts))).toEqual(Array.from(spatial(a, texts)));
      (pb["edit.loc.what.w"] as tf.Variable).assign(tf.tensor2d(new Rng(13).normalArray(what.d * what.dnD, 0, 0.5), [what.d, what.dnD]));
      const n0 = tf.memory().numTensors;
      const own = spatial(b, texts);
      const other = spatial(b, texts.map(() => "turn the leftmost cube into red"));
      const gap = own.reduce((m, v, i) => Math.max(m, Math.abs(v - other[i])), 0);
      const fromPlain = own.reduce((m, v, i) => Math.max(m, Math.abs(v - spatial(a, texts)[i])), 0);
      expect(gap).toBeGreaterThan(1e-4);
      expect(fromPlain).toBeGreaterThan(1e-4);
      expect(tf.memory().numTensors).toBe(n0);
      images.dispose();
    } finally {
      disposeEditor(a);
      disposeEditor(b);
    }
  });

  it("config: keyed only when on and only for edit phases; needs the bilinear head; bad values are errors", () => {
    expect(keyedEditorConfig(what, false).alignedWhat).toBe(true);
    expect("alignedWhat" in keyedEditorConfig(bil, false)).toBe(false);
    expect("alignedWhat" in keyedEditorConfig(what, true)).toBe(false);
    expect(() => checkEditorConfig({ ...additive, alignedWhat: true })).toThrow("editor: alignedWhat needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')");
    expect(() => checkEditorConfig({ ...bil, alignedWhat: 1 as never })).toThrow("editor: alignedWhat must be true or false, got 1");
  });
});

describe("the edit plan (editor config alignedPlan)", () => {
  const planCfg = checkEditorConfig({ ...bil, alignedPlan: true });
  const sched = editorScheduler(bil);

  it("plan targets: the mean target colour of each patch's changed pixels, 0 where none changes; the loss weighs patches by their changed share", () => {
    const r = scoped(() => {
      // one 4 x 4 image of 2 x 2 patches; the edit turns two pixels of patch 0 to (1, 0.5, 0) and leaves the rest
      const source = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
      const t = new Float32Array(48);
      for (const px of [0, 1]) t.set([1, 0.5, 0], px * 3);
      const target = tf.tensor4d(t, [1, 4, 4, 3]);
      const r0 = editResidual(target, source);
      const truth = planTargets(r0, source, 2);
      const share = changedShare(r0, 2);
      const plan = tf.zeros([1, 4, 3]) as tf.Tensor3D;
      return { truth: Array.from(truth.dataSync()), share: Array.from(share.dataSync()), loss: planLoss(plan, truth, share).dataSync()[0], none: planLoss(plan, truth, tf.zeros([1, 4]) as tf.Tensor2D).dataSync()[0] };
    });
    expect(r.truth.slice(0, 3).map((v) => +v.toFixed(5))).toEqual([1, 0.5, 0]);
    expect(r.truth.slice(3)).toEqual(new Array(9).fill(0));
    expect(r.share).toEqual([0.5, 0, 0, 0]);
    expect(r.loss).toBeCloseTo(1.25, 5); // the only weighted patch: 1 + 0.25
    expect(r.none).toBe(0);
    expect(() => scoped(() => planLoss(tf.zeros([1, 4, 3]) as tf.Tensor3D, tf.zeros([1, 3, 3]) as tf.Tensor3D, tf.zeros([1, 4]) as tf.Tensor2D))).toThrow("planLoss: truth [1, 3, 3] does not match the plan [1, 4, 3]");
  });

  it("starts as the plain bilinear condition; its loss comes with the where loss; forced items take the truth's plan; no leaks", () => {
    const a = liveEditor(14);
    const b = liveEditor(14, planCfg);
    try {
      const texts = edits.slice(0, 2).map((x) => x.instruction);
      const images = imageBatch(edits.slice(0, 2).map((x) => x.source), bil.image);
      const spatial = (e: Editor) => tf.tidy(() => editorCondition(e, images, editorLayout(e, texts)).aligned!.spatial.dataSync() as Float32Array);
      expect(Array.from(spatial(b))).toEqual(Array.from(spatial(a)));
      images.dispose();
      const lossOf = (e: Editor, whereWeight: number, forcing: number) => tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), { whereWeight, whereForcing: forcing }).dataSync()[0]);
      expect(lossOf(b, 1, 0)).toBeGreaterThan(lossOf(a, 1, 0));
      expect(lossOf(b, 0, 0)).toBe(lossOf(a, 0, 0));
      const pb = editorParams(b);
      (pb["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(15).normalArray(3 * bil.dnD, 0, 0.5), [3, bil.dnD]));
      const o = pb["edit.loc.plan.o.w"] as tf.Variable;
      const gradNorm = (forcing: number) => tf.tidy(() => tf.norm(tf.variableGrads(() => editStepLoss(b, edits, sched, new Rng(11), { whereForcing: forcing }), [o]).grads[o.name]).dataSync()[0]);
      const n0 = tf.memory().numTensors;
      expect(gradNorm(0)).toBeGreaterThan(0);
      expect(gradNorm(1)).toBe(0);
      expect(tf.memory().numTensors).toBe(n0);
      const out = editImages(b, edits.slice(0, 1).map((x) => x.source), texts.slice(0, 1), { steps: 1 }, { whereGate: [new Float32Array(N).fill(0.5)] });
      expect(out.images[0].length).toBe(bil.image * bil.image * 3);
    } finally {
      disposeEditor(a);
      disposeEditor(b);
    }
    expect(keyedEditorConfig(planCfg, false).alignedPlan).toBe(true);
    expect("alignedPlan" in keyedEditorConfig(bil, false)).toBe(false);
    expect(() => checkEditorConfig({ ...additive, alignedPlan: true })).toThrow("editor: alignedPlan needs the aligned path with the bilinear where head (aligned: true, alignedWhere: 'bilinear')");
  });
});

describe("the plan's brightness jitter on forced items (recipe planJitter)", () => {
  const planned = checkEditorConfig({ ...bil, alignedPlan: true, alignedPlanGate: "open" });
  const sched = editorScheduler(planned);

  it("brightnessJitter and jitteredPlan: spread 0 is the identity; a factor scales the bytes and clips; the item draw is shared by its patches", () => {
    const n0 = tf.memory().numTensors;
    const none = brightnessJitter(new Rng(3), 2, 4, 0);
    expect(Array.from(none.dataSync())).toEqual(new Array(8).fill(1));
    const f = brightnessJitter(new Rng(3), 2, 4, 0.1);
    expect(f.shape).toEqual([2, 4, 1]);
    const z = new Rng(3);
    const items = z.normalArray(2);
    const patches = z.normalArray(8);
    expect(Array.from(f.dataSync()).map((v) => +v.toFixed(5))).toEqual(Array.from(patches).map((p, k) => +Math.exp(0.1 * (items[Math.floor(k / 4)] + p)).toFixed(5)));
    const plan = tf.tensor3d([[[0, -1, 0.5]], [[-0.5, 0, 1]]]); // bytes 127.5, 0, 191.25 and 63.75, 127.5, 255
    const factors = tf.tensor3d([[[2]], [[0.5]]]);
    const out = jitteredPlan(plan, factors);
    expect(Array.from(out.dataSync()).map((v) => +v.toFixed(5))).toEqual([1, -1, 1, -0.75, -0.5, 0]); // x2 clips at 255; x0.5 halves
    const wrong = tf.ones([2, 2, 1]) as tf.Tensor3D;
    expect(() => jitteredPlan(plan, wrong)).toThrow("jitteredPlan: factors [2, 2, 1] must be [2, 1, 1] for the plan [2, 1, 3]");
    tf.dispose([none, f, plan, factors, out, wrong]);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it("0 is the forced step; > 0 changes the loss, the same for the same seed; it needs forcing, a colour plan, and a value >= 0", async () => {
    const e = liveEditor(12, planned);
    (editorParams(e)["edit.loc.plan.i.w"] as tf.Variable).assign(tf.tensor2d(new Rng(13).normalArray(3 * planned.dnD, 0, 0.5), [3, planned.dnD]));
    const loss = (jitter: number) => tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), { whereWeight: 1, whereForcing: 1, planJitter: jitter }).dataSync()[0]);
    try {
      const n0 = tf.memory().numTensors;
      const forced = tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), { whereWeight: 1, whereForcing: 1 }).dataSync()[0]);
      expect(loss(0)).toBe(forced);
      expect(loss(0.2)).not.toBe(forced);
      expect(loss(0.2)).toBe(loss(0.2));
      expect(tf.memory().numTensors).toBe(n0);
      expect(() => tf.tidy(() => editStepLoss(e, edits, sched, new Rng(11), { planJitter: 0.2 }))).toThrow("editStepLoss: planJitter jitters the forced items' plan; it needs whereForcing > 0");
    } finally {
      disposeEditor(e);
    }
    const base = createEditor(plainCfg, new Rng(7));
    const node = (editor: typeof bil, jitter = 0.1, forcing = 1): EditorNodeConfig => ({ editor, recipe: { ...rc, whereForcing: forcing, planJitter: jitter }, phase: "stage2", mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 });
    try {
      const task = editorPhaseTask(node(planned), 0, editorParams(base), null);
      expect(Number.isFinite(await task.step(0))).toBe(true);
      task.dispose();
      expect(() => editorPhaseTask(node(planned, -0.1), 0, editorParams(base), null)).toThrow("editor node: planJitter must be a finite number >= 0, got -0.1");
      expect(() => editorPhaseTask(node(planned, 0.1, 0), 0, editorParams(base), null)).toThrow("editor node: planJitter jitters the plan of the forced items; it needs whereForcing > 0");
      expect(() => editorPhaseTask(node(checkEditorConfig({ ...bil, alignedPlan: "palette" })), 0, editorParams(base), null)).toThrow("editor node: planJitter jitters a colour plan's brightness; it needs editor.alignedPlan true or 'attend' (a palette plan reads no brightness)");
    } finally {
      disposeEditor(base);
    }
    expect("planJitter" in keyedRecipe({ ...rc, whereForcing: 1, planJitter: 0 })).toBe(false);
    expect("planJitter" in textPhaseRecipe({ ...rc, whereForcing: 1, planJitter: 0.1 })).toBe(false);

  });
});
