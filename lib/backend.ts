/** Where the tensors run: backend selection (tensorflow, webgpu, wasm, cpu), the tuned wasm kernels, the native OpenBLAS route and the wasm heap helpers. */
export * from "./backend/select";
export * from "./backend/kernels/batch-matmul";
export * from "./backend/kernels/register";
export * from "./backend/native-blas";
