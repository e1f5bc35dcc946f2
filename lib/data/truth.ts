/**
 * The renderer's truth in the engine's `ExtractionResult` shape: every spatial quantity computed
 * from the scene description itself (analytic volumes, exact 3D centres) and the exact masks.
 *
 * Used (1) as the `truth` perception option of the data engine, the exact reference the extracted
 * information is checked against, and (2) so that the template code can be tested on scenes built
 * by hand without the extraction pipeline. Objects with no visible pixel are left out (nothing in
 * the image can refer to them).
 */
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
    let n = 0;
    let su = 0;
    let sv = 0;
    let u0 = W;
    let v0 = H;
    let u1 = -1;
    let v1 = -1;
    let perimeter = 0;
    for (let v = 0; v < H; v++) {
      for (let u = 0; u < W; u++) {
        const i = v * W + u;
        if (render.mask[i] !== so.id) continue;
        n++;
        su += u + 0.5;
        sv += v + 0.5;
        if (u < u0) u0 = u;
        if (u > u1) u1 = u;
        if (v < v0) v0 = v;
        if (v > v1) v1 = v;
        if (u === 0 || render.mask[i - 1] !== so.id) perimeter++;
        if (u === W - 1 || render.mask[i + 1] !== so.id) perimeter++;
        if (v === 0 || render.mask[i - W] !== so.id) perimeter++;
        if (v === H - 1 || render.mask[i + W] !== so.id) perimeter++;
      }
    }
    if (n === 0) continue;
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
      centroid2d: { u: su / n, v: sv / n },
      bbox2d: [u0, v0, u1, v1],
      area: n,
      perimeter,
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
      truncated: u0 === 0 || v0 === 0 || u1 === W - 1 || v1 === H - 1,
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
