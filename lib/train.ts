/** The training core every model uses: Adam (fused) steps, data-parallel workers, the reference workload. */
export * from "./train/adam";
export * from "./train/data-parallel";
export * from "./train/fused-adam";
export * from "./train/reference";
