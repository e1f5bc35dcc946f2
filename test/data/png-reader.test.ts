import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { dataEngineConfig } from "../../lib/data/config";
import { generateDataEngine } from "../../lib/data/generate";
import { decodePng, encodePng } from "../../lib/data/png";
import { disposeBatch, readBatches } from "../../lib/data/reader";
import { DatasetWriter } from "../../lib/data/writer";

function image(W: number, H: number) {
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5)) & 0xff;
  return { width: W, height: H, data };
}

/** A PNG of another colour type, built by hand (filter 0 rows). */
function pngOf(W: number, H: number, colourType: number, channels: number, px: Uint8Array): Uint8Array {
  const enc = encodePng(image(1, 1)); // take signature + chunk helpers from a real file: rebuild IHDR/IDAT
  const raw = Buffer.alloc((W * channels + 1) * H);
  for (let v = 0; v < H; v++) Buffer.from(px.subarray(v * W * channels, (v + 1) * W * channels)).copy(raw, v * (W * channels + 1) + 1);
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "ascii");
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr[8] = 8;
  ihdr[9] = colourType;
  return new Uint8Array(Buffer.concat([Buffer.from(enc.subarray(0, 8)), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]));
}

describe("PNG codec", () => {
  it("round-trips RGB exactly and deterministically", () => {
    const img = image(13, 7);
    const a = encodePng(img);
    expect(Buffer.from(a).equals(Buffer.from(encodePng(img)))).toBe(true);
    const back = decodePng(a);
    expect(back.width).toBe(13);
    expect(back.height).toBe(7);
    expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
  });

  it("decodes grayscale and RGBA to RGB", () => {
    const g = decodePng(pngOf(2, 1, 0, 1, new Uint8Array([10, 200])));
    expect(Array.from(g.data)).toEqual([10, 10, 10, 200, 200, 200]);
    const rgba = decodePng(pngOf(1, 1, 6, 4, new Uint8Array([1, 2, 3, 128])));
    expect(Array.from(rgba.data)).toEqual([1, 2, 3]);
    const ga = decodePng(pngOf(1, 1, 4, 2, new Uint8Array([77, 0])));
    expect(Array.from(ga.data)).toEqual([77, 77, 77]);
  });

  it("corrupt and truncated files fail with a message naming the problem", () => {
    const good = encodePng(image(8, 8));
    expect(() => decodePng(new Uint8Array([1, 2, 3]), "x.png")).toThrow("decodePng: x.png is not a PNG file (bad signature)");
    expect(() => decodePng(good.subarray(0, good.length - 20), "x.png")).toThrow(/decodePng: x.png is truncated/);
    const bad = new Uint8Array(good);
    bad[45] ^= 0xff; // inside IDAT's data
    expect(() => decodePng(bad, "x.png")).toThrow("decodePng: x.png is corrupt (CRC mismatch in chunk IDAT)");
    expect(() => decodePng(pngOf(1, 1, 3, 1, new Uint8Array([0])), "p.png")).toThrow("decodePng: p.png has colour type 3 (palette?); use 8-bit gray, RGB or RGBA");
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8Array(3) })).toThrow("encodePng: image data must be a Uint8Array of width*height*3 = 12 RGB bytes, got 3");
  });
});

describe("training reader", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("streams batches of tensors without leaks, in file or shuffled order", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-"));
    const m = generateDataEngine(dir, dataEngineConfig("tiny", { scenes: 3, perception: "truth" }), 5);
    const before = tf.memory().numTensors;
    let n = 0;
    for (const b of readBatches(path.join(dir, "edit"), { batchSize: 2 })) {
      expect(b.source.shape.slice(1)).toEqual([32, 32, 3]);
      expect(b.target?.shape).toEqual(b.source.shape);
      const max = tf.tidy(() => b.source.max().dataSync()[0]);
      expect(max).toBeLessThanOrEqual(1);
      n += b.records.length;
      disposeBatch(b);
    }
    expect(n).toBe(m.edit.records);
    let nv = 0;
    for (const b of readBatches(path.join(dir, "vqa"), { batchSize: 4, shuffleSeed: 1, keepLast: false })) {
      expect(b.target).toBeNull();
      expect(b.source.shape[0]).toBe(4);
      nv += 4;
      disposeBatch(b);
    }
    expect(nv).toBe(Math.floor(m.vqa.records / 4) * 4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a corrupt image is an error naming the file and record, and leaks nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bad-"));
    const w = DatasetWriter.open(dir, { name: "t", config: {}, seed: 1 });
    const good = encodePng(image(4, 4));
    w.commit({ records: [{ file_name: "images/a.png", edited_file_name: "images/b.png" }], files: [{ path: "images/a.png", bytes: good }, { path: "images/b.png", bytes: good.subarray(0, 30) }] });
    const before = tf.memory().numTensors;
    expect(() => [...readBatches(dir, { batchSize: 1 })]).toThrow(/decodePng: .*images\/b\.png \(record 0\) is truncated/);
    expect(() => [...readBatches(dir, { batchSize: 0 })]).toThrow("readBatches: batchSize must be an integer >= 1, got 0");
    expect(tf.memory().numTensors).toBe(before);
  });
});
