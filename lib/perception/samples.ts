/**
 * Real photos that ship inside an npm package, for tests, the notebook and the benchmark. The
 * package @vladmandic/human (MIT) has `assets/samples.jpg` (1280 x 1158), a contact sheet of
 * real photographs: a row of thumbnails on top and one large group photo below it (rows
 * 196..1157; the package's demo drew thin boxes and labels on it).
 */
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import type { Box } from "./boxes";
import { humanPackageDir } from "./detector";

/** The path of `assets/samples.jpg` inside the installed @vladmandic/human. */
export function humanSamplesJpg(): string {
  const file = path.join(humanPackageDir(), "assets", "samples.jpg");
  if (!fs.existsSync(file)) throw new Error(`humanSamplesJpg: ${file} is missing from the installed package`);
  return file;
}

/** The right-most thumbnail (141 x 157 at (1131, 1)): three people standing, as PNG bytes. */
export async function threePeoplePhoto(): Promise<Buffer> {
  return sharp(humanSamplesJpg()).extract({ left: 1131, top: 1, width: 141, height: 157 }).png().toBuffer();
}

/**
 * Boxes of the three people in `threePeoplePhoto`, drawn by hand before any detector ran
 * ([x0, y0, x1, y1] pixels): left (red dress), middle (man in a suit), right.
 */
export const THREE_PEOPLE_BOXES: readonly Box[] = [
  [19, 24, 64, 157],
  [50, 6, 90, 157],
  [85, 24, 130, 157],
];

/** Six 512 x 512 crops of the large group photo at native resolution, as JPEG bytes (quality 90). */
export async function groupPhotoCrops(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const top of [196, 646]) {
    for (const left of [0, 384, 768]) {
      out.push(await sharp(humanSamplesJpg()).extract({ left, top, width: 512, height: 512 }).jpeg({ quality: 90 }).toBuffer());
    }
  }
  return out;
}
