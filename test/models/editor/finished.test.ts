import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { checkEditorConfig, editorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorParams } from "../../../lib/models/editor/model";
import { isObjectHeadParam } from "../../../lib/models/editor/object-head";
import { finishedEditorWithHead } from "../../../lib/models/editor/train/finished";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";
import { saveCheckpoint } from "../../../lib/train/checkpoint";

beforeAll(async () => {
  await initBackend();
});

describe("finishedEditorWithHead", () => {
  it("loads every weight of a finished editor but the added head's, which start from their initialisation; bad directories are errors", () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedRefer: 1 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finished-"));
    const made = createEditor(c, new Rng(1));
    try {
      saveCheckpoint(dir, { params: editorParams(made), config: { config: { editor: c, recipe: recipeConfig("tiny") } }, seed: 1, step: 4 });
      const n0 = tf.memory().numTensors;
      const { e, made: cfg, meta } = finishedEditorWithHead(dir, { name: "object-head", config: { alignedObjects: 1 }, isParam: isObjectHeadParam, seed: 3 });
      try {
        expect(meta.step).toBe(4);
        expect(cfg.editor).toEqual(c);
        expect(e.config.alignedObjects).toBe(1);
        const [p, q] = [editorParams(e), editorParams(made)];
        for (const k of Object.keys(q)) expect(Array.from(p[k].dataSync())).toEqual(Array.from(q[k].dataSync()));
        const fresh = createEditor(checkEditorConfig({ ...c, alignedObjects: 1 }), new Rng(3).fork("object-head-init"));
        try {
          for (const k of Object.keys(p).filter(isObjectHeadParam)) expect(Array.from(p[k].dataSync())).toEqual(Array.from(editorParams(fresh)[k].dataSync()));
        } finally {
          disposeEditor(fresh);
        }
      } finally {
        disposeEditor(e);
      }
      expect(tf.memory().numTensors).toBe(n0);
      expect(() => finishedEditorWithHead(os.tmpdir(), { name: "object-head", config: {}, isParam: isObjectHeadParam, seed: 3 })).toThrow(`--from: ${os.tmpdir()} holds no checkpoint (config.json); pass the final-<key> directory of a finished stage2-from run`);
      const bare = fs.mkdtempSync(path.join(os.tmpdir(), "finished-"));
      saveCheckpoint(bare, { params: editorParams(made), config: { editor: c }, seed: 1, step: 4 });
      expect(() => finishedEditorWithHead(bare, { name: "object-head", config: {}, isParam: isObjectHeadParam, seed: 3 })).toThrow(`--from: ${bare} is not the final checkpoint of a stage2-from or stage1-locate run (its config names no editor and recipe)`);
      // a Stage I run's weights (stage1-locate) keep the editor and recipe one level up
      const stage1 = fs.mkdtempSync(path.join(os.tmpdir(), "finished-"));
      saveCheckpoint(stage1, { params: editorParams(made), config: { editor: c, recipe: recipeConfig("tiny"), phase: "stage1" }, seed: 1, step: 4 });
      const s1 = finishedEditorWithHead(stage1, { name: "object-head", config: { alignedObjects: 1 }, isParam: isObjectHeadParam, seed: 3 });
      expect(s1.made.editor).toEqual(c);
      disposeEditor(s1.e);
    } finally {
      disposeEditor(made);
    }
  });
});
