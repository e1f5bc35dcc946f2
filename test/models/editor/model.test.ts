import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { conditionDropout, conditionLoss, editLoss, NO_CONDITION_DROPOUT, regionPixelWeights } from "../../../lib/models/editor/losses";
import { checkEditorConfig, editorConfig } from "../../../lib/models/editor/config";
import { disposeEditor, EDITOR_GROUPS, editorParamCounts, editorParams, editorTunable, editorVarNames, stage2Loss, type Editor, type TunableOptions } from "../../../lib/models/editor/model";
import type { TuningMode } from "../../../lib/nn/tuning";
import { trainStep } from "../../../lib/train/adam";
import { FusedAdam } from "../../../lib/train/fused-adam";
import { disposeBatch, perturbZeroInit, stage2Batch, tinyEditor } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

/** The 16 weight names of MLLM block l (lib/nn's pre-LN block). */
const blockNames = (l: number) =>
  ["ln1.g", "ln1.b", "attn.q.w", "attn.q.b", "attn.k.w", "attn.k.b", "attn.v.w", "attn.v.b", "attn.o.w", "attn.o.b", "ln2.g", "ln2.b", "mlp.fc1.w", "mlp.fc1.b", "mlp.fc2.w", "mlp.fc2.b"].map((n) => `mllm.blocks.${l}.${n}`);
const attn = (l: number, ps = ["q", "k", "v", "o"]) => ps.flatMap((p) => [`mllm.blocks.${l}.attn.${p}.w`, `mllm.blocks.${l}.attn.${p}.b`]);
const lora = (l: number) => ["q", "k", "v", "o"].flatMap((p) => [`mllm.blocks.${l}.attn.${p}.lora.A`, `mllm.blocks.${l}.attn.${p}.lora.B`]);
const MLLM_OUTSIDE = ["mllm.tok.e", "mllm.pos.e", "mllm.lnf.g", "mllm.lnf.b"];

/** The names a mode trains beyond the always-trainable groups (soft, ada, lm, edit, dn). */
const CASES: [string, TuningMode, TunableOptions, string[]][] = [
  ["embedding (MGIE: MLLM frozen)", "embedding", {}, []],
  ["attention, all layers", "attention", {}, [0, 1, 2].flatMap((l) => attn(l))],
  ["attention, shallow third, W_Q and W_K", "attention", { layers: "shallow", projections: ["q", "k"] }, attn(0, ["q", "k"])],
  ["lora, all layers", "lora", {}, [0, 1, 2].flatMap(lora)],
  ["lora, deep third", "lora", { layers: "deep" }, lora(2)],
  ["full", "full", {}, [...MLLM_OUTSIDE, ...[0, 1, 2].flatMap(blockNames)]],
  ["full, middle third", "full", { layers: "middle" }, [...MLLM_OUTSIDE, ...blockNames(1)]],
];

function alwaysNames(e: Editor): string[] {
  return ["soft", "ada", "lm", "edit", "dn"].flatMap((g) => Object.keys(e.groups[g as "soft"]));
}

describe("editor parameters and tuning modes (item 2)", () => {
  it("named groups; counts per group; the LoRA factors sit beside the MLLM", () => {
    const e = tinyEditor(1);
    const counts = editorParamCounts(e);
    const names = Object.keys(editorParams(e));
    for (const g of EDITOR_GROUPS) for (const k of Object.keys(e.groups[g])) expect(k.startsWith(`${g}.`)).toBe(true);
    expect(names.length).toBe(EDITOR_GROUPS.reduce((s, g) => s + Object.keys(e.groups[g]).length, 0) + Object.keys(e.lora).length);
    expect(counts).toEqual({ enc: 3296, ada: 2608, soft: 160, mllm: 12064, lm: 4080, edit: 6208, dn: 13712, lora: 768, total: 42128 });
    expect(Object.keys(e.groups.soft)).toEqual(["soft.prompt", "soft.img"]);
    expect(alwaysNames(e).length).toBe(Object.keys(e.groups.soft).length + Object.keys(e.groups.ada).length + Object.keys(e.groups.lm).length + Object.keys(e.groups.edit).length + Object.keys(e.groups.dn).length);
    disposeEditor(e);
  });

  it.each(CASES)("%s: exactly the always-trainable groups plus the named MLLM weights", (_, mode, o, extra) => {
    const e = tinyEditor(1);
    const names = editorVarNames(e, editorTunable(e, mode, o));
    expect(new Set(names).size).toBe(names.length);
    expect(names.slice(0, alwaysNames(e).length).sort()).toEqual(alwaysNames(e).sort());
    expect(names.slice(alwaysNames(e).length).sort()).toEqual(extra.slice().sort());
    expect(names.some((n) => n.startsWith("enc."))).toBe(false);
    disposeEditor(e);
  });

  it("the encoder trains only when asked (base pretraining); bad selectors fail", () => {
    const e = tinyEditor(1);
    const names = editorVarNames(e, editorTunable(e, "full", { trainEncoder: true }));
    expect(names.filter((n) => n.startsWith("enc.")).sort()).toEqual(Object.keys(e.groups.enc).sort());
    expect(() => editorTunable(e, "prefix" as TuningMode)).toThrow("unknown tuning mode 'prefix'; known: embedding, attention, lora, full");
    expect(() => editorTunable(e, "attention", { layers: [3] })).toThrow("selectLayers: layer 3 is outside 0..2");
    disposeEditor(e);
  });

  it.each([
    ["embedding", {}],
    ["attention", { layers: "shallow", projections: ["q", "k"] }],
    ["lora", { layers: "deep" }],
    ["full", { layers: "middle", trainEncoder: true }],
  ] as [TuningMode, TunableOptions][])("one Adam step in '%s' mode %j changes exactly the varList", (mode, o) => {
    const e = tinyEditor(3);
    perturbZeroInit(e); // zero-initialised layers would stop every gradient upstream of them in the first step
    const b = stage2Batch(e, 2);
    const vars = editorTunable(e, mode, o);
    const all = editorParams(e);
    const before = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.dataSync().slice()] as const));
    const opt = new FusedAdam(1e-3);
    trainStep(opt, () => tf.tidy(() => stage2Loss(e, b).loss), {}, vars);
    const changed = Object.entries(all)
      .filter(([k, v]) => v.dataSync().some((x, i) => x !== before[k][i]))
      .map(([k]) => k)
      .sort();
    expect(changed).toEqual(editorVarNames(e, vars).sort());
    opt.dispose();
    disposeBatch(b);
    disposeEditor(e);
  });
});

describe("editor losses (paper Eq. 8) and condition dropout", () => {
  it("golden forward/backward on tiny, seed 1: L_condition, L_edit and the gradient norm over the attention-tuning varList", () => {
    const e = tinyEditor(1);
    perturbZeroInit(e);
    const b = stage2Batch(e, 3);
    const vars = editorTunable(e, "attention");
    const parts: number[] = [];
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => {
        const r = stage2Loss(e, b);
        parts.push(r.condition.dataSync()[0], r.edit.dataSync()[0]);
        return r.loss;
      }),
    vars);
    const loss = value.dataSync()[0];
    const gnorm = Math.sqrt(Object.values(grads).reduce((s, g) => s + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]), 0));
    tf.dispose([value, grads]);
    disposeBatch(b);
    disposeEditor(e);
    expect(loss).toBeCloseTo(parts[0] + parts[1], 5);
    // golden values (wasm and cpu backends agree to 1e-7); L_condition is near ln(240) = 5.48: an untrained H_lm is near uniform
    expect(parts[0]).toBeCloseTo(5.494879, 5);
    expect(parts[1]).toBeCloseTo(0.134736, 5);
    expect(gnorm).toBeCloseTo(1.019066, 5);
  });

  it("at initialisation L_edit is the target's mean square (the denoiser outputs 0)", () => {
    const e = tinyEditor(1);
    const b = stage2Batch(e, 2);
    const [le, ms] = tf.tidy(() => [stage2Loss(e, b).edit.dataSync()[0], tf.mean(tf.square(b.target)).dataSync()[0]]);
    expect(le).toBeCloseTo(ms, 6);
    disposeBatch(b);
    disposeEditor(e);
  });

  it("conditionLoss masks padding; editLoss weights items; errors name the mismatch", () => {
    const e = tinyEditor(1);
    const b = stage2Batch(e, 2);
    const V = e.tokenizer.size;
    const { layout } = b;
    const r = tf.tidy(() => {
      const P = layout.maxPredict;
      const uniform = conditionLoss(tf.zeros([2, P, V]) as tf.Tensor3D, layout).dataSync()[0];
      const pred = tf.stack([tf.fill([16, 16, 3], 1), tf.fill([16, 16, 3], 2)]) as tf.Tensor4D;
      const weighted = editLoss(pred, tf.zerosLike(pred) as tf.Tensor4D, [1, 0.5]).dataSync()[0];
      return { uniform, weighted };
    });
    expect(r.uniform).toBeCloseTo(Math.log(V), 5);
    expect(r.weighted).toBeCloseTo((1 * 1 + 0.5 * 4) / 2, 6);
    expect(() => tf.tidy(() => conditionLoss(tf.zeros([2, 3, V]) as tf.Tensor3D, layout))).toThrow(`conditionLoss: logits [2, 3, ${V}] do not match the layout [2, ${layout.maxPredict}, vocab]`);
    expect(() => tf.tidy(() => editLoss(tf.zeros([1, 2, 2, 3]) as tf.Tensor4D, tf.zeros([1, 2, 2, 1]) as tf.Tensor4D))).toThrow("editLoss: prediction [1, 2, 2, 3] and target [1, 2, 2, 1] differ in shape");
    disposeBatch(b);
    disposeEditor(e);
  });

  it("regionPixelWeights weighs changed pixels 1 + w; editLoss with pixel weights is the weighted mean and keeps its scale", () => {
    const r = tf.tidy(() => {
      // one item 1x2: pixel 0 unchanged (|r0| 0.001 < 2/255), pixel 1 changed in one channel
      const r0 = tf.tensor4d([0.001, 0, 0, 0, 0.5, 0], [1, 1, 2, 3]);
      const w = regionPixelWeights(r0, 3);
      const pred = tf.tensor4d([1, 1, 1, 2, 2, 2], [1, 1, 2, 3]);
      const target = tf.zeros([1, 1, 2, 3]) as tf.Tensor4D;
      const ones = tf.onesLike(w) as tf.Tensor4D;
      return {
        w: Array.from(w.dataSync()),
        weighted: editLoss(pred, target, undefined, w).dataSync()[0],
        flat: editLoss(pred, target, undefined, ones).dataSync()[0],
        plain: editLoss(pred, target).dataSync()[0],
      };
    });
    expect(r.w).toEqual([1, 4]);
    // per pixel squared error 1 (unchanged) and 4 (changed): (1*1 + 4*4) / (1 + 4) = 3.4
    expect(r.weighted).toBeCloseTo(3.4, 6);
    expect(r.flat).toBeCloseTo(r.plain, 6);
    expect(r.plain).toBeCloseTo(2.5, 6);
    expect(() => tf.tidy(() => regionPixelWeights(tf.zeros([1, 1, 1, 3]) as tf.Tensor4D, -1))).toThrow("regionPixelWeights: weight must be a finite number >= 0, got -1");
    expect(() => tf.tidy(() => editLoss(tf.zeros([1, 2, 2, 3]) as tf.Tensor4D, tf.zeros([1, 2, 2, 3]) as tf.Tensor4D, undefined, tf.ones([1, 2, 2, 3]) as tf.Tensor4D))).toThrow("editLoss: pixel weights [1, 2, 2, 3] must be [1, 2, 2, 1]");
  });

  it("condition dropout follows MGIE / InstructPix2Pix: 5% text only, 5% both, 5% image only; seeded", () => {
    const rates = { dropText: 0.05, dropBoth: 0.05, dropImage: 0.05 };
    const d = conditionDropout(new Rng(4), 20000, rates);
    const frac = (f: (i: number) => boolean) => d.dropText.filter((_, i) => f(i)).length / 20000;
    expect(frac((i) => d.dropText[i] && !d.dropImage[i])).toBeCloseTo(0.05, 2);
    expect(frac((i) => d.dropText[i] && d.dropImage[i])).toBeCloseTo(0.05, 2);
    expect(frac((i) => !d.dropText[i] && d.dropImage[i])).toBeCloseTo(0.05, 2);
    expect(conditionDropout(new Rng(4), 50, rates)).toEqual(conditionDropout(new Rng(4), 50, rates));
    expect(conditionDropout(new Rng(4), 3, { dropText: 0, dropBoth: 1, dropImage: 0 })).toEqual({ dropText: [true, true, true], dropImage: [true, true, true] });
  });

  it("NO_CONDITION_DROPOUT (stage2-from --dropout=off) keeps every condition and is a valid editor config", () => {
    const d = conditionDropout(new Rng(4), 5000, NO_CONDITION_DROPOUT);
    expect(d.dropText.some((x) => x)).toBe(false);
    expect(d.dropImage.some((x) => x)).toBe(false);
    const c = checkEditorConfig({ ...editorConfig("tiny"), ...NO_CONDITION_DROPOUT });
    expect([c.dropText, c.dropBoth, c.dropImage]).toEqual([0, 0, 0]);
  });
});

describe("editor tensor memory", () => {
  it("create, forward with attention read-out, one training step, dispose: no tensor left", () => {
    const n0 = tf.memory().numTensors;
    const e = tinyEditor(5);
    const b = stage2Batch(e, 2);
    const opt = new FusedAdam(1e-3);
    trainStep(opt, () => tf.tidy(() => stage2Loss(e, b).loss), {}, editorTunable(e, "lora"));
    opt.dispose();
    disposeBatch(b);
    disposeEditor(e);
    expect(tf.memory().numTensors).toBe(n0);
  });
});
