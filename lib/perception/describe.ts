/**
 * Descriptions of real-photo objects: the stand-in for the paper's LLaVA step (§5.1.1, "object,
 * description, trend"). Not a language model: dominant colour names from the mask's own pixels
 * (an HSV rule over 12 everyday colour words), a size word from the mask's share of the image,
 * and "static" / "can move" from the object's class (coco.ts). The engine's own `colour` field
 * keeps the nearest SpatialWorld palette colour; `description` carries these words.
 */
import type { SizeName } from "../world/types";
import type { DescribeConfig } from "./config";
import { motionOfClass } from "./coco";

export const PHOTO_COLOURS = ["black", "white", "gray", "red", "orange", "brown", "yellow", "green", "cyan", "blue", "purple", "pink"] as const;
export type PhotoColour = (typeof PHOTO_COLOURS)[number];

/** The colour word of one sRGB pixel (HSV thresholds; see the module comment). */
export function colourWord(r: number, g: number, b: number): PhotoColour {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const v = max / 255;
  const s = max === 0 ? 0 : (max - min) / max;
  if (v < 0.2) return "black";
  if (s < 0.2) return v > 0.8 ? "white" : "gray";
  let hue: number;
  if (max === r) hue = (60 * ((g - b) / (max - min)) + 360) % 360;
  else if (max === g) hue = 60 * ((b - r) / (max - min)) + 120;
  else hue = 60 * ((r - g) / (max - min)) + 240;
  if (hue < 15 || hue >= 345) return s < 0.45 && v > 0.7 ? "pink" : "red";
  if (hue < 45) return v < 0.6 ? "brown" : "orange";
  if (hue < 70) return v < 0.5 ? "brown" : "yellow";
  if (hue < 160) return "green";
  if (hue < 200) return "cyan";
  if (hue < 260) return "blue";
  if (hue < 300) return "purple";
  return "pink";
}

/** A photo object's description and where each word came from. */
export interface PhotoDescription {
  /** Colour words, dominant first, with their share of the mask's pixels. */
  colours: { name: PhotoColour; share: number }[];
  size: SizeName;
  /** Mask area as a share of the image. */
  areaShare: number;
  motion: "static" | "mobile";
  /** "large black and white person (can move)". */
  text: string;
}

/** Describes the object at `pixels` (indices v * W + u) of an RGB buffer of `imagePixels` pixels. */
export function describeObject(rgb: Uint8Array, pixels: ArrayLike<number>, imagePixels: number, label: string, config: DescribeConfig): PhotoDescription {
  const counts = new Map<PhotoColour, number>();
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k] * 3;
    const w = colourWord(rgb[i], rgb[i + 1], rgb[i + 2]);
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const n = pixels.length;
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || PHOTO_COLOURS.indexOf(a[0]) - PHOTO_COLOURS.indexOf(b[0]));
  const colours = ranked.filter(([, c], i) => i === 0 || c / n >= config.secondColourShare).slice(0, 2).map(([name, c]) => ({ name, share: c / n }));
  const areaShare = imagePixels > 0 ? n / imagePixels : 0;
  const size: SizeName = areaShare < config.smallArea ? "small" : areaShare > config.largeArea ? "large" : "medium";
  const motion = motionOfClass(label);
  const colourText = colours.length === 0 ? "" : `${colours.map((c) => c.name).join(" and ")} `;
  return { colours, size, areaShare, motion, text: `${size} ${colourText}${label}${motion === "mobile" ? " (can move)" : ""}` };
}
