import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { alignedSpatial, isAlignedParam } from "../../../lib/models/editor/aligned";
import { changedShare, whereLoss } from "../../../lib/models/editor/aligned-targets";
import { checkEditorConfig, editorConfig, keyedEditorConfig, TINY_EDITOR } from "../../../lib/models/editor/config";
import { guidanceBranches } from "../../../lib/models/editor/denoiser";
import { isEditMapParam } from "../../../lib/models/editor/edit-map";
import { layoutTexts } from "../../../lib/models/editor/layout";
import { locMask, mllmForward } from "../../../lib/models/editor/mllm";
import { adaptImageTokens } from "../../../lib/models/editor/adapter";
import { encodeImages } from "../../../lib/models/editor/encoder";
import { disposeEditor, editorCondition, editorLayoutOptions, editorParams, editorTunable, stage2Loss, type Editor } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { loadEditorWeights } from "../../../lib/models/editor/train/node";
import { EDIT_PHASE_ONLY_KEYS, keyedRecipe, recipeConfig, splitEditPhaseFields, textPhaseRecipe } from "../../../lib/models/editor/train/recipes";
import { attention, causalMask } from "../../../lib/nn/attention";
import { initAttention } from "../../../lib/nn/attention";
import { disposeBatch, perturbZeroInit, scoped, stage2Batch, tinyEditor } from "./helpers";

const ALIGNED = { ...TINY_EDITOR, aligned: true };

let e: Editor;
beforeAll(async () => {
  await initBackend();
  e = tinyEditor(1, {}, ALIGNED);
});
afterAll(() => disposeEditor(e));

/** The MLLM states of `e` on (images, layout) with [LOC] rows: the sequence's hidden states and the [LOC] states. */
function states(ed: Editor, images: tf.Tensor4D, instructions: string[], conditions: (string | null)[] | null, edit?: (p: Record<string, tf.Tensor>) => Record<string, tf.Tensor>) {
  return scoped(() => {
    let p = editorParams(ed) as unknown as Record<string, tf.Tensor>;
    if (edit) p = edit(p);
    const layout = layoutTexts(ed.tokenizer, instructions, conditions, editorLayoutOptions(ed));
    const enc = encodeImages(p as never, ed.config, images);
    const it = adaptImageTokens(p as never, ed.config, enc.tokens);
    const withLoc = mllmForward(p as never, ed.config, layout, it, { lora: ed.lora, loraScale: ed.loraScale, loc: { marker: p["edit.loc.marker"] as tf.Tensor2D } });
    const without = mllmForward(p as never, ed.config, layout, it, { lora: ed.lora, loraScale: ed.loraScale });
    return { loc: withLoc.loc!.arraySync(), hidden: withLoc.hidden.arraySync(), plain: without.hidden.arraySync(), T: layout.T, items: layout.items };
  });
}

const maxAbsDiff = (a: unknown, b: unknown): number => {
  const fa = (a as number[]).flat(3) as number[];
  const fb = (b as number[]).flat(3) as number[];
  if (fa.length !== fb.length) throw new Error(`maxAbsDiff: ${fa.length} against ${fb.length} values`);
  return Math.max(0, ...fa.map((x, i) => Math.abs(x - fb[i])));
};

describe("aligned [LOC] states (tiny: 2x2 MLLM image tokens, 4x4 denoiser patches)", () => {
  it("attention: a per-item mask equal to the causal one gives the causal result bit for bit; bad masks are errors", () => {
    const cfg = { dModel: 8, nHeads: 2, causal: true };
    const p = initAttention(new Rng(3), cfg, "a");
    const r = scoped(() => {
      const x = tf.tensor3d(new Rng(4).normalArray(2 * 5 * 8), [2, 5, 8]);
      const mask = tf.tile(causalMask(5).reshape([1, 1, 5, 5]), [2, 1, 1, 1]) as tf.Tensor4D;
      const a = attention(x, p, "a", cfg).dataSync();
      const b = attention(x, p, "a", cfg, { mask }).dataSync();
      return { same: Array.from(a).every((v, i) => v === b[i]) };
    });
    expect(r.same).toBe(true);
    expect(() => scoped(() => attention(tf.zeros([2, 5, 8]) as tf.Tensor3D, p, "a", cfg, { mask: tf.zeros([1, 1, 5, 5]) as tf.Tensor4D }))).toThrow("attention 'a': the mask must be [2, 1, 5, 5], got [1, 1, 5, 5]");
    tf.dispose(Object.values(p));
  });

  it("the mask: sequence rows causal and blind to [LOC]; [LOC] rows see their item up to <sep> and each other", () => {
    const layout = layoutTexts(e.tokenizer, ["turn the leftmost cube into red", "remove the cone"], ["the cube is now red", null], editorLayoutOptions(e));
    const Ni = 4;
    const m = scoped(() => locMask(layout, Ni).arraySync());
    const S = layout.T + Ni;
    expect([m.length, m[0].length, m[0][0].length, m[0][0][0].length]).toEqual([2, 1, S, S]);
    layout.items.forEach((it, b) => {
      const vis = (i: number, j: number) => m[b][0][i][j] === 0;
      for (let i = 0; i < layout.T; i++) for (let j = 0; j < S; j++) expect(vis(i, j), `item ${b} row ${i} col ${j}`).toBe(j <= i);
      for (let i = layout.T; i < S; i++) {
        for (let j = 0; j < S; j++) expect(vis(i, j), `item ${b} [LOC] row ${i} col ${j}`).toBe(j <= it.sep || j >= layout.T);
        // in particular: the instruction and <sep> yes; [IMG] and the condition no
        expect(vis(i, it.instruction.start) && vis(i, it.sep)).toBe(true);
        expect(vis(i, it.img.start) || vis(i, it.img.end - 1)).toBe(false);
      }
    });
  });

  it("[LOC] states read the instruction, not the [IMG] tokens nor the condition; the other states are those of the plain causal MLLM", () => {
    const e2 = tinyEditor(2, {}, ALIGNED);
    const images = tf.tensor4d(new Rng(5).uniformArray(2 * 16 * 16 * 3, -1, 1), [2, 16, 16, 3]);
    try {
      const ins = ["turn the leftmost cube into red", "remove the cone"];
      const base = states(e2, images, ins, ["the cube is now red", "the cone is removed"]);
      // other rows are as without [LOC] (masked columns add exact zeros; rounding may differ)
      expect(maxAbsDiff(base.hidden, base.plain)).toBeLessThan(1e-5);
      // another condition, or no condition (editing): the same [LOC] states
      expect(maxAbsDiff(states(e2, images, ins, ["the sphere is now blue", null]).loc, base.loc)).toBeLessThan(1e-5);
      // other [IMG] embeddings: the same [LOC] states (they come after <sep>)
      const otherImg = states(e2, images, ins, ["the cube is now red", "the cone is removed"], (p) => ({ ...p, "soft.img": tf.add(p["soft.img"], 1) }));
      expect(maxAbsDiff(otherImg.loc, base.loc)).toBeLessThan(1e-5);
      // another instruction: other [LOC] states, while the sequence's image-token states (causal) stay
      const other = states(e2, images, ["turn the leftmost cube into blue", "remove the cone"], ["the cube is now red", "the cone is removed"]);
      expect(maxAbsDiff(other.loc[0], base.loc[0])).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(other.loc[1], base.loc[1])).toBeLessThan(1e-5);
      const span = base.items[0].image;
      const imgRows = (h: number[][][]) => h.map((row) => row.slice(span.start, span.end));
      expect(maxAbsDiff(imgRows(other.hidden), imgRows(base.hidden))).toBeLessThan(1e-5);
    } finally {
      images.dispose();
      disposeEditor(e2);
    }
  });

  it("shapes, weights and where they train; only with config.aligned and image tokens", () => {
    const b = stage2Batch(e, 3);
    const plain = tinyEditor(1);
    const lgie = tinyEditor(1, { imageTokens: false }, ALIGNED);
    try {
      const r = scoped(() => {
        const c = editorCondition(e, b.source, b.layout);
        return { spatial: c.aligned!.spatial.shape, where: c.aligned!.where.shape, loc: c.mllm.loc!.shape, hidden: c.mllm.hidden.shape[1], T: b.layout.T, map: c.map };
      });
      expect(r).toEqual({ spatial: [3, 16, 16], where: [3, 16], loc: [3, 4, 16], hidden: b.layout.T, T: b.layout.T, map: null });
      expect(Object.keys(editorParams(e)).filter(isAlignedParam).sort()).toEqual(["edit.loc.e.b", "edit.loc.e.w", "edit.loc.marker", "edit.loc.out.b", "edit.loc.out.w", "edit.loc.s.b", "edit.loc.s.w", "edit.loc.where.b", "edit.loc.where.w"]);
      expect(Object.keys(editorParams(plain)).filter(isAlignedParam)).toEqual([]);
      const names = new Set(editorTunable(e, "embedding"));
      for (const k of Object.keys(editorParams(e)).filter(isAlignedParam)) expect(names.has(editorParams(e)[k])).toBe(true);
      expect(scoped(() => editorCondition(plain, b.source, b.layout).aligned)).toBeNull();
      expect(scoped(() => editorCondition(lgie, null, stage2Batch(lgie, 3).layout).aligned)).toBeNull();
      // the output starts at zero: the spatial condition is 0
      expect(scoped(() => tf.max(tf.abs(editorCondition(e, b.source, b.layout).aligned!.spatial)).dataSync()[0])).toBe(0);
    } finally {
      disposeEditor(plain);
      disposeEditor(lgie);
      disposeBatch(b);
    }
  });

  it("at initialisation the editor with the path gives the loss and the shared weights' gradients of the editor without it", () => {
    const plain = tinyEditor(3);
    const withLoc = tinyEditor(3, {}, ALIGNED);
    perturbZeroInit(plain);
    perturbZeroInit(withLoc);
    const b = stage2Batch(plain, 3);
    try {
      const run = (ed: Editor) => {
        const p = editorParams(ed);
        const shared = Object.keys(editorParams(plain)).filter((k) => editorTunable(ed, "attention").includes(p[k]));
        const { value, grads } = tf.variableGrads(() => stage2Loss(ed, b).loss, shared.map((k) => p[k]));
        const out = { loss: value.dataSync()[0], grads: Object.fromEntries(shared.map((k) => [k, Array.from(grads[p[k].name].dataSync())])) };
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      };
      const a = run(plain);
      const c = run(withLoc);
      expect(Math.abs(a.loss - c.loss)).toBeLessThan(1e-5);
      expect(Object.keys(c.grads).sort()).toEqual(Object.keys(a.grads).sort());
      for (const [k, g] of Object.entries(a.grads)) {
        const scale = Math.max(1e-6, ...g.map(Math.abs));
        expect(maxAbsDiff(g, c.grads[k]) / scale, k).toBeLessThan(1e-3);
      }
    } finally {
      disposeBatch(b);
      disposeEditor(plain);
      disposeEditor(withLoc);
    }
  });

  it("changed share and the where loss: binary cross-entropy against each patch's changed share", () => {
    const r = scoped(() => {
      const r0 = tf.buffer([1, 8, 8, 3]);
      r0.set(0.5, 0, 5, 6, 1); // one pixel of patch (1, 1) of a 2x2 grid of 4-pixel patches
      r0.set(0.5, 0, 4, 4, 0);
      const share = changedShare(r0.toTensor() as tf.Tensor4D, 4);
      const z = tf.tensor2d([[0.3, -1.2, 2.0, -0.5]]);
      return { share: Array.from(share.dataSync()), loss: whereLoss(z, share).dataSync()[0], z: [0.3, -1.2, 2.0, -0.5] };
    });
    expect(r.share).toEqual([0, 0, 0, 2 / 16]);
    const manual = r.z.map((z, i) => -(r.share[i] * Math.log(1 / (1 + Math.exp(-z))) + (1 - r.share[i]) * Math.log(1 - 1 / (1 + Math.exp(-z))))).reduce((a, b) => a + b, 0) / 4;
    expect(r.loss).toBeCloseTo(manual, 5);
    expect(() => scoped(() => whereLoss(tf.zeros([1, 4]) as tf.Tensor2D, tf.zeros([1, 5]) as tf.Tensor2D))).toThrow("whereLoss: targets [1, 5] do not match the logits [1, 4]");
  });

  it("Stage II loss: the where loss adds its value; gradients reach every [LOC] weight and the MLLM; no tensor leaks", () => {
    const e2 = tinyEditor(3, {}, ALIGNED);
    perturbZeroInit(e2);
    const b = stage2Batch(e2, 3);
    const p = editorParams(e2);
    const vars = Object.entries(p).filter(([k]) => isAlignedParam(k) || k === "mllm.blocks.1.attn.q.w");
    const before = tf.memory().numTensors;
    const norms = (weight: number) => {
      const { grads, value } = tf.variableGrads(() => stage2Loss(e2, { ...b, whereTarget: { r0: b.target, weight } }).loss, vars.map(([, v]) => v));
      // a weight with no path to the loss gets no gradient (null): 0
      const out = Object.fromEntries(vars.map(([k, v]) => [k, grads[v.name] ? scoped(() => tf.norm(grads[v.name]).dataSync()[0]) : 0]));
      const loss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads).filter((g) => g)]);
      return { out, loss };
    };
    const plain = norms(0);
    const withLoss = norms(1);
    const parts = scoped(() => ({ where: stage2Loss(e2, { ...b, whereTarget: { r0: b.target, weight: 1 } }).where!.dataSync()[0], none: stage2Loss(e2, b).where }));
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(b);
    disposeEditor(e2);
    expect(withLoss.loss - plain.loss).toBeCloseTo(parts.where, 4);
    expect(parts.where).toBeGreaterThan(0);
    expect(parts.none).toBeNull();
    // L_edit alone reaches the (zero) output layer, not the where head; the where loss reaches every weight of the path and the MLLM
    expect(plain.out["edit.loc.out.w"]).toBeGreaterThan(0);
    expect(plain.out["edit.loc.where.w"]).toBe(0);
    for (const [k, g] of Object.entries(withLoss.out)) expect(g, k).toBeGreaterThan(0);
    expect(withLoss.out["mllm.blocks.1.attn.q.w"]).not.toBeCloseTo(plain.out["mllm.blocks.1.attn.q.w"], 8);
  });

  it("guidance and the pipeline: the null-text branches get no aligned condition; editImages feeds it", () => {
    const e2 = tinyEditor(4, {}, ALIGNED);
    perturbZeroInit(e2);
    for (const k of ["edit.loc.out.w", "edit.loc.out.b"]) {
      const t = tf.tensor(new Rng(11).fork(k).normalArray(e2.groups.edit[k].size, 0, 0.3), e2.groups.edit[k].shape);
      e2.groups.edit[k].assign(t);
      t.dispose();
    }
    const b = stage2Batch(e2, 2);
    const src = [new Rng(8).uniformArray(16 * 16 * 3, -1, 1)];
    const ins = ["turn the leftmost cube into red"];
    try {
      const r = scoped(() => {
        const p = editorParams(e2);
        const c = editorCondition(e2, b.source, b.layout);
        const input = { noisy: b.noisy, source: b.source, t: b.t, cond: c.edit.tokens };
        const w = guidanceBranches(p, e2.config, { ...input, spatial: c.aligned!.spatial });
        const wo = guidanceBranches(p, e2.config, input);
        const diff = (x: tf.Tensor, y: tf.Tensor) => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0];
        return { full: diff(w.full, wo.full), imageOnly: diff(w.imageOnly, wo.imageOnly), uncond: diff(w.uncond, wo.uncond) };
      });
      expect(r.full).toBeGreaterThan(1e-5);
      expect(r.imageOnly).toBe(0);
      expect(r.uncond).toBe(0);
      const run = () => editImages(e2, src, ins, { steps: 2 }).images[0];
      const before = run();
      for (const k of ["edit.loc.out.w", "edit.loc.out.b"]) e2.groups.edit[k].assign(tf.zerosLike(e2.groups.edit[k]));
      const after = run();
      expect(Math.max(...Array.from(before, (x, i) => Math.abs(x - after[i])))).toBeGreaterThan(1e-5);
    } finally {
      disposeBatch(b);
      disposeEditor(e2);
    }
  });

  it("an edit phase loads a parent made without the path (it keeps its initialisation)", () => {
    const parent = tinyEditor(5);
    const child = tinyEditor(6, {}, ALIGNED);
    try {
      const init = editorParams(child)["edit.loc.s.w"].dataSync().slice();
      loadEditorWeights(child, editorParams(parent), "test", (k) => isEditMapParam(k) || isAlignedParam(k));
      expect(Array.from(editorParams(child)["edit.loc.s.w"].dataSync())).toEqual(Array.from(init));
      expect(Array.from(editorParams(child)["dn.pos.e"].dataSync())).toEqual(Array.from(editorParams(parent)["dn.pos.e"].dataSync()));
      expect(() => loadEditorWeights(child, editorParams(parent), "test", isEditMapParam)).toThrow("test: the weights do not fit this editor (missing edit.loc.e.b");
    } finally {
      disposeEditor(parent);
      disposeEditor(child);
    }
  });

  it("keys: the path and its loss are left out while off and for the text phases; bad values are errors", () => {
    const quick = editorConfig("quick");
    expect("aligned" in keyedEditorConfig(quick, false)).toBe(false);
    expect(keyedEditorConfig(quick, false)).toEqual(keyedEditorConfig({ ...quick, aligned: false }, false));
    expect("aligned" in keyedEditorConfig({ ...quick, aligned: true }, true)).toBe(false);
    expect(keyedEditorConfig({ ...quick, aligned: true }, false).aligned).toBe(true);
    expect(keyedEditorConfig({ ...quick, aligned: true, editMap: true }, false)).toEqual({ ...keyedEditorConfig(quick, false), editMap: true, aligned: true });
    const r = recipeConfig("quick");
    expect("whereLossWeight" in keyedRecipe(r)).toBe(false);
    expect(keyedRecipe({ ...r, whereLossWeight: 1 }).whereLossWeight).toBe(1);
    expect("whereLossWeight" in textPhaseRecipe({ ...r, whereLossWeight: 1 })).toBe(false);
    expect(EDIT_PHASE_ONLY_KEYS).toContain("whereLossWeight");
    expect(splitEditPhaseFields({ ...r, whereLossWeight: 1 }).rest).toEqual(splitEditPhaseFields(r).rest);
    expect(() => checkEditorConfig({ ...quick, aligned: 1 as unknown as boolean })).toThrow("editor: aligned must be true or false, got 1");
    // the direct call: where logits of a hand-made state
    const c = { ...TINY_EDITOR, aligned: true };
    const sp = scoped(() => {
      const ed = tinyEditor(1, {}, c);
      try {
        const out = alignedSpatial(editorParams(ed), c, tf.zeros([2, 4, 16]) as tf.Tensor3D, tf.zeros([2, 16, 16]) as tf.Tensor3D);
        return [out.spatial.shape, out.where.shape];
      } finally {
        disposeEditor(ed);
      }
    });
    expect(sp).toEqual([[2, 16, 16], [2, 16]]);
  });
});
