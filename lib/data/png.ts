/**
 * PNG bytes for the dataset files: a small synchronous, deterministic encoder (8-bit RGB, filter
 * 0 or "up" per row, zlib level 6) and a strict decoder for what the reader meets (8-bit gray,
 * gray + alpha, RGB, RGBA; all five row filters; no interlace), with CRC checks, so that corrupt
 * or truncated files fail with a message naming the problem. Gray and alpha images decode to RGB
 * (alpha dropped, gray repeated), so the reader always gets [H, W, 3].
 *
 * Synchronous and deterministic (same pixels -> same bytes), which the resumable writer needs;
 * sharp is asynchronous and its output may change between libvips versions.
 */
import * as zlib from "zlib";
import type { RgbImage } from "../engine/types";
import { checkRgbImage } from "./inpaint";

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/** Encodes an RGB image as PNG bytes (deterministic). */
export function encodePng(img: RgbImage): Uint8Array {
  checkRgbImage(img, "encodePng");
  const { width: W, height: H, data } = img;
  const stride = W * 3;
  const raw = Buffer.alloc((stride + 1) * H);
  for (let v = 0; v < H; v++) {
    const o = v * (stride + 1);
    if (v === 0) {
      raw[o] = 0;
      Buffer.from(data.buffer, data.byteOffset + v * stride, stride).copy(raw, o + 1);
    } else {
      raw[o] = 2; // "up" filter: good for smooth renders
      for (let i = 0; i < stride; i++) raw[o + 1 + i] = (data[v * stride + i] - data[(v - 1) * stride + i]) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  const idat = zlib.deflateSync(raw, { level: 6 });
  return new Uint8Array(Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))]));
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes PNG bytes to RGB. `what` names the file in error messages. Errors: not a PNG,
 * truncated, bad CRC, unsupported bit depth/colour type/interlace, corrupt image data.
 */
export function decodePng(bytes: Uint8Array, what = "image"): RgbImage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < 8 || !b.subarray(0, 8).equals(SIGNATURE)) throw new Error(`decodePng: ${what} is not a PNG file (bad signature)`);
  let pos = 8;
  let W = 0;
  let H = 0;
  let colourType = -1;
  const idat: Buffer[] = [];
  let ended = false;
  while (pos < b.length) {
    if (pos + 12 > b.length) throw new Error(`decodePng: ${what} is truncated (chunk header at byte ${pos})`);
    const len = b.readUInt32BE(pos);
    const type = b.toString("ascii", pos + 4, pos + 8);
    if (pos + 12 + len > b.length) throw new Error(`decodePng: ${what} is truncated (chunk ${type} needs ${len} bytes)`);
    const crc = b.readUInt32BE(pos + 8 + len);
    if (crc !== crc32(b, pos + 4, pos + 8 + len)) throw new Error(`decodePng: ${what} is corrupt (CRC mismatch in chunk ${type})`);
    const data = b.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      W = data.readUInt32BE(0);
      H = data.readUInt32BE(4);
      const depth = data[8];
      colourType = data[9];
      if (depth !== 8) throw new Error(`decodePng: ${what} has bit depth ${depth}; only 8-bit images are supported`);
      if (![0, 2, 4, 6].includes(colourType)) throw new Error(`decodePng: ${what} has colour type ${colourType} (palette?); use 8-bit gray, RGB or RGBA`);
      if (data[12] !== 0) throw new Error(`decodePng: ${what} is interlaced; save it without interlacing`);
      if (W === 0 || H === 0) throw new Error(`decodePng: ${what} has an empty size ${W}x${H}`);
    } else if (type === "IDAT") idat.push(Buffer.from(data));
    else if (type === "IEND") {
      ended = true;
      break;
    }
    pos += 12 + len;
  }
  if (colourType < 0) throw new Error(`decodePng: ${what} has no IHDR chunk`);
  if (!ended) throw new Error(`decodePng: ${what} is truncated (no IEND chunk)`);
  const channels = colourType === 0 ? 1 : colourType === 4 ? 2 : colourType === 2 ? 3 : 4;
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw new Error(`decodePng: ${what} has corrupt image data (${(e as Error).message})`);
  }
  const stride = W * channels;
  if (raw.length < (stride + 1) * H) throw new Error(`decodePng: ${what} has too little image data (${raw.length} bytes for ${W}x${H})`);
  const px = new Uint8Array(stride * H);
  for (let v = 0; v < H; v++) {
    const f = raw[v * (stride + 1)];
    const src = v * (stride + 1) + 1;
    const o = v * stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i];
      const a = i >= channels ? px[o + i - channels] : 0;
      const up = v > 0 ? px[o - stride + i] : 0;
      const c = v > 0 && i >= channels ? px[o - stride + i - channels] : 0;
      let val: number;
      switch (f) {
        case 0: val = x; break;
        case 1: val = x + a; break;
        case 2: val = x + up; break;
        case 3: val = x + ((a + up) >> 1); break;
        case 4: val = x + paeth(a, up, c); break;
        default: throw new Error(`decodePng: ${what} is corrupt (unknown row filter ${f} in row ${v})`);
      }
      px[o + i] = val & 0xff;
    }
  }
  if (channels === 3) return { width: W, height: H, data: px };
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    if (channels === 1 || channels === 2) {
      const g = px[i * channels];
      rgb[i * 3] = g;
      rgb[i * 3 + 1] = g;
      rgb[i * 3 + 2] = g;
    } else {
      rgb[i * 3] = px[i * 4];
      rgb[i * 3 + 1] = px[i * 4 + 1];
      rgb[i * 3 + 2] = px[i * 4 + 2];
    }
  }
  return { width: W, height: H, data: rgb };
}
