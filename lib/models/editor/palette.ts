/**
 * The engine's palette as the edit plan sees it (aligned.ts `alignedPlan: "palette"`, the pipeline's `planDecode`, the
 * plan probe): its colours in [-1, 1], the palette colour nearest a colour in chromaticity (as lib/engine/parse.ts names
 * an object's colour), a colour plan snapped onto the palette, and a palette plan's most likely colour.
 */
import * as tf from "@tensorflow/tfjs";
import { COLOUR_RGB } from "../../world/conventions";
import { COLOURS } from "../../world/types";

/** The engine's palette as plan colours in [-1, 1] [K, 3], in the order of COLOURS (the palette plan's classes). */
export const PLAN_PALETTE: readonly (readonly [number, number, number])[] = COLOURS.map((name) => COLOUR_RGB[name].map((v) => v / 127.5 - 1) as [number, number, number]);

/** The palette's chromaticities [K, 3] (each colour's bytes over its brightest channel), as lib/engine/parse.ts names colours. */
const PALETTE_CHROMA: readonly number[][] = COLOURS.map((name) => {
  const c = COLOUR_RGB[name];
  const m = Math.max(...c);
  return c.map((v) => v / m);
});

/**
 * The palette colour nearest in chromaticity to each plan colour [B, N, 3] in [-1, 1], as a one-hot [B, N, K]
 * (chromaticity: the colour's bytes over its brightest channel, so that shading does not move it; lib/engine/parse.ts
 * names an object's colour the same way). A black colour counts as gray. Call inside tf.tidy.
 */
export function paletteOneHot(colours: tf.Tensor3D): tf.Tensor3D {
  const [B, N, C] = colours.shape;
  if (C !== 3) throw new Error(`paletteOneHot: colours [${colours.shape.join(", ")}] must end in 3 channels`);
  const chroma = (x: tf.Tensor) => tf.div(x, tf.maximum(tf.max(x, -1, true), 1e-6));
  const bytes = tf.clipByValue(tf.mul(tf.add(colours, 1), 127.5), 1e-3, 255); // black -> a tiny gray
  const c = chroma(bytes).reshape([B * N, 1, 3]); // [BN, 1, 3]
  const K = PLAN_PALETTE.length;
  const pal = tf.tensor3d([...PALETTE_CHROMA.flat()], [1, K, 3]);
  const d = tf.sum(tf.square(tf.sub(c, pal)), -1); // [BN, K]
  return tf.oneHot(tf.argMin(d, -1), K).toFloat().reshape([B, N, K]) as tf.Tensor3D;
}

/**
 * Each plan colour [B, N, 3] in [-1, 1] moved onto the palette colour nearest it in chromaticity, at its own brightness
 * (its brightest channel kept): a colour plan that names one palette colour, as a judge reads colours. Call inside tf.tidy.
 */
export function snapToPalette(colours: tf.Tensor3D): tf.Tensor3D {
  const [B, N] = colours.shape;
  const K = PLAN_PALETTE.length;
  const bytes = tf.clipByValue(tf.mul(tf.add(colours, 1), 127.5), 0, 255); // [B, N, 3]
  const pal = tf.tensor2d([...PALETTE_CHROMA.flat()], [K, 3]);
  const chroma = tf.matMul(paletteOneHot(colours).reshape([B * N, K]), pal).reshape([B, N, 3]); // [B, N, 3]
  return tf.sub(tf.div(tf.mul(chroma, tf.max(bytes, -1, true)), 127.5), 1) as tf.Tensor3D;
}

/** The palette colour [B, N, 3] of each patch's most likely class under the palette plan's logits [B, N, K] (paletteOneHot maps it back to that class). Call inside tf.tidy. */
export function paletteArgmaxColours(logits: tf.Tensor3D): tf.Tensor3D {
  const [B, N, K] = logits.shape;
  if (K !== PLAN_PALETTE.length) throw new Error(`paletteArgmaxColours: logits [${logits.shape.join(", ")}] must end in the palette's ${PLAN_PALETTE.length} colours`);
  return tf.gather(tf.tensor2d(PLAN_PALETTE.map((c) => [...c]), [K, 3]), tf.argMax(logits, -1).reshape([B * N])).reshape([B, N, 3]) as tf.Tensor3D;
}
