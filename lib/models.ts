/** Models built on lib/nn: the theory lab's GPT and the MLLM-driven editor. */
export * from "./models/gpt";
export * from "./models/editor";
