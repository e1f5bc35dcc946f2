/** SpatialWorld: seeded scenes, exact ray casting, scene edits, image I/O (docs/architecture.md §1). */
export * from "./world/types";
export * from "./world/conventions";
export * from "./world/camera";
export * from "./world/config";
export * from "./world/sampler";
export * from "./world/render";
export * from "./world/edit";
