/** Small dense matrices on mathjs (LU, inverse, determinant, symmetric eigenvalues, spectral norms), Cholesky, Gaussians and Gaussian mixtures in closed form; `math` is the mathjs instance for notebooks' exact and symbolic checks. */
export * from "./math/gaussian";
export * from "./math/linalg";
export * from "./math/matrix";
export * from "./math/mixture";
export * from "./math/stats";
