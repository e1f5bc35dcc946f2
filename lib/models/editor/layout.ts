/**
 * The MLLM's input sequence (paper §3.1 Eq. 2, Fig. 3), one row per item, packed and right-padded:
 *
 *   <bos> task prompt | soft prompt (n) | image tokens (Ni) | instruction | <sep> | [IMG]_1..k | condition <eos> | <pad> ...
 *   \____ fixed _____/ \__ trainable __/ \__ Ada_img(Enc) _/ \________ token ids, per item lengths _________________/
 *
 * The first three parts have the same length for every item, so the image tokens sit at the same
 * positions in the whole batch; from the instruction on, lengths differ per item and padding goes
 * to the end. The decoder is causal, so no real token ever attends to a pad, and the [IMG] states
 * do not see the condition that follows them: training (teacher-forced condition) and editing (no
 * condition given) produce the same [IMG] states. The language condition is predicted by H_lm
 * after the [IMG] tokens in the same pass (the last [IMG] predicts its first token; the last
 * condition token predicts <eos>). Without [IMG] tokens (k = 0, e.g. Stage I VQA with the answer
 * as the "condition") the <sep> predicts the first condition token.
 */
import type { Tokenizer } from "./tokenizer";
import { BOS_ID, EOS_ID, PAD_ID, SEP_ID } from "./tokenizer";

/** The fixed task prompt X_task of the editing MLLM (paper §3.1). */
export const TASK_PROMPT = "what will it be like if";

/** A half-open index range [start, end) of sequence positions. */
export interface Span {
  start: number;
  end: number;
}

/** Where each part of one item's sequence is. */
export interface ItemLayout {
  task: Span;
  soft: Span;
  image: Span;
  instruction: Span;
  sep: number;
  img: Span;
  /** Condition tokens and the closing <eos> (empty when no condition was given; no <eos> when open). */
  condition: Span;
  /** Positions whose next token is a condition target: [condition.start - 1, condition.end - 1) (empty when open). */
  predict: Span;
  /** Length without padding. */
  length: number;
}

export interface BatchLayout {
  batch: number;
  /** Padded length of every row. */
  T: number;
  /** Ids of the fixed task part (<bos> + task prompt), the same for every item. */
  taskIds: number[];
  /** Position where the per-item token part begins (after the image tokens). */
  restStart: number;
  /**
   * Token ids of the per-item part [B, T - restStart], row-major; [IMG]_j is written as
   * `vocab + j` (the MLLM embeds it with its own trainable row).
   */
  restIds: Int32Array;
  /** Condition targets [B, maxPredict] (condition tokens then <eos>, <pad> after), and their 0/1 mask. */
  targets: Int32Array;
  targetMask: Float32Array;
  maxPredict: number;
  items: ItemLayout[];
}

export interface LayoutOptions {
  /** Token ids of the task prompt (without <bos>). */
  taskIds: number[];
  softPrompt: number;
  /** Image tokens per item (0 for the language-only LGIE-like baseline). */
  imageTokens: number;
  imgTokens: number;
  vocab: number;
  maxInstruction: number;
  maxCondition: number;
  /** Conditions are unfinished prefixes (greedy decoding): no <eos> is appended and nothing is a target. */
  openConditions?: boolean;
}

/**
 * The layout of a batch from token ids (instruction per item, optional condition per item).
 * Empty instructions and over-long inputs are errors that say what to change.
 */
export function buildLayout(instructions: number[][], conditions: (number[] | null)[] | null, o: LayoutOptions): BatchLayout {
  const B = instructions.length;
  if (B === 0) throw new Error("editor layout: the batch is empty; give at least one instruction");
  if (conditions !== null && conditions.length !== B) throw new Error(`editor layout: ${B} instructions but ${conditions.length} conditions; give one condition (or null) per item`);
  const taskIds = [BOS_ID, ...o.taskIds];
  const soft = { start: taskIds.length, end: taskIds.length + o.softPrompt };
  const image = { start: soft.end, end: soft.end + o.imageTokens };
  const restStart = image.end;
  const items: ItemLayout[] = [];
  const rests: number[][] = [];
  instructions.forEach((ins, b) => {
    if (ins.length === 0) throw new Error(`editor layout: item ${b} has an empty instruction; every item needs an instruction`);
    if (ins.length > o.maxInstruction) throw new Error(`editor layout: item ${b}'s instruction has ${ins.length} tokens, the editor takes at most ${o.maxInstruction} (config.maxInstruction); shorten it or raise maxInstruction`);
    const cond = conditions?.[b] ?? null;
    if (cond !== null && cond.length > o.maxCondition) throw new Error(`editor layout: item ${b}'s condition has ${cond.length} tokens, the editor takes at most ${o.maxCondition} (config.maxCondition); shorten it or raise maxCondition`);
    const imgIds = Array.from({ length: o.imgTokens }, (_, j) => o.vocab + j);
    const closed = cond !== null && !o.openConditions;
    const rest = [...ins, SEP_ID, ...imgIds, ...(cond === null ? [] : closed ? [...cond, EOS_ID] : cond)];
    const instruction = { start: restStart, end: restStart + ins.length };
    const sep = instruction.end;
    const img = { start: sep + 1, end: sep + 1 + o.imgTokens };
    const condition = { start: img.end, end: img.end + (cond === null ? 0 : closed ? cond.length + 1 : cond.length) };
    const predict = closed ? { start: condition.start - 1, end: condition.end - 1 } : { start: condition.start, end: condition.start };
    items.push({ task: { start: 0, end: taskIds.length }, soft, image, instruction, sep, img, condition, predict, length: restStart + rest.length });
    rests.push(rest);
  });
  const T = Math.max(...items.map((it) => it.length));
  const R = T - restStart;
  const restIds = new Int32Array(B * R).fill(PAD_ID);
  rests.forEach((r, b) => restIds.set(r, b * R));
  const maxPredict = Math.max(...items.map((it) => it.predict.end - it.predict.start));
  const targets = new Int32Array(B * maxPredict).fill(PAD_ID);
  const targetMask = new Float32Array(B * maxPredict);
  items.forEach((it, b) => {
    if (it.predict.end === it.predict.start) return;
    for (let j = it.condition.start; j < it.condition.end; j++) {
      targets[b * maxPredict + j - it.condition.start] = rests[b][j - restStart];
      targetMask[b * maxPredict + j - it.condition.start] = 1;
    }
  });
  return { batch: B, T, taskIds, restStart, restIds, targets, targetMask, maxPredict, items };
}

/** Tokenizes instructions (and conditions) with `tok` and builds the layout. */
export function layoutTexts(tok: Tokenizer, instructions: string[], conditions: (string | null)[] | null, o: LayoutOptions): BatchLayout {
  if (o.vocab !== tok.size) throw new Error(`editor layout: the options' vocabulary (${o.vocab}) is not the tokenizer's (${tok.size})`);
  instructions.forEach((t, b) => {
    if (typeof t !== "string" || t.trim() === "") throw new Error(`editor layout: item ${b} has an empty instruction; every item needs an instruction`);
  });
  return buildLayout(
    instructions.map((t) => tok.encode(t)),
    conditions === null ? null : conditions.map((c) => (c === null ? null : tok.encode(c))),
    o,
  );
}
