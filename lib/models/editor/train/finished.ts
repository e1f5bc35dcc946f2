/**
 * A finished editor with one head added and fitted alone (the offset head, offset-head.ts; the object head, object-head.ts):
 * the final checkpoint of a stage2-from run, its editor config with the head switched on, every weight loaded from the
 * checkpoint except the head's, which start from their initialisation (a head the run trained is left out and refitted).
 */
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../../../core/rng";
import { disposeParams } from "../../../nn/layers";
import { fromPretrained, type CheckpointMeta } from "../../../train/checkpoint";
import { checkEditorConfig, type EditorConfig } from "../config";
import { createEditor, disposeEditor, type Editor } from "../model";
import { loadEditorWeights } from "./node";
import type { RecipeConfig } from "./recipes";

export interface HeadSpec {
  /** What the head is called in errors and its initialisation's random stream ("offset-head", "object-head"). */
  name: string;
  /** The editor config's switches that add the head. */
  config: Partial<EditorConfig>;
  /** Whether a weight name belongs to the head. */
  isParam: (name: string) => boolean;
  /** The seed of the head's initialisation. */
  seed: number;
}

/** The editor in `from` (a stage2-from run's final-<key> directory) with `head` added; the caller disposes the editor. */
export function finishedEditorWithHead(from: string, head: HeadSpec): { e: Editor; made: { editor: EditorConfig; recipe: RecipeConfig }; meta: CheckpointMeta } {
  if (!fs.existsSync(path.join(from, "config.json"))) throw new Error(`--from: ${from} holds no checkpoint (config.json); pass the final-<key> directory of a finished stage2-from run`);
  const { params: weights, meta } = fromPretrained(from);
  try {
    const made = (meta.config as { config?: { editor?: EditorConfig; recipe?: RecipeConfig } }).config;
    if (made?.editor === undefined || made.recipe === undefined) throw new Error(`--from: ${from} is not the final checkpoint of a stage2-from run (its config names no editor and recipe)`);
    if (made.editor.aligned !== true || made.editor.alignedWhere !== "bilinear") throw new Error(`--from: the ${head.name.replace("-", " ")} needs an editor with the bilinear where head (stage2-from --where-head=bilinear)`);
    const e = createEditor(checkEditorConfig({ ...made.editor, ...head.config }), new Rng(head.seed).fork(`${head.name}-init`), { imageTokens: true });
    try {
      loadEditorWeights(e, Object.fromEntries(Object.entries(weights).filter(([k]) => !head.isParam(k))), `${head.name} (${from})`, head.isParam);
    } catch (err) {
      disposeEditor(e);
      throw err;
    }
    return { e, made: { editor: made.editor, recipe: made.recipe }, meta };
  } finally {
    disposeParams(weights);
  }
}
