/**
 * Data for the drawer (lib/models/editor/redraw.ts): engine replacements and the benchmark's own edits, each as the
 * drawer's request (the source, the object's perceived mask, the camera's empty ground, the new shape and colour) and the
 * truth's image.
 * - `redrawExamples`: SpatialWorld scenes (the engine's world config), one object of each replaced by a random shape in a
 *   random palette colour (the same shape or colour may come: a recolour is a replacement that keeps the shape), the
 *   object's mask as the engine's perception finds it in the source (the perceived region that overlaps the object most),
 *   as the editor's decodings see it;
 * - `benchmarkRedraws`: the benchmark items whose one changed object changes only in shape and/or colour, with the truth's
 *   object (its perceived mask), shape and colour: the drawer's own ceiling there (an oracle: it reads the truth).
 */
import { Rng } from "../core/rng";
import type { RgbImage } from "../engine/types";
import type { RedrawRequest } from "../models/editor/redraw";
import { paletteSigned } from "../models/editor/redraw-decode";
import { toSigned } from "../models/editor/train/data";
import { worldConfig } from "../world/config";
import { replaceObject, sceneProblems } from "../world/edit";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import { COLOURS, SHAPES, type Camera, type ColourName, type Scene } from "../world/types";
import type { BenchmarkItem } from "./benchmark-io";
import { emptyGround } from "./image-perception";
import { perceiveObjects } from "./object-regions";
import { sceneChanges } from "./scene-diff";

/** A drawer request with the truth's image ([S * S * 3] in [-1, 1]). */
export interface RedrawExample {
  request: RedrawRequest;
  target: Float32Array;
}

/** The perceived mask of `image` that overlaps the true object's pixels `truth` ([S * S], 1 on it) most, or null when none does. */
export function perceivedMaskOf(image: RgbImage, camera: Camera, truth: ArrayLike<number>): Uint8Array | null {
  const { masks } = perceiveObjects(image, camera, 1);
  let best: Uint8Array | null = null;
  let most = 0;
  for (const m of masks) {
    let k = 0;
    for (let p = 0; p < m.length; p++) k += m[p] & (truth[p] === 1 ? 1 : 0);
    if (k > most) [best, most] = [m, k];
  }
  return best;
}

/** The request of replacing object `id` of `scene` (rendered `source`, size S) by `shape` in `colour`, or null when the perception misses the object. */
function requestOf(scene: Scene, source: { rgb: Uint8Array; mask: Int32Array | ArrayLike<number> }, S: number, id: number, shape: RedrawRequest["shape"], colour: ColourName): RedrawRequest | null {
  const image: RgbImage = { width: S, height: S, data: source.rgb };
  const mask = perceivedMaskOf(image, scene.camera, Array.from(source.mask, (m) => (m === id ? 1 : 0)));
  if (mask === null) return null;
  return { source: toSigned(source.rgb), mask, ground: toSigned(emptyGround(scene.camera, S, S).rgb), shape, colour: paletteSigned(colour) };
}

/** `n` engine replacements at side `size`, drawn with `seed` (scenes whose replacement overlaps a neighbour, or whose object the perception misses, are skipped). */
export function redrawExamples(n: number, seed: number, size: number): RedrawExample[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`redrawExamples: n must be an integer >= 0, got ${n}`);
  const world = worldConfig();
  const rng = new Rng(seed);
  const out: RedrawExample[] = [];
  for (let k = 0; out.length < n; k++) {
    if (k > 4 * n + 100) throw new Error(`redrawExamples: only ${out.length} of ${n} examples after ${k} scenes`);
    const r = rng.fork(k);
    const scene = sampleScene(r.fork("scene"), world);
    if (scene.objects.length === 0) continue;
    const o = r.choice(scene.objects);
    const [shape, colour] = [r.choice(SHAPES), r.choice(COLOURS)];
    const edited = replaceObject(scene, o.id, { shape, colour });
    if (sceneProblems(edited, world.minGap).length > 0) continue;
    const request = requestOf(scene, renderScene(scene, { width: size, height: size }), size, o.id, shape, colour);
    if (request === null) continue;
    out.push({ request, target: toSigned(renderScene(edited, { width: size, height: size }).rgb) });
  }
  return out;
}

/** A benchmark item as a drawer example, and whether its object changes shape ("replaced") or only colour ("recoloured"). */
export interface BenchmarkRedraw {
  item: BenchmarkItem;
  kind: "replaced" | "recoloured";
  example: RedrawExample;
}

/** The benchmark items of side `size` whose one changed object changes only in shape and/or colour (replaced, recoloured), as drawer examples with the truth's object, shape and colour; with each item. */
export function benchmarkRedraws(items: readonly BenchmarkItem[], size: number): BenchmarkRedraw[] {
  const out: BenchmarkRedraw[] = [];
  for (const item of items) {
    if (item.editedScene === null || item.source.width !== size || item.source.height !== size) continue;
    const changes = sceneChanges(item.sourceScene, item.editedScene);
    if (changes.length !== 1 || !changes[0].kinds.every((k) => k === "replaced" || k === "recoloured")) continue;
    const after = item.editedScene.objects.find((o) => o.id === changes[0].id)!;
    const rendered = renderScene(item.sourceScene, { width: size, height: size });
    const request = requestOf(item.sourceScene, { rgb: item.source.data as Uint8Array, mask: rendered.mask }, size, after.id, after.shape, after.colour);
    if (request === null) continue;
    out.push({ item, kind: changes[0].kinds.includes("replaced") ? "replaced" : "recoloured", example: { request, target: toSigned(item.truth.data as Uint8Array) } });
  }
  return out;
}
