import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend/select";
import { resolveConfig } from "../../../lib/core/profile";
import { Rng } from "../../../lib/core/rng";
import { attentionHeatmapFigure } from "../../../lib/theory/attention/plots";
import { createSceneEncoder, sceneBatch, sceneTokenLabels } from "../../../lib/theory/attention/scenes";
import { ATTENTION_TUNING_PRESETS, runAttentionTuning } from "../../../lib/theory/attention/tuning";

const tiny = resolveConfig(ATTENTION_TUNING_PRESETS, "attention tuning", "tiny");

beforeAll(async () => {
  await initBackend();
});

describe("scenes", () => {
  it("targets are the leftmost object's patches", () => {
    const enc = createSceneEncoder(tiny.scene, new Rng(1));
    const s = sceneBatch(enc, 20, new Rng(2));
    s.layout.forEach((lay, b) => {
      const first = lay.findIndex((o) => o >= 0);
      expect(s.target[b][0]).toBe(first);
      s.target[b].forEach((j) => expect(lay[j]).toBe(lay[first]));
    });
    expect(sceneTokenLabels(3, [-1, 0, -1])).toEqual(["img0", "img1[o0]", "img2", "change", "the", "leftmost", "object"]);
  });
  it("rejects scenes that cannot fit", () => {
    expect(() => createSceneEncoder({ ...tiny.scene, patches: 3, maxObjects: 2, maxWidth: 2 }, new Rng(1))).toThrow(
      "createSceneEncoder: 2 objects of width up to 2 with gaps do not fit in 3 patches; use more patches or fewer objects",
    );
  });
});

describe("multi-layer attention tuning (tiny)", () => {
  it("layer 1 rankings never move under prompt or prefix tuning, but do under image-embedding tuning; no leaks", async () => {
    const before = tf.memory().numTensors;
    const r = await runAttentionTuning({ ...tiny, steps: 4, softLr: 0.3, weightLr: 0.1 }, { silent: true });
    expect(tf.memory().numTensors).toBe(before);
    const by = Object.fromEntries(r.methods.map((m) => [m.method, m]));
    for (const m of ["prompt", "prefix"]) {
      expect(by[m].perLayer[0].orderKept).toBe(1);
      expect(by[m].perLayer[0].meanTau).toBe(1);
    }
    expect(by["image-embedding"].perLayer[0].orderKept).toBeLessThan(1);
    expect(by["attention"].perLayer[0].orderKept).toBeLessThan(1);
    expect(r.base.perLayer.every((p) => p.meanTau === 1)).toBe(true);
    expect(Object.keys(r.example.maps)).toEqual(["base", "prompt", "prefix", "image-embedding", "embedding", "attention", "lora"]);
    const fig = attentionHeatmapFigure(
      Object.entries(r.example.maps).map(([name, v]) => ({ name, maps: v.maps, extra: v.extra })),
      sceneTokenLabels(tiny.scene.patches, r.example.layout),
      "t",
    );
    expect(fig.data.length).toBe(7);
    expect(((fig.layout!.sliders as { steps: unknown[] }[])[0].steps).length).toBe(tiny.layers * tiny.heads);
  });
  it("bad target layer is an error", async () => {
    await expect(runAttentionTuning({ ...tiny, targetLayer: 5 }, { silent: true, methods: [] })).rejects.toThrow("attention tuning: targetLayer 5 is outside 0..1");
  });
});
