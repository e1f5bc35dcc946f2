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
import { finishedEditorWithHead, headFromEditor } from "../../../lib/models/editor/train/finished";
import { isMoveHeadParam } from "../../../lib/models/editor/move-head";
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

describe("headFromEditor", () => {
  it("takes a head fitted on the same editor, keeps the other heads, and refuses one fitted on another editor", () => {
    const c = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear", alignedRefer: 1, alignedOffset: true, alignedObjects: 1, alignedMoves: 1 });
    const made = createEditor(c, new Rng(1));
    const dirs = [0, 1, 2].map(() => fs.mkdtempSync(path.join(os.tmpdir(), "head-from-")));
    const save = (dir: string, change: (k: string) => boolean) => {
      const params = Object.fromEntries(Object.entries(editorParams(made)).map(([k, v]) => [k, tf.tidy(() => tf.variable(change(k) ? tf.add(v, 0.5) : v, false, `${k}-saved`))]));
      saveCheckpoint(dir, { params, config: { config: { editor: c, recipe: recipeConfig("tiny") }, what: `changed` }, seed: 1, step: 7 });
      Object.values(params).forEach((t) => t.dispose());
    };
    try {
      save(dirs[0], () => false); // the editor the fits start from (--from)
      save(dirs[1], (k) => isObjectHeadParam(k) || isMoveHeadParam(k)); // a fit of both heads on it
      const base = Object.keys(editorParams(made)).find((k) => !isObjectHeadParam(k) && !isMoveHeadParam(k))!;
      save(dirs[2], (k) => k === base); // another editor
      const { e } = finishedEditorWithHead(dirs[0], { name: "object-head", config: {}, isParam: isObjectHeadParam, seed: 3 });
      try {
        const n0 = tf.memory().numTensors;
        const meta = headFromEditor(e, dirs[1], { name: "object-head", isParam: isObjectHeadParam }, isMoveHeadParam);
        expect(tf.memory().numTensors).toBe(n0);
        expect(meta.step).toBe(7);
        const [p, q] = [editorParams(e), editorParams(made)];
        const keys = Object.keys(q);
        expect(keys.some(isObjectHeadParam) && keys.some(isMoveHeadParam)).toBe(true);
        for (const k of keys) {
          // the object head is the other fit's (made's + 0.5); the move head and the rest stay --from's
          const want = Array.from(q[k].dataSync(), (x) => (isObjectHeadParam(k) ? Math.fround(x + 0.5) : x));
          expect(Array.from(p[k].dataSync())).toEqual(want);
        }
        expect(() => headFromEditor(e, dirs[2], { name: "object-head", isParam: isObjectHeadParam }, isMoveHeadParam)).toThrow(`--head-from: the object head in ${dirs[2]} was fitted on another editor ('${base}' differs from --from's)`);
        expect(() => headFromEditor(e, os.tmpdir(), { name: "object-head", isParam: isObjectHeadParam }, isMoveHeadParam)).toThrow(`--head-from: ${os.tmpdir()} holds no checkpoint (config.json); pass the folder of a finished editor with a fitted object head`);
        expect(tf.memory().numTensors).toBe(n0);
      } finally {
        disposeEditor(e);
      }
    } finally {
      disposeEditor(made);
    }
  });
});
