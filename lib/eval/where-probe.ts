/**
 * Does the aligned path's where head (lib/models/editor/aligned.ts) find the object a text names,
 * or only objects? On held-out spatial VQA questions (vqa.ts spatialVqaItems), per item:
 * - `mass`: the head's logits as a softmax over the denoiser's patches, its mass on the patches the
 *   question's objects cover, reading the item's own question;
 * - `otherMass`: the same mass (on the same objects) when the same image is read with another question
 *   of the same scene that is about none of those objects (the control: a head that only finds objects
 *   keeps its mass there; one that reads the question moves it to the other question's objects);
 * - `chance`: the mass a uniform map puts there; `top` / `otherTop`: 1 when the largest patch is one of them.
 * Items whose scene has no question about other objects, or whose objects cover no patch, are left out.
 */
import * as tf from "@tensorflow/tfjs";
import { questionWhereTargets } from "../models/editor/aligned-targets";
import { editorCondition, editorLayout, type Editor } from "../models/editor/model";
import { objectMask } from "../models/editor/train/data";
import { imageBatch } from "../models/editor/train/steps";
import type { VqaItem } from "./vqa";

export interface WhereProbeItem {
  question: string;
  other: string;
  family: string;
  mass: number;
  otherMass: number;
  chance: number;
  top: number;
  otherTop: number;
}

export type WhereProbeSource = Pick<VqaItem, "image" | "question" | "objects" | "mask" | "scene" | "family">;

/** For each item, the index of the first other question of its scene that shares none of its objects (-1: none). */
export function disjointPartners(items: readonly Pick<VqaItem, "scene" | "objects">[]): number[] {
  return items.map((it, i) => items.findIndex((o, j) => j !== i && o.scene === it.scene && o.objects.length > 0 && !o.objects.some((id) => it.objects.includes(id))));
}

/** The where head's softmax [B, N] for images read with texts (one batch). */
function whereSoftmax(e: Editor, images: readonly Float32Array[], texts: readonly string[]): number[][] {
  const m = tf.tidy(() => {
    const c = editorCondition(e, imageBatch(images, e.config.image), editorLayout(e, [...texts]));
    if (c.aligned === null) throw new Error("probeQuestionWhere: the editor computed no aligned path");
    return tf.softmax(c.aligned.where, -1);
  });
  const out = m.arraySync() as number[][];
  m.dispose();
  return out;
}

/** The probe over `items` in batches of `batch`; an error when the editor has no aligned path. */
export function probeQuestionWhere(e: Editor, items: readonly WhereProbeSource[], batch = 32): WhereProbeItem[] {
  if (e.config.aligned !== true || !e.imageTokens) throw new Error("probeQuestionWhere: this editor has no aligned path (config.aligned off, or no image tokens)");
  const partner = disjointPartners(items);
  const used = items.map((_, i) => i).filter((i) => partner[i] >= 0);
  const out: WhereProbeItem[] = [];
  for (let s = 0; s < used.length; s += batch) {
    const idx = used.slice(s, s + batch);
    const images = idx.map((i) => items[i].image);
    const own = whereSoftmax(e, images, idx.map((i) => items[i].question));
    const other = whereSoftmax(e, images, idx.map((i) => items[partner[i]].question));
    const { target, weight } = questionWhereTargets(idx.map((i) => objectMask(items[i].mask, items[i].objects)), e.config);
    const N = own[0].length;
    idx.forEach((i, b) => {
      if (weight[b] === 0) return;
      const on: number[] = Array.from(target.subarray(b * N, (b + 1) * N), (v) => (v > 0 ? 1 : 0));
      const n = on.reduce((a, v) => a + v, 0);
      const massOf = (m: number[]) => m.reduce((a, v, p) => a + v * on[p], 0);
      const topOf = (m: number[]) => on[m.indexOf(Math.max(...m))];
      out.push({ question: items[i].question, other: items[partner[i]].question, family: items[i].family, mass: massOf(own[b]), otherMass: massOf(other[b]), chance: n / N, top: topOf(own[b]), otherTop: topOf(other[b]) });
    });
  }
  if (out.length === 0) throw new Error(`probeQuestionWhere: none of the ${items.length} questions has another question of its scene about other objects`);
  return out;
}

export interface WhereProbeSummary {
  n: number;
  mass: number;
  otherMass: number;
  chance: number;
  top: number;
  otherTop: number;
}

/** Means over the items. */
export function whereProbeSummary(items: readonly WhereProbeItem[]): WhereProbeSummary {
  const mean = (f: (x: WhereProbeItem) => number) => (items.length === 0 ? Number.NaN : items.reduce((s, x) => s + f(x), 0) / items.length);
  return { n: items.length, mass: mean((x) => x.mass), otherMass: mean((x) => x.otherMass), chance: mean((x) => x.chance), top: mean((x) => x.top), otherTop: mean((x) => x.otherTop) };
}
