/**
 * The drawer: a small learned renderer of one object redrawn as another shape in another colour, in place (ours; what a
 * replacement "turn the X into a red cone" asks, which no pasting decoding can draw: the new shape is not in the source).
 * It works on a C x C crop centred on the object's pixels (nearest pixel of their centre):
 *   input  = [source crop (C*C*3), the object's mask crop (C*C), the camera's empty ground crop (C*C*3),
 *             one-hot of the new shape (4; all zero: keep the shape), the new colour (3, [-1, 1]),
 *             and, for a drawer that retextures, one-hot of the new material (4; all zero: keep it)]  [B, 7 C^2 + 7 (+ 4)]
 *   MLP    = linear -> relu -> linear -> relu -> linear (zero-initialised)                          [B, 3 C^2]
 *   per pixel three outputs: the new object's coverage m = sigmoid(a), its shading l = 2 sigmoid(b) (a multiple of the
 *   colour: the lit and shaded sides, the dark checks) and a white highlight h = sigmoid(c) / 2 (metal);
 *   object = min(1, colour01 * l + h); prediction01 = m * object + (1 - m) * erased01,
 * where erased is the source with the object's pixels replaced by the empty ground (the removal). So the drawer only
 * has to learn where the new object lies and how it is lit; what stays, stays. Outside the crop the prediction is the
 * erased source. Trained on engine replacements (lib/eval/redraw-data.ts) with the squared error over the crop; a drawer
 * that retextures (config.retexture) also on engine retextures ("turn the X into striped": the same shape and colour, told
 * as "keep the shape" and the colour its pixels show, in another material), the replacements then keeping their material.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/rng";
import { disposeParams, initLinear, linear, type Params } from "../../nn/layers";
import { MATERIALS, SHAPES, type Material, type Shape } from "../../world/types";

export interface RedrawConfig {
  /** Side C of the square crop around the object (pixels). */
  crop: number;
  /** Width of the two hidden layers. */
  hidden: number;
  /** Whether the drawer also retextures: its requests may keep the shape (null) and name a material (absent: false). */
  retexture?: boolean;
}

export const REDRAW_DEFAULTS: RedrawConfig = { crop: 16, hidden: 512, retexture: false };

export function checkRedrawConfig(c: RedrawConfig): RedrawConfig {
  if (!Number.isInteger(c.crop) || c.crop < 2 || c.crop % 2 !== 0) throw new Error(`redraw: crop must be an even integer >= 2, got ${c.crop}`);
  if (!Number.isInteger(c.hidden) || c.hidden < 1) throw new Error(`redraw: hidden must be a positive integer, got ${c.hidden}`);
  if (c.retexture !== undefined && typeof c.retexture !== "boolean") throw new Error(`redraw: retexture must be true or false, got ${String(c.retexture)}`);
  return c;
}

/** The input width of a drawer with crop C: 7 C^2 + 7, and 4 more (the material) for one that retextures. */
export const redrawInputSize = (c: RedrawConfig) => 7 * c.crop * c.crop + SHAPES.length + 3 + (c.retexture === true ? MATERIALS.length : 0);

/** A drawer's weights (seeded; the last layer zero, so an untrained drawer blends the object half into the erased source). */
export function initRedraw(c: RedrawConfig, seed: number): Params {
  checkRedrawConfig(c);
  const rng = new Rng(seed);
  return { ...initLinear(rng, redrawInputSize(c), c.hidden, "redraw.l1"), ...initLinear(rng, c.hidden, c.hidden, "redraw.l2"), ...initLinear(rng, c.hidden, 3 * c.crop * c.crop, "redraw.out", 0) };
}

export { disposeParams as disposeRedraw };

/**
 * One object to redraw: the source [S * S * 3] and the empty ground [S * S * 3] in [-1, 1], the object's mask [S * S], the
 * new shape (null: the one it has) and colour ([-1, 1]), and the new material (absent or null: the one it has). Keeping the
 * shape or naming a material needs a drawer that retextures.
 */
export interface RedrawRequest {
  source: ArrayLike<number>;
  mask: ArrayLike<number>;
  ground: ArrayLike<number>;
  shape: Shape | null;
  colour: readonly [number, number, number];
  material?: Material | null;
}

/** The crop's top-left pixel for a mask [S * S]: the nearest pixel of its pixels' centre minus C / 2 (may lie outside the image). */
export function cropCorner(mask: ArrayLike<number>, S: number, C: number): [number, number] {
  let [sx, sy, k] = [0, 0, 0];
  for (let p = 0; p < S * S; p++) if (mask[p] === 1) [sx, sy, k] = [sx + (p % S), sy + Math.floor(p / S), k + 1];
  if (k === 0) throw new Error("redraw: the object's mask is empty");
  return [Math.round(sx / k) - C / 2, Math.round(sy / k) - C / 2];
}

/** The side S of the square image a request holds, after checking its parts agree and that the drawer `c` can draw it. */
function sideOf(c: RedrawConfig, r: RedrawRequest, who: string): number {
  const S = Math.round(Math.sqrt(r.mask.length));
  if (S * S !== r.mask.length || r.source.length !== S * S * 3 || r.ground.length !== S * S * 3) throw new Error(`${who}: a mask of ${r.mask.length} pixels, a source of ${r.source.length} values and a ground of ${r.ground.length} do not fit one square image`);
  if (r.shape !== null && !SHAPES.includes(r.shape)) throw new Error(`${who}: unknown shape '${String(r.shape)}' (${SHAPES.join(", ")})`);
  const material = r.material ?? null;
  if (material !== null && !MATERIALS.includes(material)) throw new Error(`${who}: unknown material '${String(material)}' (${MATERIALS.join(", ")})`);
  if ((r.shape === null || material !== null) && c.retexture !== true) throw new Error(`${who}: ${r.shape === null ? "keeping the shape (shape null)" : `a material ('${material}')`} needs a drawer that retextures (config.retexture); this one only replaces`);
  if (r.colour.length !== 3 || !r.colour.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)) throw new Error(`${who}: the colour must be three numbers in [-1, 1], got [${r.colour.join(", ")}]`);
  return S;
}

/** The source with the object's pixels replaced by the empty ground ([S * S * 3], [-1, 1]). */
export function erasedSource(r: Pick<RedrawRequest, "source" | "mask" | "ground">): Float32Array {
  const out = Float32Array.from(r.source);
  for (let p = 0; p < r.mask.length; p++) if (r.mask[p] === 1) for (let c = 0; c < 3; c++) out[p * 3 + c] = r.ground[p * 3 + c];
  return out;
}

/** Per request: its input row [redrawInputSize], its erased crop [C^2 * 3] in [0, 1], its colour in [0, 1] and its crop corner. */
export interface RedrawInputs {
  rows: Float32Array; // [B, redrawInputSize(c)]
  erased: Float32Array; // [B, C^2 * 3], [0, 1]
  colours: Float32Array; // [B, 3], [0, 1]
  corners: [number, number][];
  S: number;
}

/** The drawer's inputs for `requests` (all of one image side); pixels outside the image read 0 (mid grey) and a mask of 0. */
export function redrawInputs(c: RedrawConfig, requests: readonly RedrawRequest[]): RedrawInputs {
  const C = c.crop;
  const B = requests.length;
  const D = redrawInputSize(c);
  const rows = new Float32Array(B * D);
  const erased = new Float32Array(B * C * C * 3);
  const colours = new Float32Array(B * 3);
  const corners: [number, number][] = [];
  let S = -1;
  requests.forEach((r, b) => {
    const s = sideOf(c, r, "redrawInputs");
    if (S >= 0 && s !== S) throw new Error(`redrawInputs: request ${b} is ${s} pixels wide, the first ${S}`);
    S = s;
    const er = erasedSource(r);
    const [x0, y0] = cropCorner(r.mask, S, C);
    corners.push([x0, y0]);
    const row = b * D;
    for (let y = 0; y < C; y++) {
      for (let x = 0; x < C; x++) {
        const [u, v] = [x0 + x, y0 + y];
        const q = y * C + x;
        const inside = u >= 0 && v >= 0 && u < S && v < S;
        const p = v * S + u;
        for (let k = 0; k < 3; k++) {
          rows[row + q * 3 + k] = inside ? r.source[p * 3 + k] : 0;
          rows[row + 4 * C * C + q * 3 + k] = inside ? r.ground[p * 3 + k] : 0;
          erased[(b * C * C + q) * 3 + k] = ((inside ? er[p * 3 + k] : 0) + 1) / 2;
        }
        rows[row + 3 * C * C + q] = inside && r.mask[p] === 1 ? 1 : 0;
      }
    }
    if (r.shape !== null) rows[row + 7 * C * C + SHAPES.indexOf(r.shape)] = 1;
    for (let k = 0; k < 3; k++) {
      rows[row + 7 * C * C + SHAPES.length + k] = r.colour[k];
      colours[b * 3 + k] = (r.colour[k] + 1) / 2;
    }
    if ((r.material ?? null) !== null) rows[row + 7 * C * C + SHAPES.length + 3 + MATERIALS.indexOf(r.material!)] = 1;
  });
  return { rows, erased, colours, corners, S };
}

/** The drawer's crops [B, C^2, 3] in [0, 1] for its inputs. Call inside tf.tidy or a tape. */
export function redrawCrops(p: Params, c: RedrawConfig, inp: RedrawInputs): tf.Tensor3D {
  const B = inp.corners.length;
  const C2 = c.crop * c.crop;
  const x = tf.tensor2d(inp.rows, [B, redrawInputSize(c)]);
  const h = tf.relu(linear(tf.relu(linear(x, p, "redraw.l1")), p, "redraw.l2"));
  const out = tf.reshape(linear(h, p, "redraw.out"), [B, C2, 3]); // per pixel: coverage, shading, highlight logits
  const [a, l, w] = tf.split(out, 3, 2) as tf.Tensor3D[]; // [B, C2, 1] each
  const m = tf.sigmoid(a);
  const colour = tf.reshape(tf.tensor2d(inp.colours, [B, 3]), [B, 1, 3]);
  const object = tf.minimum(1, tf.add(tf.mul(colour, tf.mul(2, tf.sigmoid(l))), tf.mul(0.5, tf.sigmoid(w)))); // [B, C2, 3]
  const erased = tf.tensor3d(inp.erased, [B, C2, 3]);
  return tf.add(tf.mul(m, object), tf.mul(tf.sub(1, m), erased)) as tf.Tensor3D;
}

/** The drawer's loss against the target crops [B, C^2 * 3] in [0, 1]: the mean squared error. Call inside tf.tidy or a tape. */
export function redrawLoss(p: Params, c: RedrawConfig, inp: RedrawInputs, targets: Float32Array): tf.Scalar {
  const pred = redrawCrops(p, c, inp);
  return tf.mean(tf.square(tf.sub(pred, tf.tensor3d(targets, pred.shape)))) as tf.Scalar;
}

/** The C x C crop of an image [S * S * 3] in [-1, 1] at `corner`, in [0, 1] ([C^2 * 3]; 0.5 outside the image). */
export function cropOf(image: ArrayLike<number>, S: number, C: number, corner: readonly [number, number]): Float32Array {
  const out = new Float32Array(C * C * 3).fill(0.5);
  for (let y = 0; y < C; y++) {
    for (let x = 0; x < C; x++) {
      const [u, v] = [corner[0] + x, corner[1] + y];
      if (u < 0 || v < 0 || u >= S || v >= S) continue;
      for (let k = 0; k < 3; k++) out[(y * C + x) * 3 + k] = (image[(v * S + u) * 3 + k] + 1) / 2;
    }
  }
  return out;
}

/** The redrawn images [S * S * 3] in [-1, 1]: each request's erased source with the drawer's crop pasted in (inside the image). */
export function redrawImages(p: Params, c: RedrawConfig, requests: readonly RedrawRequest[]): Float32Array[] {
  if (requests.length === 0) return [];
  const inp = redrawInputs(c, requests);
  const crops = tf.tidy(() => redrawCrops(p, c, inp).dataSync() as Float32Array);
  const C = c.crop;
  const S = inp.S;
  return requests.map((r, b) => {
    const out = erasedSource(r);
    const [x0, y0] = inp.corners[b];
    for (let y = 0; y < C; y++) {
      for (let x = 0; x < C; x++) {
        const [u, v] = [x0 + x, y0 + y];
        if (u < 0 || v < 0 || u >= S || v >= S) continue;
        for (let k = 0; k < 3; k++) out[(v * S + u) * 3 + k] = crops[(b * C * C + y * C + x) * 3 + k] * 2 - 1;
      }
    }
    return out;
  });
}
