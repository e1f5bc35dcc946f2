import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, readSafetensors, SafetensorsError, writeSafetensors, type StTensor } from "../../lib/train/safetensors";

/** A file built by hand from the format description: u64 LE header length, JSON header, LE data. */
function handBuilt(header: string, data: number[][], kinds: ("f32" | "i32")[]): Uint8Array {
  const head = new TextEncoder().encode(header);
  const n = data.reduce((s, d) => s + 4 * d.length, 0);
  const out = new Uint8Array(8 + head.length + n);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length, true); // low word of the u64
  view.setUint32(4, 0, true); // high word
  out.set(head, 8);
  let at = 8 + head.length;
  data.forEach((d, k) => {
    for (const v of d) {
      if (kinds[k] === "f32") view.setFloat32(at, v, true);
      else view.setInt32(at, v, true);
      at += 4;
    }
  });
  return out;
}

const HAND_HEADER =
  '{"__metadata__":{"format":"pt","note":"hand"},' +
  '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
  '"ids":{"dtype":"I32","shape":[3],"data_offsets":[16,28]}}';

function header(entries: Record<string, unknown>): string {
  return JSON.stringify(entries);
}

describe("safetensors", () => {
  it("reads a file built by hand from the format description", () => {
    const bytes = handBuilt(HAND_HEADER, [[1.5, -2, 0.25, 3], [7, -1, 2147483647]], ["f32", "i32"]);
    const f = decodeSafetensors(bytes, "hand.safetensors");
    expect(f.metadata).toEqual({ format: "pt", note: "hand" });
    expect(f.tensors.w.dtype).toBe("F32");
    expect(f.tensors.w.shape).toEqual([2, 2]);
    expect(Array.from(f.tensors.w.data)).toEqual([1.5, -2, 0.25, 3]);
    expect(f.tensors.ids.dtype).toBe("I32");
    expect(Array.from(f.tensors.ids.data)).toEqual([7, -1, 2147483647]);
  });

  it("writes the layout of the format: LE length, '{' header padded to 8 bytes, LE data in name order", () => {
    const bytes = encodeSafetensors(
      { b: { dtype: "I32", shape: [1], data: new Int32Array([-2]) }, a: { dtype: "F32", shape: [1], data: new Float32Array([1.5]) } },
      { k: "v" },
    );
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    expect(bytes[8]).toBe(0x7b);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe('{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}}');
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    // 1.5f = 0x3FC00000, little-endian; then -2 as int32
    expect(Array.from(bytes.subarray(8 + n))).toEqual([0x00, 0x00, 0xc0, 0x3f, 0xfe, 0xff, 0xff, 0xff]);
  });

  it("round-trips F32 and I32 tensors, scalars, empty tensors and metadata through a file", () => {
    const tensors: Record<string, StTensor> = {
      "blocks.0.attn.q.w": { dtype: "F32", shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 1e3) },
      scalar: { dtype: "F32", shape: [], data: new Float32Array([Math.PI]) },
      empty: { dtype: "F32", shape: [0, 5], data: new Float32Array(0) },
      step: { dtype: "I32", shape: [2], data: new Int32Array([-5, 123456]) },
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "st-")), "x.safetensors");
    writeSafetensors(file, tensors, { step: "4" });
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ step: "4" });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      expect(back.tensors[k].dtype).toBe(t.dtype);
      expect(back.tensors[k].shape).toEqual(t.shape);
      expect(Array.from(back.tensors[k].data)).toEqual(Array.from(t.data));
    }
  });

  const good = (): Uint8Array => handBuilt(HAND_HEADER, [[1, 2, 3, 4], [5, 6, 7]], ["f32", "i32"]);
  const cases: [string, () => Uint8Array, string][] = [
    ["fewer than 8 bytes", () => new Uint8Array(5), "truncated: 5 bytes, fewer than the 8-byte header length"],
    ["a header longer than the file", () => good().subarray(0, 40), "truncated: the header needs"],
    ["data cut short", () => good().subarray(0, good().length - 2), "truncated: the tensors need 28 data bytes but the file has 26"],
    ["trailing bytes", () => new Uint8Array([...good(), 0, 0, 0, 0]), "4 trailing bytes after the last tensor"],
    ["a header that is not JSON", () => handBuilt("{not json}", [], []), "bad header: invalid JSON"],
    ["a header that is not an object", () => handBuilt("[1,2]", [], []), "bad header: it must be a JSON object starting with '{'"],
    ["a huge header length", () => { const b = good(); new DataView(b.buffer).setUint32(4, 1, true); return b; }, "exceeds the 100000000-byte limit"],
    [
      "overlapping offsets",
      () => handBuilt(header({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }), [[1, 2, 3]], ["f32"]),
      "tensor 'b' overlaps the previous tensor (it begins at 4, the previous ends at 8)",
    ],
    [
      "a hole in the buffer",
      () => handBuilt(header({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }), [[1, 2, 3]], ["f32"]),
      "hole in the byte buffer: bytes [4, 8) belong to no tensor",
    ],
    ["a dtype we do not load", () => handBuilt(header({ h: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }), [[0]], ["i32"]), "tensor 'h' has dtype F16, which this reader does not load (supported: F32, I32)"],
    ["an unknown dtype", () => handBuilt(header({ h: { dtype: "Q4", shape: [1], data_offsets: [0, 4] } }), [[0]], ["i32"]), 'tensor \'h\' has unknown dtype "Q4"'],
    ["a size that does not fit the shape", () => handBuilt(header({ a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 8] } }), [[1, 2]], ["f32"]), "hold 8 bytes but shape [2, 2] of F32 needs 16"],
    ["metadata that is not a string", () => handBuilt(header({ __metadata__: { step: 4 } }), [], []), "'__metadata__.step' must be a string, got 4"],
    ["an unknown entry key", () => handBuilt(header({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4], extra: 1 } }), [[1]], ["f32"]), "entry 'a' has unknown keys extra"],
  ];
  for (const [what, bytes, message] of cases) {
    it(`refuses ${what} with an error naming the file`, () => {
      let err: unknown;
      try {
        decodeSafetensors(bytes(), "bad.safetensors");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as Error).message).toContain("safetensors 'bad.safetensors': ");
      expect((err as Error).message).toContain(message);
    });
  }

  it("names a missing file, and refuses to write data that does not fit its shape", () => {
    expect(() => readSafetensors("/nonexistent/model.safetensors")).toThrow("safetensors '/nonexistent/model.safetensors': file does not exist");
    expect(() => encodeSafetensors({ a: { dtype: "F32", shape: [3], data: new Float32Array(2) } })).toThrow("has shape [3] (3 elements) but 2 values");
    expect(() => encodeSafetensors({ a: { dtype: "F32", shape: [1], data: new Int32Array(1) } })).toThrow("is F32 but its data is a Int32Array");
  });
});
