/**
 * Do the MLLM's [IMG] tokens look at the object a text is about? Per MLLM layer: the [IMG] tokens'
 * attention over the image tokens (grounding.ts imgImageAttention: head and [IMG] mean,
 * renormalised over the image), and its mass on the tokens a pixel mask covers, against a uniform
 * map's mass there. A layer that grounds the text has mass well above uniform.
 * - `probeGrounding`: held-out VQA questions (vqa.ts spatialVqaItems), the mask of the objects each
 *   question is about (what the grounding loss trains on);
 * - `probeEditGrounding`: benchmark edits, the mask of the pixels the exact ground truth changes
 *   (the instructed object, and for a move its new place).
 * Items whose mask is empty are left out.
 */
import * as tf from "@tensorflow/tfjs";
import { groundTargets, imageTokenGrid, imgImageAttention, targetMass } from "../models/editor/grounding";
import { changedPixels } from "../models/editor/losses";
import { editorCondition, editorLayout, type Editor } from "../models/editor/model";
import { editResidual } from "../models/editor/residual";
import { objectMask } from "../models/editor/train/data";
import { imageBatch } from "../models/editor/train/steps";
import type { Benchmark } from "./benchmark-io";
import { signedAtSize } from "./trained-editor";
import type { VqaItem } from "./vqa";

export interface GroundProbe {
  /** Items scored. */
  n: number;
  /** Per layer, the mean mass of the [IMG] attention on the masked tokens. */
  perLayer: number[];
  /** The mean mass a uniform map puts there. */
  uniform: number;
}

/** One batch: images [H*W*3] in [-1, 1], texts, masks [H*W] (nonzero inside) -> per layer the masses of the items with a nonempty mask, and their uniform masses. */
function batchMasses(e: Editor, images: readonly Float32Array[], texts: readonly string[], masks: readonly ArrayLike<number>[]): { perLayer: number[][]; uniform: number[] } {
  const size = e.config.image;
  const layout = editorLayout(e, [...texts]);
  const { count: Ni, grid } = imageTokenGrid(layout);
  const { target, weight } = groundTargets(masks, size, grid);
  const stacked = tf.tidy(() => tf.stack(editorCondition(e, imageBatch(images, size), layout, true).mllm.attention.map((a) => imgImageAttention(a, layout)))); // [L, B, Ni]
  const [L, B] = stacked.shape;
  const all = stacked.dataSync();
  stacked.dispose();
  const keep = (xs: number[]) => xs.filter((_, b) => weight[b] > 0);
  const layers = Array.from({ length: L }, (_, l) => targetMass(all.subarray(l * B * Ni, (l + 1) * B * Ni), target, Ni));
  return { perLayer: layers.map((r) => keep(r.mass)), uniform: keep(layers[0].uniform) };
}

/** Means over batches of `batch` items. */
function probeBatches<T>(e: Editor, items: readonly T[], batch: number, read: (xs: readonly T[]) => { images: Float32Array[]; texts: string[]; masks: ArrayLike<number>[] }): GroundProbe {
  if (!e.imageTokens) throw new Error("probeGrounding: this editor reads no image tokens (the LGIE-like variant)");
  let sums: number[] = [];
  let uniform = 0;
  let n = 0;
  for (let i = 0; i < items.length; i += batch) {
    const r = read(items.slice(i, i + batch));
    const m = batchMasses(e, r.images, r.texts, r.masks);
    if (sums.length === 0) sums = m.perLayer.map(() => 0);
    m.perLayer.forEach((xs, l) => (sums[l] += xs.reduce((s, v) => s + v, 0)));
    uniform += m.uniform.reduce((s, v) => s + v, 0);
    n += m.uniform.length;
  }
  if (n === 0) throw new Error(`probeGrounding: none of the ${items.length} items has a nonempty mask`);
  return { n, perLayer: sums.map((s) => s / n), uniform: uniform / n };
}

/** The probe on held-out VQA questions: the [IMG] attention's mass on the objects each question is about. */
export function probeGrounding(e: Editor, items: readonly Pick<VqaItem, "image" | "question" | "objects" | "mask">[], batch = 32): GroundProbe {
  return probeBatches(e, items, batch, (xs) => ({ images: xs.map((x) => x.image), texts: xs.map((x) => x.question), masks: xs.map((x) => objectMask(x.mask, x.objects)) }));
}

/** The probe on benchmark edits: the [IMG] attention's mass on the pixels the exact ground truth changes. */
export function probeEditGrounding(e: Editor, bench: Pick<Benchmark, "items">, batch = 32): GroundProbe {
  const size = e.config.image;
  return probeBatches(e, bench.items, batch, (xs) => {
    const images = xs.map((it) => signedAtSize(it.source, size));
    const changed = tf.tidy(() => changedPixels(editResidual(imageBatch(xs.map((it) => signedAtSize(it.truth, size)), size), imageBatch(images, size)))); // [B, H, W, 1]
    const flat = changed.dataSync();
    changed.dispose();
    return { images, texts: xs.map((it) => it.instruction), masks: xs.map((_, b) => flat.subarray(b * size * size, (b + 1) * size * size)) };
  });
}
