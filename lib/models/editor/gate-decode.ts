/**
 * How an editor turns its where logits into the gate the denoiser reads when it edits (ours; the
 * bilinear where head of aligned.ts). Stage II with where forcing trains the denoiser on the truth's
 * gate, each patch's changed share: close to 1 on the edited object and 0 elsewhere. The where head's
 * own sigmoid is diffuse (on SpatialEval-mini about 0.16 on the changed patches and 0.04 elsewhere), so
 * the denoiser meets, at editing time, a gate unlike any it was trained on. A decoding rule that uses
 * only the editor's own logits can hand it a gate of the trained shape:
 * - `sigmoid`: sigmoid(where), what the editor reads by default;
 * - `max`: sigmoid(where) divided by its largest value over the item's patches (the most likely patch gets 1);
 * - `top<K>`: 1 on the K patches with the largest logits, 0 elsewhere (ties at the K-th value all get 1);
 * - `object`: the objects the data engine's perception finds in the source (given per item as their coverage of each
 *   denoiser patch, lib/eval/object-regions.ts) are scored by the where head's coverage-weighted mean logit, and the gate is
 *   the best one's coverage: "where" becomes a choice among whole objects, and the gate has an object's exact shape, as the
 *   truth's has (items with no object fall back to `max`);
 * - `object+free`: `object`, and every patch of free ground (covered by no perceived object) whose logit is at least the
 *   chosen object's score opens by its free share: a move's destination and a resize's new extent lie on free ground,
 *   which an object's own coverage never opens (with the truth's plan the `object` gate moved nothing on SpatialEval-mini).
 * - `object+offset` (an editor with the offset head, config alignedOffset): `object`, and the chosen object's coverage
 *   moved by the predicted offset (bilinear on the patch grid; `shiftCoverage`) when the offset is at least
 *   MIN_OFFSET patches long: the gate opens the place a move vacates and the place it fills. The pipeline also gives the
 *   patches the moved coverage adds (`offsetDestination`) the object's own colour as their edit plan (a moved object keeps
 *   its colour; the plan head alone rarely names it there).
 * - `object+offset+ground`: the gate of `object+offset`, and the patches the move vacates (the object's own coverage
 *   exceeds the moved one's) take the colour of the free ground nearest them in the source (`groundColour`) as their
 *   plan: what a moved object leaves behind is ground (the truth's plan there; with the truth's gate and its own plan the
 *   colour-plan editor rendered 0.04 of the moves).
 * - `object+offset+fill`: the gate of `object+offset` and the plan of `object+offset+ground`, and also every other patch the
 *   moved coverage reaches (where the object overlaps its old place, which the gate opens too) planned as the object's own
 *   colour (`fillsMoved`): after the move the object covers them, and the plan head, which does not know the move, may say
 *   "ground" there (with the truth's choice and moves the colour editor's own plan rendered 0.167 of the moves, with the
 *   truth's plan 0.721).
 * - `object+offset+blend`: the gate and the plan of `object+offset+ground`, except that a patch the move vacates is planned as
 *   the blend of the object's colour and the ground's by the share of it the moved object still covers there,
 *   moved * object + (1 - moved) * ground (`blendsVacated`): a vacated patch the object still half covers keeps half its
 *   colour. (With the truth's choice and moves the colour editor rendered 0.364 of SpatialEval-mini's moves with
 *   `object+offset+ground`'s plan and 0.537 with this one, 0.702 with the truth's plan; a scratch diagnostic, not a choice:
 *   the rule is chosen on the validation benchmark like the others.)
 * - `object+offset+paste`: the gate of `object+offset`, and every patch the move changes a pixel of planned as the mean of
 *   the pixels it changes in a pasted prediction: the chosen object's own source pixels (its perceived pixel mask) moved by
 *   the offset rounded to whole pixels, over the camera's empty ground where it was (paste-move.ts `pasteMove`). The plan then knows the
 *   object's outline, which a per-patch colour estimate does not (with the truth's choice and offset, a scratch check
 *   scored 0.535 against 0.498 for `object+offset+blend`).
 * - `object+offset+shade`: `object+offset+paste`, and a chosen object that does not move planned from its own pixels too:
 *   the plan head's plan on its patches is replaced by the nearer of two predictions, the empty ground there (a removal) or
 *   the object's own shading in one colour least-squares fitted to the plan head's (a recolour), each patch the mean of the
 *   object's pixels in it (paste-move.ts `shadeObject`): the plan head knows the new colour, the source the shading.
 * - `object+move` (an editor with the offset and scale heads, config alignedOffset and alignedScale): the chosen object's
 *   coverage moved by the predicted offset and scaled about its centre by the predicted scale (`moveCoverage`), when the
 *   offset is at least MIN_OFFSET patches long or the scale's log at least MIN_LOG_SCALE (a resize, or a move towards or
 *   away from the camera, changes the object's extent, which a shift alone keeps); the gate is then |moved - own| per
 *   patch, the share of the patch the move changes (where the object overlaps itself nothing changes, and a shrink changes
 *   only the ring it leaves), and the plan is the object's colour where the move fills and the ground's where it vacates.
 *   With no move it is `object`.
 * - `object+move+paste`: the choice and move of `object+move`, planned as `object+offset+shade` plans (a move or resize pasted
 *   from the object's own pixels, scaled about their centre, paste-move.ts `pasteMove`; a still object shaded), and the
 *   gate of a move the share of each patch's pixels the pasted move changes (the trained gate's truth is that share).
 * - `object+move+redraw`, `object+move+said`, `object+move+draw` (an editor with a drawer, Editor.drawer): `object+move+paste`,
 *   and a chosen object is redrawn (a replacement) or, for `said` and `draw`, also recoloured as the editor's language
 *   condition says; `draw` keeps those pixels in the edited image, `object+move+pixels` also a pasted move's (redraw-decode.ts).
 * A rule is an editing-time choice like the guidance scales: pick it on the validation benchmark, never on
 * the one it is reported on.
 */
import * as tf from "@tensorflow/tfjs";

export type GateDecode = "sigmoid" | "max" | "object" | "object+free" | "object+offset" | "object+offset+ground" | "object+offset+fill" | "object+offset+blend" | "object+offset+paste" | "object+offset+shade" | "object+move" | "object+move+paste" | "object+move+redraw" | "object+move+said" | "object+move+draw" | "object+move+pixels" | `top${number}`;

/** The shortest predicted offset (in denoiser patches) that `object+offset` moves the object by; shorter ones count as "no move". */
export const MIN_OFFSET = 0.5;

/** The smallest |log scale| that `object+move` scales the object by (about 15% larger or smaller); below it, and below MIN_OFFSET, "no move". */
export const MIN_LOG_SCALE = Math.log(1.15);

/** One item's objects as the engine perceives them in its source: per object, the share of each denoiser patch it covers ([N] in [0, 1]). */
export type ObjectRegions = readonly Float32Array[];

/** The rules that redraw a still object as the editor's language condition says (redraw-decode.ts); each pastes, shades and scales as `object+move+paste`. */
export const REDRAWING_RULES = ["object+move+redraw", "object+move+said", "object+move+draw", "object+move+pixels"] as const;

/** The rules that scale the moved object (scalesObject) and that move it (movesObject), in the order the messages name them. */
const SCALING_RULES = ["object+move", "object+move+paste", ...REDRAWING_RULES] as const;
const MOVING_RULES = ["object+offset", "object+offset+ground", "object+offset+fill", "object+offset+blend", "object+offset+paste", "object+offset+shade", ...SCALING_RULES] as const;

/** Whether `rule` is one of `rules`. */
const isOneOf = (rule: string, rules: readonly string[]) => rules.includes(rule);

/** Checks a rule's spelling ("sigmoid", "max", "object", "object+free", one of MOVING_RULES, "top<K>" with K a positive integer) and returns it. */
export function parseGateDecode(s: string): GateDecode {
  if (s === "sigmoid" || s === "max" || s === "object" || s === "object+free" || isOneOf(s, MOVING_RULES)) return s as GateDecode;
  const m = /^top([1-9][0-9]*)$/.exec(s);
  if (m) return s as GateDecode;
  throw new Error(`gate decoding must be sigmoid, max, object, object+free, ${MOVING_RULES.join(", ")} or top<K> (K a positive integer, e.g. top8), got '${s}'`);
}

/** Whether a rule plans every patch the moved object covers (not only those it newly fills) as the object's colour: `object+offset+fill`. */
export function fillsMoved(rule: GateDecode): boolean {
  return rule === "object+offset+fill";
}

/** Whether a rule plans a vacated patch as the blend of the object's colour and the ground's by the moved coverage there: `object+offset+blend`. */
export function blendsVacated(rule: GateDecode): boolean {
  return rule === "object+offset+blend";
}

/** Whether a rule plans a move from the object's own pixels pasted at its new place (and so needs the pixel masks): `object+offset+paste`, `object+offset+shade`, `object+move+paste`. */
export function pastesObject(rule: GateDecode): boolean {
  return rule === "object+offset+paste" || rule === "object+offset+shade" || rule === "object+move+paste" || isOneOf(rule, REDRAWING_RULES);
}

/** Whether a rule also plans a still chosen object from its own pixels (recoloured with its shading, or the empty ground): `object+offset+shade`, `object+move+paste`. */
export function shadesObject(rule: GateDecode): boolean {
  return rule === "object+offset+shade" || rule === "object+move+paste" || isOneOf(rule, REDRAWING_RULES);
}

/** Whether a rule scales the moved object by the scale head's prediction (and so needs one per item): `object+move`, `object+move+paste`. */
export function scalesObject(rule: GateDecode): boolean {
  return isOneOf(rule, SCALING_RULES);
}

/** The moving and the scaling rules as a message lists them: "object+offset, ..., object+move+draw and object+move+pixels". */
const listed = (rules: readonly string[]) => `${rules.slice(0, -1).join(", ")} and ${rules[rules.length - 1]}`;
export const MOVING_RULES_TEXT = listed(MOVING_RULES);
export const SCALING_RULES_TEXT = listed(SCALING_RULES);

/** Whether a rule chooses among the perceived objects of each source (and so needs them). */
export function needsObjects(rule: GateDecode): boolean {
  return rule === "object" || rule === "object+free" || movesObject(rule);
}

/** Whether a rule moves the chosen object by an offset (and so needs one per item): MOVING_RULES. */
export function movesObject(rule: GateDecode): boolean {
  return isOneOf(rule, MOVING_RULES);
}

/** Whether a rule plans the patches a move vacates as ground (blended with the object for `object+offset+blend`): every moving rule but `object+offset`. */
export function plansGround(rule: GateDecode): boolean {
  return movesObject(rule) && rule !== "object+offset";
}

/**
 * A coverage [G * G] (row-major over a G x G patch grid) moved by [dx, dy] patches (x right, y down): each patch takes the
 * bilinear sample of the coverage at its own place minus the offset (0 outside the grid), so a whole-patch offset moves
 * it exactly and a fractional one spreads it over the two neighbours.
 */
export function shiftCoverage(cov: ArrayLike<number>, dx: number, dy: number): number[] {
  return resample(cov, gridOf(cov, dx, dy, "shiftCoverage"), (x, y) => [x - dx, y - dy]);
}

/** The side G of the square patch grid `cov` covers, after checking it is square and the offset [dx, dy] finite (`who` names the caller in errors). */
function gridOf(cov: ArrayLike<number>, dx: number, dy: number, who: string): number {
  const G = Math.round(Math.sqrt(cov.length));
  if (G * G !== cov.length) throw new Error(`${who}: ${cov.length} patches do not form a square grid`);
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) throw new Error(`${who}: the offset must be finite, got [${dx}, ${dy}]`);
  return G;
}

/** Each patch (x, y) of a G x G grid takes the bilinear sample of `cov` at `from(x, y)` (patch coordinates; 0 outside the grid). */
function resample(cov: ArrayLike<number>, G: number, from: (x: number, y: number) => [number, number]): number[] {
  const at = (x: number, y: number) => (x >= 0 && x < G && y >= 0 && y < G ? cov[y * G + x] : 0);
  const out = new Array<number>(G * G).fill(0);
  for (let y = 0; y < G; y++) {
    for (let x = 0; x < G; x++) {
      const [sx, sy] = from(x, y);
      const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
      const [fx, fy] = [sx - x0, sy - y0];
      out[y * G + x] = (1 - fx) * (1 - fy) * at(x0, y0) + fx * (1 - fy) * at(x0 + 1, y0) + (1 - fx) * fy * at(x0, y0 + 1) + fx * fy * at(x0 + 1, y0 + 1);
    }
  }
  return out;
}

/**
 * A coverage [G * G] moved by [dx, dy] patches and scaled by `scale` about its own centre (the coverage-weighted mean patch
 * position): each patch takes the bilinear sample of the coverage at centre + (its place - centre - offset) / scale, so the
 * centre lands on centre + offset and the extent grows by `scale` each way; scale 1 is shiftCoverage.
 */
export function moveCoverage(cov: ArrayLike<number>, dx: number, dy: number, scale: number): number[] {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`moveCoverage: the scale must be a finite number > 0, got ${scale}`);
  if (scale === 1) return shiftCoverage(cov, dx, dy);
  const G = gridOf(cov, dx, dy, "moveCoverage");
  let [cx, cy, w] = [0, 0, 0];
  for (let n = 0; n < cov.length; n++) [cx, cy, w] = [cx + cov[n] * (n % G), cy + cov[n] * Math.floor(n / G), w + cov[n]];
  if (w === 0) return new Array<number>(G * G).fill(0);
  [cx, cy] = [cx / w, cy / w];
  return resample(cov, G, (x, y) => [cx + (x - cx - dx) / scale, cy + (y - cy - dy) / scale]);
}

/** A move of one object on the patch grid: its moved coverage, and per patch 1 where the move fills (moved > own coverage) or vacates it (own > moved). */
export interface Move {
  moved: number[];
  fills: number[];
  vacates: number[];
}

/**
 * The `object+offset` destination of one item: the chosen object's coverage `cov` [N] moved by `offset` (patches), and per
 * patch 1 where the moved coverage exceeds the object's own (the place the move fills), and 1 where the object's own
 * exceeds the moved one (the place it vacates), 0 elsewhere; null when the offset is shorter than MIN_OFFSET (no move).
 */
export function offsetDestination(cov: ArrayLike<number>, offset: readonly [number, number]): Move | null {
  if (Math.hypot(offset[0], offset[1]) < MIN_OFFSET) return null;
  return moveOf(cov, shiftCoverage(cov, offset[0], offset[1]));
}

/**
 * The `object+move` destination of one item: as offsetDestination, with the moved coverage also scaled by `scale`
 * (moveCoverage); null when the offset is shorter than MIN_OFFSET and |log scale| below MIN_LOG_SCALE (no move).
 */
export function moveDestination(cov: ArrayLike<number>, offset: readonly [number, number], scale: number): Move | null {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`moveDestination: the scale must be a finite number > 0, got ${scale}`);
  if (Math.hypot(offset[0], offset[1]) < MIN_OFFSET && Math.abs(Math.log(scale)) < MIN_LOG_SCALE) return null;
  return moveOf(cov, moveCoverage(cov, offset[0], offset[1], scale));
}

function moveOf(cov: ArrayLike<number>, moved: number[]): Move {
  return { moved, fills: moved.map((m, n) => (m > cov[n] ? 1 : 0)), vacates: moved.map((m, n) => (cov[n] > m ? 1 : 0)) };
}

/**
 * The object whose patches have the largest coverage-weighted mean logit, sum_n c_n where_n / sum_n c_n, among `regions`
 * (regions that cover no patch are skipped): its index, or -1 when there is none. `logits` [N].
 */
export function pickObject(logits: ArrayLike<number>, regions: ObjectRegions): number {
  return scoreObjects(logits, regions).best;
}

/** `pickObject`'s choice and its score (the coverage-weighted mean logit; -Infinity when there is no object). */
function scoreObjects(logits: ArrayLike<number>, regions: ObjectRegions): { best: number; score: number } {
  let best = -1;
  let bestScore = -Infinity;
  regions.forEach((c, r) => {
    if (c.length !== logits.length) throw new Error(`pickObject: object ${r} covers ${c.length} patches; the where head has ${logits.length}`);
    let s = 0;
    let w = 0;
    for (let n = 0; n < c.length; n++) {
      s += c[n] * logits[n];
      w += c[n];
    }
    if (w > 0 && s / w > bestScore) [best, bestScore] = [r, s / w];
  });
  return { best, score: bestScore };
}

/** A given choice (an object index, -1 for none) and its coverage-weighted mean logit, in scoreObjects' form. */
function chosenScore(logits: ArrayLike<number>, regions: ObjectRegions, best: number): { best: number; score: number } {
  if (best < 0) return { best: -1, score: -Infinity };
  const c = regions[best];
  let [s, w] = [0, 0];
  for (let n = 0; n < c.length; n++) [s, w] = [s + c[n] * logits[n], w + c[n]];
  return { best, score: w > 0 ? s / w : -Infinity };
}

/**
 * One item's `object+free` gate [N]: the chosen object's coverage, and on each patch with free ground (1 - the summed
 * coverage of all perceived objects, clipped at 0) whose logit is at least the chosen object's score, the larger of the two.
 */
function objectFreeGate(logits: readonly number[], regions: ObjectRegions, best: number, score: number): number[] {
  return logits.map((l, n) => {
    const covered = regions.reduce((s, c) => s + c[n], 0);
    const free = l >= score ? Math.max(0, 1 - covered) : 0;
    return Math.max(regions[best][n], free);
  });
}

/**
 * An object's colour in a source image ([size * size * 3], channels last): the mean colour of each denoiser patch (side `patch`)
 * weighted by the square of the object's coverage there, so that the patches it fills count most and the ground at its edges
 * little; [0, 0, 0] when it covers nothing.
 */
export function objectColour(source: ArrayLike<number>, cov: ArrayLike<number>, patch: number): [number, number, number] {
  const size = Math.round(Math.sqrt(source.length / 3));
  const G = size / patch;
  if (size * size * 3 !== source.length || !Number.isInteger(G) || G * G !== cov.length) throw new Error(`objectColour: a source of ${source.length} values and ${cov.length} patches of side ${patch} do not fit one square image`);
  const out: [number, number, number] = [0, 0, 0];
  let total = 0;
  for (let n = 0; n < cov.length; n++) {
    const w = cov[n] * cov[n];
    if (w === 0) continue;
    const [py, px] = [Math.floor(n / G) * patch, (n % G) * patch];
    for (let y = py; y < py + patch; y++) for (let x = px; x < px + patch; x++) for (let k = 0; k < 3; k++) out[k] += (w * source[(y * size + x) * 3 + k]) / (patch * patch);
    total += w;
  }
  return total === 0 ? out : [out[0] / total, out[1] / total, out[2] / total];
}

/** One item's `object+offset` choice: the object the where logits choose (-1 when the item has none) and its move (offsetDestination; null: no move). */
export interface OffsetChoice {
  object: number;
  dest: Move | null;
  /** The offset the move used (patches); null with no move. */
  offset: readonly [number, number] | null;
  /** The scale the move used (scalesObject's rules; absent: 1). */
  scale?: number;
}

/** The summed object coverage below which a patch counts as free ground (groundColour). */
export const FREE_COVERAGE = 0.1;

/**
 * The colour of the free ground nearest patch `n` in a source image ([size * size * 3], channels last): the mean colour of the
 * free patches (covered by perceived objects, `regions`, less than FREE_COVERAGE in all) in patch n's row or below it (the ground
 * lies below the horizon, and the image's bottom rows are ground) at the smallest distance from n; null when there is none.
 */
export function groundColour(source: ArrayLike<number>, regions: ObjectRegions, n: number, patch: number): [number, number, number] | null {
  const size = Math.round(Math.sqrt(source.length / 3));
  const G = size / patch;
  if (size * size * 3 !== source.length || !Number.isInteger(G)) throw new Error(`groundColour: a source of ${source.length} values does not split into patches of side ${patch}`);
  if (!Number.isInteger(n) || n < 0 || n >= G * G) throw new Error(`groundColour: patch ${n} is not one of the ${G * G} patches`);
  for (const [r, c] of regions.entries()) if (c.length !== G * G) throw new Error(`groundColour: object ${r} covers ${c.length} patches; the source has ${G * G}`);
  const [ny, nx] = [Math.floor(n / G), n % G];
  let best = Infinity;
  let nearest: number[] = [];
  for (let y = ny; y < G; y++) {
    for (let x = 0; x < G; x++) {
      const m = y * G + x;
      if (regions.reduce((s, c) => s + c[m], 0) >= FREE_COVERAGE) continue;
      const d = Math.hypot(x - nx, y - ny);
      if (d < best - 1e-9) [best, nearest] = [d, [m]];
      else if (Math.abs(d - best) <= 1e-9) nearest.push(m);
    }
  }
  if (nearest.length === 0) return null;
  const one = new Float32Array(G * G);
  for (const m of nearest) one[m] = 1;
  return objectColour(source, one, patch);
}

/** What the object-choosing rules read besides the where logits, per item of the batch (decodeGate). */
export interface GateInputs {
  /** Each item's perceived objects (B lists): every object-choosing rule. */
  objects?: readonly ObjectRegions[];
  /** The offset head's prediction per item (B pairs, in patches): the moving rules. */
  offsets?: readonly (readonly [number, number])[];
  /** The scale head's prediction per item (B factors): `object+move`. */
  scales?: readonly number[];
  /** A given choice per item (B indices into its objects, -1 for none; an editor's object head, object-head.ts) in place of the where head's. */
  chosen?: readonly number[];
}

/**
 * The gate [B, N] in [0, 1] that `rule` makes of the where logits [B, N]; the object-choosing rules read `inputs`
 * (GateInputs: the objects always, the moving rules the offsets, `object+move` the scales too; the moving rules but
 * `object+offset` differ from it in the plan only: editImages).
 */
export function decodeGate(where: tf.Tensor2D, rule: GateDecode, inputs: GateInputs = {}): tf.Tensor2D {
  parseGateDecode(rule);
  if (needsObjects(rule)) return objectGates(where, rule, inputs).gate;
  const N = where.shape[1];
  return tf.tidy(() => {
    if (rule === "sigmoid") return tf.sigmoid(where) as tf.Tensor2D;
    if (rule === "max") {
      const g = tf.sigmoid(where);
      return tf.div(g, tf.max(g, 1, true)) as tf.Tensor2D; // sigmoid > 0, so the largest is > 0
    }
    const k = Number(rule.slice(3));
    if (k > N) throw new Error(`decodeGate: ${rule} asks for ${k} patches; the denoiser has ${N}`);
    const kth = tf.min(tf.topk(where, k).values, 1, true); // [B, 1] the K-th largest logit
    return tf.cast(tf.greaterEqual(where, kth), "float32") as tf.Tensor2D;
  });
}

/**
 * A moving rule (`object+offset`, `object+offset+ground`, `object+move`) in one pass: the gate decodeGate makes, and per item the
 * choice behind it (the chosen object and its move), which the pipeline reads to plan the patches a move fills (and vacates).
 */
export function decodeObjectMove(where: tf.Tensor2D, rule: GateDecode, inputs: GateInputs & Required<Pick<GateInputs, "objects" | "offsets">>): { gate: tf.Tensor2D; choices: OffsetChoice[] } {
  if (!movesObject(rule)) throw new Error(`decodeObjectMove: '${rule}' moves no object (the moving rules are ${MOVING_RULES_TEXT})`);
  return objectGates(where, rule, inputs);
}

/** The object-choosing rules' gates [B, N] and per item the choice (OffsetChoice; `dest` null for rules without a move). */
function objectGates(where: tf.Tensor2D, rule: GateDecode, { objects, offsets, scales, chosen }: GateInputs): { gate: tf.Tensor2D; choices: OffsetChoice[] } {
  const [B, N] = where.shape;
  if (chosen !== undefined && (chosen.length !== B || chosen.some((r, b) => !Number.isInteger(r) || r < -1 || r >= (objects?.[b]?.length ?? 0)))) throw new Error(`decodeGate: the given choices must be one object index (or -1) per item of the ${B}, within its objects, got [${chosen.join(", ")}]`);
  if (objects === undefined || objects.length !== B) throw new Error(`decodeGate: '${rule}' needs the objects of each of the ${B} items (the engine's perception of the sources), got ${objects === undefined ? "none" : `${objects.length} lists`}`);
  if (movesObject(rule) && (offsets === undefined || offsets.length !== B)) throw new Error(`decodeGate: '${rule}' needs the offset head's prediction for each of the ${B} items (an editor with alignedOffset), got ${offsets === undefined ? "none" : `${offsets.length}`}`);
  if (scalesObject(rule) && (scales === undefined || scales.length !== B)) throw new Error(`decodeGate: '${rule}' needs the scale head's prediction for each of the ${B} items (an editor with alignedScale), got ${scales === undefined ? "none" : `${scales.length}`}`);
  const logits = where.arraySync();
  let fallback: number[][] | null = null; // the `max` gates, made only when an item has no object
  const maxRow = (b: number): number[] => {
    if (fallback === null) {
      const max = decodeGate(where, "max");
      fallback = max.arraySync();
      max.dispose();
    }
    return fallback[b];
  };
  const choices: OffsetChoice[] = [];
  const rows = logits.map((row, b) => {
    const { best, score } = chosen === undefined ? scoreObjects(row, objects[b]) : chosenScore(row, objects[b], chosen[b]);
    const dest = best < 0 || !movesObject(rule) ? null : scalesObject(rule) ? moveDestination(objects[b][best], offsets![b], scales![b]) : offsetDestination(objects[b][best], offsets![b]);
    choices.push({ object: best, dest, offset: dest === null ? null : offsets![b], ...(dest !== null && scalesObject(rule) ? { scale: scales![b] } : {}) });
    if (best < 0) return maxRow(b);
    if (rule === "object+free") return objectFreeGate(row, objects[b], best, score);
    const own = Array.from(objects[b][best]);
    if (dest === null) return own;
    return rule === "object+move" ? own.map((c, n) => Math.abs(dest.moved[n] - c)) : own.map((c, n) => Math.max(c, dest.moved[n]));
  });
  return { gate: tf.tensor2d(rows, [B, N]), choices };
}
