import { describe, expect, it } from "vitest";
import type { RgbImage } from "../../lib/engine/types";
import { cutPlace2d, dilateMask, maskBox, meanAbsError, move2d, objectMask, recolour2d, remove2d, resize2d } from "../../lib/data/edit2d";
import { inpaint } from "../../lib/data/inpaint";
import { COLOUR_RGB } from "../../lib/world/conventions";

/** A W x H image with a horizontal gradient background and a red square [4,4]-[9,9]. */
function scene(W = 16, H = 16): { img: RgbImage; mask: Uint8Array; bg: RgbImage } {
  const data = new Uint8Array(W * H * 3);
  const bgData = new Uint8Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const i = v * W + u;
      const g = 60 + 8 * u;
      bgData.set([g, g, g], i * 3);
      if (u >= 4 && u <= 9 && v >= 4 && v <= 9) {
        mask[i] = 1;
        data.set([200, 20, 20], i * 3);
      } else data.set([g, g, g], i * 3);
    }
  }
  return { img: { width: W, height: H, data }, mask, bg: { width: W, height: H, data: bgData } };
}

describe("inpainting", () => {
  it("fills a hole in a smooth gradient almost exactly and keeps known pixels", () => {
    const { img, mask, bg } = scene();
    const out = inpaint(img, mask);
    expect(meanAbsError(out, bg, mask)).toBeLessThan(0.02);
    expect(meanAbsError(out, img, mask.map((m) => 1 - m))).toBe(0);
    expect(meanAbsError(img, bg, mask)).toBeGreaterThan(0.3);
  });

  it("does nothing without a hole; errors say what is wrong", () => {
    const { img } = scene();
    expect(inpaint(img, new Uint8Array(256)).data).toEqual(img.data);
    expect(() => inpaint(img, new Uint8Array(256).fill(1))).toThrow("inpaint: the hole covers the whole image; nothing to fill from");
    expect(() => inpaint(img, new Uint8Array(10))).toThrow("inpaint: mask must be a Uint8Array of width*height = 256 entries (1 = hole), got 10");
    expect(() => inpaint({ width: 16, height: 16, data: new Uint8Array(5) }, new Uint8Array(256))).toThrow(
      "inpaint: image data must be a Uint8Array of width*height*3 = 768 RGB bytes, got 5",
    );
  });
});

describe("2D edit path", () => {
  it("recolours inside the mask only, keeping the shading ratio", () => {
    const { img, mask } = scene();
    const out = recolour2d(img, mask, [20, 20, 200], [200, 20, 20]);
    const i = 5 * 16 + 5;
    expect(Array.from(out.data.slice(i * 3, i * 3 + 3))).toEqual([20, 20, 200]);
    expect(meanAbsError(out, img, mask.map((m) => 1 - m))).toBe(0);
    // palette path: a shaded red pixel with a white highlight becomes the same shading of blue
    const red = COLOUR_RGB.red;
    const blue = COLOUR_RGB.blue;
    const px = (f: number, w: number) => red.map((c) => Math.round(c * f + w));
    const img2 = { width: 2, height: 1, data: new Uint8Array([...px(0.8, 0), ...px(0.5, 40)]) };
    const out2 = recolour2d(img2, new Uint8Array([1, 1]), blue);
    const want = [...blue.map((c) => c * 0.8), ...blue.map((c) => c * 0.5 + 40)];
    Array.from(out2.data).forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThanOrEqual(1.5)); // input pixels were rounded
  });

  it("removes an object (close to the true background)", () => {
    const { img, mask, bg } = scene();
    expect(meanAbsError(remove2d(img, mask), bg)).toBeLessThan(0.01);
  });

  it("moves and resizes by cut, place and fill", () => {
    const { img, mask } = scene();
    const moved = move2d(img, mask, 4, 2);
    const j = (4 + 2) * 16 + (4 + 4);
    expect(Array.from(moved.data.slice(j * 3, j * 3 + 3))).toEqual([200, 20, 20]);
    const old = 4 * 16 + 4; // top-left of the old square is background now
    expect(moved.data[old * 3]).toBeLessThan(150);
    const big = resize2d(img, mask, 1.5);
    let red = 0;
    for (let i = 0; i < 256; i++) if (big.data[i * 3] === 200 && big.data[i * 3 + 1] === 20) red++;
    expect(red).toBe(81); // 6x6 -> 9x9 pixels
    const m2 = objectMask(Int32Array.from(mask, (m) => (m ? 3 : -1)), 3);
    expect(maskBox(m2, 16)).toEqual([4, 4, 9, 9]);
    expect(dilateMask(m2, 16, 16, 1).reduce((a, b) => a + b, 0)).toBe(64);
  });

  it("refuses empty masks and mismatched sizes with clear errors", () => {
    const { img } = scene();
    expect(() => recolour2d(img, new Uint8Array(256), [0, 0, 0])).toThrow("recolour2d: the mask is empty (the object is not visible); refuse this edit");
    expect(() => remove2d(img, new Uint8Array(100))).toThrow("remove2d: mask must be a Uint8Array of width*height = 256 entries, got 100 (image and mask sizes differ?)");
    expect(() => cutPlace2d(img, scene().mask, { du: 0, dv: 0, scale: 0, anchor: { u: 0, v: 0 } })).toThrow("cutPlace2d: scale must be a positive finite number, got 0");
    expect(() => meanAbsError(img, scene(8, 8).img)).toThrow("meanAbsError: image sizes differ (16x16 vs 8x8)");
  });
});
