/**
 * Instance masks from boxes without weights (the paper's Grounded-SAM step, box-prompted): a
 * GrabCut-style segmentation inside each box. Numbered steps per box:
 *   1. the box plus a ring around it is sampled on a small work grid (at most `workSide` a side);
 *   2. colour models: quantised RGB histograms (bins^3) of the ring (background) and of the box
 *      (object, weighted towards the centre);
 *   3. per cell: log-odds = log p(colour | object) - log p(colour | background) plus a box-shape
 *      prior (higher at the centre, lower at the edge);
 *   4. labels by iterated conditional modes with a Potts term (agree with the 4 neighbours);
 *      cells outside the box are background;
 *   5. the object model is re-estimated from the cells labelled object, the background model from
 *      the ring plus the cells labelled background (GrabCut's loop), `rounds` times;
 *   6. the largest 4-connected object component is kept; its 3x3-smoothed labels are upsampled
 *      bilinearly to the image and cut at 1/2.
 * Overlapping boxes: the box whose bottom edge is lower in the picture is nearer on a ground
 * plane, so it is painted last and owns the shared pixels.
 * Graph cuts would give the exact minimum of the same energy; ICM finds a local one, cheaply.
 */
import type { RgbImage } from "../engine/types";
import { checkRgb } from "../engine/image-io";
import type { BoxSegConfig } from "./config";
import { clipBox } from "./boxes";
import type { Box } from "./boxes";

/** The object cells of one box on its work grid, and the mapping to image pixels. */
export interface BoxMask {
  /** Pixels (indices v * W + u of the image) that belong to the object. */
  pixels: Int32Array;
  /** Why the mask is empty, or null. */
  emptyReason: string | null;
}

const EPS = 1e-3;

function histogram(bins: number): Float64Array {
  return new Float64Array(bins * bins * bins);
}

function normalise(h: Float64Array): void {
  let s = 0;
  for (let i = 0; i < h.length; i++) s += h[i];
  const k = 1 / (s + EPS * h.length);
  for (let i = 0; i < h.length; i++) h[i] = (h[i] + EPS) * k;
}

/** Segments the object inside one box of `image` (paper §5.1.1, box-prompted segmentation). */
export function segmentBox(image: RgbImage, box: Box, config: BoxSegConfig): BoxMask {
  checkRgb(image, "segmentBox");
  const W = image.width;
  const H = image.height;
  const b = clipBox(box, W, H);
  if (b === null) return { pixels: new Int32Array(0), emptyReason: `box [${box.map((x) => x.toFixed(1)).join(", ")}] lies outside the ${W}x${H} image` };
  // 1. region = box + ring, work grid of gw x gh cells
  const ringPx = config.ring * Math.max(b[2] - b[0], b[3] - b[1]);
  const r0 = Math.max(0, Math.floor(b[0] - ringPx));
  const r1 = Math.max(0, Math.floor(b[1] - ringPx));
  const r2 = Math.min(W, Math.ceil(b[2] + ringPx));
  const r3 = Math.min(H, Math.ceil(b[3] + ringPx));
  const rw = r2 - r0;
  const rh = r3 - r1;
  const s = Math.min(1, config.workSide / Math.max(rw, rh));
  const gw = Math.max(1, Math.round(rw * s));
  const gh = Math.max(1, Math.round(rh * s));
  const n = gw * gh;
  const cellX = rw / gw; // image pixels per cell
  const cellY = rh / gh;
  const shift = 8 - Math.log2(config.bins);
  const binsPow2 = Number.isInteger(shift);
  const colourBin = new Int32Array(n);
  const inBox = new Uint8Array(n);
  const prior = new Float64Array(n);
  const bcx = (b[0] + b[2]) / 2;
  const bcy = (b[1] + b[3]) / 2;
  const bhw = (b[2] - b[0]) / 2;
  const bhh = (b[3] - b[1]) / 2;
  const q = (c: number) => (binsPow2 ? c >> shift : Math.min(config.bins - 1, Math.floor((c * config.bins) / 256)));
  for (let j = 0; j < gh; j++) {
    const y = r1 + (j + 0.5) * cellY;
    const v = Math.min(H - 1, Math.floor(y));
    for (let i = 0; i < gw; i++) {
      const x = r0 + (i + 0.5) * cellX;
      const u = Math.min(W - 1, Math.floor(x));
      const p = (v * W + u) * 3;
      const c = j * gw + i;
      colourBin[c] = (q(image.data[p]) * config.bins + q(image.data[p + 1])) * config.bins + q(image.data[p + 2]);
      if (x >= b[0] && x < b[2] && y >= b[1] && y < b[3]) {
        inBox[c] = 1;
        const dx = (x - bcx) / bhw;
        const dy = (y - bcy) / bhh;
        prior[c] = config.shapePrior * (0.5 - (dx * dx + dy * dy));
      }
    }
  }
  // 2. colour models; when the ring is (nearly) empty (box at the image border), the box's own
  // outermost cells stand in for the background
  const ringCells: number[] = [];
  for (let c = 0; c < n; c++) if (!inBox[c]) ringCells.push(c);
  if (ringCells.length < 16) {
    for (let j = 0; j < gh; j++) {
      for (let i = 0; i < gw; i++) {
        if (i === 0 || j === 0 || i === gw - 1 || j === gh - 1) ringCells.push(j * gw + i);
      }
    }
  }
  const label = new Uint8Array(n);
  const fg = histogram(config.bins);
  for (let c = 0; c < n; c++) {
    if (!inBox[c]) continue;
    label[c] = prior[c] > 0 ? 1 : 0;
    fg[colourBin[c]] += Math.exp(prior[c]);
  }
  normalise(fg);
  const bg = histogram(config.bins);
  const unary = new Float64Array(n);
  for (let round = 0; round < config.rounds; round++) {
    bg.fill(0);
    for (const c of ringCells) bg[colourBin[c]] += 1;
    if (round > 0) {
      fg.fill(0);
      for (let c = 0; c < n; c++) {
        if (!inBox[c]) continue;
        if (label[c]) fg[colourBin[c]] += 1;
        else bg[colourBin[c]] += 1;
      }
      normalise(fg);
    }
    normalise(bg);
    // 3. unary log-odds
    for (let c = 0; c < n; c++) unary[c] = inBox[c] ? Math.log(fg[colourBin[c]]) - Math.log(bg[colourBin[c]]) + prior[c] : -Infinity;
    // 4. ICM with a Potts term
    for (let sweep = 0; sweep < config.sweeps; sweep++) {
      for (let j = 0; j < gh; j++) {
        for (let i = 0; i < gw; i++) {
          const c = j * gw + i;
          if (!inBox[c]) continue;
          let agree = 0;
          if (i > 0) agree += label[c - 1] ? 1 : -1;
          if (i < gw - 1) agree += label[c + 1] ? 1 : -1;
          if (j > 0) agree += label[c - gw] ? 1 : -1;
          if (j < gh - 1) agree += label[c + gw] ? 1 : -1;
          label[c] = unary[c] + config.smoothness * agree > 0 ? 1 : 0;
        }
      }
    }
  }
  // 6. largest 4-connected component
  const keep = largestComponent(label, gw, gh);
  if (keep === null) return { pixels: new Int32Array(0), emptyReason: "no cell of the box looks more like the object than like the ring around it" };
  return { pixels: upsample(keep, gw, gh, r0, r1, cellX, cellY, b, W), emptyReason: null };
}

/** The largest 4-connected component of the 1-cells as a 0/1 grid, or null when there is none. */
export function largestComponent(label: Uint8Array, gw: number, gh: number): Uint8Array | null {
  const comp = new Int32Array(label.length).fill(-1);
  let best = -1;
  let bestSize = 0;
  const stack: number[] = [];
  let id = 0;
  for (let start = 0; start < label.length; start++) {
    if (!label[start] || comp[start] >= 0) continue;
    let size = 0;
    stack.push(start);
    comp[start] = id;
    while (stack.length > 0) {
      const c = stack.pop()!;
      size++;
      const i = c % gw;
      const nb = [i > 0 ? c - 1 : -1, i < gw - 1 ? c + 1 : -1, c >= gw ? c - gw : -1, c + gw < gw * gh ? c + gw : -1];
      for (const d of nb) {
        if (d >= 0 && label[d] && comp[d] < 0) {
          comp[d] = id;
          stack.push(d);
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = id;
    }
    id++;
  }
  if (best < 0) return null;
  const out = new Uint8Array(label.length);
  for (let c = 0; c < label.length; c++) out[c] = comp[c] === best ? 1 : 0;
  return out;
}

/** 3x3-smoothed labels, bilinear to image pixels inside the box, cut at 1/2. */
function upsample(keep: Uint8Array, gw: number, gh: number, r0: number, r1: number, cellX: number, cellY: number, b: Box, W: number): Int32Array {
  const soft = new Float32Array(gw * gh);
  for (let j = 0; j < gh; j++) {
    for (let i = 0; i < gw; i++) {
      let s = 0;
      let k = 0;
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj;
        if (jj < 0 || jj >= gh) continue;
        for (let di = -1; di <= 1; di++) {
          const ii = i + di;
          if (ii < 0 || ii >= gw) continue;
          s += keep[jj * gw + ii];
          k++;
        }
      }
      // the cell's own label dominates so that thin parts survive the smoothing
      soft[j * gw + i] = 0.5 * keep[j * gw + i] + (0.5 * s) / k;
    }
  }
  const out: number[] = [];
  const u0 = Math.floor(b[0]);
  const u1 = Math.ceil(b[2]);
  const v0 = Math.floor(b[1]);
  const v1 = Math.ceil(b[3]);
  for (let v = v0; v < v1; v++) {
    const gy = Math.min(gh - 1, Math.max(0, (v + 0.5 - r1) / cellY - 0.5));
    const j0 = Math.floor(gy);
    const j1 = Math.min(gh - 1, j0 + 1);
    const fy = gy - j0;
    for (let u = u0; u < u1; u++) {
      const gx = Math.min(gw - 1, Math.max(0, (u + 0.5 - r0) / cellX - 0.5));
      const i0 = Math.floor(gx);
      const i1 = Math.min(gw - 1, i0 + 1);
      const fx = gx - i0;
      const val =
        (1 - fy) * ((1 - fx) * soft[j0 * gw + i0] + fx * soft[j0 * gw + i1]) + fy * ((1 - fx) * soft[j1 * gw + i0] + fx * soft[j1 * gw + i1]);
      if (val > 0.5) out.push(v * W + u);
    }
  }
  return Int32Array.from(out);
}

/** An instance mask [H * W] (-1 = none) and, per box, why it came out empty (or null). */
export interface InstanceMasks {
  mask: Int32Array;
  emptyReasons: (string | null)[];
}

/**
 * Paints per-box masks into one instance mask (value = box index). Nearer boxes (lower bottom
 * edge) are painted last and own shared pixels.
 */
export function paintInstances(W: number, H: number, boxes: readonly Box[], masks: readonly BoxMask[]): InstanceMasks {
  const mask = new Int32Array(W * H).fill(-1);
  const order = boxes.map((b, i) => i).sort((a, c) => boxes[a][3] - boxes[c][3] || a - c);
  for (const i of order) for (const p of masks[i].pixels) mask[p] = i;
  const emptyReasons = masks.map((m, i) => {
    if (m.emptyReason !== null) return m.emptyReason;
    for (const p of m.pixels) if (mask[p] === i) return null;
    return "every pixel of the object is covered by a nearer object's mask";
  });
  return { mask, emptyReasons };
}

/** Box-prompted masks for all boxes (the weight-free segmenter). */
export function segmentBoxes(image: RgbImage, boxes: readonly Box[], config: BoxSegConfig): InstanceMasks {
  return paintInstances(image.width, image.height, boxes, boxes.map((b) => segmentBox(image, b, config)));
}
