/** Diffusion without a model inside: noise schedules, DDPM and DDIM schedulers (setTimesteps, step, addNoise) on arrays or tensors, and guidance (classifier-free, dual InstructPix2Pix, classifier). */
export * from "./diffusion/ddim";
export * from "./diffusion/ddpm";
export * from "./diffusion/guidance";
export * from "./diffusion/ops";
export * from "./diffusion/schedule";
export * from "./diffusion/scheduler";
