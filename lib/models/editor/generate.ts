/**
 * Greedy decoding of the language condition E_txt (paper Eq. 2: H_lm "generates the language
 * condition"; §5.2.2) after the [IMG] tokens, for evaluation and for the LGIE-like baseline's
 * text output. Each step re-runs the MLLM on the whole prefix (no key/value cache: fine for
 * evaluation batches of a miniature, O(L) forwards for L tokens); Enc and Ada_img run once.
 */
import * as tf from "@tensorflow/tfjs";
import { adaptImageTokens } from "./adapter";
import { encodeImages } from "./encoder";
import { lastTokenLogits } from "./heads";
import { buildLayout } from "./layout";
import { editorLayoutOptions, editorParams, type Editor } from "./model";
import { mllmForward } from "./mllm";
import { EOS_ID } from "./tokenizer";

/** The greedy condition per item: token ids (without <eos>) and text. Stops at <eos> or `maxTokens`. */
export function generateConditions(e: Editor, images: tf.Tensor4D | null, instructions: string[], maxTokens = e.config.maxCondition): { ids: number[][]; texts: string[] } {
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > e.config.maxCondition) {
    throw new Error(`generateConditions: maxTokens must be an integer in 1..${e.config.maxCondition} (config.maxCondition), got ${maxTokens}`);
  }
  const p = editorParams(e);
  const c = e.config;
  const instrIds = instructions.map((t, b) => {
    if (typeof t !== "string" || t.trim() === "") throw new Error(`editor layout: item ${b} has an empty instruction; every item needs an instruction`);
    return e.tokenizer.encode(t);
  });
  if (e.imageTokens && images === null) throw new Error("generateConditions: this editor reads the source image; pass images [B, H, W, 3]");
  const imageTokens = e.imageTokens ? tf.tidy(() => adaptImageTokens(p, c, encodeImages(p, c, images!).tokens)) : null;
  const out: number[][] = instructions.map(() => []);
  const done = instructions.map(() => false);
  try {
    for (let s = 0; s < maxTokens && !done.every((d) => d); s++) {
      const layout = buildLayout(instrIds, out, { ...editorLayoutOptions(e), openConditions: true });
      const next = tf.tidy(() => {
        const h = mllmForward(p, c, layout, imageTokens, { lora: e.lora, loraScale: e.loraScale }).hidden;
        return tf.argMax(lastTokenLogits(p, layout, h), -1).dataSync(); // [B]
      });
      next.forEach((id, b) => {
        if (done[b]) return;
        if (id === EOS_ID) done[b] = true;
        else out[b].push(id);
      });
    }
  } finally {
    imageTokens?.dispose();
  }
  return { ids: out, texts: out.map((ids) => e.tokenizer.decode(ids)) };
}
