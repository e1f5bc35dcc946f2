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
  if (image.width !== image.height) throw new Error(`objectRegions: needs a square image, got ${image.width}x${image.height}`);
  if (!Number.isInteger(grid) || grid < 1 || image.width % grid !== 0) throw new Error(`objectRegions: the image side ${image.width} is not a multiple of the patch grid ${grid}`);
  const frame = imagePerceptionFrame(image, camera);
  return objectCoverages(frame.mask, frame.detections.map((d) => d.id), image.width, grid).map((c) => Float32Array.from(c));
}
