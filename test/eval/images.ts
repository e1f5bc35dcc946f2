/** Hand-made test images for the metric tests (deterministic, no Rng: the SSIM reference values were computed from these exact bytes). */
import type { RgbImage } from "../../lib/engine/types";

/** Park-Miller LCG bytes: x_{k+1} = 48271 x_k mod (2^31 - 1), byte = x mod 256. */
export function lcgBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 48271) % 2147483647;
    out[i] = x % 256;
  }
  return out;
}

export function image(width: number, height: number, f: (u: number, v: number, c: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let v = 0; v < height; v++) for (let u = 0; u < width; u++) for (let c = 0; c < 3; c++) data[(v * width + u) * 3 + c] = Math.max(0, Math.min(255, Math.round(f(u, v, c))));
  return { width, height, data };
}

/** Uniform noise (32x32) and the same noise with a second noise image mixed in at 25%. */
export function randomPair(): [RgbImage, RgbImage] {
  const a = lcgBytes(32 * 32 * 3, 12345);
  const n = lcgBytes(32 * 32 * 3, 777);
  const b = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) b[i] = Math.round(0.75 * a[i] + 0.25 * n[i]);
  return [
    { width: 32, height: 32, data: a },
    { width: 32, height: 32, data: b },
  ];
}

/** A gradient with a checkered square (40 wide, 24 high) and the same picture shifted right by 2 pixels and darkened. */
export function structuredPair(): [RgbImage, RgbImage] {
  const f = (u: number, v: number, c: number) => {
    const check = u >= 10 && u < 26 && v >= 4 && v < 20 ? (((u >> 2) + (v >> 2)) % 2 === 0 ? 220 : 40) : 0;
    return check || 30 + 4 * u + 3 * v + 20 * c;
  };
  return [image(40, 24, f), image(40, 24, (u, v, c) => 0.85 * f(Math.max(0, u - 2), v, c))];
}
