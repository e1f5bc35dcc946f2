/**
 * A tiny ONNX writer for tests: protobuf encoding of ModelProto with just the fields a small
 * graph needs (ir_version, opset_import, graph: nodes with int/ints/float attributes, inputs and
 * outputs with tensor types and fixed or symbolic dims, float initializers). So the ONNX paths
 * are tested on models the project makes itself, without Python.
 * Field numbers from onnx.proto: ModelProto{ir_version=1, producer_name=2, graph=7, opset_import=8};
 * OperatorSetIdProto{domain=1, version=2}; GraphProto{node=1, name=2, initializer=5, input=11,
 * output=12}; NodeProto{input=1, output=2, name=3, op_type=4, attribute=5}; AttributeProto{name=1,
 * f=2, i=3, ints=8, type=20}; ValueInfoProto{name=1, type=2}; TypeProto{tensor_type=1};
 * TypeProto.Tensor{elem_type=1, shape=2}; TensorShapeProto{dim=1}; Dimension{dim_value=1,
 * dim_param=2}; TensorProto{dims=1, data_type=2, float_data=4, name=8}.
 */

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

function varint(value: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const vField = (field: number, value: number | bigint) => [...key(field, 0), ...varint(value)];
const bytesField = (field: number, bytes: number[]) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const strField = (field: number, s: string) => bytesField(field, [...Buffer.from(s, "utf8")]);
const f32 = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];

export type Attr = { name: string; int: number } | { name: string; ints: number[] } | { name: string; float: number };
export interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}
export interface ValueDef {
  name: string;
  elemType: number;
  /** number = fixed size, string = symbolic dimension. */
  dims: (number | string)[];
}
export interface InitDef {
  name: string;
  dims: number[];
  values: number[];
}
export interface GraphDef {
  nodes: NodeDef[];
  inputs: ValueDef[];
  outputs: ValueDef[];
  initializers?: InitDef[];
  opset?: number;
}

function attribute(a: Attr): number[] {
  if ("int" in a) return [...strField(1, a.name), ...vField(3, a.int), ...vField(20, 2)];
  if ("float" in a) return [...strField(1, a.name), ...key(2, 5), ...f32(a.float), ...vField(20, 1)];
  return [...strField(1, a.name), ...a.ints.flatMap((x) => vField(8, x)), ...vField(20, 7)];
}

function node(n: NodeDef, index: number): number[] {
  return [
    ...n.inputs.flatMap((s) => strField(1, s)),
    ...n.outputs.flatMap((s) => strField(2, s)),
    ...strField(3, `${n.op.toLowerCase()}_${index}`),
    ...strField(4, n.op),
    ...(n.attrs ?? []).flatMap((a) => bytesField(5, attribute(a))),
  ];
}

function valueInfo(v: ValueDef): number[] {
  const dims = v.dims.flatMap((d) => bytesField(1, typeof d === "number" ? vField(1, d) : strField(2, d)));
  const tensorType = [...vField(1, v.elemType), ...bytesField(2, dims)];
  return [...strField(1, v.name), ...bytesField(2, bytesField(1, tensorType))];
}

function initializer(t: InitDef): number[] {
  return [...t.dims.flatMap((d) => vField(1, d)), ...vField(2, ONNX_FLOAT), ...bytesField(4, t.values.flatMap(f32)), ...strField(8, t.name)];
}

/** The bytes of an ONNX model with one graph (default opset 13, IR version 8). */
export function onnxModel(g: GraphDef): Uint8Array {
  const graph = [
    ...g.nodes.flatMap((n, i) => bytesField(1, node(n, i))),
    ...strField(2, "test_graph"),
    ...(g.initializers ?? []).flatMap((t) => bytesField(5, initializer(t))),
    ...g.inputs.flatMap((v) => bytesField(11, valueInfo(v))),
    ...g.outputs.flatMap((v) => bytesField(12, valueInfo(v))),
  ];
  const opset = [...strField(1, ""), ...vField(2, g.opset ?? 13)];
  return Uint8Array.from([...vField(1, 8), ...strField(2, "spatialedit-test"), ...bytesField(7, graph), ...bytesField(8, opset)]);
}

/**
 * A depth model of known output: predicted_depth[1, H, W] = mean over the 3 normalised input
 * channels + `offset`. Input `inputName` [1, 3, H, W] (H, W fixed numbers or symbolic names).
 */
export function meanDepthModel(
  opts: { inputName?: string; outputName?: string; size?: (number | string)[]; offset?: number; elemType?: number; channels?: number } = {},
): Uint8Array {
  const inputName = opts.inputName ?? "pixel_values";
  const outputName = opts.outputName ?? "predicted_depth";
  const [h, w] = opts.size ?? [8, 8];
  const elemType = opts.elemType ?? ONNX_FLOAT;
  // a non-float input is cast to float first (the model is still valid ONNX, just the wrong type for us)
  const cast: NodeDef[] = elemType === ONNX_FLOAT ? [] : [{ op: "Cast", inputs: [inputName], outputs: ["x"], attrs: [{ name: "to", int: ONNX_FLOAT }] }];
  return onnxModel({
    nodes: [
      ...cast,
      { op: "ReduceMean", inputs: [cast.length ? "x" : inputName], outputs: ["m"], attrs: [{ name: "axes", ints: [1] }, { name: "keepdims", int: 0 }] },
      { op: "Add", inputs: ["m", "offset"], outputs: [outputName] },
    ],
    initializers: [{ name: "offset", dims: [], values: [opts.offset ?? 5] }],
    inputs: [{ name: inputName, elemType, dims: opts.channels === undefined ? [1, 3, h, w] : [1, opts.channels, h, w] }],
    outputs: [{ name: outputName, elemType: ONNX_FLOAT, dims: [1, h, w] }],
  });
}

/**
 * A SAM-style pair of known outputs: the encoder's embeddings [1, 1, S, S] are the channel mean
 * of the normalised image; the decoder's single mask [1, 1, S, S] is embeddings - `threshold`
 * (positive where the image is brighter than the threshold) and its iou prediction [1, 1] is the
 * mean point label. The decoder takes the point prompts but ignores them.
 */
export function meanSamModels(S = 16, threshold = 0): { encoder: Uint8Array; decoder: Uint8Array } {
  const encoder = onnxModel({
    nodes: [{ op: "ReduceMean", inputs: ["image"], outputs: ["image_embeddings"], attrs: [{ name: "axes", ints: [1] }, { name: "keepdims", int: 1 }] }],
    inputs: [{ name: "image", elemType: ONNX_FLOAT, dims: [1, 3, S, S] }],
    outputs: [{ name: "image_embeddings", elemType: ONNX_FLOAT, dims: [1, 1, S, S] }],
  });
  const decoder = onnxModel({
    nodes: [
      { op: "Sub", inputs: ["image_embeddings", "thr"], outputs: ["masks"] },
      { op: "ReduceMean", inputs: ["point_labels"], outputs: ["iou_predictions"], attrs: [{ name: "axes", ints: [1] }, { name: "keepdims", int: 1 }] },
      { op: "ReduceMean", inputs: ["point_coords"], outputs: ["unused"], attrs: [{ name: "keepdims", int: 0 }] },
    ],
    initializers: [{ name: "thr", dims: [], values: [threshold] }],
    inputs: [
      { name: "image_embeddings", elemType: ONNX_FLOAT, dims: [1, 1, S, S] },
      { name: "point_coords", elemType: ONNX_FLOAT, dims: [1, "n", 2] },
      { name: "point_labels", elemType: ONNX_FLOAT, dims: [1, "n"] },
    ],
    outputs: [
      { name: "masks", elemType: ONNX_FLOAT, dims: [1, 1, S, S] },
      { name: "iou_predictions", elemType: ONNX_FLOAT, dims: [1, 1] },
    ],
  });
  return { encoder, decoder };
}
