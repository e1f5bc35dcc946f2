/**
 * The training core every model uses: Adam (fused) steps, data-parallel workers, the reference workload,
 * safetensors checkpoints, resumable training and the experiment grid (cache, scheduler, recipes).
 */
export * from "./train/adam";
export * from "./train/data-parallel";
export * from "./train/fused-adam";
export * from "./train/reference";
export * from "./train/safetensors";
export * from "./train/checkpoint-config";
export * from "./train/checkpoint";
export * from "./train/checkpoint-resume";
export * from "./train/grid/node";
export * from "./train/grid/cache";
export * from "./train/grid/recipes";
export * from "./train/grid/grids";
export * from "./train/grid/run-node";
export * from "./train/grid/scheduler";
export * from "./train/grid/projection";
export * from "./train/grid/runners";
export * from "./train/grid/board";
export * from "./train/grid/list";
export * from "./train/grid/toy";
