/**
 * The 2D editing path: ground-truth edits made from an image and an object mask alone, as the
 * paper must do for real photos (§5.1.3, Appendix M), where no renderer exists:
 *   - recolour: change the colour inside the mask, keeping the shading (Appendix M "denoting");
 *   - remove: inpaint the mask (`inpaint.ts`; the paper uses SD inpainting);
 *   - move: cut the object, inpaint the hole, paste it shifted (the paper: DragDiffusion);
 *   - resize: cut, inpaint, paste scaled about the object's ground-contact point (the paper:
 *     remove, place back resized, blend with SD).
 * On SpatialWorld these are compared with the exact re-render (`compare2d.ts`).
 */
import type { RgbImage } from "../engine/types";
import { colourName } from "../engine/parse";
import { COLOUR_RGB } from "../world/conventions";
import { checkRgbImage, inpaint, InpaintOptions } from "./inpaint";

/** A binary mask (1 = object) of one instance id from an instance mask. */
export function objectMask(instanceMask: Int32Array, id: number): Uint8Array {
  const m = new Uint8Array(instanceMask.length);
  for (let i = 0; i < m.length; i++) m[i] = instanceMask[i] === id ? 1 : 0;
  return m;
}

function checkObjectMask(img: RgbImage, mask: Uint8Array, what: string): number {
  checkRgbImage(img, what);
  if (!(mask instanceof Uint8Array) || mask.length !== img.width * img.height) {
    throw new Error(`${what}: mask must be a Uint8Array of width*height = ${img.width * img.height} entries, got ${mask?.length ?? "none"} (image and mask sizes differ?)`);
  }
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  if (n === 0) throw new Error(`${what}: the mask is empty (the object is not visible); refuse this edit`);
  return n;
}

/**
 * Recolour inside the mask. Each pixel p is modelled as shading times the object's base colour
 * plus a white (specular) part, p ~ s * base + w * (1, 1, 1), fitted by least squares per pixel;
 * the result is s * rgb + w, so shading, texture and highlights stay while the colour changes
 * (Appendix M: "directly change the colour of the object within the area enclosed by its mask").
 * The base colour is the palette colour named from the object's pixels (the engine's
 * `colourName`, as a real pipeline names colours), or `sourceRgb` when the caller knows it;
 * without a palette match the per-channel median of the pixels is used.
 */
export function recolour2d(img: RgbImage, mask: Uint8Array, rgb: readonly [number, number, number], sourceRgb?: readonly [number, number, number]): RgbImage {
  checkObjectMask(img, mask, "recolour2d");
  const idx: number[] = [];
  const chans: number[][] = [[], [], []];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    idx.push(i);
    for (let c = 0; c < 3; c++) chans[c].push(img.data[i * 3 + c]);
  }
  const named = sourceRgb === undefined ? colourName(img.data, idx) : null;
  const base: number[] = sourceRgb
    ? sourceRgb.map((x) => Math.max(1, x))
    : named
      ? COLOUR_RGB[named].map((x) => Math.max(1, x))
      : chans.map((v) => {
          v.sort((a, b) => a - b);
          return Math.max(1, v[v.length >> 1]);
        });
  const bb = base[0] * base[0] + base[1] * base[1] + base[2] * base[2];
  const b1 = base[0] + base[1] + base[2];
  const det = bb * 3 - b1 * b1;
  const out = new Uint8Array(img.data);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const p0 = img.data[i * 3];
    const p1 = img.data[i * 3 + 1];
    const p2 = img.data[i * 3 + 2];
    const bp = base[0] * p0 + base[1] * p1 + base[2] * p2;
    const sp = p0 + p1 + p2;
    let sh: number;
    let w: number;
    if (Math.abs(det) < 1e-6) {
      sh = bp / bb; // grey base: shading only
      w = 0;
    } else {
      sh = (3 * bp - b1 * sp) / det;
      w = (bb * sp - b1 * bp) / det;
      if (w < 0 || sh < 0) {
        w = 0;
        sh = Math.max(0, bp / bb);
      }
    }
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c] * sh + w)));
  }
  return { width: img.width, height: img.height, data: out };
}

/** Remove: inpaint the object's pixels (mask dilated by `dilate` pixels to drop the anti-aliased rim). */
export function remove2d(img: RgbImage, mask: Uint8Array, options: InpaintOptions & { dilate?: number } = {}): RgbImage {
  checkObjectMask(img, mask, "remove2d");
  return inpaint(img, dilateMask(mask, img.width, img.height, options.dilate ?? 1), options);
}

/** Dilates a binary mask by `r` pixels (square structuring element). */
export function dilateMask(mask: Uint8Array, W: number, H: number, r: number): Uint8Array {
  if (r <= 0) return new Uint8Array(mask);
  const out = new Uint8Array(mask.length);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      if (!mask[v * W + u]) continue;
      for (let dv = -r; dv <= r; dv++) {
        for (let du = -r; du <= r; du++) {
          const uu = u + du;
          const vv = v + dv;
          if (uu >= 0 && uu < W && vv >= 0 && vv < H) out[vv * W + uu] = 1;
        }
      }
    }
  }
  return out;
}

/** Bounding box [u0, v0, u1, v1] (inclusive) of a binary mask. */
export function maskBox(mask: Uint8Array, W: number): [number, number, number, number] {
  let u0 = Infinity;
  let v0 = Infinity;
  let u1 = -1;
  let v1 = -1;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const u = i % W;
    const v = (i - u) / W;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  return [u0, v0, u1, v1];
}

/**
 * Cut the object out, fill the hole, and paste it transformed: destination pixel p takes the
 * source pixel anchor + (p - anchor - shift) / scale when that pixel is in the mask (nearest
 * neighbour). `anchor` is the fixed point of the scaling (pixels).
 */
export function cutPlace2d(
  img: RgbImage,
  mask: Uint8Array,
  place: { du: number; dv: number; scale: number; anchor: { u: number; v: number } },
  options: InpaintOptions = {},
): RgbImage {
  checkObjectMask(img, mask, "cutPlace2d");
  if (!(place.scale > 0) || !Number.isFinite(place.scale)) throw new Error(`cutPlace2d: scale must be a positive finite number, got ${place.scale}`);
  if (!Number.isFinite(place.du) || !Number.isFinite(place.dv)) throw new Error("cutPlace2d: du and dv must be finite numbers");
  const W = img.width;
  const H = img.height;
  const base = remove2d(img, mask, options);
  const out = base.data;
  const [u0, v0, u1, v1] = maskBox(mask, W);
  const { du, dv, scale, anchor } = place;
  // destination box of the transformed source box
  const du0 = Math.max(0, Math.floor(anchor.u + (u0 - anchor.u) * scale + du) - 1);
  const du1 = Math.min(W - 1, Math.ceil(anchor.u + (u1 + 1 - anchor.u) * scale + du) + 1);
  const dv0 = Math.max(0, Math.floor(anchor.v + (v0 - anchor.v) * scale + dv) - 1);
  const dv1 = Math.min(H - 1, Math.ceil(anchor.v + (v1 + 1 - anchor.v) * scale + dv) + 1);
  for (let v = dv0; v <= dv1; v++) {
    for (let u = du0; u <= du1; u++) {
      // centre of destination pixel -> source coordinates
      const su = Math.floor(anchor.u + (u + 0.5 - du - anchor.u) / scale);
      const sv = Math.floor(anchor.v + (v + 0.5 - dv - anchor.v) / scale);
      if (su < 0 || su >= W || sv < 0 || sv >= H) continue;
      const s = sv * W + su;
      if (!mask[s]) continue;
      const d = v * W + u;
      out[d * 3] = img.data[s * 3];
      out[d * 3 + 1] = img.data[s * 3 + 1];
      out[d * 3 + 2] = img.data[s * 3 + 2];
    }
  }
  return { width: W, height: H, data: out };
}

/** Move: shift the object by (du, dv) pixels. */
export function move2d(img: RgbImage, mask: Uint8Array, du: number, dv: number, options: InpaintOptions = {}): RgbImage {
  return cutPlace2d(img, mask, { du, dv, scale: 1, anchor: { u: 0, v: 0 } }, options);
}

/** Resize: scale the object by `scale` about its ground-contact point (bottom centre of its box). */
export function resize2d(img: RgbImage, mask: Uint8Array, scale: number, options: InpaintOptions = {}): RgbImage {
  checkObjectMask(img, mask, "resize2d");
  const [u0, , u1, v1] = maskBox(mask, img.width);
  return cutPlace2d(img, mask, { du: 0, dv: 0, scale, anchor: { u: (u0 + u1 + 1) / 2, v: v1 + 1 } }, options);
}

/** Mean absolute error of two images in [0, 1] units, over all pixels or over a region. */
export function meanAbsError(a: RgbImage, b: RgbImage, region?: Uint8Array): number {
  checkRgbImage(a, "meanAbsError");
  checkRgbImage(b, "meanAbsError");
  if (a.width !== b.width || a.height !== b.height) throw new Error(`meanAbsError: image sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    if (region && !region[i]) continue;
    for (let c = 0; c < 3; c++) s += Math.abs(a.data[i * 3 + c] - b.data[i * 3 + c]);
    n += 3;
  }
  return n === 0 ? 0 : s / n / 255;
}
