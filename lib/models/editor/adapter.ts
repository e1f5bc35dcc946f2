/**
 * Ada_img, the image adapter (paper §3.1 Eq. 1: it adapts the encoder's features to the MLLM's
 * input width; trainable in every tuning mode, §5.2.1). m x m neighbouring encoder tokens are
 * concatenated (a token-grid "patchify", as pixel-unshuffle adapters do) and a two-layer MLP
 * (LLaVA-1.5 style) maps them to the MLLM width: fewer, wider image tokens keep the MLLM's
 * sequence short on CPU.
 *
 * Parameter names: `ada.fc1.{w,b}` [m^2 encD, hidden], `ada.fc2.{w,b}` [hidden, d].
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { initLinear, linear, patchify, type Params } from "../../nn/layers";
import type { EditorConfig } from "./config";

export function initAdapter(rng: Rng, c: EditorConfig): Params {
  const m = c.adapterMerge;
  return { ...initLinear(rng.fork("fc1"), m * m * c.encD, c.adapterHidden, "ada.fc1"), ...initLinear(rng.fork("fc2"), c.adapterHidden, c.d, "ada.fc2") };
}

/** X_img = Ada_img(Enc(M)): encoder tokens [B, N, encD] -> image tokens [B, N / m^2, d]. */
export function adaptImageTokens(p: Params, c: EditorConfig, tokens: tf.Tensor3D): tf.Tensor3D {
  const [B, N, D] = tokens.shape;
  const g = Math.round(Math.sqrt(N));
  if (g * g !== N || D !== c.encD) throw new Error(`adapter: expected encoder tokens [B, g*g, ${c.encD}], got [${tokens.shape.join(", ")}]`);
  const grid = tokens.reshape([B, g, g, D]) as tf.Tensor4D; // [B, g, g, encD]
  const merged = patchify(grid, c.adapterMerge); // [B, (g/m)^2, m*m*encD]
  return linear(tf.relu(linear(merged, p, "ada.fc1")), p, "ada.fc2") as tf.Tensor3D; // [B, N/m^2, d]
}
