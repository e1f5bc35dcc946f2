/**
 * Reading a dataset for training: records of metadata.jsonl streamed as batches of tensors.
 * Images are decoded from PNG (`png.ts`: corrupt or truncated files are an error naming the file
 * and the record), scaled to [0, 1] and stacked as float32 [B, H, W, 3]. The caller owns the
 * tensors of each batch and must `disposeBatch` them (the stream itself keeps none alive).
 */
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../core/rng";
import { decodePng } from "./png";
import { needFile, readMetadata, ReadMetadataOptions, SPLIT_DIR } from "./writer";

export interface Batch {
  /** Source images [B, H, W, 3] in [0, 1]. */
  source: tf.Tensor4D;
  /** Edited images [B, H, W, 3] (edit datasets) or null (VQA). */
  target: tf.Tensor4D | null;
  /** The metadata records of the batch, in order. */
  records: Record<string, unknown>[];
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle record order with this seed (default: file order). */
  shuffleSeed?: number;
  /** Keep the last, smaller batch (default true). */
  keepLast?: boolean;
  /** An unfinished dataset: warn (default), error or quiet (see readMetadata). */
  unfinished?: ReadMetadataOptions["unfinished"];
}

function loadImage(dir: string, rel: unknown, rec: number): Float32Array & { w?: number; h?: number } {
  if (typeof rel !== "string") throw new Error(`readBatches: record ${rec} has no image file name`);
  const file = path.join(dir, SPLIT_DIR, rel);
  if (!fs.existsSync(file)) throw new Error(`readBatches: record ${rec}: image ${file} does not exist`);
  needFile(file, `readBatches: record ${rec}: image`);
  const img = decodePng(fs.readFileSync(file), `${file} (record ${rec})`);
  const out = new Float32Array(img.data.length) as Float32Array & { w?: number; h?: number };
  for (let i = 0; i < img.data.length; i++) out[i] = img.data[i] / 255;
  out.w = img.width;
  out.h = img.height;
  return out;
}

function stack(images: (Float32Array & { w?: number; h?: number })[], what: string): tf.Tensor4D {
  const w = images[0].w!;
  const h = images[0].h!;
  for (const im of images) if (im.w !== w || im.h !== h) throw new Error(`readBatches: ${what} images of one batch differ in size (${w}x${h} vs ${im.w}x${im.h})`);
  const data = new Float32Array(images.length * h * w * 3);
  images.forEach((im, i) => data.set(im, i * h * w * 3));
  return tf.tensor4d(data, [images.length, h, w, 3]); // [B, H, W, 3]
}

/** Streams batches of a dataset folder (one written by `DatasetWriter`). */
export function* readBatches(dir: string, options: BatchOptions): Generator<Batch> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`readBatches: batchSize must be an integer >= 1, got ${options.batchSize}`);
  let records = readMetadata(dir, { unfinished: options.unfinished });
  if (options.shuffleSeed !== undefined) records = new Rng(options.shuffleSeed).shuffle(records);
  const keepLast = options.keepLast ?? true;
  for (let s = 0; s < records.length; s += options.batchSize) {
    const recs = records.slice(s, s + options.batchSize);
    if (recs.length < options.batchSize && !keepLast) break;
    const src = recs.map((r, i) => loadImage(dir, r.file_name, s + i));
    const hasTarget = recs.every((r) => typeof r.edited_file_name === "string");
    const tgt = hasTarget ? recs.map((r, i) => loadImage(dir, r.edited_file_name, s + i)) : null;
    const source = stack(src, "source");
    let target: tf.Tensor4D | null = null;
    try {
      target = tgt ? stack(tgt, "edited") : null;
    } catch (e) {
      source.dispose();
      throw e;
    }
    yield { source, target, records: recs };
  }
}

/** Disposes the tensors of a batch. */
export function disposeBatch(b: Batch): void {
  b.source.dispose();
  b.target?.dispose();
}
