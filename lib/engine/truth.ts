/**
 * The renderer's truth for every rank key (conventions.ts), computed from the scene geometry
 * alone, never from the extraction path: horizontal = image column of the projected 3D centre,
 * depth = camera-frame z of the centre, volume = analytic volume, height = analytic height,
 * contour = visible mask pixels. Objects with no visible pixel are not part of the truth.
 */
import { objectCentre, objectHeight, objectVolume } from "../world/conventions";
import { cameraAxes, projectCamera, worldToCamera } from "../world/camera";
import type { RenderResult } from "../world/types";
import type { RankKey } from "./types";

export interface TruthObject {
  id: number;
  shape: string;
  colour: string;
  material: string;
  size: string;
  trend: string;
  values: Record<RankKey, number>;
  /** Camera-frame centre of the object's bounding box. */
  centre3d: [number, number, number];
  distanceToCamera: number;
}

/** Truth values of the visible objects of a render. */
export function renderTruth(render: RenderResult): TruthObject[] {
  const ax = cameraAxes(render.camera);
  const out: TruthObject[] = [];
  for (const o of render.objects) {
    const px = render.visiblePixels[o.id] ?? 0;
    if (px === 0) continue;
    const c = worldToCamera(render.camera, objectCentre(o), ax);
    const p = projectCamera(render.intrinsics, c);
    out.push({
      id: o.id,
      shape: o.shape,
      colour: o.colour,
      material: o.material,
      size: o.size,
      trend: o.trend,
      centre3d: c,
      distanceToCamera: Math.hypot(c[0], c[1], c[2]),
      values: { horizontal: p.u, depth: c[2], volume: objectVolume(o), contour: px, height: objectHeight(o) },
    });
  }
  return out;
}
