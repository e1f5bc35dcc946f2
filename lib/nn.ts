/**
 * The one model stack: layers over named parameter records, attention (prefix keys/values,
 * attention read-out), the pre-LN transformer, adapters (soft prompt, prefix, LoRA) and the
 * tuning modes that choose the optimizer's varList.
 */
export * from "./nn/layers";
export * from "./nn/attention";
export * from "./nn/transformer";
export * from "./nn/adapters";
export * from "./nn/tuning";
