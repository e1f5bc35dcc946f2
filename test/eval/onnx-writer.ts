/**
 * A tiny ONNX model written by hand (protobuf wire format, onnx.proto field numbers) for the
 * tests of the ONNX feature path: Y = Flatten(X) @ W, X: [N, C, H, W] float, W: [C*H*W, D].
 */

/** Protobuf varint of a non-negative integer. */
function varint(n: number): number[] {
  const out: number[] = [];
  let x = n;
  while (x >= 0x80) {
    out.push((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  out.push(x);
  return out;
}

const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: ArrayLike<number>) => [...key(field, 2), ...varint(b.length), ...Array.from(b)];
const str = (field: number, s: string) => bytes(field, Buffer.from(s, "utf8"));
const msg = (field: number, parts: number[]) => bytes(field, parts);

/** ValueInfoProto of a float tensor; a string dim is symbolic (dim_param). */
function valueInfo(field: number, name: string, dims: (number | string)[]): number[] {
  const dimMsgs = dims.flatMap((d) => msg(1, typeof d === "number" ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, 1), ...msg(2, dimMsgs)]; // elem_type FLOAT, shape
  return msg(field, [...str(1, name), ...msg(2, msg(1, tensorType))]);
}

/** The model's bytes (opset 13). `weights` is row-major [inFeatures, outFeatures]. */
export function flattenMatMulModel(shape: [number, number, number], weights: Float32Array, outFeatures: number): Uint8Array {
  const inFeatures = shape[0] * shape[1] * shape[2];
  if (weights.length !== inFeatures * outFeatures) throw new Error(`flattenMatMulModel: weights need ${inFeatures}x${outFeatures} values`);
  const raw = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const initializer = msg(5, [...int(1, inFeatures), ...int(1, outFeatures), ...int(2, 1), ...str(8, "W"), ...bytes(9, raw)]);
  const flatten = msg(1, [...str(1, "X"), ...str(2, "F"), ...str(3, "flatten"), ...str(4, "Flatten"), ...msg(5, [...str(1, "axis"), ...int(3, 1), ...int(20, 2)])]);
  const matmul = msg(1, [...str(1, "F"), ...str(1, "W"), ...str(2, "Y"), ...str(3, "matmul"), ...str(4, "MatMul")]);
  const graph = [...flatten, ...matmul, ...str(2, "tiny-features"), ...initializer, ...valueInfo(11, "X", ["N", ...shape]), ...valueInfo(12, "Y", ["N", outFeatures])];
  return Uint8Array.from([...int(1, 8), ...str(2, "spatialedit-test"), ...msg(7, graph), ...msg(8, [...str(1, ""), ...int(2, 13)])]);
}
