/** Layers over named parameter records, attention, the transformer, adapters and tuning modes: the one model stack. */
export * from "./nn/layers";
export * from "./nn/transformer";
