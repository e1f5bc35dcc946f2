/**
 * Contour size of one object in an instance mask (paper §5.1.1 "contour"): area, perimeter
 * (4-neighbour pixel edges that border another label or the image border), centroid (pixel
 * centres at +0.5), bounding box, and, when depth is given, which sides border a NEARER object
 * (occlusion). One definition for the extraction and for the renderer's truth, so both measure
 * the same quantity.
 */

export interface ContourStats {
  /** Number of pixels. */
  area: number;
  perimeter: number;
  centroid: { u: number; v: number };
  /** [u0, v0, u1, v1], inclusive pixel indices. */
  bbox: [number, number, number, number];
  /** The object touches the image border. */
  truncated: boolean;
  /** Some outline pixel borders a nearer object (only with depth). */
  occluded: boolean;
  /** Sides whose outline borders a nearer object: left, right, top, bottom. */
  hiddenSide: [boolean, boolean, boolean, boolean];
}

/**
 * Measures the contour of label `id` over its pixel indices `pixels` (row-major, width W).
 * Throws on an empty pixel list: a caller refuses such objects before measuring.
 */
export function contourStats(
  pixels: ArrayLike<number>,
  mask: ArrayLike<number>,
  W: number,
  H: number,
  id: number,
  depth?: ArrayLike<number>,
): ContourStats {
  if (pixels.length === 0) throw new Error(`contourStats: label ${id} has no pixels`);
  let su = 0;
  let sv = 0;
  let u0 = W;
  let v0 = H;
  let u1 = -1;
  let v1 = -1;
  let perimeter = 0;
  let occluded = false;
  const hiddenSide: [boolean, boolean, boolean, boolean] = [false, false, false, false];
  for (let p = 0; p < pixels.length; p++) {
    const i = pixels[p];
    const u = i % W;
    const v = (i - u) / W;
    su += u + 0.5;
    sv += v + 0.5;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
    for (let q = 0; q < 4; q++) {
      const uu = q === 0 ? u - 1 : q === 1 ? u + 1 : u;
      const vv = q === 2 ? v - 1 : q === 3 ? v + 1 : v;
      if (uu < 0 || uu >= W || vv < 0 || vv >= H) {
        perimeter++;
        continue;
      }
      const j = vv * W + uu;
      const other = mask[j];
      if (other === id) continue;
      perimeter++;
      if (depth !== undefined && other >= 0 && depth[j] < depth[i]) {
        occluded = true;
        hiddenSide[q] = true;
      }
    }
  }
  const area = pixels.length;
  return {
    area,
    perimeter,
    centroid: { u: su / area, v: sv / area },
    bbox: [u0, v0, u1, v1],
    truncated: u0 === 0 || v0 === 0 || u1 === W - 1 || v1 === H - 1,
    occluded,
    hiddenSide,
  };
}

/** Pixel indices of label `id` in a row-major mask. */
export function labelPixels(mask: ArrayLike<number>, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === id) out.push(i);
  return out;
}
