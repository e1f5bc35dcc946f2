/** The MLLM-driven image editor (paper §3.1, Fig. 3; MGIE's architecture in miniature): tokenizer, Enc, Ada_img, MLLM, H_lm, H_edit, Diff_edit, losses, tuning modes. */
export * from "./editor/adapter";
export * from "./editor/config";
export * from "./editor/denoiser";
export * from "./editor/encoder";
export * from "./editor/heads";
export * from "./editor/layout";
export * from "./editor/losses";
export * from "./editor/mllm";
export * from "./editor/model";
export * from "./editor/residual";
export * from "./editor/tokenizer";
export { VOCAB_SEED, buildVocabularyWords, listWords } from "./editor/vocab-build";
export { VOCAB_VERSION, VOCAB_WORDS } from "./editor/vocab-words";
export * from "./editor/generate";
export * from "./editor/pipeline";
export * from "./editor/train/data";
export * from "./editor/train/steps";
export * from "./editor/train/recipes";
