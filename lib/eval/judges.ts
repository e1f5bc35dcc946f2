/**
 * Judges of an edited image against the benchmark's exact truth (paper Table 1, Appendix N.2;
 * docs/architecture.md §5). Each returns a score in [0, 1] and what it was based on.
 *
 * Object judge (stands in for the GPT-4V judge): with the ground-truth scenes we know which
 * objects the instruction changes and how (sceneChanges: recolour/texture, remove, resize,
 * move, replace). For each changed object, its region (its pixels before and after the edit)
 * must match the truth render: mean |result - truth| <= objectTolerance and <= changeShare x
 * the source's own distance (so an unedited picture never passes). Every other object (its
 * pixels outside the changed regions) and the ground must stay: mean |result - truth| <=
 * keepTolerance. score = (share of changed objects done) x (share of other regions kept).
 *
 * Pixel agreement: the share of pixels whose every channel is within pixelTolerance of the
 * truth, over the whole image and over the changed region only.
 */
import type { RgbImage } from "../engine/types";
import { renderScene } from "../world/render";
import type { RenderResult } from "../world/types";
import type { BenchmarkItem } from "./benchmark-io";
import type { JudgeConfig } from "./judge-config";
import { AnyImage, checkImage, FloatImage, resizeBilinear } from "./image";
import { l1Masked } from "./metrics";
import { ChangeKind, sceneChanges } from "./scene-diff";

export interface RegionCheck {
  /** Object id, or -1 for the ground. */
  id: number;
  /** Mean |result - truth| over the region ([0, 1]). */
  error: number;
  /** Instructed objects: the source's mean |source - truth| over the region (the size of the change). */
  change?: number;
  kinds?: ChangeKind[];
  pixels: number;
  ok: boolean;
}

export interface ObjectVerdict {
  /** False for edits with no scene behind them (photometric): score is NaN. */
  applicable: boolean;
  score: number;
  /** Share of changed objects done as instructed. */
  done: number;
  /** Share of other objects (and the ground) kept. */
  kept: number;
  instructed: RegionCheck[];
  others: RegionCheck[];
}

/** The result at the truth's size, as a float image in [0, 1] (editors may return other sizes). */
export function atTruthSize(result: AnyImage, truth: RgbImage, what: string): FloatImage {
  checkImage(result, `${what} (result)`);
  return resizeBilinear(result, truth.width, truth.height);
}

/** Renders of the item's source and edited scenes at the truth's size (masks for the judges). */
export function itemRenders(item: BenchmarkItem): { source: RenderResult; truth: RenderResult } | null {
  if (item.editedScene === null) return null;
  const size = { width: item.truth.width, height: item.truth.height };
  return { source: renderScene(item.sourceScene, size), truth: renderScene(item.editedScene, size) };
}

/** Pixels that belong to any of `ids` before or after the edit (1 = inside). */
export function changedRegion(r: { source: RenderResult; truth: RenderResult }, ids: readonly number[]): Uint8Array {
  const set = new Set(ids);
  const m = new Uint8Array(r.source.mask.length);
  for (let p = 0; p < m.length; p++) if (set.has(r.source.mask[p]) || set.has(r.truth.mask[p])) m[p] = 1;
  return m;
}

const count = (m: Uint8Array) => m.reduce((s, x) => s + x, 0);

/** The object judge (see the file comment). Photometric items are not applicable (score NaN). */
export function objectJudge(item: BenchmarkItem, result: AnyImage, cfg: JudgeConfig): ObjectVerdict {
  const r = atTruthSize(result, item.truth, "objectJudge");
  const renders = itemRenders(item);
  if (renders === null) return { applicable: false, score: NaN, done: NaN, kept: NaN, instructed: [], others: [] };
  const changes = sceneChanges(item.sourceScene, item.editedScene!);
  if (changes.length === 0) throw new Error(`objectJudge: item ${item.id} changes no object; it cannot be judged`);
  const instructed: RegionCheck[] = [];
  for (const ch of changes) {
    const region = changedRegion(renders, [ch.id]);
    const pixels = count(region);
    if (pixels === 0) continue; // an object that is not visible before or after: nothing to see
    const error = l1Masked(r, item.truth, region);
    const change = l1Masked(item.source, item.truth, region);
    instructed.push({ id: ch.id, kinds: ch.kinds, error, change, pixels, ok: error <= cfg.objectTolerance && error <= cfg.changeShare * change });
  }
  if (instructed.length === 0) throw new Error(`objectJudge: item ${item.id}: none of the changed objects is visible`);
  const all = changedRegion(renders, changes.map((c) => c.id));
  const others: RegionCheck[] = [];
  const ids = [...item.sourceScene.objects.map((o) => o.id).filter((id) => !changes.some((c) => c.id === id)), -1];
  for (const id of ids) {
    const region = new Uint8Array(all.length);
    for (let p = 0; p < region.length; p++) if (!all[p] && renders.source.mask[p] === id && (id !== -1 || renders.truth.mask[p] === -1)) region[p] = 1;
    const pixels = count(region);
    if (pixels === 0) continue;
    const error = l1Masked(r, item.truth, region);
    others.push({ id, error, pixels, ok: error <= cfg.keepTolerance });
  }
  const done = instructed.filter((c) => c.ok).length / instructed.length;
  const kept = others.length === 0 ? 1 : others.filter((c) => c.ok).length / others.length;
  return { applicable: true, score: done * kept, done, kept, instructed, others };
}

export interface PixelVerdict {
  /** Share of all pixels that agree with the truth. */
  unmasked: number;
  /** Share of the changed region's pixels that agree (the whole image for photometric edits). */
  masked: number;
  /** Pixels of the changed region. */
  regionPixels: number;
  /** Mean absolute error ([0, 1] RGB) on the changed region and on the rest (the background); NaN when a part is empty. */
  regionL1: number;
  backgroundL1: number;
}

function agreeing(a: FloatImage, truth: RgbImage, tol: number, region: Uint8Array | null): number {
  let n = 0;
  let ok = 0;
  for (let p = 0; p < truth.width * truth.height; p++) {
    if (region && !region[p]) continue;
    n++;
    let good = true;
    for (let c = 0; c < 3; c++) if (Math.abs(a.data[p * 3 + c] - truth.data[p * 3 + c] / 255) > tol + 1e-12) good = false;
    if (good) ok++;
  }
  return n === 0 ? NaN : ok / n;
}

/** Pixel agreement with the exact ground truth, unmasked and on the changed region. */
export function pixelAgreement(item: BenchmarkItem, result: AnyImage, cfg: JudgeConfig): PixelVerdict {
  const r = atTruthSize(result, item.truth, "pixelAgreement");
  const renders = itemRenders(item);
  const region = renders === null ? new Uint8Array(item.truth.width * item.truth.height).fill(1) : changedRegion(renders, sceneChanges(item.sourceScene, item.editedScene!).map((c) => c.id));
  const rest = region.map((v) => 1 - v);
  const pixels = count(region);
  return {
    unmasked: agreeing(r, item.truth, cfg.pixelTolerance, null),
    masked: agreeing(r, item.truth, cfg.pixelTolerance, region),
    regionPixels: pixels,
    regionL1: pixels === 0 ? NaN : l1Masked(r, item.truth, region),
    backgroundL1: pixels === region.length ? NaN : l1Masked(r, item.truth, rest),
  };
}
