/**
 * The objects of an image as the editor's `object` gate decoding chooses among them
 * (lib/models/editor/gate-decode.ts): the data engine's perception from the picture alone
 * (image-perception.ts: the camera's empty ground subtracted, same-colour regions) gives one mask per
 * detected object, and each mask becomes its coverage of the denoiser's g x g patches (the share of each
 * patch's pixels it holds). It reads the source image and the camera, never the edit's truth: the camera
 * is the one piece of the scene record it needs, as the judge's perception does.
 */
import type { RgbImage } from "../engine/types";
import type { ObjectRegions } from "../models/editor/gate-decode";
import { objectCoverages } from "../models/editor/grounding";
import type { Camera } from "../world/types";
import { imagePerceptionFrame } from "./image-perception";

/** Per object the engine perceives in `image` (in detection order), its coverage of the `grid` x `grid` patches [grid * grid]. */
export function objectRegions(image: RgbImage, camera: Camera, grid: number): ObjectRegions {
  return perceiveObjects(image, camera, grid).regions;
}

/**
 * The perceived objects of `image` (in detection order): their coverages (objectRegions), each one's colour, the mean of
 * its own pixels in [-1, 1] (what a moved object keeps; a mean over the patches it covers would mix in the ground at its edges),
 * and each one's pixel mask (1 on the object, [width * height]).
 */
export function perceiveObjects(image: RgbImage, camera: Camera, grid: number): { regions: ObjectRegions; colours: [number, number, number][]; masks: Uint8Array[] } {
  if (image.width !== image.height) throw new Error(`objectRegions: needs a square image, got ${image.width}x${image.height}`);
  if (!Number.isInteger(grid) || grid < 1 || image.width % grid !== 0) throw new Error(`objectRegions: the image side ${image.width} is not a multiple of the patch grid ${grid}`);
  const frame = imagePerceptionFrame(image, camera);
  const ids = frame.detections.map((d) => d.id);
  const sums = ids.map(() => [0, 0, 0, 0]); // r, g, b, pixels
  const row = new Map(ids.map((id, k) => [id, k]));
  frame.mask.forEach((id, p) => {
    const k = row.get(id);
    if (k === undefined) return;
    for (let c = 0; c < 3; c++) sums[k][c] += image.data[p * 3 + c];
    sums[k][3]++;
  });
  const colours = sums.map(([r, g, b, n]) => (n === 0 ? [0, 0, 0] : [r / n / 127.5 - 1, g / n / 127.5 - 1, b / n / 127.5 - 1]) as [number, number, number]);
  const masks = ids.map((id) => Uint8Array.from(frame.mask, (m) => (m === id ? 1 : 0)));
  return { regions: objectCoverages(frame.mask, ids, image.width, grid).map((c) => Float32Array.from(c)), colours, masks };
}

/** The index of the object that covers the most of the changed patches ([N], 1 = changed), or -1 when none touches them. */
export function changedObject(regions: readonly Float32Array[], changed: readonly number[]): number {
  let best = -1;
  let bestCover = 0;
  regions.forEach((c, r) => {
    let s = 0;
    for (let n = 0; n < changed.length; n++) s += c[n] * changed[n];
    if (s > bestCover) [best, bestCover] = [r, s];
  });
  return best;
}
