/** Evaluation (paper §5.3, §7, Tables 1-5, Appendix H, I, N, Q): benchmarks made by the data engine, pixel metrics, feature similarities, judges, and the paper's tables beside ours. */
export * from "./eval/image";
export * from "./eval/metrics";
export * from "./eval/seeds";
export * from "./eval/scene-diff";
export * from "./eval/editor";
export * from "./eval/benchmark-config";
export * from "./eval/benchmark-io";
export * from "./eval/benchmark-generate";
export * from "./eval/image-perception";
export * from "./eval/judge-config";
export * from "./eval/judges";
export * from "./eval/judge-perception";
export * from "./eval/features";
export * from "./eval/mobilenet-features";
export * from "./eval/onnx-features";
