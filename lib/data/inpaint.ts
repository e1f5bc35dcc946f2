/**
 * Inpainting from an image and a hole mask alone (stands in for the paper's Stable Diffusion
 * inpainting of removed objects, §5.1.3 / Appendix M, for images without a renderer).
 *
 * Algorithm (a simplified Telea 2004 fast-marching fill, then diffusion):
 *   1. distance of every hole pixel to the known region by a breadth-first "onion peel"
 *      (8-connected, so the fill front moves in from the hole's border);
 *   2. in that order, each hole pixel becomes the weighted mean of the known or already filled
 *      pixels within `radius`, weight = 1 / d^2 times a level-set term that prefers earlier
 *      (outer) pixels (Telea's "level" weight);
 *   3. `smoothIters` Jacobi iterations of the Laplace equation inside the hole (harmonic fill,
 *      the "diffusion" part) with the border fixed, which removes the peel's streaks.
 */
import type { RgbImage } from "../engine/types";

export interface InpaintOptions {
  /** Neighbourhood radius in pixels for the fast-marching step (default 3). */
  radius?: number;
  /** Jacobi diffusion iterations after the fill (default 20). */
  smoothIters?: number;
}

/** Checks that an RGB image is well formed; a clear error otherwise. */
export function checkRgbImage(img: RgbImage, what: string): void {
  if (!img || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new Error(`${what}: image must have positive integer width and height`);
  }
  if (!(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height * 3) {
    throw new Error(`${what}: image data must be a Uint8Array of width*height*3 = ${img.width * img.height * 3} RGB bytes, got ${img.data?.length ?? "none"}`);
  }
}

function checkMask(img: RgbImage, mask: Uint8Array, what: string): void {
  if (!(mask instanceof Uint8Array) || mask.length !== img.width * img.height) {
    throw new Error(`${what}: mask must be a Uint8Array of width*height = ${img.width * img.height} entries (1 = hole), got ${mask?.length ?? "none"}`);
  }
}

/**
 * Fills the pixels where `hole[i] !== 0` from the rest of the image. Returns a new image; the
 * input is unchanged. A hole that covers the whole image is an error (nothing to fill from).
 */
export function inpaint(img: RgbImage, hole: Uint8Array, options: InpaintOptions = {}): RgbImage {
  checkRgbImage(img, "inpaint");
  checkMask(img, hole, "inpaint");
  const W = img.width;
  const H = img.height;
  const N = W * H;
  const radius = options.radius ?? 3;
  const smoothIters = options.smoothIters ?? 20;
  const out = new Uint8Array(img.data);
  const f = new Float32Array(N * 3);
  for (let i = 0; i < N * 3; i++) f[i] = img.data[i];
  // 1. onion peel: level[i] = BFS distance from the known region (0 = known)
  const level = new Int32Array(N).fill(-1);
  let queue: number[] = [];
  let holes = 0;
  for (let i = 0; i < N; i++) {
    if (hole[i] === 0) level[i] = 0;
    else holes++;
  }
  if (holes === 0) return { width: W, height: H, data: out };
  if (holes === N) throw new Error("inpaint: the hole covers the whole image; nothing to fill from");
  for (let i = 0; i < N; i++) {
    if (level[i] !== -1) continue;
    const u = i % W;
    const v = (i - u) / W;
    let border = false;
    for (let dv = -1; dv <= 1 && !border; dv++) {
      for (let du = -1; du <= 1; du++) {
        const uu = u + du;
        const vv = v + dv;
        if (uu >= 0 && uu < W && vv >= 0 && vv < H && level[vv * W + uu] === 0) {
          border = true;
          break;
        }
      }
    }
    if (border) {
      level[i] = 1;
      queue.push(i);
    }
  }
  const order: number[] = [];
  while (queue.length > 0) {
    const next: number[] = [];
    for (const i of queue) {
      order.push(i);
      const u = i % W;
      const v = (i - u) / W;
      for (let dv = -1; dv <= 1; dv++) {
        for (let du = -1; du <= 1; du++) {
          const uu = u + du;
          const vv = v + dv;
          if (uu < 0 || uu >= W || vv < 0 || vv >= H) continue;
          const j = vv * W + uu;
          if (level[j] === -1) {
            level[j] = level[i] + 1;
            next.push(j);
          }
        }
      }
    }
    queue = next;
  }
  // 2. fill in peel order from known / already filled pixels
  const filled = new Uint8Array(N);
  for (let i = 0; i < N; i++) if (level[i] === 0) filled[i] = 1;
  for (const i of order) {
    const u = i % W;
    const v = (i - u) / W;
    let wsum = 0;
    let r = 0;
    let g = 0;
    let b = 0;
    for (let dv = -radius; dv <= radius; dv++) {
      for (let du = -radius; du <= radius; du++) {
        const uu = u + du;
        const vv = v + dv;
        if (uu < 0 || uu >= W || vv < 0 || vv >= H) continue;
        const j = vv * W + uu;
        if (!filled[j]) continue;
        const d2 = du * du + dv * dv;
        if (d2 > radius * radius) continue;
        const w = (1 / d2) / (1 + Math.abs(level[j] - level[i] + 1));
        wsum += w;
        r += w * f[j * 3];
        g += w * f[j * 3 + 1];
        b += w * f[j * 3 + 2];
      }
    }
    if (wsum > 0) {
      f[i * 3] = r / wsum;
      f[i * 3 + 1] = g / wsum;
      f[i * 3 + 2] = b / wsum;
    }
    filled[i] = 1;
  }
  // 3. harmonic smoothing inside the hole (4-neighbour Jacobi), border fixed
  const tmp = new Float32Array(f);
  for (let it = 0; it < smoothIters; it++) {
    for (const i of order) {
      const u = i % W;
      const v = (i - u) / W;
      for (let c = 0; c < 3; c++) {
        let s = 0;
        let n = 0;
        if (u > 0) (s += f[(i - 1) * 3 + c]), n++;
        if (u < W - 1) (s += f[(i + 1) * 3 + c]), n++;
        if (v > 0) (s += f[(i - W) * 3 + c]), n++;
        if (v < H - 1) (s += f[(i + W) * 3 + c]), n++;
        tmp[i * 3 + c] = s / n;
      }
    }
    for (const i of order) for (let c = 0; c < 3; c++) f[i * 3 + c] = tmp[i * 3 + c];
  }
  for (const i of order) for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(f[i * 3 + c])));
  return { width: W, height: H, data: out };
}
