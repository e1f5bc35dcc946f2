import { describe, expect, it } from "vitest";
import { selectLayers } from "../../../lib/nn/tuning";
import { checkEditorConfig, EDITOR_PRESETS, editorConfig, imageTokenCount, maxSequence, TINY_EDITOR } from "../../../lib/models/editor/config";
import { buildLayout, layoutTexts, TASK_PROMPT } from "../../../lib/models/editor/layout";
import { BOS_ID, editorTokenizer, EOS_ID, PAD_ID, SEP_ID } from "../../../lib/models/editor/tokenizer";

describe("editor config", () => {
  it("presets: 6 MLLM layers on quick and paper, so shallow / middle / deep are real thirds (Appendix O)", () => {
    for (const p of ["quick", "paper"] as const) {
      const c = editorConfig(p);
      expect(c.layers).toBe(6);
      expect(["shallow", "middle", "deep"].map((s) => selectLayers(s as "shallow", c.layers))).toEqual([[0, 1], [2, 3], [4, 5]]);
      expect(c.image).toBe(32);
      expect(c.imgTokens).toBe(8);
      expect([c.dropText, c.dropBoth, c.dropImage]).toEqual([0.05, 0.05, 0.05]);
    }
    expect(["shallow", "middle", "deep"].map((s) => selectLayers(s as "shallow", TINY_EDITOR.layers))).toEqual([[0], [1], [2]]);
    expect(imageTokenCount(EDITOR_PRESETS.quick)).toBe(16);
    expect(maxSequence(EDITOR_PRESETS.quick, 6)).toBe(1 + 6 + 4 + 16 + 32 + 1 + 8 + 40 + 1);
  });

  it("unknown keys, wrong types and inconsistent values fail with what to change", () => {
    expect(() => editorConfig("tiny", { dd: 3 } as never)).toThrow("editor (profile 'tiny'): unknown config key 'dd'; known keys: image, encPatch,");
    expect(() => editorConfig("tiny", { d: "16" } as never)).toThrow("editor (profile 'tiny'): config key 'd' must be number, got string (\"16\")");
    expect(() => editorConfig("huge")).toThrow("unknown profile 'huge'; known profiles: tiny, quick, paper");
    expect(() => editorConfig("tiny", { d: 15 })).toThrow("editor: d (15) must be divisible by heads (2)");
    expect(() => editorConfig("tiny", { image: 18 })).toThrow("editor: image (18) must be divisible by encPatch (4)");
    expect(() => editorConfig("tiny", { adapterMerge: 3 })).toThrow("editor: the encoder grid (4) must be divisible by adapterMerge (3)");
    expect(() => editorConfig("tiny", { prediction: "sample" })).toThrow("editor: prediction must be one of x0, eps, v, got 'sample'");
    expect(() => editorConfig("tiny", { layers: 0 })).toThrow("editor: layers must be a positive integer, got 0");
    expect(() => editorConfig("tiny", { dropText: 0.6, dropBoth: 0.6 })).toThrow("editor: dropText + dropBoth + dropImage must be at most 1, got 1.25");
    expect(() => checkEditorConfig({ ...TINY_EDITOR, dnFreq: 15 })).toThrow("editor: dnFreq must be even, got 15");
  });
});

describe("MLLM input layout", () => {
  const tok = editorTokenizer();
  const opts = { taskIds: tok.encode(TASK_PROMPT), softPrompt: 2, imageTokens: 4, imgTokens: 3, vocab: tok.size, maxInstruction: 10, maxCondition: 10 };

  it("places task prompt, soft prompt, image, instruction, <sep>, [IMG]s, condition + <eos>, padding at the end", () => {
    const L = layoutTexts(tok, ["remove the cone", "turn the red cube into blue"], ["the cone is removed", null], opts);
    const V = tok.size;
    expect(L.taskIds).toEqual([BOS_ID, ...tok.encode(TASK_PROMPT)]);
    const [a, b] = L.items;
    expect(a.task).toEqual({ start: 0, end: 7 });
    expect(a.soft).toEqual({ start: 7, end: 9 });
    expect(a.image).toEqual({ start: 9, end: 13 });
    expect(L.restStart).toBe(13);
    expect(a.instruction).toEqual({ start: 13, end: 16 });
    expect(a.sep).toBe(16);
    expect(a.img).toEqual({ start: 17, end: 20 });
    expect(a.condition).toEqual({ start: 20, end: 25 }); // 4 words + <eos>
    expect(a.predict).toEqual({ start: 19, end: 24 }); // the last [IMG] predicts the first condition token
    expect(b.instruction).toEqual({ start: 13, end: 19 });
    expect(b.img).toEqual({ start: 20, end: 23 });
    expect(b.condition).toEqual({ start: 23, end: 23 });
    expect(L.T).toBe(25);
    const R = L.T - L.restStart;
    expect(Array.from(L.restIds.slice(0, R))).toEqual([...tok.encode("remove the cone"), SEP_ID, V, V + 1, V + 2, ...tok.encode("the cone is removed"), EOS_ID]);
    expect(Array.from(L.restIds.slice(R, 2 * R))).toEqual([...tok.encode("turn the red cube into blue"), SEP_ID, V, V + 1, V + 2, PAD_ID, PAD_ID]);
    expect(L.maxPredict).toBe(5);
    expect(Array.from(L.targets)).toEqual([...tok.encode("the cone is removed"), EOS_ID, 0, 0, 0, 0, 0]);
    expect(Array.from(L.targetMask)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  it("the language-only variant has no image span", () => {
    const L = layoutTexts(tok, ["remove the cone"], null, { ...opts, imageTokens: 0 });
    expect(L.items[0].image).toEqual({ start: 9, end: 9 });
    expect(L.items[0].instruction.start).toBe(9);
    expect(L.maxPredict).toBe(0);
  });

  it("bad input fails with what to do", () => {
    expect(() => layoutTexts(tok, ["remove the cone", "  "], null, opts)).toThrow("editor layout: item 1 has an empty instruction; every item needs an instruction");
    expect(() => buildLayout([[]], null, opts)).toThrow("editor layout: item 0 has an empty instruction; every item needs an instruction");
    expect(() => layoutTexts(tok, [], null, opts)).toThrow("editor layout: the batch is empty; give at least one instruction");
    expect(() => layoutTexts(tok, ["a b c d e f g h i j k"], null, opts)).toThrow("editor layout: item 0's instruction has 11 tokens, the editor takes at most 10 (config.maxInstruction); shorten it or raise maxInstruction");
    expect(() => layoutTexts(tok, ["a"], ["a b c d e f g h i j k"], opts)).toThrow("editor layout: item 0's condition has 11 tokens, the editor takes at most 10 (config.maxCondition); shorten it or raise maxCondition");
    expect(() => layoutTexts(tok, ["a", "b"], ["a"], opts)).toThrow("editor layout: 2 instructions but 1 conditions; give one condition (or null) per item");
  });
});
