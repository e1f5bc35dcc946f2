import { describe, expect, it } from "vitest";
import { buildScene } from "../../../lib/data/generate";
import { dataEngineConfig, genericConfig } from "../../../lib/data/config";
import { genericUnit } from "../../../lib/data/generic";
import { editorTokenizer, EOS_ID, IMG_ID, normaliseText, PAD_ID, SPECIAL_TOKENS, splitWords, Tokenizer, UNK_ID } from "../../../lib/models/editor/tokenizer";
import { TASK_PROMPT } from "../../../lib/models/editor/layout";
import { listWords } from "../../../lib/models/editor/vocab-build";
import { VOCAB_VERSION, VOCAB_WORDS } from "../../../lib/models/editor/vocab-words";

const tok = editorTokenizer();

describe("editor tokenizer", () => {
  it("specials come first, in a fixed order", () => {
    expect(tok.tokens.slice(0, 6)).toEqual(["<pad>", "<unk>", "<bos>", "<eos>", "<sep>", "[IMG]"]);
    expect([PAD_ID, UNK_ID, EOS_ID, IMG_ID]).toEqual([0, 1, 3, 5]);
    expect(tok.size).toBe(SPECIAL_TOKENS.length + VOCAB_WORDS.length);
  });

  it("pins the frozen vocabulary (a changed word list is a new VOCAB_VERSION)", () => {
    expect(VOCAB_VERSION).toBe(1);
    expect(tok.size).toBe(240);
    expect(tok.hash()).toBe("08cc7b100b56a3dd21272063d2d7c6e68c308c5ae9d14e4b858be8ab9fee02d1");
  });

  it("lower-cases, splits punctuation and digits, keeps hyphenated words", () => {
    expect(splitWords("Please turn the LEFT-MOST cube, at (0.42, 3d)?")).toEqual(["please", "turn", "the", "left-most", "cube", ",", "at", "(", "0", ".", "4", "2", ",", "3d", ")", "?"]);
    expect(tok.decode(tok.encode("Is the red cube left of the ball?"))).toBe("is the red cube left of the ball?");
    expect(tok.decode(tok.encode("at (0.42, 0.07), top left"))).toBe("at (0.42, 0.07), top left");
  });

  it("maps unknown words to <unk> and never throws on text", () => {
    const ids = tok.encode("turn the zebra into red 🙂");
    expect(ids.filter((i) => i === UNK_ID).length).toBe(2);
    expect(tok.unknownWords("turn the zebra into red")).toEqual(["zebra"]);
    expect(tok.decode(tok.encode("turn the zebra into red"))).toBe("turn the <unk> into red");
    expect(tok.encode("")).toEqual([]);
    expect(() => tok.decode([tok.size])).toThrow(`Tokenizer.decode: id ${tok.size} is outside 0..${tok.size - 1}`);
  });

  it("decode skips <pad> and stops at <eos>", () => {
    const ids = [...tok.encode("remove the cone"), EOS_ID, ...tok.encode("junk"), PAD_ID];
    expect(tok.decode([PAD_ID, ...ids])).toBe("remove the cone");
  });

  it("serialises and restores; a wrong special list is refused", () => {
    const j = JSON.parse(JSON.stringify(tok.toJSON()));
    const back = Tokenizer.fromJSON(j);
    expect(back.tokens).toEqual(tok.tokens);
    expect(back.hash()).toBe(tok.hash());
    expect(() => Tokenizer.fromJSON({ ...j, specials: ["<pad>"] })).toThrow("Tokenizer: the specials must be <pad> <unk> <bos> <eos> <sep> [IMG] in this order, got <pad>");
    expect(() => Tokenizer.fromJSON({ ...j, words: ["a", "a"] })).toThrow("Tokenizer: token 'a' appears twice in the vocabulary");
  });

  it("covers the word lists and the task prompt", () => {
    expect(listWords().filter((w) => !tok.has(w))).toEqual([]);
    expect(tok.unknownWords(TASK_PROMPT)).toEqual([]);
  });

  it("covers generated text of unseen seeds: no <unk>, exact round trip", () => {
    const texts: string[] = [];
    const cfg = dataEngineConfig("tiny");
    for (let i = 0; i < 12; i++) {
      const d = buildScene(i, 777, cfg);
      for (const q of d.vqa) texts.push(q.text, q.answer);
      for (const e of d.edits) texts.push(e.text, e.condition);
    }
    for (let i = 0; i < 4; i++) for (const r of genericUnit(i, 777, genericConfig("tiny")).records) texts.push(String(r.instruction), String(r.language_condition));
    expect(texts.length).toBeGreaterThan(80);
    expect(texts.flatMap((t) => tok.unknownWords(t))).toEqual([]);
    expect(texts.filter((t) => tok.decode(tok.encode(t)) !== normaliseText(t))).toEqual([]);
  });
});
