/**
 * Semantic parsing (paper §5.1.1, the LLaVA step): each detected instance becomes
 * [object, description, trend]. The object is the detector's label, the colour name comes
 * from the instance's own pixels (median chromaticity, nearest palette colour), material,
 * size and trend from the source's hints when it has them.
 */
import { COLOUR_RGB } from "../world/conventions";
import { COLOURS } from "../world/types";
import type { ColourName } from "../world/types";
import type { Detection, ObjectInfo } from "./types";

const PALETTE_CHROMA: { name: ColourName; c: [number, number, number] }[] = COLOURS.map((name) => {
  const [r, g, b] = COLOUR_RGB[name];
  const m = Math.max(r, g, b);
  return { name, c: [r / m, g / m, b / m] };
});

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Colour name of the pixels at `pixels` (indices into the H*W grid) of an RGB buffer:
 * per-pixel chromaticity (channels divided by the brightest one, so shading and dark
 * stripes do not matter), median per channel, nearest palette chromaticity. Very dark
 * pixels (max channel < 12) and saturated highlights (all channels > 240) are skipped.
 * Returns null when no usable pixel is left.
 */
export function colourName(rgb: Uint8Array, pixels: ArrayLike<number>): ColourName | null {
  const rs: number[] = [];
  const gs: number[] = [];
  const bs: number[] = [];
  // a deterministic stride keeps the medians cheap on large objects (at most ~2000 pixels)
  const stride = Math.max(1, Math.floor(pixels.length / 2000));
  for (let k = 0; k < pixels.length; k += stride) {
    const i = pixels[k] * 3;
    const r = rgb[i];
    const g = rgb[i + 1];
    const b = rgb[i + 2];
    const m = Math.max(r, g, b);
    if (m < 12) continue;
    if (r > 240 && g > 240 && b > 240) continue;
    rs.push(r / m);
    gs.push(g / m);
    bs.push(b / m);
  }
  if (rs.length === 0) return null;
  const c = [median(rs), median(gs), median(bs)];
  let best: ColourName = PALETTE_CHROMA[0].name;
  let bestD = Infinity;
  for (const p of PALETTE_CHROMA) {
    const d = (p.c[0] - c[0]) ** 2 + (p.c[1] - c[1]) ** 2 + (p.c[2] - c[2]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = p.name;
    }
  }
  return best;
}

/** The semantic triplet [object, description, trend] plus attributes, as stored in ObjectInfo. */
export type ParsedObject = Pick<ObjectInfo, "object" | "description" | "trend" | "colour" | "material" | "sizeClass">;

/** [object, description, trend] of one detection; description = "[size] colour [material]". */
export function parseObject(det: Detection, colour: ColourName): ParsedObject {
  const material = det.hints.material ?? null;
  const sizeClass = det.hints.size ?? null;
  const parts: string[] = [];
  if (sizeClass !== null) parts.push(sizeClass);
  parts.push(colour);
  if (material !== null) parts.push(material);
  return { object: String(det.label), description: parts.join(" "), trend: det.hints.trend ?? "none", colour, material, sizeClass };
}
