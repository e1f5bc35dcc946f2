import { describe, expect, it } from "vitest";
import { l1, l1Masked, resizeBilinear, ssim, ssimMasked, SSIM_WANG2004, toRgb } from "../../lib/eval";
import { image, lcgBytes, randomPair, structuredPair } from "./images";

/**
 * SSIM reference values: scikit-image 0.19.3 (Debian bookworm python3-skimage),
 *   structural_similarity(x, y, channel_axis=-1, gaussian_weights=True, sigma=1.5,
 *                         use_sample_covariance=False, data_range=1.0)
 * on the bytes of `randomPair()` and `structuredPair()` divided by 255 (run on 2026-12-01).
 * L1 values from the same script: np.abs(x - y).mean().
 */
const SKIMAGE = { random: { ssim: 0.9168693787935988, l1: 0.08489072712418301 }, structured: { ssim: 0.12553976249973028, l1: 0.2002450980392157 } };

/** Straightforward double-precision SSIM (2-D window sums, no separable filter): an independent check. */
function directSsim(a: { width: number; height: number; data: Uint8Array }, b: typeof a): number {
  const { width: W, height: H } = a;
  const r = 5;
  const w: number[][] = [];
  let tot = 0;
  for (let i = -r; i <= r; i++) {
    w.push([]);
    for (let j = -r; j <= r; j++) {
      const g = Math.exp(-(i * i + j * j) / (2 * 1.5 * 1.5));
      w[i + r].push(g);
      tot += g;
    }
  }
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  let sum = 0;
  let n = 0;
  for (let c = 0; c < 3; c++) {
    for (let v = r; v < H - r; v++) {
      for (let u = r; u < W - r; u++) {
        let mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
        for (let i = -r; i <= r; i++) {
          for (let j = -r; j <= r; j++) {
            const g = w[i + r][j + r] / tot;
            const x = a.data[((v + i) * W + u + j) * 3 + c] / 255;
            const y = b.data[((v + i) * W + u + j) * 3 + c] / 255;
            mx += g * x; my += g * y; xx += g * x * x; yy += g * y * y; xy += g * x * y;
          }
        }
        const vx = xx - mx * mx, vy = yy - my * my, cxy = xy - mx * my;
        sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        n++;
      }
    }
  }
  return sum / n;
}

describe("l1 (MagicBrush definition)", () => {
  it("is 0 for identical images and 1 between black and white", () => {
    const [a] = randomPair();
    expect(l1(a, a)).toBe(0);
    expect(l1(image(4, 4, () => 0), image(4, 4, () => 255))).toBe(1);
  });
  it("matches hand-computed and reference values", () => {
    // one pixel of 16 differs by 51/255 = 0.2 in one channel: 0.2 / 48
    const b = image(4, 4, (u, v, c) => (u === 1 && v === 2 && c === 0 ? 51 : 0));
    expect(l1(b, image(4, 4, () => 0))).toBeCloseTo(0.2 / 48, 12);
    const [x, y] = randomPair();
    expect(l1(x, y)).toBeCloseTo(SKIMAGE.random.l1, 12);
    const [s, t] = structuredPair();
    expect(l1(s, t)).toBeCloseTo(SKIMAGE.structured.l1, 12);
  });
  it("resizes the result to the ground truth's size (a constant image stays constant)", () => {
    const big = image(8, 8, () => 102);
    const small = image(4, 4, () => 51);
    expect(l1(big, small)).toBeCloseTo(51 / 255, 12);
    expect(resizeBilinear(image(2, 1, (u) => (u === 0 ? 0 : 255)), 4, 1).data[3]).toBeCloseTo(0.25, 12);
  });
  it("takes float images in [0, 1] as well as bytes", () => {
    const [a] = randomPair();
    const f = { width: a.width, height: a.height, data: Float32Array.from(a.data, (x) => x / 255) };
    expect(l1(f, a)).toBeLessThan(1e-7);
    expect(toRgb(f).data).toEqual(a.data);
  });
  it("masked: only the region counts; empty mask is NaN", () => {
    const a = image(2, 1, () => 0);
    const b = image(2, 1, (u) => (u === 0 ? 255 : 0));
    expect(l1Masked(a, b, Uint8Array.from([1, 0]))).toBe(1);
    expect(l1Masked(a, b, Uint8Array.from([0, 1]))).toBe(0);
    expect(l1Masked(a, b, Uint8Array.from([0, 0]))).toBeNaN();
  });
  it("bad input: channel and size mismatches say what is wrong", () => {
    const rgba = { width: 4, height: 4, data: new Uint8Array(64) };
    expect(() => l1(rgba, image(4, 4, () => 0))).toThrow("l1 (result): expected 3 channels (RGB), got 4 (4x4, 64 values); convert to RGB first");
    expect(() => l1Masked(image(4, 4, () => 0), image(5, 4, () => 0), new Uint8Array(16))).toThrow("l1Masked: image sizes differ (4x4 vs 5x4)");
    expect(() => l1Masked(image(4, 4, () => 0), image(4, 4, () => 0), new Uint8Array(3))).toThrow("l1Masked: mask must be a Uint8Array of width*height = 16 entries (1 = inside), got 3");
    expect(() => l1({ width: 0, height: 4, data: new Uint8Array(0) }, image(4, 4, () => 0))).toThrow("l1 (result): image width and height must be positive integers, got 0x4");
    expect(() => l1({ width: 2, height: 2, data: [1, 2] as unknown as Uint8Array }, image(2, 2, () => 0))).toThrow("l1 (result): image data must be a Uint8Array (0..255) or Float32Array/Float64Array (0..1), got Array");
  });
});

describe("ssim (Wang 2004: K1 0.01, K2 0.03, 11x11 Gaussian, sigma 1.5)", () => {
  it("uses the paper's constants", () => {
    expect(SSIM_WANG2004).toEqual({ k1: 0.01, k2: 0.03, window: 11, sigma: 1.5, dataRange: 1 });
  });
  it("is 1 for identical images (random and flat)", () => {
    const [a] = randomPair();
    expect(ssim(a, a)).toBeCloseTo(1, 12);
    const flat = image(16, 16, () => 90);
    expect(ssim(flat, flat)).toBeCloseTo(1, 12);
  });
  it("equals scikit-image within 1e-4 on random and structured images", () => {
    const [a, b] = randomPair();
    expect(Math.abs(ssim(a, b) - SKIMAGE.random.ssim)).toBeLessThan(1e-4);
    const [s, t] = structuredPair();
    expect(Math.abs(ssim(s, t) - SKIMAGE.structured.ssim)).toBeLessThan(1e-4);
  });
  it("equals a direct double-precision implementation within 1e-10", () => {
    const [a, b] = randomPair();
    expect(ssim(a, b)).toBeCloseTo(directSsim(a, b), 10);
    const [s, t] = structuredPair();
    expect(ssim(s, t)).toBeCloseTo(directSsim(s, t), 10);
  });
  it("is symmetric and falls as noise grows", () => {
    const [a, b] = randomPair();
    expect(ssim(a, b)).toBeCloseTo(ssim(b, a), 12);
    const noise = lcgBytes(a.data.length, 99);
    const mix = (w: number) => ({ width: 32, height: 32, data: Uint8Array.from(a.data, (x, i) => Math.round((1 - w) * x + w * noise[i])) });
    expect(ssim(a, mix(0.1))).toBeGreaterThan(ssim(a, mix(0.3)));
    expect(ssim(a, mix(0.3))).toBeGreaterThan(ssim(a, mix(0.6)));
  });
  it("masked: a region away from the change scores 1; a region on the border is NaN", () => {
    const a = image(32, 32, (u, v) => 40 + 5 * u + 3 * v);
    const b = image(32, 32, (u, v, c) => (u >= 24 && v >= 24 ? 255 - c : 40 + 5 * u + 3 * v));
    const far = new Uint8Array(32 * 32);
    far[8 * 32 + 8] = 1;
    expect(ssimMasked(a, b, far)).toBeCloseTo(1, 12);
    const near = new Uint8Array(32 * 32);
    near[25 * 32 + 25] = 1;
    expect(ssimMasked(a, b, near)).toBeLessThan(0.9);
    const border = new Uint8Array(32 * 32);
    border[0] = 1;
    expect(ssimMasked(a, b, border)).toBeNaN();
  });
  it("bad input: too small, size mismatch, even window", () => {
    expect(() => ssim(image(8, 8, () => 0), image(8, 8, () => 0))).toThrow("ssim: images of 8x8 are smaller than the 11x11 window");
    expect(() => ssim(image(16, 16, () => 0), image(16, 12, () => 0))).toThrow("ssim: image sizes differ (16x16 vs 16x12)");
    expect(() => ssim(image(16, 16, () => 0), image(16, 16, () => 0), { window: 10 })).toThrow("ssim: window must be an odd positive integer, got 10");
  });
});
