/**
 * Image I/O through sharp (libvips) for the real-image path: decode PNG/JPEG/WebP bytes or
 * files into an 8-bit RGB image, encode RGB images as PNG. Corrupt or truncated files fail with
 * a message that names the file and the problem; grayscale images are expanded to RGB and
 * images with alpha are flattened onto a background, or refused when the caller asks for that.
 * (The dataset writer uses its own synchronous, deterministic PNG codec in lib/data/png.ts.)
 */
import * as fs from "fs";
import sharp from "sharp";
import * as zlib from "zlib";
import type { RgbImage } from "./types";

export interface DecodeOptions {
  /** What to do with an alpha channel: composite onto `background` ("flatten") or throw ("refuse"). */
  alpha: "flatten" | "refuse";
  /** What to do with a grayscale image: repeat the channel ("expand") or throw ("refuse"). */
  grayscale: "expand" | "refuse";
  /** Background for "flatten", RGB bytes. */
  background: [number, number, number];
  /** Largest accepted width or height (guards against decompression bombs). */
  maxSide: number;
}

export const DEFAULT_DECODE: DecodeOptions = { alpha: "flatten", grayscale: "expand", background: [255, 255, 255], maxSide: 8192 };

/** Checks an RgbImage's shape: positive integer size and data of length W * H * 3. */
export function checkRgb(img: RgbImage, what: string): void {
  if (!img || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new Error(`${what}: image width and height must be positive integers, got ${img?.width}x${img?.height}`);
  }
  if (!(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height * 3) {
    throw new Error(`${what}: image data has ${img.data?.length} bytes, expected ${img.width}x${img.height}x3 = ${img.width * img.height * 3} (8-bit RGB)`);
  }
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

function crc32(buf: Uint8Array): number {
  if (typeof zlib.crc32 === "function") return zlib.crc32(buf) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Walks the chunks of a PNG and checks each length and CRC and that IEND ends the file
 * (libvips' PNG reader ignores CRC errors, so a flipped byte would decode silently).
 */
export function checkPngStructure(bytes: Uint8Array, name = "image"): void {
  if (!isPng(bytes)) throw new Error(`checkPngStructure: ${name} does not start with the PNG signature`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let pos = 8;
  for (;;) {
    if (pos + 12 > bytes.length) throw new Error(`decodeImage: ${name} is a truncated PNG (ends inside a chunk header at byte ${pos}; no IEND chunk)`);
    const len = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (pos + 12 + len > bytes.length) throw new Error(`decodeImage: ${name} is a truncated PNG (chunk ${type} at byte ${pos} needs ${len} bytes, the file ends first)`);
    const crc = view.getUint32(pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== crc) throw new Error(`decodeImage: ${name} is a corrupt PNG (CRC mismatch in chunk ${type} at byte ${pos})`);
    pos += 12 + len;
    if (type === "IEND") return;
  }
}

/** Decodes image bytes (PNG, JPEG, WebP, ...) into 8-bit RGB. `name` appears in error messages. */
export async function decodeImage(bytes: Uint8Array, name = "image", options: Partial<DecodeOptions> = {}): Promise<RgbImage> {
  const o = { ...DEFAULT_DECODE, ...options };
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new Error(`decodeImage: ${name} is empty (0 bytes); expected PNG or JPEG bytes`);
  }
  if (isPng(bytes)) checkPngStructure(bytes, name);
  let meta: { width?: number; height?: number; channels?: number; hasAlpha?: boolean };
  try {
    meta = await sharp(bytes, { failOn: "warning" }).metadata();
  } catch (e) {
    throw new Error(`decodeImage: ${name} is not a readable image (corrupt, truncated or unknown format): ${(e as Error).message}`);
  }
  const W = meta.width ?? 0;
  const H = meta.height ?? 0;
  if (W < 1 || H < 1) throw new Error(`decodeImage: ${name} has no size (width ${W}, height ${H})`);
  if (W > o.maxSide || H > o.maxSide) throw new Error(`decodeImage: ${name} is ${W}x${H}, larger than maxSide ${o.maxSide}`);
  const channels = meta.channels ?? 3;
  const hasAlpha = meta.hasAlpha === true;
  const isGray = channels - (hasAlpha ? 1 : 0) === 1;
  if (hasAlpha && o.alpha === "refuse") {
    throw new Error(`decodeImage: ${name} has an alpha channel (${channels} channels); pass alpha: "flatten" to composite it onto a background`);
  }
  if (isGray && o.grayscale === "refuse") {
    throw new Error(`decodeImage: ${name} is grayscale; pass grayscale: "expand" to repeat the channel into RGB`);
  }
  try {
    let pipe = sharp(bytes, { failOn: "warning" });
    if (hasAlpha) pipe = pipe.flatten({ background: { r: o.background[0], g: o.background[1], b: o.background[2] } });
    const { data, info } = await pipe.toColourspace("srgb").removeAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== W || info.height !== H || data.length !== W * H * 3) {
      throw new Error(`unexpected decoder output ${info.width}x${info.height}x${info.channels}`);
    }
    return { width: W, height: H, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw new Error(`decodeImage: ${name} could not be decoded (corrupt or truncated?): ${(e as Error).message}`);
  }
}

/** Reads and decodes an image file. */
export async function readImage(file: string, options: Partial<DecodeOptions> = {}): Promise<RgbImage> {
  if (!fs.existsSync(file)) throw new Error(`readImage: no such file ${file}`);
  return decodeImage(fs.readFileSync(file), file, options);
}

/** Encodes an 8-bit RGB image as PNG bytes. */
export async function encodePngSharp(img: RgbImage): Promise<Buffer> {
  checkRgb(img, "encodePngSharp");
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Writes an 8-bit RGB image as a PNG file. */
export async function writePngSharp(file: string, img: RgbImage): Promise<void> {
  fs.writeFileSync(file, await encodePngSharp(img));
}
