/**
 * Per-object spatial attributes from an object's cloud in the ground frame (paper §5.1.1:
 * position, contour, volume): the ground frame of a fitted plane, volume estimates (known
 * primitive, footprint hull, sliced convex hull of the cloud completed by symmetry) and the
 * per-key uncertainties the tie test uses.
 */
import { primitiveVolume } from "../world/conventions";
import { SHAPES } from "../world/types";
import type { Shape } from "../world/types";
import { convexHull2d, polygonArea } from "./geometry";
import type { EngineConfig } from "./config";
import type { GroundPlane, RankKey } from "./types";

/** Ground frame in camera coordinates: e1 lateral (image right), e2 forward (away from the camera), n up. */
export interface GroundAxes {
  e1: [number, number, number];
  e2: [number, number, number];
  n: [number, number, number];
  d: number;
}

export function groundAxes(plane: GroundPlane): GroundAxes {
  const n = plane.normal;
  // camera x projected onto the plane
  let e1: [number, number, number] = [1 - n[0] * n[0], -n[0] * n[1], -n[0] * n[2]];
  const l1 = Math.hypot(e1[0], e1[1], e1[2]);
  e1 = [e1[0] / l1, e1[1] / l1, e1[2] / l1];
  // e2 = n x e1, oriented away from the camera (positive camera z)
  let e2: [number, number, number] = [n[1] * e1[2] - n[2] * e1[1], n[2] * e1[0] - n[0] * e1[2], n[0] * e1[1] - n[1] * e1[0]];
  if (e2[2] < 0) e2 = [-e2[0], -e2[1], -e2[2]];
  return { e1, e2, n: [n[0], n[1], n[2]], d: plane.d };
}

/** Ground coordinates (lateral, forward, height) -> camera frame. */
export function groundToCamera(ax: GroundAxes, l: number, f: number, h: number): [number, number, number] {
  const s = h - ax.d;
  return [l * ax.e1[0] + f * ax.e2[0] + s * ax.n[0], l * ax.e1[1] + f * ax.e2[1] + s * ax.n[1], l * ax.e1[2] + f * ax.e2[2] + s * ax.n[2]];
}


/**
 * Per-key uncertainty of one object's estimates (the tie test adds them to the tolerance).
 * Fully visible objects: `pixelUncertainty` pixels at their depth. Objects that a nearer
 * object or the image border may cut: bounded by the scene source's size prior
 * (`maxObjectWidth`, `maxObjectHeight`): the hidden part can shift the footprint centre by at
 * most (maxObjectWidth + visible width) / 2 and hide at most up to maxObjectHeight of height;
 * the volume of such an object is unknown (infinite uncertainty).
 */
export function estimateUncertainty(
  config: EngineConfig,
  m: {
    px: number;
    pixelUncertainty: number;
    horizontalPx: number;
    pxPerUnit: number;
    width: number;
    top: number;
    volume: number;
    widthPx: number;
    truncated: boolean;
    occluded: boolean;
    hidden: boolean[];
  },
): Record<RankKey, number> {
  const sideCut = m.truncated || m.hidden[0] || m.hidden[1];
  const anyCut = m.truncated || m.occluded;
  const topCut = m.truncated || m.hidden[0] || m.hidden[1] || m.hidden[2];
  const shift = Math.max(0, (config.maxObjectWidth + m.width) / 2); // world units
  return {
    horizontal: sideCut ? m.horizontalPx + shift * m.pxPerUnit : m.horizontalPx,
    depth: anyCut ? m.px + shift : m.px,
    volume: anyCut ? Infinity : m.volume * (config.volumeUncertainty + config.volumePixelUncertainty / Math.max(m.widthPx, 1)),
    contour: 0,
    height: topCut ? m.px + Math.max(0, config.maxObjectHeight - m.top) : m.px,
  };
}

/**
 * Volume of a known primitive from the cloud's width (footprint diameter or side) and height;
 * null for labels that are not SpatialWorld shapes (then the hull estimate is used).
 */
export function shapeVolume(label: string, width: number, height: number, footprintArea: number): number | null {
  if (!(SHAPES as readonly string[]).includes(label)) return null;
  // a rotated cube is wider than its side: its footprint's hull area replaces (2r)^2
  return primitiveVolume(label as Shape, width / 2, height, footprintArea);
}

/** Hull estimates use at most about this many points per hull (stride subsampling; speed at 512x512). */
const MAX_HULL_POINTS = 1500;

/** Area of the convex hull of the footprint (all points, completed by point symmetry about (cl, cf)). */
export function footprintHullArea(pts: readonly number[], cl: number, cf: number): number {
  const flat: number[] = [];
  const np = pts.length / 3;
  const stride = Math.max(1, Math.floor(np / MAX_HULL_POINTS));
  for (let p = 0; p < np; p += stride) flat.push(pts[3 * p], pts[3 * p + 1], 2 * cl - pts[3 * p], 2 * cf - pts[3 * p + 1]);
  return polygonArea(convexHull2d(flat));
}

/**
 * Convex-hull volume of an object's cloud (ground coordinates, flat [l, f, h] triples): the
 * visible half is completed by point symmetry about the vertical axis through (cl, cf) (all
 * SpatialWorld shapes are symmetric so), then cut into height slices; each slice contributes
 * the area of the 2D convex hull of its points times its thickness.
 */
export function slicedHullVolume(pts: readonly number[], cl: number, cf: number, top: number, maxSlices: number): number {
  const np = pts.length / 3;
  const slices = Math.max(1, Math.min(maxSlices, Math.floor(Math.sqrt(np) / 2)));
  const dh = top / slices;
  const buckets: number[][] = Array.from({ length: slices }, () => []);
  // a deterministic stride keeps each hull to ~MAX_HULL_POINTS points at large resolutions
  const stride = Math.max(1, Math.floor(np / (MAX_HULL_POINTS * slices)));
  for (let p = 0; p < np; p += stride) {
    const l = pts[3 * p];
    const f = pts[3 * p + 1];
    const s = Math.min(slices - 1, Math.floor(pts[3 * p + 2] / dh));
    buckets[s].push(l, f, 2 * cl - l, 2 * cf - f);
  }
  let vol = 0;
  for (const b of buckets) vol += polygonArea(convexHull2d(b)) * dh;
  return vol;
}
