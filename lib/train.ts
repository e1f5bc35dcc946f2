/** The training core every model uses: fast CPU layers, tuned wasm kernels, Adam steps, data-parallel workers, the reference workload. */
export * from "./train/adam";
export * from "./train/data-parallel";
export * from "./train/fused-adam";
export * from "./train/layers";
export * from "./train/reference";
export * from "./train/transformer";
