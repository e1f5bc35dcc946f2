/**
 * Does the where head choose the object the edit changes, when it chooses among whole objects (the `object`
 * gate decoding, lib/models/editor/gate-decode.ts)? Per benchmark item whose truth changes a patch: the objects the
 * engine perceives in the source (object-regions.ts), the one `pickObject` takes from the where logits (with an object
 * head, editor config alignedObjects, the head's choice, object-head.ts), and the one the
 * truth changes most (the largest coverage of the changed patches). `correct` is 1 when they are the same, `chance`
 * 1 / the number of objects (a uniform pick). Items where no perceived object touches a changed patch (an edit of an
 * object the perception misses) are left out and counted.
 */
import * as tf from "@tensorflow/tfjs";
import { pickObject } from "../models/editor/gate-decode";
import { editorParams, type Editor, type editorCondition } from "../models/editor/model";
import { bestObjects, objectInputs, objectScores } from "../models/editor/object-head";
import { answerQuestions } from "../models/editor/pipeline";
import { chooseBySaidShape } from "../models/editor/shape-check";
import type { Scene } from "../world/types";
import { patchReads } from "./edit-map-probe";
import { meansByKind, type KindMeanRow } from "./kind-means";
import { changedObject, perceiveObjects } from "./object-regions";
import { nearestMask, signedAtSize } from "./trained-editor";

export { changedObject };
import type { ProbeItem } from "./probe-items";

export interface ObjectChoiceItem {
  item: string;
  kind: string;
  family: string;
  objects: number;
  /** The object the where head takes, and the one the truth changes most (indices into the perceived objects). */
  chosen: number;
  changed: number;
  correct: number;
  chance: number;
}

/** The probe's items, and how many were left out because no perceived object touches a changed patch. */
export interface ObjectChoiceProbe {
  items: ObjectChoiceItem[];
  missed: number;
}

/**
 * The where head's object choice on `bench` (each item with its source scene, for the camera), batches of `batch`; with
 * `shapeCheck` (an editor with an object head and a shape reader) the object head's choice
 * weighed by the shape its language condition says, as the pipeline option shapeCheck chooses (shape-check.ts).
 */
export function probeObjectChoice(e: Editor, bench: { items: readonly (ProbeItem & { sourceScene: Scene })[] }, batch = 32, shapeCheck = false): ObjectChoiceProbe {
  if (e.config.aligned !== true || !e.imageTokens) throw new Error("probeObjectChoice: this editor has no aligned path (config.aligned off, or no image tokens)");
  const grid = e.config.image / e.config.dnPatch;
  const indexOf = new Map(bench.items.map((it, i) => [it.id, i]));
  const items: ObjectChoiceItem[] = [];
  let missed = 0;
  const seen = bench.items.map((it) => perceiveObjects(it.source, it.sourceScene.camera, grid)); // perceived at the source's own resolution, on the editor's patch grid
  const regionsOf = seen.map((x) => x.regions);
  const check = shapeCheck ? shapeCheckInputs(e, bench.items, seen.map((x) => x.masks), batch) : null;
  const headPick = new Map<string, number>(); // with the object head (alignedObjects): its choice per item, in place of pickObject's
  const read = (c: ReturnType<typeof editorCondition>, start: number) => {
    if (e.config.alignedObjects !== undefined) {
      const B = c.aligned!.where.shape[0];
      const inp = objectInputs(regionsOf.slice(start, start + B), c.aligned!.where.shape[1]);
      const scores = objectScores(editorParams(e), e.config, c.aligned!, inp);
      const picks = check === null ? bestObjects(scores, inp) : chooseBySaidShape(e.shapeReader!, scores.arraySync(), check.images.slice(start, start + B), check.masks.slice(start, start + B), check.conditions.slice(start, start + B));
      picks.forEach((r, b) => headPick.set(bench.items[start + b].id, r));
    }
    return tf.clone(c.aligned!.where) as tf.Tensor2D;
  };
  for (const r of patchReads(e, bench, batch, read)) {
    const regions = regionsOf[indexOf.get(r.item)!];
    const target = changedObject(regions, r.changed);
    if (target < 0) {
      missed++;
      continue;
    }
    const chosen = headPick.get(r.item) ?? pickObject(r.values, regions);
    items.push({ item: r.item, kind: r.kind, family: r.family, objects: regions.length, chosen, changed: target, correct: chosen === target ? 1 : 0, chance: 1 / regions.length });
  }
  return { items, missed };
}

/**
 * Per item, what the shape check reads at the editor's size: the source resized, each object's mask resampled by the nearest
 * pixel (as the pipeline's extras are made), and the language condition the editor writes (in batches of `batch`).
 */
function shapeCheckInputs(e: Editor, items: readonly ProbeItem[], masks: readonly Uint8Array[][], batch: number): { images: Float32Array[]; masks: Uint8Array[][]; conditions: string[] } {
  if (e.shapeReader === undefined || e.config.alignedObjects === undefined) throw new Error("probeObjectChoice: the shape check needs an editor with an object head and a shape reader (Editor.shapeReader)");
  const size = e.config.image;
  const images = items.map((it) => signedAtSize(it.source, size));
  const conditions: string[] = [];
  for (let a = 0; a < items.length; a += batch) conditions.push(...answerQuestions(e, images.slice(a, a + batch), items.slice(a, a + batch).map((it) => it.instruction), e.config.maxCondition));
  return { images, masks: masks.map((ms, i) => ms.map((m) => nearestMask(m, items[i].source.width, size))), conditions };
}

/** Means per edit kind and over all items ("all" first). */
export function objectChoiceSummary(items: readonly ObjectChoiceItem[]): KindMeanRow<"correct" | "chance" | "objects">[] {
  return meansByKind(items, (x) => x.kind, { correct: (x) => x.correct, chance: (x) => x.chance, objects: (x) => x.objects }, { all: true });
}
