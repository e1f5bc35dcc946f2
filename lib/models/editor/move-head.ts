/**
 * The move head (ours; editor config `alignedMoves`): how far does the edit move each object, and how much does it grow
 * it? The offset and scale heads (aligned.ts) answer once per edit from the mean [IMG] state, which holds neither where the
 * changed object stands nor how large it looks; but a move's shift on the image ("a lot to the left", "closer to the
 * camera") and a resize's growth ("to large") depend on both, through the camera's perspective. The move head reads the
 * objects as the object head does (object-head.ts objectReader, its own weights: each object's referred patches, its place
 * and extent on the grid, the instruction's words) and answers per object:
 *   h      = ObjectReader_move(reads, geo, words)               [B, R, dnD]
 *   move_r = base + Lin_mv(h_r)                                 [B, R, 3]   (dx, dy in denoiser patches, log scale; Lin_mv zero
 *                                                                             at the start)
 * where base is the editor's own offset [dx, dy] (alignedOffset; else 0) and log scale (alignedScale; else 0) for the
 * whole edit, so that with Lin_mv at zero the editor moves as before. The moving gate decodings (gate-decode.ts) take
 * the row of the object the object head chooses (pipeline.ts).
 *
 * Parameter names (in the `edit` group): `edit.loc.move.geo.{w,b}`, `edit.loc.move.words.{w,b}`, `edit.loc.move.${l}.*`
 * (cross blocks of width dnD), `edit.loc.move.out.{w,b}` [dnD, 3] (zeros).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { constVariable, linear, type Params } from "../../nn/layers";
import type { AlignedResult } from "./aligned";
import type { EditorConfig } from "./config";
import { initObjectReader, objectReader, type ObjectInputs, type ObjectReads } from "./object-head";

export const MOVE_PREFIX = "edit.loc.move.";

/** Whether a weight name belongs to the move head (absent from editors made without it). */
export function isMoveHeadParam(name: string): boolean {
  return name.startsWith(MOVE_PREFIX);
}

/** What the head predicts per object: dx, dy (denoiser patches) and the log scale. */
export const MOVE_OUTPUTS = 3;

export function initMoveHead(rng: Rng, c: EditorConfig): Params {
  if (c.alignedMoves === undefined) throw new Error("initMoveHead: this editor config has no move head (alignedMoves)");
  return {
    ...initObjectReader(rng, c, "move", c.alignedMoves),
    "edit.loc.move.out.w": constVariable([c.dnD, MOVE_OUTPUTS], 0),
    "edit.loc.move.out.b": constVariable([MOVE_OUTPUTS], 0),
  };
}

/** The whole edit's move before the head [B, 3]: the offset head's [dx, dy] (else 0) and the scale head's log scale (else 0). Call inside tf.tidy. */
export function editMoveBase(a: Pick<AlignedResult, "offset" | "logScale">, B: number): tf.Tensor2D {
  const offset = a.offset ?? tf.zeros([B, 2]);
  const logScale = a.logScale ?? tf.zeros([B, 1]);
  if (offset.shape[0] !== B || logScale.shape[0] !== B) throw new Error(`editMoveBase: the offset [${offset.shape.join(", ")}] and log scale [${logScale.shape.join(", ")}] are not those of ${B} items`);
  return tf.concat([offset, logScale], 1) as tf.Tensor2D; // [B, 3]
}

/** The head's move of each item's objects [B, R, 3] (dx, dy in patches, log scale) from its reads and the edit's base move [B, 3] (editMoveBase). Call inside tf.tidy. */
export function moveHeadOutputs(p: Params, c: EditorConfig, r: ObjectReads, inp: ObjectInputs, base: tf.Tensor2D): tf.Tensor3D {
  if (c.alignedMoves === undefined) throw new Error("moveHeadOutputs: this editor has no move head (config alignedMoves)");
  const [B, R] = r.base.shape;
  if (base.shape[0] !== B || base.shape[1] !== MOVE_OUTPUTS) throw new Error(`moveHeadOutputs: the base move [${base.shape.join(", ")}] must be [${B}, ${MOVE_OUTPUTS}]`);
  const h = objectReader(p, c, r, inp, "move", c.alignedMoves); // [B, R, dnD]
  return tf.add(tf.expandDims(base, 1), linear(h, p, "edit.loc.move.out")) as tf.Tensor3D; // [B, R, 3]
}

/** Per item, the move of its chosen object (`picks`, -1: none, then no move): its offset [dx, dy] (patches) and scale, from the head's moves [B, R, 3]. */
export function chosenMoves(moves: tf.Tensor3D, picks: readonly number[]): { offsets: [number, number][]; scales: number[] } {
  const [B, R] = moves.shape;
  if (picks.length !== B || picks.some((r) => !Number.isInteger(r) || r < -1 || r >= R)) throw new Error(`chosenMoves: one object index (or -1) per item of the ${B}, each below ${R}, got [${picks.join(", ")}]`);
  const rows = moves.arraySync();
  return {
    offsets: picks.map((r, b) => (r < 0 ? [0, 0] : [rows[b][r][0], rows[b][r][1]])),
    scales: picks.map((r, b) => (r < 0 ? 1 : Math.exp(rows[b][r][2]))),
  };
}
