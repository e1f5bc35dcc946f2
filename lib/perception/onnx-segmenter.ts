/**
 * Box-prompted masks from a user-supplied SAM-style ONNX pair (the paper's Grounded-SAM,
 * §5.1.1): an image encoder run once per image and a prompt decoder run once per box.
 * Numbered steps:
 *   1. encoder: resize the longer side to the encoder's input size S, pad right/bottom with
 *      zeros, normalise with SAM's pixel mean/std (0..255 units), channel-first [1, 3, S, S];
 *   2. decoder per box: the box as two points in the encoder's frame, labels 2 (top-left) and 3
 *      (bottom-right), SAM's convention; optional inputs `mask_input` (zeros), `has_mask_input`
 *      (0) and `orig_im_size` (the image size) are fed when the model declares them;
 *   3. of the M candidate masks [1, M, h, w] the one with the highest `iou_predictions` wins;
 *      a mask of the image's size is used as is, any other size is read as covering the padded
 *      S x S frame; logits > 0 are the object, kept inside the box grown by `boxMargin`.
 */
import type { RgbImage } from "../engine/types";
import { checkRgb } from "../engine/image-io";
import type { Box } from "./boxes";
import type { BoxMask } from "./box-segment";
import { checkOptionKeys, floatTensor, openOnnxModel, runOnnx } from "./onnx-model";
import type { OnnxModel } from "./onnx-model";

export interface OnnxSegmenterOptions {
  encoderInput: string;
  encoderOutput: string;
  embeddingsInput: string;
  coordsInput: string;
  labelsInput: string;
  masksOutput: string;
  scoresOutput: string;
  /** Used when the encoder's input size is symbolic (SAM: 1024). */
  inputSize: number;
  /** Pixel mean and std in 0..255 units. */
  mean: [number, number, number];
  std: [number, number, number];
  /** The mask is kept inside the box grown by this fraction of its size on each side. */
  boxMargin: number;
}

export const SAM_DEFAULTS: OnnxSegmenterOptions = {
  encoderInput: "image",
  encoderOutput: "image_embeddings",
  embeddingsInput: "image_embeddings",
  coordsInput: "point_coords",
  labelsInput: "point_labels",
  masksOutput: "masks",
  scoresOutput: "iou_predictions",
  inputSize: 1024,
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
  boxMargin: 0.1,
};

export interface OnnxSegmenter {
  readonly name: "onnx-sam";
  readonly encoder: OnnxModel;
  readonly decoder: OnnxModel;
  /** Masks for the boxes of one image (the encoder runs once). */
  segment(image: RgbImage, boxes: readonly Box[]): Promise<BoxMask[]>;
  release(): Promise<void>;
}

/** Opens and checks a SAM-style encoder/decoder pair of ONNX files. */
export async function loadOnnxSegmenter(encoderFile: string | Uint8Array, decoderFile: string | Uint8Array, options: Partial<OnnxSegmenterOptions> = {}): Promise<OnnxSegmenter> {
  checkOptionKeys(options, SAM_DEFAULTS, "loadOnnxSegmenter");
  const o: OnnxSegmenterOptions = { ...SAM_DEFAULTS, ...options };
  const encoder = await openOnnxModel(
    encoderFile,
    { inputs: [{ name: o.encoderInput, type: "float32", dims: [1, 3, null, null] }], outputs: [{ name: o.encoderOutput, type: "float32", dims: [1, null, null, null] }] },
    "loadOnnxSegmenter (encoder)",
  );
  let decoder: OnnxModel;
  try {
    decoder = await openOnnxModel(
      decoderFile,
      {
        inputs: [
          { name: o.embeddingsInput, type: "float32", dims: [1, null, null, null] },
          { name: o.coordsInput, type: "float32", dims: [1, null, 2] },
          { name: o.labelsInput, type: "float32", dims: [1, null] },
          { name: "mask_input", type: "float32", dims: [1, 1, null, null], optional: true },
          { name: "has_mask_input", type: "float32", dims: [1], optional: true },
          { name: "orig_im_size", type: "float32", dims: [2], optional: true },
        ],
        outputs: [
          { name: o.masksOutput, type: "float32", dims: [1, null, null, null] },
          { name: o.scoresOutput, type: "float32", dims: [1, null] },
        ],
      },
      "loadOnnxSegmenter (decoder)",
    );
  } catch (e) {
    await encoder.session.release();
    throw e;
  }
  const shape = encoder.inputs[o.encoderInput];
  const S = typeof shape[2] === "number" ? shape[2] : o.inputSize;
  if (typeof shape[3] === "number" && shape[3] !== S) throw new Error(`loadOnnxSegmenter: the encoder input must be square, got [${shape.join(", ")}]`);
  return {
    name: "onnx-sam",
    encoder,
    decoder,
    async segment(image, boxes) {
      checkRgb(image, "OnnxSegmenter.segment");
      const W = image.width;
      const H = image.height;
      // 1. encoder input: longer side -> S, zero padding, SAM normalisation
      const s = S / Math.max(W, H);
      const iw = Math.max(1, Math.round(W * s));
      const ih = Math.max(1, Math.round(H * s));
      const planes = new Float32Array(3 * S * S); // [3, S, S]
      for (let y = 0; y < ih; y++) {
        const v = Math.min(H - 1, Math.floor((y + 0.5) / s));
        for (let x = 0; x < iw; x++) {
          const u = Math.min(W - 1, Math.floor((x + 0.5) / s));
          for (let c = 0; c < 3; c++) planes[c * S * S + y * S + x] = (image.data[(v * W + u) * 3 + c] - o.mean[c]) / o.std[c];
        }
      }
      const emb = (await runOnnx(encoder, { [o.encoderInput]: floatTensor(planes, [1, 3, S, S]) }, [o.encoderOutput], "OnnxSegmenter.segment (encoder)"))[o.encoderOutput];
      const out: BoxMask[] = [];
      for (const b of boxes) {
        // 2. box prompt
        const feeds: Record<string, ReturnType<typeof floatTensor>> = {
          [o.embeddingsInput]: floatTensor(emb.data, emb.dims),
          [o.coordsInput]: floatTensor(Float32Array.from([b[0] * s, b[1] * s, b[2] * s, b[3] * s]), [1, 2, 2]),
          [o.labelsInput]: floatTensor(Float32Array.from([2, 3]), [1, 2]),
        };
        if ("mask_input" in decoder.inputs) {
          const ms = decoder.inputs.mask_input.map((d) => (typeof d === "number" ? d : 256));
          feeds.mask_input = floatTensor(new Float32Array(ms.reduce((a, c) => a * c, 1)), ms);
        }
        if ("has_mask_input" in decoder.inputs) feeds.has_mask_input = floatTensor(Float32Array.from([0]), [1]);
        if ("orig_im_size" in decoder.inputs) feeds.orig_im_size = floatTensor(Float32Array.from([H, W]), [2]);
        const res = await runOnnx(decoder, feeds, [o.masksOutput, o.scoresOutput], "OnnxSegmenter.segment (decoder)");
        // 3. best candidate, back to image pixels, inside the grown box
        const m = res[o.masksOutput];
        const [, M, mh, mw] = m.dims; // [1, M, h, w]
        let best = 0;
        for (let k = 1; k < M; k++) if (res[o.scoresOutput].data[k] > res[o.scoresOutput].data[best]) best = k;
        const plane = m.data.subarray(best * mh * mw, (best + 1) * mh * mw);
        const full = mh === H && mw === W;
        const gx = o.boxMargin * (b[2] - b[0]);
        const gy = o.boxMargin * (b[3] - b[1]);
        const u0 = Math.max(0, Math.floor(b[0] - gx));
        const u1 = Math.min(W, Math.ceil(b[2] + gx));
        const v0 = Math.max(0, Math.floor(b[1] - gy));
        const v1 = Math.min(H, Math.ceil(b[3] + gy));
        const pixels: number[] = [];
        for (let v = v0; v < v1; v++) {
          const my = full ? v : Math.min(mh - 1, Math.floor(((v + 0.5) * s * mh) / S));
          for (let u = u0; u < u1; u++) {
            const mx = full ? u : Math.min(mw - 1, Math.floor(((u + 0.5) * s * mw) / S));
            if (plane[my * mw + mx] > 0) pixels.push(v * W + u);
          }
        }
        out.push({ pixels: Int32Array.from(pixels), emptyReason: pixels.length === 0 ? "the segmenter's best mask has no positive logit inside the box" : null });
      }
      return out;
    },
    async release() {
      await encoder.session.release();
      await decoder.session.release();
    },
  };
}
