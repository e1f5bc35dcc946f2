/**
 * A word-level tokenizer over the data engine's vocabulary (the MLLM's tokenizer, paper §3.1:
 * instruction X_txt, task prompt X_task and the language condition of §5.2.2 are tokenized by it).
 *
 * Rules: lower case; words are runs of letters/digits joined by inner hyphens or apostrophes
 * ("left-most", "3d", "2nd"); every other non-space character is its own token ("(", ",", "?");
 * a run of digits is split into single digits, so every number ("0.42") is covered by ten digit
 * tokens and "."; a word outside the vocabulary maps to `<unk>` (never an error).
 * Decoding joins tokens with single spaces except before closing punctuation, after "(" and
 * inside numbers, so `decode(encode(t))` gives back `t` lower-cased with collapsed spaces for
 * every text the data engine writes (tested on generated text).
 */
import { createHash } from "crypto";
import { VOCAB_VERSION, VOCAB_WORDS } from "./vocab-words";

/** Special tokens, ids 0..5 in this order. `[IMG]` marks the visual tokens (the MLLM gives each of the k [IMG] slots its own embedding). */
export const SPECIAL_TOKENS = ["<pad>", "<unk>", "<bos>", "<eos>", "<sep>", "[IMG]"] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];
export const PAD_ID = 0;
export const UNK_ID = 1;
export const BOS_ID = 2;
export const EOS_ID = 3;
export const SEP_ID = 4;
export const IMG_ID = 5;

/** The serialised form of a vocabulary. */
export interface VocabularyJson {
  version: number;
  specials: string[];
  words: string[];
}

const TOKEN_RE = /[a-z0-9]+(?:['-][a-z0-9]+)*|[^\sa-z0-9]/gu;
const CLOSERS = new Set([",", ".", "?", "!", ";", ":", ")"]);
const isDigit = (s: string | undefined): boolean => s !== undefined && /^[0-9]$/.test(s);

/** Splits text into tokens (strings) by the rules above. */
export function splitWords(text: string): string[] {
  if (typeof text !== "string") throw new Error(`tokenizer: text must be a string, got ${typeof text}`);
  const out: string[] = [];
  for (const w of text.toLowerCase().match(TOKEN_RE) ?? []) {
    if (/^[0-9]+$/.test(w)) out.push(...w.split(""));
    else out.push(w);
  }
  return out;
}

/** Text as the tokenizer gives it back: lower case, single spaces. */
export function normaliseText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

export class Tokenizer {
  readonly version: number;
  /** id -> token. */
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(json: VocabularyJson = { version: VOCAB_VERSION, specials: [...SPECIAL_TOKENS], words: [...VOCAB_WORDS] }) {
    if (JSON.stringify(json.specials) !== JSON.stringify(SPECIAL_TOKENS)) {
      throw new Error(`Tokenizer: the specials must be ${SPECIAL_TOKENS.join(" ")} in this order, got ${json.specials.join(" ")}`);
    }
    this.version = json.version;
    this.tokens = [...json.specials, ...json.words];
    this.ids = new Map();
    this.tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new Error(`Tokenizer: token '${t}' appears twice in the vocabulary`);
      this.ids.set(t, i);
    });
  }

  /** Vocabulary size (specials included). */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token, or `<unk>`'s. */
  id(token: string): number {
    return this.ids.get(token) ?? UNK_ID;
  }

  /** Whether a token is in the vocabulary. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** Token ids of a text (no <bos>/<eos>; unknown words -> <unk>). */
  encode(text: string): number[] {
    return splitWords(text).map((w) => this.id(w));
  }

  /** Words of a text that are not in the vocabulary (what would become <unk>). */
  unknownWords(text: string): string[] {
    return splitWords(text).filter((w) => !this.ids.has(w));
  }

  /** Text of token ids; `<pad>` is skipped, decoding stops at `<eos>`. */
  decode(ids: readonly number[]): string {
    const toks: string[] = [];
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) throw new Error(`Tokenizer.decode: id ${id} is outside 0..${this.tokens.length - 1}`);
      if (id === EOS_ID) break;
      if (id !== PAD_ID) toks.push(this.tokens[id]);
    }
    let s = "";
    toks.forEach((t, i) => {
      const prev = toks[i - 1];
      const glue = i === 0 || CLOSERS.has(t) || prev === "(" || (isDigit(prev) && isDigit(t)) || (prev === "." && isDigit(toks[i - 2]) && isDigit(t));
      s += (glue ? "" : " ") + t;
    });
    return s;
  }

  toJSON(): VocabularyJson {
    return { version: this.version, specials: [...SPECIAL_TOKENS], words: this.tokens.slice(SPECIAL_TOKENS.length) };
  }

  /** sha256 of the serialised vocabulary (tests pin it: a changed vocabulary is a new version). */
  hash(): string {
    return createHash("sha256").update(JSON.stringify(this.toJSON())).digest("hex");
  }

  static fromJSON(json: VocabularyJson): Tokenizer {
    if (typeof json !== "object" || json === null || !Array.isArray(json.words) || !Array.isArray(json.specials) || typeof json.version !== "number") {
      throw new Error("Tokenizer.fromJSON: expected { version: number, specials: string[], words: string[] }");
    }
    return new Tokenizer(json);
  }
}

let shared: Tokenizer | null = null;

/** The project's tokenizer (vocabulary version `VOCAB_VERSION`). */
export function editorTokenizer(): Tokenizer {
  shared ??= new Tokenizer();
  return shared;
}
