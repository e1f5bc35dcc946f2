import { describe, expect, it } from "vitest";
import sharp from "sharp";
import { Rng } from "../../lib/core/rng";
import { decodeImage, decodeImageInfo, encodePngSharp } from "../../lib/engine/image-io";

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

/** A W x H image: left half red, right half blue (stored pixel order). */
function leftRedRightBlue(W: number, H: number): Buffer {
  const data = Buffer.alloc(W * H * 3);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const i = (v * W + u) * 3;
      if (u < W / 2) data[i] = 255;
      else data[i + 2] = 255;
    }
  }
  return data;
}

/** Colour word of pixel (u, v) of an 8-bit RGB image: "red", "blue" or "other". */
function colourAt(img: { width: number; data: Uint8Array }, u: number, v: number): string {
  const i = (v * img.width + u) * 3;
  const [r, , b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
  return r > 200 && b < 60 ? "red" : b > 200 && r < 60 ? "blue" : "other";
}

describe("image I/O: EXIF orientation, 16-bit, shrinking inside the decoder", () => {
  // stored: 16 x 8, left half red. The viewer applies the EXIF tag; so must we.
  const cases: { orientation: number; size: [number, number]; redAt: [number, number]; blueAt: [number, number] }[] = [
    { orientation: 1, size: [16, 8], redAt: [1, 4], blueAt: [14, 4] }, // as stored
    { orientation: 2, size: [16, 8], redAt: [14, 4], blueAt: [1, 4] }, // mirrored left-right
    { orientation: 3, size: [16, 8], redAt: [14, 4], blueAt: [1, 4] }, // turned 180 degrees
    { orientation: 6, size: [8, 16], redAt: [4, 1], blueAt: [4, 14] }, // turned 90 degrees clockwise: stored left -> top
    { orientation: 8, size: [8, 16], redAt: [4, 14], blueAt: [4, 1] }, // turned 90 degrees anticlockwise: stored left -> bottom
  ];
  for (const format of ["jpeg", "png"] as const) {
    for (const c of cases) {
      it(`${format} with EXIF orientation ${c.orientation} decodes the way it is shown`, async () => {
        let pipe = sharp(leftRedRightBlue(16, 8), { raw: { width: 16, height: 8, channels: 3 } }).withMetadata({ orientation: c.orientation });
        pipe = format === "jpeg" ? pipe.jpeg({ quality: 95 }) : pipe.png();
        const bytes = await pipe.toBuffer();
        expect((await sharp(bytes).metadata()).orientation).toBe(c.orientation);
        const info = await decodeImageInfo(bytes, `o${c.orientation}.${format}`);
        expect([info.image.width, info.image.height]).toEqual(c.size);
        expect([info.originalWidth, info.originalHeight]).toEqual(c.size);
        expect(info.orientation).toBe(c.orientation);
        expect(colourAt(info.image, ...c.redAt)).toBe("red");
        expect(colourAt(info.image, ...c.blueAt)).toBe("blue");
      });
    }
  }

  it("16-bit PNG decodes to 8 bits (65535 -> 255, 32896 -> 128, 0 -> 0)", async () => {
    const png = await sharp(Buffer.from([255, 0, 128, 0, 255, 0]), { raw: { width: 2, height: 1, channels: 3 } }).toColourspace("rgb16").png().toBuffer();
    expect(png[24]).toBe(16); // IHDR bit depth
    const info = await decodeImageInfo(png, "deep.png");
    expect(info.bitDepth).toBe(16);
    expect(Array.from(info.image.data)).toEqual([255, 0, 128, 0, 255, 0]);
  });

  it("fitWithin shrinks the longer side and keeps the original size for the mapping back", async () => {
    const png = await sharp(leftRedRightBlue(400, 100), { raw: { width: 400, height: 100, channels: 3 } }).png().toBuffer();
    const info = await decodeImageInfo(png, "wide.png", { fitWithin: 100 });
    expect([info.image.width, info.image.height, info.originalWidth, info.originalHeight]).toEqual([100, 25, 400, 100]);
    expect(colourAt(info.image, 10, 12)).toBe("red");
    expect(colourAt(info.image, 90, 12)).toBe("blue");
    await expect(decodeImageInfo(png, "wide.png", { fitWithin: -1 })).rejects.toThrow("decodeImage: fitWithin must be an integer >= 0, got -1");
  });
});
