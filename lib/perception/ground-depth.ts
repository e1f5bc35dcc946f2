/**
 * Depth without weights (the stand-in for Depth Anything when the user has no depth model): a
 * ground plane seen by a pinhole camera of known height and horizon. Numbered steps:
 *   1. intrinsics fx = fy = focalRatio * W, principal point at the centre; the horizon row v_h
 *      gives the downward pitch: tan(pitch) = (cy - v_h) / fy;
 *   2. the horizon: given, or from objects of known real height standing on the ground
 *      (v_h = v_bottom - (v_bottom - v_top) * cameraHeight / objectHeight, median over objects),
 *      or level (v_h = cy);
 *   3. background pixels below the horizon: depth of the ground, z = h / (cos(pitch) * y_n + sin(pitch))
 *      with y_n = (v + 0.5 - cy) / fy; above the horizon: `skyDepth` (0 = invalid);
 *   4. each object: its ground-contact point is the bottom of its mask; the object is a vertical
 *      plane facing the camera at that point's forward distance, and each of its pixels gets the
 *      depth where its ray meets that plane.
 * Conventions as in lib/world/conventions.ts (camera frame x right, y down, z forward; no roll).
 */
import { guessIntrinsics } from "../world/camera";
import type { Intrinsics } from "../world/types";
import type { GroundDepthConfig } from "./config";
import type { Box } from "./boxes";
import { GROUND_CLASS_HEIGHT } from "./coco";

/** What the fallback computed besides the depth map. */
export interface GroundDepthResult {
  depth: Float32Array;
  intrinsics: Intrinsics;
  /** Horizon row (pixels from the top; may lie outside the image) and where it came from. */
  horizonRow: number;
  horizonSource: "given" | "objects" | "level";
  /** Downward pitch of the camera (radians). */
  pitch: number;
  /** Per instance id: contact row and its depth, or why the object got no depth. */
  contacts: Record<number, { row: number; depth: number } | { reason: string }>;
}

/** The horizon row (pixels) of a camera pitched down by `pitchDeg` degrees, for an H-row image. */
export function horizonRowOfPitch(pitchDeg: number, width: number, height: number, focalRatio: number): number {
  const k = guessIntrinsics(width, height, focalRatio);
  return k.cy - k.fy * Math.tan((pitchDeg * Math.PI) / 180);
}

/**
 * Step 2: the horizon row from labelled boxes of classes with a known height that are whole in
 * the picture vertically (top and bottom edges inside the image). Null when no box qualifies.
 */
export function horizonFromObjects(boxes: readonly { box: Box; label: string }[], imageHeight: number, cameraHeight: number): number | null {
  const rows: number[] = [];
  for (const { box, label } of boxes) {
    const h = GROUND_CLASS_HEIGHT[label];
    if (h === undefined) continue;
    if (box[3] >= imageHeight - 1 || box[1] <= 1) continue; // cut at an edge: its pixel height is not its real height
    rows.push(box[3] - (box[3] - box[1]) * (cameraHeight / h));
  }
  if (rows.length === 0) return null;
  rows.sort((a, b) => a - b);
  const m = rows.length;
  return m % 2 === 1 ? rows[(m - 1) / 2] : (rows[m / 2 - 1] + rows[m / 2]) / 2;
}

/**
 * Depth per pixel from the ground-plane geometry (paper §5.1.1's depth step without a model).
 * `mask` is the instance mask (-1 = background), `boxes` the labelled boxes (for the horizon).
 */
export function groundPlaneDepth(
  width: number,
  height: number,
  mask: Int32Array,
  boxes: readonly { box: Box; label: string }[],
  config: GroundDepthConfig,
): GroundDepthResult {
  if (mask.length !== width * height) throw new Error(`groundPlaneDepth: mask has ${mask.length} values, expected ${width}x${height} = ${width * height}`);
  // 1-2. intrinsics and horizon
  const k = guessIntrinsics(width, height, config.focalRatio);
  let horizonRow = k.cy;
  let horizonSource: GroundDepthResult["horizonSource"] = "level";
  if (config.horizon === "given") {
    horizonRow = config.horizonRow * height;
    horizonSource = "given";
  } else if (config.horizon === "objects") {
    const est = horizonFromObjects(boxes, height, config.cameraHeight);
    if (est !== null) {
      horizonRow = est;
      horizonSource = "objects";
    }
  }
  const pitch = Math.atan((k.cy - horizonRow) / k.fy);
  const cp = Math.cos(pitch);
  const sp = Math.sin(pitch);
  const h = config.cameraHeight;
  // ray of pixel row v (camera frame (x_n, y_n, 1)): ground hit at z = h / (cp * y_n + sp);
  // forward component (world +Y) per unit z: cp - sp * y_n
  const groundZ = (v: number) => {
    const yn = (v + 0.5 - k.cy) / k.fy;
    const den = cp * yn + sp;
    return den > 1e-9 ? h / den : NaN;
  };
  // 3. background
  const depth = new Float32Array(width * height);
  const sky = config.skyDepth > 0 ? config.skyDepth : NaN;
  for (let v = 0; v < height; v++) {
    const z = groundZ(v);
    for (let u = 0; u < width; u++) depth[v * width + u] = Number.isNaN(z) ? sky : z;
  }
  // 4. objects: contact = bottom edge of the mask (the row below its lowest pixel)
  const bottom = new Map<number, number>();
  for (let i = 0; i < mask.length; i++) {
    const id = mask[i];
    if (id < 0) continue;
    const v = Math.floor(i / width);
    if (v > (bottom.get(id) ?? -1)) bottom.set(id, v);
  }
  const contacts: GroundDepthResult["contacts"] = {};
  const planeY = new Map<number, number>();
  for (const [id, vLow] of bottom) {
    const row = vLow + 0.5; // the lowest pixel's lower edge is at vLow + 1; its centre row samples the contact
    const z = groundZ(row - 0.5);
    if (Number.isNaN(z)) {
      contacts[id] = { reason: `its lowest pixel (row ${vLow}) is at or above the horizon (row ${horizonRow.toFixed(1)}): no ground there` };
      continue;
    }
    const yn = (row - k.cy) / k.fy;
    planeY.set(id, z * (cp - sp * yn));
    contacts[id] = { row: vLow, depth: z };
  }
  for (let i = 0; i < mask.length; i++) {
    const id = mask[i];
    if (id < 0) continue;
    const Y = planeY.get(id);
    if (Y === undefined) {
      depth[i] = NaN;
      continue;
    }
    const v = Math.floor(i / width);
    const yn = (v + 0.5 - k.cy) / k.fy;
    const fwd = cp - sp * yn;
    depth[i] = fwd > 1e-9 ? Y / fwd : NaN;
  }
  return { depth, intrinsics: k, horizonRow, horizonSource, pitch, contacts };
}
