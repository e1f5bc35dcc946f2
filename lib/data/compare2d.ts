/**
 * How good is the 2D editing path (edit2d.ts: what the paper must do on real photos) against the
 * exact re-render that SpatialWorld allows? For random scenes and objects, each edit kind is made
 * both ways and the images compared (mean absolute error in [0, 1], over the whole image and over
 * the edited region = union of the object's old and new masks, dilated by one pixel). The "no
 * edit" column is the error of leaving the source unchanged, the scale to read the others by.
 * The 2D path gets the edit's geometry (target colour, pixel shift of the projected centre, scale
 * ratio) but no pixels beyond the source image and the object's mask.
 */
import { Rng } from "../core/rng";
import type { RgbImage } from "../engine/types";
import { cameraIntrinsics, projectWorld } from "../world/camera";
import { COLOUR_RGB, objectCentre, SIZE_RADIUS } from "../world/conventions";
import { moveObjectBy, recolourObject, removeObject, resizeObject, sceneProblems } from "../world/edit";
import { renderScene } from "../world/render";
import { objectsOutOfView, sampleScene } from "../world/sampler";
import { COLOURS, SIZES } from "../world/types";
import type { Scene, WorldConfig } from "../world/types";
import { worldConfig } from "../world/config";
import { dilateMask, meanAbsError, move2d, objectMask, recolour2d, remove2d, resize2d } from "./edit2d";

export const COMPARE_KINDS = ["recolour", "remove", "move", "resize"] as const;
export type CompareKind = (typeof COMPARE_KINDS)[number];

export interface CompareRow {
  kind: CompareKind;
  n: number;
  /** MAE of 2D path vs exact, whole image. */
  maeImage: number;
  /** MAE of 2D path vs exact, edited region. */
  maeRegion: number;
  /** MAE of the unchanged source vs exact, edited region. */
  maeNoEditRegion: number;
}

export interface CompareOptions {
  scenes: number;
  resolution: number;
  /** World units moved. */
  moveStep: number;
}

function img(r: { width: number; height: number; rgb: Uint8Array }): RgbImage {
  return { width: r.width, height: r.height, data: r.rgb };
}

/** Runs the comparison on `opts.scenes` random scenes, one edit of each kind per scene. */
export function compare2dWithExact(rng: Rng, opts: CompareOptions, world: WorldConfig = worldConfig()): CompareRow[] {
  if (!Number.isInteger(opts.scenes) || opts.scenes < 1) throw new Error(`compare2dWithExact: scenes must be an integer >= 1, got ${opts.scenes}`);
  if (!Number.isInteger(opts.resolution) || opts.resolution < 8) throw new Error(`compare2dWithExact: resolution must be an integer >= 8, got ${opts.resolution}`);
  if (!(opts.moveStep > 0) || !Number.isFinite(opts.moveStep)) throw new Error(`compare2dWithExact: moveStep must be a positive distance in world units, got ${opts.moveStep}`);
  const acc: Record<CompareKind, { n: number; a: number; r: number; z: number }> = {
    recolour: { n: 0, a: 0, r: 0, z: 0 },
    remove: { n: 0, a: 0, r: 0, z: 0 },
    move: { n: 0, a: 0, r: 0, z: 0 },
    resize: { n: 0, a: 0, r: 0, z: 0 },
  };
  const size = { width: opts.resolution, height: opts.resolution };
  for (let s = 0; s < opts.scenes; s++) {
    const r = rng.fork(`compare-${s}`);
    const scene = sampleScene(r.fork("scene"), world);
    const src = renderScene(scene, size);
    const visible = scene.objects.filter((o) => (src.visiblePixels[o.id] ?? 0) >= 4);
    if (visible.length === 0) continue;
    const k = cameraIntrinsics(scene.camera, size.width, size.height);
    for (const kind of COMPARE_KINDS) {
      const o = r.choice(visible);
      const mask = objectMask(src.mask, o.id);
      let exactScene: Scene;
      let two: RgbImage;
      if (kind === "recolour") {
        const c = r.choice(COLOURS.filter((x) => x !== o.colour));
        exactScene = recolourObject(scene, o.id, c);
        two = recolour2d(img(src), mask, COLOUR_RGB[c]);
      } else if (kind === "remove") {
        exactScene = removeObject(scene, o.id);
        two = remove2d(img(src), mask);
      } else if (kind === "move") {
        const dx = (r.bool() ? 1 : -1) * opts.moveStep;
        exactScene = moveObjectBy(scene, o.id, { dx, dy: 0 });
        const moved = exactScene.objects.find((x) => x.id === o.id)!;
        const p0 = projectWorld(scene.camera, k, objectCentre(o));
        const p1 = projectWorld(scene.camera, k, objectCentre(moved));
        two = move2d(img(src), mask, Math.round(p1.u - p0.u), Math.round(p1.v - p0.v));
      } else {
        const to = r.choice(SIZES.filter((x) => x !== o.size));
        exactScene = resizeObject(scene, o.id, to);
        two = resize2d(img(src), mask, SIZE_RADIUS[to] / SIZE_RADIUS[o.size]);
      }
      if (sceneProblems(exactScene).length > 0 || objectsOutOfView(exactScene, size.width, size.height).length > 0) continue;
      const exact = renderScene(exactScene, size);
      const region = dilateMask(
        mask.map((m, i) => (m || exact.mask[i] === o.id ? 1 : 0)),
        size.width,
        size.height,
        1,
      );
      const a = acc[kind];
      a.n++;
      a.a += meanAbsError(two, img(exact));
      a.r += meanAbsError(two, img(exact), region);
      a.z += meanAbsError(img(src), img(exact), region);
    }
  }
  return COMPARE_KINDS.map((kind) => {
    const a = acc[kind];
    return { kind, n: a.n, maeImage: a.n ? a.a / a.n : NaN, maeRegion: a.n ? a.r / a.n : NaN, maeNoEditRegion: a.n ? a.z / a.n : NaN };
  });
}
