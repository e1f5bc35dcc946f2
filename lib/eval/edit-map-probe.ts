/**
 * Does the editor's aligned edit map (lib/models/editor/edit-map.ts) point at what the edit
 * changes? Per benchmark item: the queries' mean map over the denoiser's patches, against the
 * patches where the exact ground truth differs from the source (changedPatches):
 * - `mass`: the map's mass on the changed patches (1: all of it there);
 * - `chance`: the mass a uniform map would put there (changed patches / all patches);
 * - `top`: 1 when the map's largest patch is a changed one.
 * Items whose truth changes no patch are left out. A map that has learned "where" has mass well
 * above chance; one that has not, mass near chance.
 *
 * `probeWhereHead` reads the aligned [LOC] path's where head (lib/models/editor/aligned.ts) the same
 * way: its logits as a distribution over the patches (softmax), so `mass`, `chance` and `top` compare
 * with the edit map's.
 */
import * as tf from "@tensorflow/tfjs";
import { changedPatches } from "../models/editor/edit-map";
import { editorCondition, editorLayout, type Editor } from "../models/editor/model";
import { editResidual } from "../models/editor/residual";
import { imageBatch } from "../models/editor/train/steps";
import type { Benchmark } from "./benchmark-io";
import { meansByKind } from "./kind-means";
import { signedAtSize } from "./trained-editor";

export interface MapProbeItem {
  item: string;
  kind: string;
  mass: number;
  chance: number;
  top: number;
}

export interface MapProbeRow {
  kind: string;
  n: number;
  mass: number;
  chance: number;
  top: number;
}

/** The map's localisation per item (batches of `batch`); an error when the editor has no edit map. */
export function probeEditMap(e: Editor, bench: Pick<Benchmark, "items">, batch = 32): MapProbeItem[] {
  if (e.config.editMap !== true || !e.imageTokens) throw new Error("probeEditMap: this editor has no edit map (config.editMap off, or no image tokens)");
  return probePatches(e, bench, batch, (c) => tf.mean(c.map!.map, 1) as tf.Tensor2D);
}

/**
 * The aligned path's where head per item, its logits as a softmax over the patches; an error when the editor has no aligned path.
 * `mismatched`: each item's image read with the instruction of the item half the benchmark away (a control: a head that only
 * finds objects keeps its mass on the changed patches; one that reads the instruction loses it).
 */
export function probeWhereHead(e: Editor, bench: Pick<Benchmark, "items">, batch = 32, mismatched = false): MapProbeItem[] {
  if (e.config.aligned !== true || !e.imageTokens) throw new Error("probeWhereHead: this editor has no aligned path (config.aligned off, or no image tokens)");
  const n = bench.items.length;
  const instruction = mismatched ? (i: number) => bench.items[(i + Math.floor(n / 2)) % n].instruction : undefined;
  return probePatches(e, bench, batch, (c) => tf.softmax(c.aligned!.where, -1) as tf.Tensor2D, instruction);
}

function probePatches(e: Editor, bench: Pick<Benchmark, "items">, batch: number, read: (c: ReturnType<typeof editorCondition>) => tf.Tensor2D, instruction?: (i: number) => string): MapProbeItem[] {
  const size = e.config.image;
  const out: MapProbeItem[] = [];
  for (let i = 0; i < bench.items.length; i += batch) {
    const items = bench.items.slice(i, i + batch);
    const [mean, changed] = tf.tidy(() => {
      const source = imageBatch(items.map((it) => signedAtSize(it.source, size)), size); // [B, H, W, 3]
      const truth = imageBatch(items.map((it) => signedAtSize(it.truth, size)), size);
      const c = editorCondition(e, source, editorLayout(e, items.map((it, j) => (instruction ? instruction(i + j) : it.instruction))));
      return [read(c), changedPatches(editResidual(truth, source), e.config.dnPatch)]; // [B, N] each
    });
    const m = mean.arraySync() as number[][];
    const ch = changed.arraySync() as number[][];
    tf.dispose([mean, changed]);
    items.forEach((it, b) => {
      const n = ch[b].reduce((s, x) => s + x, 0);
      if (n === 0) return;
      const argmax = m[b].indexOf(Math.max(...m[b]));
      out.push({ item: it.id, kind: it.kind ?? "none", mass: m[b].reduce((s, x, p) => s + x * ch[b][p], 0), chance: n / ch[b].length, top: ch[b][argmax] });
    });
  }
  return out;
}

/** Means per edit kind and over all items ("all" first). */
export function mapProbeSummary(items: readonly MapProbeItem[]): MapProbeRow[] {
  return meansByKind(items, (x) => x.kind, { mass: (x) => x.mass, chance: (x) => x.chance, top: (x) => x.top }, { all: true });
}
