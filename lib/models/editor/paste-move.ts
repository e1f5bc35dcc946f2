/**
 * The pixel-level predictions behind the `object+offset+paste` and `object+offset+shade` gate decodings (gate-decode.ts): a
 * move pasted from the source's own pixels, a still object recoloured with its own shading or removed to the empty ground,
 * and the per-patch plans they imply.
 */
import { CHANGED_RESIDUAL } from "./losses";

/** The side S of the one square image a `mask` [S * S], a `source` and a `ground` [S * S * 3] must share (`who` names the caller in errors). */
function imageSide(who: string, source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>): number {
  const S = Math.round(Math.sqrt(mask.length));
  if (S * S !== mask.length || source.length !== S * S * 3 || ground.length !== S * S * 3) throw new Error(`${who}: a mask of ${mask.length} pixels, a source of ${source.length} values and a ground of ${ground.length} do not fit one square image`);
  return S;
}

/** The side G of the patch grid an image of side S splits into, after checking that `patch` divides S. */
function patchGrid(who: string, S: number, patch: number): number {
  if (S % patch !== 0) throw new Error(`${who}: the image side ${S} is not a multiple of the patch ${patch}`);
  return S / patch;
}

/** The patch (row-major on the G = S / patch grid) that pixel p of an S x S image lies in. */
export const patchOfPixel = (p: number, S: number, patch: number) => Math.floor(Math.floor(p / S) / patch) * (S / patch) + Math.floor((p % S) / patch);

/**
 * How pasteMove pastes: the object's scale (default 1), and whether a pixel counts as changed only where the prediction
 * differs from the source (beyond the residual losses.ts CHANGED_RESIDUAL calls a change, as the truth's changed share and
 * plan count) rather than wherever the object was or lands (the default).
 */
export interface PasteOptions {
  scale?: number;
  byChange?: boolean;
  /**
   * The other perceived objects' pixel masks ([S * S] each, 1 on the object; ours, "behind"): a landing pixel on one of
   * them stays that object's where it stands nearer on the ground than the moved object, i.e. where its lowest row lies
   * below the moved object's lowest row after the move (the camera looks down on the ground plane, so a lower contact row
   * is nearer). Without them the moved object is pasted over everything (the default).
   */
  others?: readonly ArrayLike<number>[];
}

/** The lowest row (largest y) of the pixels of `mask` ([S * S], 1 on the object), -1 when it has none. */
export function lowestRow(mask: ArrayLike<number>, S: number): number {
  for (let p = S * S - 1; p >= 0; p--) if (mask[p] === 1) return Math.floor(p / S);
  return -1;
}

/**
 * A move predicted by pasting: `source` [S * S * 3] with the pixels of `mask` (1 on the object, [S * S]) replaced by `ground`
 * ([S * S * 3], the empty ground) and then the object's source pixels scaled by `scale` about the centre of its pixels
 * (nearest pixel) and moved by [dx, dy] whole pixels (x right, y down; off the image: dropped), so that its centre moves
 * by the offset, as the offset head's truth (the shift of the visible pixels' centre) says; each patch of side `patch`
 * that has a changed pixel (one the object left or reached; with `byChange` one the prediction changes) gets the mean of
 * its changed pixels in the prediction: per patch [N] whether it has one, the means [N * 3] (0 where none), and the share
 * of its pixels that change [N] (the gate's truth is each patch's changed share), and the prediction itself (`image`).
 */
export function pasteMove(source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, dx: number, dy: number, patch: number, options: PasteOptions = {}): { patches: number[]; colours: Float32Array; share: number[]; image: Float32Array } {
  const scale = options.scale ?? 1;
  const S = imageSide("pasteMove", source, mask, ground);
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) throw new Error(`pasteMove: the offset must be whole pixels, got [${dx}, ${dy}]`);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`pasteMove: the scale must be a finite number > 0, got ${scale}`);
  patchGrid("pasteMove", S, patch);
  const pred = Float32Array.from(source);
  const changed = new Uint8Array(S * S);
  let [sx0, sy0, k0] = [0, 0, 0]; // the object's pixel centre, in pixel-edge coordinates
  for (let p = 0; p < S * S; p++) {
    if (mask[p] !== 1) continue;
    for (let c = 0; c < 3; c++) pred[p * 3 + c] = ground[p * 3 + c];
    changed[p] = 1;
    [sx0, sy0, k0] = [sx0 + (p % S) + 0.5, sy0 + Math.floor(p / S) + 0.5, k0 + 1];
  }
  const [ax, ay] = k0 === 0 ? [0, 0] : [sx0 / k0, sy0 / k0];
  const from = new Int32Array(S * S).fill(-1); // per landing pixel, the source pixel it takes
  let bottom = -1; // the moved object's lowest row
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const [sx, sy] = scale === 1 ? [x - dx, y - dy] : [Math.floor(ax + (x + 0.5 - dx - ax) / scale), Math.floor(ay + (y + 0.5 - dy - ay) / scale)];
      if (sx < 0 || sy < 0 || sx >= S || sy >= S || mask[sy * S + sx] !== 1) continue;
      from[y * S + x] = sy * S + sx;
      bottom = y;
    }
  }
  const nearer = (options.others ?? []).filter((m) => {
    if (m.length !== S * S) throw new Error(`pasteMove: an other object's mask of ${m.length} pixels, expected ${S * S}`);
    return lowestRow(m, S) > bottom;
  });
  for (let q = 0; q < S * S; q++) {
    if (from[q] < 0 || nearer.some((m) => m[q] === 1)) continue;
    for (let c = 0; c < 3; c++) pred[q * 3 + c] = source[from[q] * 3 + c];
    changed[q] = 1;
  }
  return { ...changedPatches(pred, options.byChange === true ? changedMask(pred, source) : changed, S, patch), image: pred };
}

/** Whether pixel q of `pred` differs from `source` ([S * S * 3] in [-1, 1]) beyond the residual losses.ts CHANGED_RESIDUAL calls a change. */
export function changedPixel(pred: ArrayLike<number>, source: ArrayLike<number>, q: number): boolean {
  return [0, 1, 2].some((c) => Math.abs(pred[q * 3 + c] - source[q * 3 + c]) > 2 * CHANGED_RESIDUAL);
}

/** The pixels [S * S] where `pred` differs from `source` ([S * S * 3] each) as changedPixel says (1 = changed). */
export function changedMask(pred: ArrayLike<number>, source: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: pred.length / 3 }, (_, q) => (changedPixel(pred, source, q) ? 1 : 0));
}

/** A prediction [S * S * 3] of `source` as the plan and gate of the pixels it changes (changedMask, changedPatches), with the prediction itself. */
export function predictionPlan(pred: Float32Array, source: ArrayLike<number>, patch: number): { patches: number[]; colours: Float32Array; gate: number[]; image: Float32Array } {
  const d = changedPatches(pred, changedMask(pred, source), Math.round(Math.sqrt(pred.length / 3)), patch);
  return { patches: d.patches, colours: d.colours, gate: d.share, image: pred };
}

/**
 * A prediction [S * S * 3] as a plan and a gate: each patch of side `patch` with a `changed` pixel ([S * S], 1 = changed)
 * gets the mean of its changed pixels: per patch [N] whether it has one, the means [N * 3] (0 where none), and the share
 * of its pixels that change [N].
 */
export function changedPatches(pred: ArrayLike<number>, changed: ArrayLike<number>, S: number, patch: number): { patches: number[]; colours: Float32Array; share: number[] } {
  const G = patchGrid("changedPatches", S, patch);
  const patches = new Array<number>(G * G).fill(0);
  const share = new Array<number>(G * G).fill(0);
  const colours = new Float32Array(G * G * 3);
  for (let n = 0; n < G * G; n++) {
    const [py, px] = [Math.floor(n / G) * patch, (n % G) * patch];
    let k = 0;
    for (let y = py; y < py + patch; y++) {
      for (let x = px; x < px + patch; x++) {
        const q = y * S + x;
        if (changed[q] === 0) continue;
        k++;
        for (let c = 0; c < 3; c++) colours[n * 3 + c] += pred[q * 3 + c];
      }
    }
    if (k === 0) continue;
    patches[n] = 1;
    share[n] = k / (patch * patch);
    for (let c = 0; c < 3; c++) colours[n * 3 + c] /= k;
  }
  return { patches, colours, share };
}

/**
 * A still object's plan made from its own pixels (the `object+offset+shade` decoding): the plan head's `plan` ([N * 3] in
 * [-1, 1]) on the patches the object's `mask` ([S * S]) has pixels in is replaced by the nearer, in the squared error
 * weighted by each patch's object pixels, of two predictions of what those pixels become:
 * - "ground": the empty ground there (`ground`, [S * S * 3]; a removal);
 * - "recolour": one colour rgb with the object's own shading, each pixel rgb * l / L (clipped to [0, 1] per channel; l
 *   the pixel's brightness in `source`, the mean of its channels in [0, 1], and L the object's mean), rgb fitted to the
 *   plan by least squares (a recolour keeps the shading and changes the colour).
 * Each patch with object pixels gets the mean of its pixels in the chosen prediction: per patch [N] whether it has any,
 * the means [N * 3] in [-1, 1] (0 where none), and which prediction was nearer.
 */
export function shadeObject(source: ArrayLike<number>, mask: ArrayLike<number>, ground: ArrayLike<number>, plan: ArrayLike<number>, patch: number): { patches: number[]; colours: Float32Array; kind: "ground" | "recolour" } {
  const S = imageSide("shadeObject", source, mask, ground);
  const G = patchGrid("shadeObject", S, patch);
  if (plan.length !== G * G * 3) throw new Error(`shadeObject: a plan of ${plan.length} values for ${G * G} patches x 3 colours`);
  const unit = (v: number) => (v + 1) / 2; // [-1, 1] -> [0, 1]
  const lum = (p: number) => (unit(source[p * 3]) + unit(source[p * 3 + 1]) + unit(source[p * 3 + 2])) / 3;
  const patchOf = (p: number) => patchOfPixel(p, S, patch);
  const count = new Float64Array(G * G);
  const shade = new Float64Array(G * G); // summed l per patch
  const groundSum = new Float64Array(G * G * 3);
  let [L, K] = [0, 0];
  for (let p = 0; p < S * S; p++) {
    if (mask[p] !== 1) continue;
    const n = patchOf(p);
    count[n]++;
    shade[n] += lum(p);
    for (let c = 0; c < 3; c++) groundSum[n * 3 + c] += unit(ground[p * 3 + c]);
    [L, K] = [L + lum(p), K + 1];
  }
  const patches = Array.from(count, (k) => (k > 0 ? 1 : 0));
  const colours = new Float32Array(G * G * 3);
  if (K === 0) return { patches, colours, kind: "recolour" };
  L = Math.max(L / K, 1e-3);
  // least squares rgb_c = sum_n k_n r_n P_nc / sum_n k_n r_n^2 over the patches, r_n the patch's mean l / L
  const rgb = [0, 0, 0];
  let rr = 0;
  for (let n = 0; n < G * G; n++) {
    if (count[n] === 0) continue;
    const r = shade[n] / count[n] / L;
    rr += count[n] * r * r;
    for (let c = 0; c < 3; c++) rgb[c] += count[n] * r * unit(plan[n * 3 + c]);
  }
  for (let c = 0; c < 3; c++) rgb[c] = Math.min(1, Math.max(0, rr > 0 ? rgb[c] / rr : 0));
  const recolour = new Float64Array(G * G * 3);
  for (let p = 0; p < S * S; p++) {
    if (mask[p] !== 1) continue;
    const n = patchOf(p);
    for (let c = 0; c < 3; c++) recolour[n * 3 + c] += Math.min(1, (rgb[c] * lum(p)) / L);
  }
  const error = (sum: Float64Array) => {
    let e = 0;
    for (let n = 0; n < G * G; n++) for (let c = 0; c < 3 && count[n] > 0; c++) e += count[n] * (sum[n * 3 + c] / count[n] - unit(plan[n * 3 + c])) ** 2;
    return e;
  };
  const kind = error(groundSum) < error(recolour) ? "ground" : "recolour";
  const chosen = kind === "ground" ? groundSum : recolour;
  for (let n = 0; n < G * G; n++) for (let c = 0; c < 3 && count[n] > 0; c++) colours[n * 3 + c] = (chosen[n * 3 + c] / count[n]) * 2 - 1;
  return { patches, colours, kind };
}
