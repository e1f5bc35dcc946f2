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
import { hasWhereGate } from "../models/editor/aligned";
import { changedPatches } from "../models/editor/edit-map";
import { editorCondition, editorLayout, type Editor } from "../models/editor/model";
import { editResidual } from "../models/editor/residual";
import { imageBatch } from "../models/editor/train/steps";
import type { ProbeSet } from "./probe-items";
import { meansByKind } from "./kind-means";
import { signedAtSize } from "./trained-editor";

export interface MapProbeItem {
  item: string;
  kind: string;
  /** The item's template family ("none" when it has none). */
  family: string;
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
export function probeEditMap(e: Editor, bench: ProbeSet, batch = 32): MapProbeItem[] {
  if (e.config.editMap !== true || !e.imageTokens) throw new Error("probeEditMap: this editor has no edit map (config.editMap off, or no image tokens)");
  return probePatches(e, bench, batch, (c) => tf.mean(c.map!.map, 1) as tf.Tensor2D);
}

/**
 * The aligned path's where head per item, its logits as a softmax over the patches; an error when the editor has no aligned path.
 * `mismatched`: each item's image read with the instruction of the item half the benchmark away (a control: a head that only
 * finds objects keeps its mass on the changed patches; one that reads the instruction loses it).
 */
export function probeWhereHead(e: Editor, bench: ProbeSet, batch = 32, mismatched = false): MapProbeItem[] {
  if (e.config.aligned !== true || !e.imageTokens) throw new Error("probeWhereHead: this editor has no aligned path (config.aligned off, or no image tokens)");
  const n = bench.items.length;
  const instruction = mismatched ? (i: number) => bench.items[(i + Math.floor(n / 2)) % n].instruction : undefined;
  return probePatches(e, bench, batch, (c) => tf.softmax(c.aligned!.where, -1) as tf.Tensor2D, instruction);
}

function probePatches(e: Editor, bench: ProbeSet, batch: number, read: (c: ReturnType<typeof editorCondition>) => tf.Tensor2D, instruction?: (i: number) => string): MapProbeItem[] {
  return patchReads(e, bench, batch, read, instruction).map(({ item, kind, family, values: m, changed: ch }) => {
    const n = ch.reduce((s, x) => s + x, 0);
    const argmax = m.indexOf(Math.max(...m));
    return { item, kind, family, mass: m.reduce((s, x, p) => s + x * ch[p], 0), chance: n / ch.length, top: ch[argmax] };
  });
}

/** Per item whose truth changes a patch: what `read` gives per denoiser patch (it is called once per batch with the condition and the batch's first item index), and which patches the truth changes (1) [N]. */
export type PatchRead = { item: string; kind: string; family: string; values: number[]; changed: number[] };

export function patchReads(e: Editor, bench: ProbeSet, batch: number, read: (c: ReturnType<typeof editorCondition>, start: number) => tf.Tensor2D, instruction?: (i: number) => string): PatchRead[] {
  const size = e.config.image;
  const out: PatchRead[] = [];
  for (let i = 0; i < bench.items.length; i += batch) {
    const items = bench.items.slice(i, i + batch);
    const [mean, changed] = tf.tidy(() => {
      const source = imageBatch(items.map((it) => signedAtSize(it.source, size)), size); // [B, H, W, 3]
      const truth = imageBatch(items.map((it) => signedAtSize(it.truth, size)), size);
      const c = editorCondition(e, source, editorLayout(e, items.map((it, j) => (instruction ? instruction(i + j) : it.instruction))));
      return [read(c, i), changedPatches(editResidual(truth, source), e.config.dnPatch)]; // [B, N] each
    });
    const m = mean.arraySync() as number[][];
    const ch = changed.arraySync() as number[][];
    tf.dispose([mean, changed]);
    items.forEach((it, b) => {
      if (!ch[b].some((x) => x > 0)) return;
      out.push({ item: it.id, kind: it.kind ?? "none", family: it.family ?? "none", values: m[b], changed: ch[b] });
    });
  }
  return out;
}

export interface GateProbeItem {
  item: string;
  kind: string;
  family: string;
  /** Mean gate sigmoid(where) over the patches the truth changes. */
  inside: number;
  /** Mean gate over the patches it leaves. */
  outside: number;
  /** Share of the gate's total on the patches it leaves (0: none spills; the denoiser paints where the gate is). */
  spill: number;
}

/**
 * The bilinear where head's gate sigmoid(where) per item, the value the denoiser reads on each patch: its mean on the
 * changed and on the unchanged patches, and the share of its total that falls outside; an error without the bilinear head.
 */
export function probeWhereGate(e: Editor, bench: ProbeSet, batch = 32): GateProbeItem[] {
  if (!hasWhereGate(e.config, e.imageTokens)) throw new Error("probeWhereGate: this editor has no bilinear where head (config alignedWhere: 'bilinear', image tokens)");
  return patchReads(e, bench, batch, (c) => tf.sigmoid(c.aligned!.where) as tf.Tensor2D).map(({ item, kind, family, values, changed }) => {
    const sum = (f: (v: number, p: number) => boolean) => values.reduce((s, v, p) => s + (f(v, p) ? v : 0), 0);
    const nIn = changed.reduce((s, x) => s + (x > 0 ? 1 : 0), 0);
    const total = sum(() => true);
    const out = sum((_, p) => !(changed[p] > 0));
    return { item, kind, family, inside: sum((_, p) => changed[p] > 0) / nIn, outside: nIn === changed.length ? Number.NaN : out / (changed.length - nIn), spill: total > 0 ? out / total : Number.NaN };
  });
}

/** Which field groups a summary's rows: the edit kind (the default) or the template family. */
export type ProbeGroup = "kind" | "family";

/** Means per edit kind (or family) and over all items ("all" first). */
export function gateProbeSummary(items: readonly GateProbeItem[], by: ProbeGroup = "kind"): ({ kind: string; n: number } & Record<"inside" | "outside" | "spill", number>)[] {
  return meansByKind(items, (x) => x[by], { inside: (x) => x.inside, outside: (x) => x.outside, spill: (x) => x.spill }, { all: true });
}

/** Means per edit kind (or family) and over all items ("all" first). */
export function mapProbeSummary(items: readonly MapProbeItem[], by: ProbeGroup = "kind"): MapProbeRow[] {
  return meansByKind(items, (x) => x[by], { mass: (x) => x.mass, chance: (x) => x.chance, top: (x) => x.top }, { all: true });
}

/** A where-probe row as "kind (n) mass / uniform / top". */
export function mapRowText(r: MapProbeRow): string {
  return `${r.kind} (${r.n}) ${r.mass.toFixed(3)} / ${r.chance.toFixed(3)} / ${r.top.toFixed(3)}`;
}

/** A gate-probe row as "kind (n) inside / outside / spill". */
export function gateRowText(r: ReturnType<typeof gateProbeSummary>[number]): string {
  return `${r.kind} (${r.n}) ${r.inside.toFixed(3)} / ${r.outside.toFixed(3)} / ${r.spill.toFixed(3)}`;
}
