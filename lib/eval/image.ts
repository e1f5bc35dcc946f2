/**
 * Image inputs of the metrics (paper §7.1 "Metrics", Table 2, Table 5): 8-bit RGB images
 * (`RgbImage`, what the data engine writes and editors return) or float RGB images in [0, 1]
 * (`FloatImage`, what a model outputs before quantising). Both are row-major [H * W * 3].
 */
import type { RgbImage } from "../engine/types";
import { bilinearResize } from "../engine/resize";

/** A float RGB image, row-major [H * W * 3], values in [0, 1]. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array | Float64Array;
}

export type AnyImage = RgbImage | FloatImage;

/**
 * Checks an image's shape; the message says what is wrong (size, channel count, data type).
 * Returns the pixel count.
 */
export function checkImage(img: AnyImage, what: string): number {
  if (!img || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new Error(`${what}: image width and height must be positive integers, got ${img?.width}x${img?.height}`);
  }
  const n = img.width * img.height;
  const d = img.data as unknown;
  if (!(d instanceof Uint8Array || d instanceof Float32Array || d instanceof Float64Array)) {
    throw new Error(`${what}: image data must be a Uint8Array (0..255) or Float32Array/Float64Array (0..1), got ${d === null || d === undefined ? String(d) : (d as object).constructor?.name}`);
  }
  const len = (d as ArrayLike<number>).length;
  if (len !== n * 3) {
    const ch = len / n;
    if (Number.isInteger(ch)) throw new Error(`${what}: expected 3 channels (RGB), got ${ch} (${img.width}x${img.height}, ${len} values); convert to RGB first`);
    throw new Error(`${what}: image data has ${len} values, expected ${img.width}x${img.height}x3 = ${n * 3}`);
  }
  return n;
}

/** Pixel values of `img` as float64 in [0, 1] (bytes divided by 255; floats copied). */
export function toUnit(img: AnyImage, what = "toUnit"): Float64Array {
  checkImage(img, what);
  const out = new Float64Array(img.data.length);
  if (img.data instanceof Uint8Array) for (let i = 0; i < out.length; i++) out[i] = img.data[i] / 255;
  else out.set(img.data);
  return out;
}

/** Rounds a float image in [0, 1] to 8-bit RGB (values outside [0, 1] are clipped). */
export function toRgb(img: AnyImage): RgbImage {
  checkImage(img, "toRgb");
  if (img.data instanceof Uint8Array) return { width: img.width, height: img.height, data: img.data };
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, img.data[i])) * 255);
  return { width: img.width, height: img.height, data: out };
}

/**
 * Bilinear resize of an image in [0, 1] to `width` x `height` (pixel centres aligned, edge
 * pixels clamped). Used by L1 to bring a result to the ground truth's size, as MagicBrush
 * does before comparing (it uses PIL's default filter; for the equal sizes our editors produce
 * no resampling happens at all).
 */
export function resizeBilinear(img: AnyImage, width: number, height: number): FloatImage {
  const src = toUnit(img, "resizeBilinear");
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`resizeBilinear: target size must be positive integers, got ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return { width, height, data: src };
  const out = bilinearResize(src, img.width, img.height, 3, width, height, new Float64Array(width * height * 3));
  return { width, height, data: out };
}
