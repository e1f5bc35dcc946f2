import { describe, expect, it } from "vitest";
import sharp from "sharp";
import { Rng } from "../../lib/core/rng";
import { decodeImage, encodePngSharp } from "../../lib/engine/image-io";

const rng = new Rng(1);
const img = { width: 32, height: 24, data: Uint8Array.from({ length: 32 * 24 * 3 }, () => rng.int(0, 256)) };

describe("image I/O (sharp)", () => {
  it("PNG round trip is byte-exact", async () => {
    const back = await decodeImage(await encodePngSharp(img));
    expect(back.width).toBe(32);
    expect(back.height).toBe(24);
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(img.data))).toBe(0);
  });

  it("grayscale expands to RGB; alpha is flattened onto the background or refused", async () => {
    const gray = await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace("b-w").png().toBuffer();
    expect(gray[25]).toBe(0); // PNG colour type 0: grayscale
    expect(Array.from((await decodeImage(gray)).data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255, 64, 64, 64]);
    await expect(decodeImage(gray, "g.png", { grayscale: "refuse" })).rejects.toThrow('decodeImage: g.png is grayscale; pass grayscale: "expand" to repeat the channel into RGB');
    const rgba = await sharp(Buffer.from([255, 0, 0, 0, 0, 255, 0, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    expect(Array.from((await decodeImage(rgba, "a.png", { background: [10, 20, 30] })).data)).toEqual([10, 20, 30, 0, 255, 0]);
    await expect(decodeImage(rgba, "a.png", { alpha: "refuse" })).rejects.toThrow(
      'decodeImage: a.png has an alpha channel (4 channels); pass alpha: "flatten" to composite it onto a background',
    );
  });

  it("truncated or corrupt PNG and JPEG bytes fail with a message naming the problem", async () => {
    const png = await encodePngSharp(img);
    await expect(decodeImage(png.subarray(0, png.length - 12), "t.png")).rejects.toThrow("decodeImage: t.png is a truncated PNG (ends inside a chunk header");
    await expect(decodeImage(png.subarray(0, 100), "t.png")).rejects.toThrow("decodeImage: t.png is a truncated PNG (chunk IDAT");
    const flipped = Buffer.from(png);
    flipped[Math.floor(png.length / 2)] ^= 0xff;
    await expect(decodeImage(flipped, "c.png")).rejects.toThrow("decodeImage: c.png is a corrupt PNG (CRC mismatch in chunk IDAT");
    const jpg = await sharp(Buffer.from(img.data), { raw: { width: 32, height: 24, channels: 3 } }).jpeg().toBuffer();
    await expect(decodeImage(jpg.subarray(0, jpg.length - 40), "t.jpg")).rejects.toThrow("decodeImage: t.jpg");
    await expect(decodeImage(Buffer.from("not an image at all"), "x.bin")).rejects.toThrow("decodeImage: x.bin is not a readable image (corrupt, truncated or unknown format)");
    await expect(decodeImage(new Uint8Array(0), "e.png")).rejects.toThrow("decodeImage: e.png is empty (0 bytes); expected PNG or JPEG bytes");
    expect((await decodeImage(jpg)).width).toBe(32);
  });
});
