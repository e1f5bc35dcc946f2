/** Models built on lib/nn: the theory lab's GPT (and, next, the editor). */
export * from "./models/gpt";
