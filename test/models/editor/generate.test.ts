import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { generateConditions } from "../../../lib/models/editor/generate";
import { lastTokenLogits } from "../../../lib/models/editor/heads";
import { buildLayout } from "../../../lib/models/editor/layout";
import { disposeEditor, editorCondition, editorLayoutOptions, editorParams } from "../../../lib/models/editor/model";
import { INSTRUCTIONS, scoped, tinyEditor } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

describe("greedy decoding of the language condition", () => {
  it("an open condition prefix adds no <eos> and no targets", () => {
    const e = tinyEditor(1);
    const L = buildLayout([[7, 8]], [[9, 10]], { ...editorLayoutOptions(e), openConditions: true });
    const it0 = L.items[0];
    expect(it0.condition.end - it0.condition.start).toBe(2);
    expect(L.maxPredict).toBe(0);
    expect(it0.length).toBe(it0.img.end + 2);
    disposeEditor(e);
  });

  it("each step appends the argmax of H_lm at the last position; stops at maxTokens; no leaks", () => {
    const e = tinyEditor(2);
    const images = tf.tensor4d(new Rng(3).uniformArray(2 * 16 * 16 * 3, -1, 1), [2, 16, 16, 3]);
    const n0 = tf.memory().numTensors;
    const g = generateConditions(e, images, INSTRUCTIONS.slice(0, 2), 3);
    expect(tf.memory().numTensors).toBe(n0);
    // the first token is the argmax after the last [IMG] token
    const first = scoped(() => {
      const layout = buildLayout(INSTRUCTIONS.slice(0, 2).map((t) => e.tokenizer.encode(t)), [[], []], { ...editorLayoutOptions(e), openConditions: true });
      const h = editorCondition(e, images, layout).mllm.hidden;
      return Array.from(tf.argMax(lastTokenLogits(editorParams(e), layout, h), -1).dataSync());
    });
    for (let b = 0; b < 2; b++) {
      expect(g.ids[b].length).toBeLessThanOrEqual(3);
      if (g.ids[b].length > 0) expect(g.ids[b][0]).toBe(first[b]);
      expect(g.texts[b]).toBe(e.tokenizer.decode(g.ids[b]));
    }
    expect(() => generateConditions(e, images, ["a"], 0)).toThrow("generateConditions: maxTokens must be an integer in 1..40 (config.maxCondition), got 0");
    expect(() => generateConditions(e, null, ["a"], 2)).toThrow("generateConditions: this editor reads the source image; pass images [B, H, W, 3]");
    images.dispose();
    disposeEditor(e);
  });

  it("the language-only variant decodes without images", () => {
    const e = tinyEditor(2, { imageTokens: false });
    const g = generateConditions(e, null, [INSTRUCTIONS[0]], 2);
    expect(g.ids[0].length).toBeLessThanOrEqual(2);
    disposeEditor(e);
  });
});
