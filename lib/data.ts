/** The data engine's dataset side (paper §5.1.2-5.1.3, Table 3): VQA and edit templates, paraphrase, 2D edits, generic data, resumable writer, reader, spatial-instruction classifier. */
export * from "./data/classifier";
export * from "./data/classifier-cases";
export * from "./data/compare2d";
export * from "./data/config";
export * from "./data/edit2d";
export * from "./data/generate";
export * from "./data/generic";
export * from "./data/inpaint";
export * from "./data/instructions";
export * from "./data/paraphrase";
export * from "./data/perceive";
export * from "./data/png";
export * from "./data/reader";
export * from "./data/select";
export * from "./data/truth";
export * from "./data/vqa";
export * from "./data/writer";
