/**
 * What an edit did to a scene, object by object: the exact answer the object judge checks a
 * result against (paper §5.1.3's five edit kinds: recolour/texture, remove, resize, move, replace).
 */
import type { Scene, SceneObject } from "../world/types";

export const CHANGE_KINDS = ["removed", "added", "replaced", "recoloured", "retextured", "resized", "moved"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ObjectChange {
  id: number;
  /** Every way the object changed (several for "turn it into a red cone": replaced + recoloured). */
  kinds: ChangeKind[];
}

const MOVE_EPS = 1e-9;

function changesOf(a: SceneObject, b: SceneObject): ChangeKind[] {
  const k: ChangeKind[] = [];
  if (a.shape !== b.shape) k.push("replaced");
  if (a.colour !== b.colour) k.push("recoloured");
  if (a.material !== b.material) k.push("retextured");
  if (a.size !== b.size) k.push("resized");
  if (Math.abs(a.position.x - b.position.x) > MOVE_EPS || Math.abs(a.position.y - b.position.y) > MOVE_EPS || Math.abs(a.rotation - b.rotation) > MOVE_EPS) k.push("moved");
  return k;
}

/** The objects that differ between `source` and `edited` (by id), in id order; unchanged ones are left out. */
export function sceneChanges(source: Scene, edited: Scene): ObjectChange[] {
  const out: ObjectChange[] = [];
  const after = new Map(edited.objects.map((o) => [o.id, o]));
  const before = new Map(source.objects.map((o) => [o.id, o]));
  for (const a of source.objects) {
    const b = after.get(a.id);
    if (!b) out.push({ id: a.id, kinds: ["removed"] });
    else {
      const k = changesOf(a, b);
      if (k.length > 0) out.push({ id: a.id, kinds: k });
    }
  }
  for (const b of edited.objects) if (!before.has(b.id)) out.push({ id: b.id, kinds: ["added"] });
  return out.sort((x, y) => x.id - y.id);
}
