/** The data engine's spatial information extraction (paper §5.1.1): perception, parsing, point clouds, RANSAC, attributes, ranks. */
export * from "./engine/types";
export * from "./engine/config";
export * from "./engine/perception";
export * from "./engine/geometry";
export * from "./engine/ransac";
export * from "./engine/parse";
export * from "./engine/ranks";
export * from "./engine/attributes";
export * from "./engine/extract";
export * from "./engine/cloud";
export * from "./engine/truth";
export * from "./engine/agreement";
export * from "./engine/image-io";
export * from "./engine/report";
