/**
 * The safetensors file format, written and read here without a dependency:
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  a UTF-8 JSON object: per tensor name {"dtype", "shape", "data_offsets": [begin, end]},
 *              plus an optional "__metadata__" map of string -> string; it starts with '{' and may be
 *              padded at the end with spaces (we pad so that the data starts on an 8-byte boundary)
 *   [rest]     the byte buffer: each tensor's elements, little-endian, row-major (C order), at
 *              [begin, end) relative to the start of the buffer
 *
 * Readers must be strict: every byte of the buffer belongs to exactly one tensor (no overlap, no
 * hole, nothing after the last), the byte length of each tensor equals its element count times its
 * element size, and the header is a JSON object of the shape above. Every violation here is a
 * `SafetensorsError` whose message names the file and what is wrong. Dtypes: F32 and I32 (what
 * TF.js variables and our optimizer state use); other safetensors dtypes are refused by name.
 */
import * as fs from "fs";
import { writeFileAtomic } from "../core/paths";

/** The element types this reader/writer handles. */
export type StDtype = "F32" | "I32";

/** One tensor of a file: dtype, shape and its elements (row-major). */
export interface StTensor {
  dtype: StDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** The content of a safetensors file. */
export interface StFile {
  tensors: Record<string, StTensor>;
  metadata: Record<string, string>;
}

/** A malformed or unsupported safetensors file; the message names the file. */
export class SafetensorsError extends Error {
  constructor(source: string, what: string) {
    super(`safetensors '${source}': ${what}`);
    this.name = "SafetensorsError";
  }
}

/** dtypes of the format that we recognise but do not load (named in the error). */
const OTHER_DTYPES = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "U32", "F64", "I64", "U64"];
const ITEM_SIZE: Record<StDtype, number> = { F32: 4, I32: 4 };
/** The reference implementation refuses headers over 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkHost(): void {
  if (!littleEndianHost) throw new Error("safetensors: this machine is big-endian; the reader/writer assumes a little-endian host");
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes tensors (sorted by name) and metadata into the bytes of a safetensors file. */
export function encodeSafetensors(tensors: Record<string, StTensor>, metadata: Record<string, string> = {}): Uint8Array {
  checkHost();
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`safetensors: metadata '${k}' must be a string, got ${typeof v} (JSON.stringify it first)`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === "__metadata__") throw new Error("safetensors: '__metadata__' is reserved and cannot name a tensor");
    const t = tensors[name];
    if (!(t.dtype in ITEM_SIZE)) throw new Error(`safetensors: tensor '${name}' has dtype ${String(t.dtype)}; supported: F32, I32`);
    const want = t.dtype === "F32" ? Float32Array : Int32Array;
    if (!(t.data instanceof want)) throw new Error(`safetensors: tensor '${name}' is ${t.dtype} but its data is a ${t.data.constructor.name}`);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`safetensors: tensor '${name}' has a bad shape [${t.shape.join(", ")}]`);
    if (elementCount(t.shape) !== t.data.length) {
      throw new Error(`safetensors: tensor '${name}' has shape [${t.shape.join(", ")}] (${elementCount(t.shape)} elements) but ${t.data.length} values`);
    }
    const bytes = t.data.length * ITEM_SIZE[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const padded = Math.ceil((8 + raw.length) / 8) * 8 - 8;
  json += " ".repeat(padded - raw.length);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isIndex(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** Decodes and validates the bytes of a safetensors file; `source` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, source = "<buffer>"): StFile {
  checkHost();
  const fail = (what: string): never => {
    throw new SafetensorsError(source, what);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} exceeds the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`truncated: the header needs ${n} bytes but only ${bytes.length - 8} follow the length`);
  if (n < 2 || bytes[8] !== 0x7b) fail("bad header: it must be a JSON object starting with '{'");
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail("bad header: not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`bad header: invalid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) fail("bad header: the JSON is not an object");
  const h = header as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  if ("__metadata__" in h) {
    const m = h.__metadata__;
    if (!isObject(m)) fail("bad header: '__metadata__' must be an object of strings");
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== "string") fail(`bad header: '__metadata__.${k}' must be a string, got ${JSON.stringify(v)}`);
      metadata[k] = v as string;
    }
  }
  const buffer = bytes.subarray(8 + n);
  const entries: { name: string; dtype: StDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, e] of Object.entries(h)) {
    if (name === "__metadata__") continue;
    if (!isObject(e)) fail(`bad header: entry '${name}' is not an object`);
    const info = e as Record<string, unknown>;
    const extra = Object.keys(info).filter((k) => !["dtype", "shape", "data_offsets"].includes(k));
    if (extra.length > 0) fail(`bad header: entry '${name}' has unknown keys ${extra.join(", ")}`);
    const dtype = info.dtype;
    if (typeof dtype !== "string") fail(`bad header: entry '${name}' has no dtype`);
    if (!(dtype as string in ITEM_SIZE)) {
      fail(OTHER_DTYPES.includes(dtype as string)
        ? `tensor '${name}' has dtype ${dtype as string}, which this reader does not load (supported: F32, I32)`
        : `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`bad header: tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isIndex) || (off[0] as number) > (off[1] as number)) {
      fail(`bad header: tensor '${name}' has bad data_offsets ${JSON.stringify(off)} (want [begin, end] with 0 <= begin <= end)`);
    }
    const [begin, end] = off as [number, number];
    const size = ITEM_SIZE[dtype as StDtype];
    const count = elementCount(shape as number[]);
    if (end - begin !== count * size) {
      fail(`tensor '${name}': data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${(shape as number[]).join(", ")}] of ${dtype as string} needs ${count * size}`);
    }
    entries.push({ name, dtype: dtype as StDtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const e of entries) {
    if (e.begin < expect) fail(`tensor '${e.name}' overlaps the previous tensor (it begins at ${e.begin}, the previous ends at ${expect})`);
    if (e.begin > expect) fail(`hole in the byte buffer: bytes [${expect}, ${e.begin}) belong to no tensor (before '${e.name}')`);
    expect = e.end;
  }
  if (expect > buffer.length) fail(`truncated: the tensors need ${expect} data bytes but the file has ${buffer.length}`);
  if (expect < buffer.length) fail(`${buffer.length - expect} trailing bytes after the last tensor`);
  const tensors: Record<string, StTensor> = {};
  for (const e of entries) {
    const copy = buffer.slice(e.begin, e.end); // a fresh, aligned ArrayBuffer
    const count = (e.end - e.begin) / ITEM_SIZE[e.dtype];
    const data = e.dtype === "F32" ? new Float32Array(copy.buffer, 0, count) : new Int32Array(copy.buffer, 0, count);
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data };
  }
  return { tensors, metadata };
}

/** Writes a safetensors file atomically (temp file + rename). */
export function writeSafetensors(file: string, tensors: Record<string, StTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a safetensors file; a missing file is an error that names it. */
export function readSafetensors(file: string): StFile {
  if (!fs.existsSync(file)) throw new SafetensorsError(file, "file does not exist");
  return decodeSafetensors(new Uint8Array(fs.readFileSync(file)), file);
}
