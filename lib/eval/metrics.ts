/**
 * Pixel metrics against the ground truth (paper §7.1 "Metrics", Table 2, Table 5 / Appendix Q).
 * Pure functions of two images; no model, no tensors.
 *
 *   l1      MagicBrush's L1: resize the result to the ground truth's size, both to [0, 1] RGB,
 *           mean absolute difference over all pixels and channels (lower is better, 0 = equal).
 *   ssim    Wang et al. 2004: K1 = 0.01, K2 = 0.03, 11x11 Gaussian window with sigma 1.5, data
 *           range 1, per RGB channel over the window positions inside the image ("valid"),
 *           averaged over positions and channels (what scikit-image's structural_similarity
 *           returns with gaussian_weights=True, use_sample_covariance=False, channel_axis=-1).
 * Masked variants restrict the average to a region (1 = inside), e.g. an object's pixels.
 */
import { AnyImage, checkImage, resizeBilinear, toUnit } from "./image";

function checkSameSize(a: AnyImage, b: AnyImage, what: string): void {
  checkImage(a, `${what} (first image)`);
  checkImage(b, `${what} (second image)`);
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what}: image sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
}

function checkMask(mask: Uint8Array, n: number, what: string): void {
  if (!(mask instanceof Uint8Array) || mask.length !== n) {
    throw new Error(`${what}: mask must be a Uint8Array of width*height = ${n} entries (1 = inside), got ${mask instanceof Uint8Array ? mask.length : typeof mask}`);
  }
}

/**
 * MagicBrush's L1 (paper Table 2 "L1", Table 5): `result` is resized (bilinear) to the size of
 * `truth`, then the mean of |result - truth| over H x W x 3 values in [0, 1].
 */
export function l1(result: AnyImage, truth: AnyImage): number {
  checkImage(result, "l1 (result)");
  checkImage(truth, "l1 (truth)");
  const r = resizeBilinear(result, truth.width, truth.height).data;
  const t = toUnit(truth);
  let s = 0;
  for (let i = 0; i < t.length; i++) s += Math.abs(r[i] - t[i]);
  return s / t.length;
}

/**
 * L1 over a region: mean |a - b| over the pixels with mask = 1 (all 3 channels); the images
 * must have the same size. NaN when the mask is empty (nothing to compare).
 */
export function l1Masked(a: AnyImage, b: AnyImage, mask: Uint8Array): number {
  checkSameSize(a, b, "l1Masked");
  checkMask(mask, a.width * a.height, "l1Masked");
  const x = toUnit(a);
  const y = toUnit(b);
  let s = 0;
  let n = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    for (let c = 0; c < 3; c++) s += Math.abs(x[p * 3 + c] - y[p * 3 + c]);
    n += 3;
  }
  return n === 0 ? NaN : s / n;
}

export interface SsimOptions {
  /** Stabiliser of the luminance term, C1 = (K1 L)^2 (Wang 2004: 0.01). */
  k1: number;
  /** Stabiliser of the contrast-structure term, C2 = (K2 L)^2 (Wang 2004: 0.03). */
  k2: number;
  /** Side of the Gaussian window in pixels (odd; Wang 2004: 11). */
  window: number;
  /** Standard deviation of the Gaussian window (Wang 2004: 1.5). */
  sigma: number;
  /** Dynamic range L of the values (1 for images in [0, 1]). */
  dataRange: number;
}

/** The constants of Wang, Bovik, Sheikh, Simoncelli (2004). */
export const SSIM_WANG2004: SsimOptions = { k1: 0.01, k2: 0.03, window: 11, sigma: 1.5, dataRange: 1 };

function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const r = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma));
    s += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= s;
  return k;
}

/** Separable 'valid' filtering of one channel plane [H * W] -> [(H - n + 1) * (W - n + 1)]. */
function filterValid(x: Float64Array, W: number, H: number, k: Float64Array): Float64Array {
  const n = k.length;
  const w2 = W - n + 1;
  const h2 = H - n + 1;
  const rows = new Float64Array(H * w2); // [H, w2]
  for (let y = 0; y < H; y++) {
    for (let u = 0; u < w2; u++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += k[i] * x[y * W + u + i];
      rows[y * w2 + u] = s;
    }
  }
  const out = new Float64Array(h2 * w2); // [h2, w2]
  for (let v = 0; v < h2; v++) {
    for (let u = 0; u < w2; u++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += k[i] * rows[(v + i) * w2 + u];
      out[v * w2 + u] = s;
    }
  }
  return out;
}

/** The per-position SSIM map: [3][(H - n + 1) * (W - n + 1)], window position (u, v) centred on pixel (u + r, v + r). */
export interface SsimMap {
  /** Width and height of the map (image size minus window size plus one). */
  width: number;
  height: number;
  /** Offset of map position 0 from pixel 0 in each direction ((window - 1) / 2). */
  offset: number;
  /** One map per channel. */
  channels: Float64Array[];
}

function checkSsimOptions(o: SsimOptions): void {
  if (!Number.isInteger(o.window) || o.window < 1 || o.window % 2 === 0) throw new Error(`ssim: window must be an odd positive integer, got ${o.window}`);
  if (!(o.sigma > 0)) throw new Error(`ssim: sigma must be > 0, got ${o.sigma}`);
  if (!(o.dataRange > 0)) throw new Error(`ssim: dataRange must be > 0, got ${o.dataRange}`);
}

/** SSIM per window position and channel (Wang 2004, Eq. 13 with the Gaussian-weighted statistics of §III-B). */
export function ssimMap(a: AnyImage, b: AnyImage, options: Partial<SsimOptions> = {}): SsimMap {
  const o = { ...SSIM_WANG2004, ...options };
  checkSsimOptions(o);
  checkSameSize(a, b, "ssim");
  const W = a.width;
  const H = a.height;
  if (W < o.window || H < o.window) throw new Error(`ssim: images of ${W}x${H} are smaller than the ${o.window}x${o.window} window`);
  const x = toUnit(a);
  const y = toUnit(b);
  const k = gaussianKernel(o.window, o.sigma);
  const c1 = (o.k1 * o.dataRange) ** 2;
  const c2 = (o.k2 * o.dataRange) ** 2;
  const n = W * H;
  const channels: Float64Array[] = [];
  for (let c = 0; c < 3; c++) {
    const xc = new Float64Array(n);
    const yc = new Float64Array(n);
    const xx = new Float64Array(n);
    const yy = new Float64Array(n);
    const xy = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      xc[p] = x[p * 3 + c];
      yc[p] = y[p * 3 + c];
      xx[p] = xc[p] * xc[p];
      yy[p] = yc[p] * yc[p];
      xy[p] = xc[p] * yc[p];
    }
    const mx = filterValid(xc, W, H, k);
    const my = filterValid(yc, W, H, k);
    const exx = filterValid(xx, W, H, k);
    const eyy = filterValid(yy, W, H, k);
    const exy = filterValid(xy, W, H, k);
    const s = new Float64Array(mx.length);
    for (let i = 0; i < s.length; i++) {
      const vx = exx[i] - mx[i] * mx[i];
      const vy = eyy[i] - my[i] * my[i];
      const cxy = exy[i] - mx[i] * my[i];
      s[i] = ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
    }
    channels.push(s);
  }
  return { width: W - o.window + 1, height: H - o.window + 1, offset: (o.window - 1) / 2, channels };
}

/** Mean SSIM over window positions and RGB channels (1 = identical). */
export function ssim(a: AnyImage, b: AnyImage, options: Partial<SsimOptions> = {}): number {
  const m = ssimMap(a, b, options);
  let s = 0;
  for (const ch of m.channels) for (let i = 0; i < ch.length; i++) s += ch[i];
  return s / (m.channels.length * m.width * m.height);
}

/**
 * SSIM averaged over the window positions whose centre pixel is inside `mask` (a region such as
 * an object's pixels). NaN when no such position exists (the region lies within (window-1)/2
 * pixels of the border or is empty).
 */
export function ssimMasked(a: AnyImage, b: AnyImage, mask: Uint8Array, options: Partial<SsimOptions> = {}): number {
  checkSameSize(a, b, "ssimMasked");
  checkMask(mask, a.width * a.height, "ssimMasked");
  const m = ssimMap(a, b, options);
  let s = 0;
  let n = 0;
  for (let v = 0; v < m.height; v++) {
    for (let u = 0; u < m.width; u++) {
      if (!mask[(v + m.offset) * a.width + u + m.offset]) continue;
      for (const ch of m.channels) s += ch[v * m.width + u];
      n += m.channels.length;
    }
  }
  return n === 0 ? NaN : s / n;
}
