import { describe, expect, it } from "vitest";
import sharp from "sharp";
import * as zlib from "zlib";
import { fromOriginal, loadPhoto, perceptionConfig, toOriginal } from "../../lib/perception";

const cfg = perceptionConfig("quick").photo; // working size 512

/** 40 x 20 test card: left half red, right half blue. */
function card(): Buffer {
  const W = 40;
  const H = 20;
  const d = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) d.set(i % W < W / 2 ? [230, 20, 20] : [20, 20, 230], i * 3);
  return d;
}
const raw = { raw: { width: 40, height: 20, channels: 3 as const } };

function at(img: { width: number; data: Uint8Array }, u: number, v: number): number[] {
  const i = (v * img.width + u) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

describe("photo input (sharp): formats, depth, channels, orientation", () => {
  const formats: { name: string; make: () => Promise<Buffer>; tolerance: number }[] = [
    { name: "PNG 8-bit", make: () => sharp(card(), raw).png().toBuffer(), tolerance: 0 },
    { name: "PNG 16-bit", make: () => sharp(card(), raw).toColourspace("rgb16").png().toBuffer(), tolerance: 0 },
    { name: "JPEG", make: () => sharp(card(), raw).jpeg({ quality: 95 }).toBuffer(), tolerance: 40 },
    { name: "WebP lossless", make: () => sharp(card(), raw).webp({ lossless: true }).toBuffer(), tolerance: 0 },
    { name: "PNG with alpha (flattened on white)", make: () => sharp(card(), raw).ensureAlpha(1).png().toBuffer(), tolerance: 0 },
  ];
  for (const f of formats) {
    it(`${f.name}: decodes at its size with left red, right blue`, async () => {
      const p = await loadPhoto(await f.make(), cfg, f.name);
      expect([p.image.width, p.image.height, p.scale, p.orientation]).toEqual([40, 20, 1, 1]);
      at(p.image, 2, 10).forEach((c, k) => expect(Math.abs(c - [230, 20, 20][k])).toBeLessThanOrEqual(f.tolerance));
      at(p.image, 37, 10).forEach((c, k) => expect(Math.abs(c - [20, 20, 230][k])).toBeLessThanOrEqual(f.tolerance));
    });
  }

  it("grayscale expands to three equal channels", async () => {
    const g = await sharp(Buffer.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    const p = await loadPhoto(g, cfg);
    expect(Array.from(p.image.data)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
  });

  it("a phone photo (EXIF orientation 6) keeps its left on the left: the stored top row becomes the right column", async () => {
    // stored 40 x 20 with red on the left; orientation 6 = turn 90 degrees clockwise to view
    const jpg = await sharp(card(), raw).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const p = await loadPhoto(jpg, cfg, "phone.jpg");
    expect([p.image.width, p.image.height, p.orientation]).toEqual([20, 40, 6]);
    expect(at(p.image, 10, 2)[0]).toBeGreaterThan(200); // stored left (red) is now at the top
    expect(at(p.image, 10, 37)[2]).toBeGreaterThan(200);
  });

  it("1 x 1 pixel decodes", async () => {
    const p = await loadPhoto(await sharp(Buffer.from([1, 2, 3]), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer(), cfg);
    expect([p.image.width, p.image.height, Array.from(p.image.data)]).toEqual([1, 1, [1, 2, 3]]);
  });

  it("10,000 x 10,000 pixels: shrunk inside the decoder to the working size with bounded memory", async () => {
    const png = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png({ compressionLevel: 1 }).toBuffer();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const p = await loadPhoto(png, cfg, "huge.png");
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect([p.image.width, p.image.height, p.originalWidth, p.originalHeight]).toEqual([512, 512, 10000, 10000]);
    expect(p.scale).toBeCloseTo(10000 / 512, 12);
    expect(at(p.image, 100, 100)).toEqual([10, 200, 30]);
    // decoding it whole would take 300 MB of pixels
    expect((peak - rss0) / 1e6).toBeLessThan(150);
  });

  it("a square photo of exactly maxSide (16384 x 16384) decodes: libvips' own pixel limit (16383 x 16383) does not refuse what maxSide accepts", async () => {
    // an 8-bit grayscale PNG of zeros, written row block by row block so the test never holds its 268 M pixels
    const S = 16384;
    const chunk = (type: string, data: Buffer) => {
      const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(td) >>> 0);
      return Buffer.concat([head, td, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(S, 0);
    ihdr.writeUInt32BE(S, 4);
    ihdr[8] = 8; // bit depth; colour type 0 (gray), no interlace
    const deflate = zlib.createDeflate({ level: 9 });
    const parts: Buffer[] = [];
    deflate.on("data", (d: Buffer) => parts.push(d));
    const rows = Buffer.alloc((S + 1) * 64); // filter byte 0 + S zero pixels, 64 rows
    for (let r = 0; r < S; r += 64) deflate.write(rows);
    await new Promise((done) => deflate.end(done));
    const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", Buffer.concat(parts)), chunk("IEND", Buffer.alloc(0))]);
    expect(cfg.maxSide).toBe(S);
    const p = await loadPhoto(png, cfg, "max.png");
    expect([p.image.width, p.image.height, p.originalWidth, p.originalHeight]).toEqual([512, 512, S, S]);
    expect(at(p.image, 300, 300)).toEqual([0, 0, 0]);
    // one pixel more on a side is the clear maxSide error, not libvips' pixel limit
    ihdr.writeUInt32BE(S + 1, 0);
    const wider = Buffer.concat([png.subarray(0, 8), chunk("IHDR", ihdr), png.subarray(8 + 25)]);
    await expect(loadPhoto(wider, cfg, "wider.png")).rejects.toThrow("decodeImage: wider.png is 16385x16384, larger than maxSide 16384");
  }, 30000);

  it("16-bit grayscale is read as 16 bits and expanded to RGB", async () => {
    const g = Buffer.alloc(40 * 20);
    for (let i = 0; i < g.length; i++) g[i] = i % 40 < 20 ? 30 : 220;
    const png = await sharp(g, { raw: { width: 40, height: 20, channels: 1 } }).toColourspace("grey16").png().toBuffer();
    const p = await loadPhoto(png, cfg, "gray16.png");
    expect(p.bitDepth).toBe(16);
    expect([at(p.image, 2, 10), at(p.image, 37, 10)]).toEqual([
      [30, 30, 30],
      [220, 220, 220],
    ]);
    const rgb16 = await loadPhoto(await sharp(card(), raw).toColourspace("rgb16").png().toBuffer(), cfg);
    expect(rgb16.bitDepth).toBe(16);
  });

  it("EXIF orientation on a photo that is also shrunk: a marked corner maps back to where an upright copy has it", async () => {
    // stored 2000 x 1000, green 100 x 100 square at the stored top-left; orientation 8 = turn 90 degrees anticlockwise to view
    const W = 2000;
    const H = 1000;
    const d = Buffer.alloc(W * H * 3, 128);
    for (let v = 0; v < 100; v++) for (let u = 0; u < 100; u++) d.set([20, 230, 20], (v * W + u) * 3);
    const jpg = await sharp(d, { raw: { width: W, height: H, channels: 3 } }).withMetadata({ orientation: 8 }).jpeg({ quality: 95 }).toBuffer();
    const p = await loadPhoto(jpg, cfg, "phone-large.jpg");
    expect([p.image.width, p.image.height, p.originalWidth, p.originalHeight, p.orientation]).toEqual([256, 512, 1000, 2000, 8]);
    // orientation 8: the stored top-left corner is seen at the bottom-left
    let su = 0;
    let sv = 0;
    let n = 0;
    for (let v = 0; v < p.image.height; v++) {
      for (let u = 0; u < p.image.width; u++) {
        const [r, g] = at(p.image, u, v);
        if (g > 150 && r < 100) {
          su += u + 0.5;
          sv += v + 0.5;
          n++;
        }
      }
    }
    const centre = toOriginal(p, su / n, sv / n);
    expect(Math.abs(centre.u - 50)).toBeLessThan(3);
    expect(Math.abs(centre.v - 1950)).toBeLessThan(3);
  });

  it("the mapping back to the original is exact", async () => {
    const wide = await sharp({ create: { width: 2048, height: 1024, channels: 3, background: "#808080" } }).png().toBuffer();
    const p = await loadPhoto(wide, cfg);
    expect([p.image.width, p.image.height]).toEqual([512, 256]);
    expect(toOriginal(p, 256, 128)).toEqual({ u: 1024, v: 512 });
    expect(fromOriginal(p, 2048, 1024)).toEqual({ u: 512, v: 256 });
  });
});

describe("photo input: bad files are clear errors", () => {
  const cases: { name: string; input: () => Promise<string | Uint8Array>; error: string; config?: typeof cfg }[] = [
    { name: "zero bytes", input: async () => new Uint8Array(0), error: "decodeImage: zero.jpg is empty (0 bytes); expected PNG or JPEG bytes" },
    { name: "not an image", input: async () => Buffer.from("GIF? no: plain text"), error: "decodeImage: zero.jpg is not a readable image (corrupt, truncated or unknown format)" },
    {
      name: "truncated JPEG",
      input: async () => (await sharp(card(), raw).jpeg().toBuffer()).subarray(0, 200),
      error: "decodeImage: zero.jpg",
    },
    {
      name: "corrupt PNG (flipped byte)",
      input: async () => {
        const b = Buffer.from(await sharp(card(), raw).png().toBuffer());
        b[b.length - 20] ^= 0xff;
        return b;
      },
      error: "decodeImage: zero.jpg is a corrupt PNG (CRC mismatch",
    },
    { name: "missing file", input: async () => "/nonexistent/photo.jpg", error: "loadPhoto: no such file /nonexistent/photo.jpg" },
    {
      name: "larger than maxSide",
      input: () => sharp(card(), raw).png().toBuffer(),
      config: { workingSize: 16, maxSide: 30 },
      error: "decodeImage: zero.jpg is 40x20, larger than maxSide 30",
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const input = await c.input();
      await expect(loadPhoto(input, c.config ?? cfg, typeof input === "string" ? undefined : "zero.jpg")).rejects.toThrow(c.error);
    });
  }

  it("config ranges are checked with a message that says what is allowed", () => {
    expect(() => perceptionConfig("quick", { photo: { workingSize: 4 } })).toThrow("perception config: photo.workingSize must be an integer >= 8, got 4");
    expect(() => perceptionConfig("quick", { groundDepth: { horizon: "sky" } })).toThrow('perception config: groundDepth.horizon must be "given", "objects" or "level", got "sky"');
    expect(() => perceptionConfig("quick", { detector: { nms: 1 } } as never)).toThrow("unknown config key 'nms'");
  });
});
