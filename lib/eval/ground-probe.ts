/**
 * Do the MLLM's [IMG] tokens look at the object a question is about? On held-out VQA questions
 * (vqa.ts spatialVqaItems: each names its objects and carries the scene's instance mask), per MLLM
 * layer: the [IMG] tokens' attention over the image tokens (grounding.ts imgImageAttention: head and
 * [IMG] mean, renormalised over the image), and its mass on the tokens the question's objects cover,
 * against a uniform map's mass there. A layer that grounds the question has mass well above uniform.
 * Questions whose objects are not visible are left out.
 */
import * as tf from "@tensorflow/tfjs";
import { groundTargets, imgImageAttention, targetMass } from "../models/editor/grounding";
import { editorCondition, editorLayout, type Editor } from "../models/editor/model";
import { objectMask } from "../models/editor/train/data";
import { imageBatch } from "../models/editor/train/steps";
import type { VqaItem } from "./vqa";

export interface GroundProbe {
  /** Questions scored. */
  n: number;
  /** Per layer, the mean mass of the [IMG] attention on the question's objects' tokens. */
  perLayer: number[];
  /** The mean mass a uniform map puts there. */
  uniform: number;
}

/** The grounding probe on `items` (batches of `batch`); an error for an editor without image tokens or with no usable item. */
export function probeGrounding(e: Editor, items: readonly Pick<VqaItem, "image" | "question" | "objects" | "mask">[], batch = 32): GroundProbe {
  if (!e.imageTokens) throw new Error("probeGrounding: this editor reads no image tokens (the LGIE-like variant)");
  const size = e.config.image;
  const usable = items.filter((it) => it.objects.some((id) => it.mask.includes(id)));
  if (usable.length === 0) throw new Error(`probeGrounding: none of the ${items.length} questions has a visible object`);
  let sums: number[] = [];
  let uniform = 0;
  for (let i = 0; i < usable.length; i += batch) {
    const chunk = usable.slice(i, i + batch);
    const layout = editorLayout(e, chunk.map((it) => it.question));
    const Ni = layout.items[0].image.end - layout.items[0].image.start;
    const { target } = groundTargets(chunk.map((it) => objectMask(it.mask, it.objects)), size, Math.round(Math.sqrt(Ni)));
    const stacked = tf.tidy(() => tf.stack(editorCondition(e, imageBatch(chunk.map((it) => it.image), size), layout, true).mllm.attention.map((a) => imgImageAttention(a, layout)))); // [L, B, Ni]
    const L = stacked.shape[0];
    const all = stacked.dataSync();
    stacked.dispose();
    if (sums.length === 0) sums = new Array<number>(L).fill(0);
    const per = chunk.length * Ni;
    sums.forEach((_, l) => {
      const r = targetMass(all.subarray(l * per, (l + 1) * per), target, Ni);
      sums[l] += r.mass.reduce((s, v) => s + v, 0);
      if (l === 0) uniform += r.uniform.reduce((s, v) => s + v, 0);
    });
  }
  return { n: usable.length, perLayer: sums.map((s) => s / usable.length), uniform: uniform / usable.length };
}
