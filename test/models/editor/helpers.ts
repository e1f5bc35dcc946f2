import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../lib/core/rng";
import { TINY_EDITOR, type EditorConfig } from "../../../lib/models/editor/config";
import { createEditor, editorLayout, type Editor, type EditorOptions, type Stage2Batch } from "../../../lib/models/editor/model";

export const INSTRUCTIONS = ["turn the leftmost cube into red", "remove the second biggest sphere among the spheres", "move the nearest cone a little to the left"];
export const CONDITIONS = ["the small gray matte cube, which is the leftmost cube, is now red", "the large blue sphere is removed", "the cone has moved a little to the left"];

export function tinyEditor(seed = 1, o: EditorOptions = {}, config: EditorConfig = TINY_EDITOR): Editor {
  return createEditor(config, new Rng(seed), o);
}

/** A seeded Stage II batch of B items for an editor (tensors owned by the caller: dispose with `disposeBatch`). */
export function stage2Batch(e: Editor, B: number, seed = 2): Stage2Batch {
  const rng = new Rng(seed);
  const S = e.config.image;
  const n = B * S * S * 3;
  const pick = <T>(xs: T[]) => Array.from({ length: B }, (_, i) => xs[i % xs.length]);
  return {
    source: tf.tensor4d(rng.fork("src").uniformArray(n, -1, 1), [B, S, S, 3]),
    noisy: tf.tensor4d(rng.fork("noisy").normalArray(n), [B, S, S, 3]),
    target: tf.tensor4d(rng.fork("target").normalArray(n, 0, 0.3), [B, S, S, 3]),
    t: Array.from({ length: B }, (_, i) => (i * 397 + 11) % e.config.timesteps),
    layout: editorLayout(e, pick(INSTRUCTIONS), pick(CONDITIONS)),
    dropText: Array.from({ length: B }, (_, i) => i === 0),
    dropImage: Array.from({ length: B }, (_, i) => i === B - 1),
  };
}

export function disposeBatch(b: Stage2Batch): void {
  tf.dispose([b.source, b.noisy, b.target]);
}

/** Sets every zero-initialised weight (adaLN, final layer, LoRA B) to small seeded values, so gradients reach every weight. */
export function perturbZeroInit(e: Editor, seed = 9): void {
  const rng = new Rng(seed);
  const all = { ...e.groups.dn, ...e.lora };
  for (const [k, v] of Object.entries(all)) {
    if (!(k.includes(".ada.") || k.startsWith("dn.final.out") || k.endsWith("lora.B"))) continue;
    const t = tf.tensor(rng.fork(k).normalArray(v.size, 0, 0.05), v.shape);
    v.assign(t);
    t.dispose();
  }
}

/** Runs `fn` in a tensor scope (every tensor made inside is freed) and returns its plain result. */
export function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}
