/**
 * Image I/O through sharp (libvips) for the real-image path: decode PNG/JPEG/WebP bytes or
 * files (8 or 16 bits per channel) into an 8-bit RGB image, encode RGB images as PNG. The EXIF
 * orientation tag is applied (`rotate()`), so a phone photo comes out the way it was seen: its
 * left stays left. Corrupt or truncated files fail with a message that names the file and the
 * problem; grayscale images are expanded to RGB and images with alpha are flattened onto a
 * background, or refused when the caller asks for that. `fitWithin` shrinks large images inside
 * the decoder (libvips streams the pixels, so a 10,000 x 10,000 photo never sits in memory whole).
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
  /**
   * When > 0, images whose longer side exceeds it are shrunk (aspect kept, Lanczos) so that the
   * longer side equals it; 0 keeps the decoded size.
   */
  fitWithin: number;
}

export const DEFAULT_DECODE: DecodeOptions = { alpha: "flatten", grayscale: "expand", background: [255, 255, 255], maxSide: 8192, fitWithin: 0 };

/** A decoded image with the facts needed to map it back to the file's pixels. */
export interface DecodedImage {
  image: RgbImage;
  /** Size of the file's image after the EXIF orientation, before any `fitWithin` shrink. */
  originalWidth: number;
  originalHeight: number;
  /** EXIF orientation tag (1 = as stored, 2-8 = flipped and/or rotated; 1 when absent). */
  orientation: number;
  /** Bits per channel in the file (8 or 16). */
  bitDepth: number;
}

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

/** Decodes image bytes (PNG, JPEG, WebP, ...) into 8-bit RGB, EXIF orientation applied. `name` appears in error messages. */
export async function decodeImage(bytes: Uint8Array, name = "image", options: Partial<DecodeOptions> = {}): Promise<RgbImage> {
  return (await decodeImageInfo(bytes, name, options)).image;
}

/**
 * Like `decodeImage`, and says how the result relates to the file: the oriented original size
 * (for mapping working-size pixels back), the EXIF orientation and the bit depth.
 */
export async function decodeImageInfo(bytes: Uint8Array, name = "image", options: Partial<DecodeOptions> = {}): Promise<DecodedImage> {
  const o = { ...DEFAULT_DECODE, ...options };
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new Error(`decodeImage: ${name} is empty (0 bytes); expected PNG or JPEG bytes`);
  }
  if (isPng(bytes)) checkPngStructure(bytes, name);
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    // the header only: our maxSide check below is the size guard, not libvips' default pixel limit
    meta = await sharp(bytes, { failOn: "warning", limitInputPixels: false }).metadata();
  } catch (e) {
    throw new Error(`decodeImage: ${name} is not a readable image (corrupt, truncated or unknown format): ${(e as Error).message}`);
  }
  const orientation = meta.orientation ?? 1;
  // orientations 5-8 turn the picture by 90 degrees: the shown width is the stored height
  const turned = orientation >= 5 && orientation <= 8;
  const W = (turned ? meta.height : meta.width) ?? 0;
  const H = (turned ? meta.width : meta.height) ?? 0;
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
  if (!(Number.isInteger(o.fitWithin) && o.fitWithin >= 0)) throw new Error(`decodeImage: fitWithin must be an integer >= 0, got ${o.fitWithin}`);
  const scale = o.fitWithin > 0 && Math.max(W, H) > o.fitWithin ? o.fitWithin / Math.max(W, H) : 1;
  const outW = scale < 1 ? Math.max(1, Math.round(W * scale)) : W;
  const outH = scale < 1 ? Math.max(1, Math.round(H * scale)) : H;
  const bitDepth = meta.depth === "ushort" || meta.depth === "short" ? 16 : 8;
  try {
    // libvips' default pixel limit (16383 x 16383) would refuse a square image of maxSide 16384
    // that the check above accepted, with a misleading message; maxSide^2 is the same guard
    let pipe = sharp(bytes, { failOn: "warning", limitInputPixels: o.maxSide * o.maxSide }).rotate();
    if (scale < 1) pipe = pipe.resize(outW, outH, { fit: "fill", kernel: "lanczos3" });
    if (hasAlpha) pipe = pipe.flatten({ background: { r: o.background[0], g: o.background[1], b: o.background[2] } });
    const { data, info } = await pipe.toColourspace("srgb").removeAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== outW || info.height !== outH || data.length !== outW * outH * 3) {
      throw new Error(`unexpected decoder output ${info.width}x${info.height}x${info.channels}`);
    }
    const image = { width: outW, height: outH, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    return { image, originalWidth: W, originalHeight: H, orientation, bitDepth };
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
