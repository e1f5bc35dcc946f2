/**
 * Real photos for the detector tests. The npm package @vladmandic/human (MIT) ships
 * `assets/samples.jpg`, a contact sheet of real photographs; its right-most thumbnail (141 x 157
 * pixels at (1131, 1)) is a photo of three people standing. Boxes below were drawn by hand on
 * that crop (pixels, [x0, y0, x1, y1]), before running any detector.
 */
import * as path from "path";
import sharp from "sharp";

export function humanSamplesJpg(): string {
  return path.join(path.dirname(require.resolve("@vladmandic/human")), "..", "assets", "samples.jpg");
}

/** The three-people photo as PNG bytes (cropped from samples.jpg). */
export async function threePeoplePhoto(): Promise<Buffer> {
  return sharp(humanSamplesJpg()).extract({ left: 1131, top: 1, width: 141, height: 157 }).png().toBuffer();
}

/** Hand-drawn boxes of the three people: left (red dress), middle (man in a suit), right. */
export const THREE_PEOPLE_BOXES: [number, number, number, number][] = [
  [19, 24, 64, 157],
  [50, 6, 90, 157],
  [85, 24, 130, 157],
];
