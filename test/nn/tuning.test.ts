import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { createLora, createSoftPrompt } from "../../lib/nn/adapters";
import { initLayerNorm, initLinear, layerNorm, linear, type Params } from "../../lib/nn/layers";
import { initTransformer, transformer, type TransformerConfig } from "../../lib/nn/transformer";
import { selectLayers, tuningVarList, TUNING_MODES, type TuningMode, type Tunable } from "../../lib/nn/tuning";
import { trainLoop } from "../../lib/train/loop";

beforeAll(async () => {
  await initBackend();
});

const cfg: TransformerConfig = { dModel: 8, dFF: 16, nHeads: 2, causal: true, nLayers: 6 };

/** A small model: soft prompt -> 6 blocks -> LN -> head; LoRA factors on q and v of every layer. */
function model(seed: number) {
  const rng = new Rng(seed);
  const params: Params = { ...initTransformer(rng.fork("stack"), cfg, "blocks"), ...initLayerNorm(8, "lnf"), ...initLinear(rng.fork("head"), 8, 3, "head") };
  const prompt = createSoftPrompt(rng.fork("prompt"), 2, 8, 0.5);
  const lora = createLora(rng.fork("lora"), params, "blocks", { rank: 2, targets: ["q", "v"], layers: [0, 1, 2, 3, 4, 5] });
  // LoRA B starts at 0, which makes A's gradient 0 in the first step: start B away from 0 for this test
  for (const [k, v] of Object.entries(lora)) {
    if (!k.endsWith(".B")) continue;
    const b = tf.fill(v.shape, 0.1);
    v.assign(b);
    b.dispose();
  }
  const x = tf.tensor3d(rng.fork("x").normalArray(2 * 5 * 8), [2, 5, 8]);
  const y = tf.tensor2d(rng.fork("y").normalArray(2 * 5 * 3), [10, 3]);
  const loss = (): tf.Scalar => {
    const h = transformer(x, params, cfg, "blocks", { prompt: prompt as tf.Tensor2D, lora, loraScale: 1 }).hidden;
    return tf.losses.meanSquaredError(y, linear(layerNorm(h.reshape([10, 8]), params, "lnf"), params, "head")) as tf.Scalar;
  };
  const tunable: Tunable = { params, stack: "blocks", nLayers: 6, always: [prompt], lora };
  const all: Record<string, tf.Variable> = { ...params, prompt, ...lora };
  const dispose = () => tf.dispose([...Object.values(all), x, y]);
  return { tunable, all, loss, dispose };
}

/** Names of the variables whose values changed in one optimizer step on `vars`. */
async function changedAfterStep(mode: TuningMode, layers: Parameters<typeof selectLayers>[0] = "all"): Promise<{ changed: string[]; trained: string[] }> {
  const m = model(1);
  const vars = tuningVarList(mode, m.tunable, { layers });
  const nameOf = new Map(Object.entries(m.all).map(([k, v]) => [v, k] as const));
  const before = Object.fromEntries(Object.entries(m.all).map(([k, v]) => [k, v.dataSync().slice()]));
  await trainLoop(vars, () => m.loss(), { steps: 1, lr: 1e-2, silent: true });
  const changed = Object.entries(m.all)
    .filter(([k, v]) => v.dataSync().some((x, i) => x !== before[k][i]))
    .map(([k]) => k)
    .sort();
  const trained = vars.map((v) => nameOf.get(v)!).sort();
  m.dispose();
  return { changed, trained };
}

describe("tuning modes", () => {
  it("selects thirds of the stack (Appendix O)", () => {
    expect(selectLayers("shallow", 6)).toEqual([0, 1]);
    expect(selectLayers("middle", 6)).toEqual([2, 3]);
    expect(selectLayers("deep", 6)).toEqual([4, 5]);
    expect(selectLayers("all", 4)).toEqual([0, 1, 2, 3]);
    expect(selectLayers("shallow", 4)).toEqual([0, 1]);
    expect(selectLayers("deep", 4)).toEqual([3]);
    expect(selectLayers([3, 1, 3], 6)).toEqual([1, 3]);
  });

  it("bad selectors and modes are clear errors", () => {
    expect(() => selectLayers("middle", 2)).toThrow("selectLayers: 'middle' needs at least 3 layers (thirds of the stack), the model has 2");
    expect(() => selectLayers([6], 6)).toThrow("selectLayers: layer 6 is outside 0..5");
    expect(() => selectLayers([], 6)).toThrow("selectLayers: an explicit layer list must not be empty");
    expect(() => selectLayers("top" as never, 6)).toThrow("selectLayers: unknown layer selector 'top'; use all, shallow, middle, deep or a list of indices");
    const m = model(2);
    expect(() => tuningVarList("bitfit" as never, m.tunable)).toThrow("unknown tuning mode 'bitfit'; known: embedding, attention, lora, full");
    expect(() => tuningVarList("lora", { ...m.tunable, lora: undefined })).toThrow("tuningVarList: 'lora' mode needs LoRA factors (createLora) on the model");
    expect(() => tuningVarList("embedding", { ...m.tunable, always: [] })).toThrow("tuningVarList: nothing to train in 'embedding' mode");
    m.dispose();
  });

  for (const mode of TUNING_MODES) {
    it(`'${mode}' trains exactly its variables and nothing else`, async () => {
      const { changed, trained } = await changedAfterStep(mode);
      expect(changed).toEqual(trained);
      const expectOf: Record<TuningMode, (n: string) => boolean> = {
        embedding: (n) => n === "prompt",
        attention: (n) => n === "prompt" || /^blocks\.\d\.attn\.[qkvo]\.[wb]$/.test(n),
        lora: (n) => n === "prompt" || n.includes(".lora."),
        full: (n) => n === "prompt" || !n.includes(".lora."),
      };
      const m = model(1);
      const want = Object.keys(m.all).filter(expectOf[mode]).sort();
      m.dispose();
      expect(trained).toEqual(want);
    });
  }

  it("a layer selector restricts attention tuning to those layers", async () => {
    const { changed } = await changedAfterStep("attention", "deep");
    expect(changed).toEqual(["blocks.4.attn.k.b", "blocks.4.attn.k.w", "blocks.4.attn.o.b", "blocks.4.attn.o.w", "blocks.4.attn.q.b", "blocks.4.attn.q.w", "blocks.4.attn.v.b", "blocks.4.attn.v.w",
      "blocks.5.attn.k.b", "blocks.5.attn.k.w", "blocks.5.attn.o.b", "blocks.5.attn.o.w", "blocks.5.attn.q.b", "blocks.5.attn.q.w", "blocks.5.attn.v.b", "blocks.5.attn.v.w", "prompt"]);
  });

  it("the check can fail: a variable outside the varList that changes is seen", async () => {
    const m = model(3);
    const vars = tuningVarList("embedding", m.tunable);
    const before = m.all["head.w"].dataSync().slice();
    m.all["head.w"].assign(tf.tidy(() => tf.add(m.all["head.w"], 1))); // a deliberate side effect
    await trainLoop(vars, () => m.loss(), { steps: 1, lr: 1e-2, silent: true });
    expect(m.all["head.w"].dataSync().some((x, i) => x !== before[i])).toBe(true);
    m.dispose();
  });

  it("leaks no tensors", async () => {
    const n0 = tf.memory().numTensors;
    await changedAfterStep("lora", "middle");
    expect(tf.memory().numTensors).toBe(n0);
  });
});
