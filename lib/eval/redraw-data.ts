/**
 * Data for the drawer (lib/models/editor/redraw.ts): engine replacements and the benchmark's own edits, each as the
 * drawer's request (the source, the object's perceived mask, the camera's empty ground, the new shape and colour) and the
 * truth's image.
 * - `redrawExamples`: SpatialWorld scenes (the engine's world config), one object of each replaced by a random shape in a
 *   random palette colour (the same shape or colour may come: a recolour is a replacement that keeps the shape), the
 *   object's mask as the engine's perception finds it in the source (the perceived region that overlaps the object most),
 *   as the editor's decodings see it; with a share of retextures, that share of the examples instead gives the object
 *   another material (a random one of the others) and asks for it as a drawer that retextures is asked at decoding
 *   (redraw-decode.ts retexturePlan): shape null (keep it), the colour its pixels show, the material; the replacements
 *   then keep their material (material null);
 * - `benchmarkRedraws`: the benchmark items whose one changed object changes only in shape and/or colour (with
 *   `retextures`, or only in material), with the truth's object (its perceived mask), shape, colour and material: the
 *   drawer's own ceiling there (an oracle: it reads the truth).
 */
import { Rng } from "../core/rng";
import type { RgbImage } from "../engine/types";
import type { RedrawRequest } from "../models/editor/redraw";
import { paletteSigned, shownColour } from "../models/editor/redraw-decode";
import { toSigned } from "../models/editor/train/data";
import { worldConfig } from "../world/config";
import { replaceObject, retextureObject, sceneProblems } from "../world/edit";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import { COLOURS, MATERIALS, SHAPES, type Camera, type ColourName, type Material, type Scene } from "../world/types";
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

/**
 * The request of replacing object `id` of `scene` (rendered `source`, size S) by `shape` in `colour` or, given a `material`,
 * of retexturing it (shape null, the colour its perceived pixels show); null when the perception misses the object or (a
 * retexture) its pixels show no colour.
 */
function requestOf(scene: Scene, source: { rgb: Uint8Array; mask: Int32Array | ArrayLike<number> }, S: number, id: number, shape: RedrawRequest["shape"], colour: ColourName, material: Material | null = null): RedrawRequest | null {
  const image: RgbImage = { width: S, height: S, data: source.rgb };
  const mask = perceivedMaskOf(image, scene.camera, Array.from(source.mask, (m) => (m === id ? 1 : 0)));
  if (mask === null) return null;
  const signed = toSigned(source.rgb);
  const shown = material === null ? colour : shownColour(signed, mask);
  if (shown === null) return null;
  return { source: signed, mask, ground: toSigned(emptyGround(scene.camera, S, S).rgb), shape: material === null ? shape : null, colour: paletteSigned(shown), material };
}

/**
 * `n` engine replacements at side `size`, drawn with `seed`, a share `retextures` of them retextures instead (scenes whose
 * replacement overlaps a neighbour, or whose object the perception misses, are skipped). With no retextures the examples
 * are those of a drawer that only replaces (the same draws).
 */
export function redrawExamples(n: number, seed: number, size: number, retextures = 0): RedrawExample[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`redrawExamples: n must be an integer >= 0, got ${n}`);
  if (!(retextures >= 0 && retextures <= 1)) throw new Error(`redrawExamples: retextures must be a share in [0, 1], got ${retextures}`);
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
    const retexture = retextures > 0 && r.fork("retexture").uniform() < retextures;
    const material = retexture ? r.fork("material").choice(MATERIALS.filter((m) => m !== o.material)) : null;
    const edited = material !== null ? retextureObject(scene, o.id, material) : replaceObject(scene, o.id, { shape, colour });
    if (sceneProblems(edited, world.minGap).length > 0) continue;
    const request = requestOf(scene, renderScene(scene, { width: size, height: size }), size, o.id, shape, colour, material);
    if (request === null) continue;
    out.push({ request, target: toSigned(renderScene(edited, { width: size, height: size }).rgb) });
  }
  return out;
}

/** A benchmark item as a drawer example, and whether its object changes shape ("replaced"), only colour ("recoloured") or only material ("retextured"). */
export interface BenchmarkRedraw {
  item: BenchmarkItem;
  kind: "replaced" | "recoloured" | "retextured";
  example: RedrawExample;
}

/**
 * The benchmark items of side `size` whose one changed object changes only in shape and/or colour (replaced, recoloured)
 * or, with `retextures`, only in material (retextured), as drawer examples with the truth's object, shape, colour and
 * material (a retexture asked as retexturePlan asks it); with each item.
 */
export function benchmarkRedraws(items: readonly BenchmarkItem[], size: number, retextures = false): BenchmarkRedraw[] {
  const out: BenchmarkRedraw[] = [];
  for (const item of items) {
    if (item.editedScene === null || item.source.width !== size || item.source.height !== size) continue;
    const changes = sceneChanges(item.sourceScene, item.editedScene);
    if (changes.length !== 1) continue;
    const kinds = changes[0].kinds;
    const retextured = retextures && kinds.length === 1 && kinds[0] === "retextured";
    if (!retextured && !kinds.every((k) => k === "replaced" || k === "recoloured")) continue;
    const after = item.editedScene.objects.find((o) => o.id === changes[0].id)!;
    const rendered = renderScene(item.sourceScene, { width: size, height: size });
    const request = requestOf(item.sourceScene, { rgb: item.source.data as Uint8Array, mask: rendered.mask }, size, after.id, after.shape, after.colour, retextured ? after.material : null);
    if (request === null) continue;
    out.push({ item, kind: retextured ? "retextured" : kinds.includes("replaced") ? "replaced" : "recoloured", example: { request, target: toSigned(item.truth.data as Uint8Array) } });
  }
  return out;
}
