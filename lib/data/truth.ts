/**
 * The renderer's truth in the engine's `ExtractionResult` shape: every spatial quantity computed
 * from the scene description itself (analytic volumes, exact 3D centres) and the exact masks.
 *
 * Used (1) as the `truth` perception option of the data engine, the exact reference the extracted
 * information is checked against, and (2) so that the template code can be tested on scenes built
 * by hand without the extraction pipeline. Objects with no visible pixel are left out (nothing in
 * the image can refer to them).
 */
import { contourStats, labelPixels } from "../engine/contour";
import { computeRanks } from "../engine/ranks";
import type { ExtractionResult, ObjectInfo, ObjectRank, RankKey, Tolerance } from "../engine/types";
import { RANK_KEYS } from "../engine/types";
import { cameraIntrinsics, projectWorld, worldToCamera } from "../world/camera";
import { objectCentre, objectHeight, objectVolume, footprintRadius } from "../world/conventions";
import type { RenderResult, Scene } from "../world/types";

/** Tie tolerances of the truth: only float noise ties. */
export const TRUTH_TOLERANCE: Tolerance = { abs: 1e-6, rel: 1e-6 };

/** The scene's truth as an extraction result (perception "truth"). */
export function truthExtraction(scene: Scene, render: RenderResult): ExtractionResult {
  const W = render.width;
  const H = render.height;
  const k = cameraIntrinsics(scene.camera, W, H);
  const objects: ObjectInfo[] = [];
  for (const so of scene.objects) {
    const pixels = labelPixels(render.mask, so.id);
    if (pixels.length === 0) continue;
    // the same contour definition as the extraction (lib/engine/contour.ts)
    const contour = contourStats(pixels, render.mask, W, H, so.id);
    const n = contour.area;
    const c = objectCentre(so);
    const pc = worldToCamera(scene.camera, c);
    const p = projectWorld(scene.camera, k, c);
    const vol = objectVolume(so);
    const zeros = { horizontal: 0, depth: 0, volume: 0, contour: 0, height: 0 } as Record<RankKey, number>;
    objects.push({
      id: so.id,
      object: so.shape,
      description: `${so.size} ${so.colour} ${so.material}`,
      trend: so.trend,
      colour: so.colour,
      material: so.material,
      sizeClass: so.size,
      centroid2d: contour.centroid,
      bbox2d: contour.bbox,
      area: n,
      perimeter: contour.perimeter,
      centre3d: pc,
      ground2d: [so.position.x, so.position.y],
      centreU: p.u,
      depth: pc[2],
      distanceToCamera: Math.hypot(pc[0], pc[1], pc[2]),
      height: objectHeight(so),
      width: 2 * footprintRadius(so),
      volumeBox: vol,
      volumeHull: vol,
      volumeShape: vol,
      distances: {},
      pointCount: n,
      truncated: contour.truncated,
      occluded: false,
      hiddenSides: { left: false, right: false, top: false, bottom: false },
      uncertainty: zeros,
      ranks: {} as Record<RankKey, ObjectRank>,
    });
  }
  for (const a of objects) for (const b of objects) if (a.id !== b.id) a.distances[b.id] = Math.hypot(a.centre3d[0] - b.centre3d[0], a.centre3d[1] - b.centre3d[1], a.centre3d[2] - b.centre3d[2]);
  const tolerances = Object.fromEntries(RANK_KEYS.map((key) => [key, { ...TRUTH_TOLERANCE }])) as Record<RankKey, Tolerance>;
  computeRanks(objects, tolerances, true);
  return { width: W, height: H, intrinsics: k, intrinsicsGuessed: false, plane: null, objects, refusals: [], invalidDepthPixels: 0, tolerances, source: "truth", complete: true };
}
