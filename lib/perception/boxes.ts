/**
 * Axis-aligned boxes in continuous pixel coordinates [x0, y0, x1, y1] (x1 > x0, y1 > y0) and the
 * detector-independent box maths: intersection over union and greedy non-maximum suppression.
 */

export type Box = [number, number, number, number];

/** A box with a class and a confidence: a detector's output or a prompt for the segmenter. */
export interface BoxDetection {
  box: Box;
  score: number;
  /** Class index of the detector (-1 for boxes that did not come from a detector). */
  classId: number;
  label: string;
  /** The object's id in a known scene, for boxes taken from a render's truth (checks only). */
  sourceId?: number;
}

/** Area of a box (0 when empty). */
export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union of two boxes, 0 when both are empty. */
export function boxIoU(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression per class: highest score first; a box is dropped when it
 * overlaps an already kept box of the same class by more than `iouThreshold`. Stable for equal
 * scores (input order). Returns at most `maxKeep` detections, best first.
 */
export function nonMaxSuppression(dets: readonly BoxDetection[], iouThreshold: number, maxKeep: number): BoxDetection[] {
  const order = dets.map((d, i) => ({ d, i })).sort((a, b) => b.d.score - a.d.score || a.i - b.i);
  const kept: BoxDetection[] = [];
  for (const { d } of order) {
    if (kept.length >= maxKeep) break;
    if (kept.some((k) => k.classId === d.classId && boxIoU(k.box, d.box) > iouThreshold)) continue;
    kept.push(d);
  }
  return kept;
}

/** Clips a box to an image of W x H pixels; null when nothing of it is left inside. */
export function clipBox(b: Box, W: number, H: number): Box | null {
  const c: Box = [Math.max(0, b[0]), Math.max(0, b[1]), Math.min(W, b[2]), Math.min(H, b[3])];
  return c[2] - c[0] >= 1 && c[3] - c[1] >= 1 ? c : null;
}

/** Scales a box by (sx, sy), e.g. from the detector's input size back to the image. */
export function scaleBox(b: Box, sx: number, sy: number): Box {
  return [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy];
}
