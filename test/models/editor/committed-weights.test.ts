import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { projectPath } from "../../../lib/core/paths";
import { disposeEditor, editorParams } from "../../../lib/models/editor/model";
import { finishedEditorWithHead } from "../../../lib/models/editor/train/finished";
import { readCheckpointMeta } from "../../../lib/train/checkpoint";
import { loadDrawer } from "../../../lib/models/editor/train/redraw";
import { loadShapeReader } from "../../../lib/models/editor/train/shape-reader";
import { loadTargetReader } from "../../../lib/models/editor/train/target-reader";
import { disposeParams } from "../../../lib/nn/layers";

beforeAll(async () => {
  await initBackend();
});

/** The committed editors: data/weights/<profile>/<name>/ (model.safetensors + config.json). */
function committed(): string[] {
  const root = projectPath("data/weights");
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((p) => fs.readdirSync(path.join(root, p.name), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(root, p.name, d.name)));
}

describe("the editors committed in data/weights", () => {
  it("each loads as a finished editor (every weight fits its recorded config), names its commit and is listed in data/weights/README.md", () => {
    const dirs = committed();
    expect(dirs.length).toBeGreaterThan(0);
    const readme = fs.readFileSync(projectPath("data/weights/README.md"), "utf8");
    for (const dir of dirs) {
      const rel = path.relative(projectPath("."), dir);
      expect(readme).toContain(rel);
      const meta = readCheckpointMeta(dir);
      expect(meta.gitCommit).toMatch(/^[0-9a-f]{40}$/);
      const n0 = tf.memory().numTensors;
      const { e, made } = finishedEditorWithHead(dir, { name: "weights-check", config: {}, isParam: () => false, seed: 1 });
      try {
        expect(e.config).toEqual(made.editor);
        expect(Object.keys(editorParams(e)).length).toBeGreaterThan(100);
      } finally {
        disposeEditor(e);
      }
      expect(tf.memory().numTensors).toBe(n0);
    }
  });

  it("each weights file (data/weights/<profile>/*.safetensors) loads as what its name says (shape-*: a shape reader, shape-reader.ts; target-*: a target reader, target-reader.ts; else a drawer, redraw.ts) and is listed in data/weights/README.md", () => {
    const root = projectPath("data/weights");
    const files = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((p) => fs.readdirSync(path.join(root, p.name)).filter((f) => f.endsWith(".safetensors")).map((f) => path.join(root, p.name, f)));
    expect(files.filter((f) => path.basename(f).startsWith("shape-")).length).toBeGreaterThan(0);
    expect(files.filter((f) => path.basename(f).startsWith("target-")).length).toBeGreaterThan(0);
    expect(files.filter((f) => !/^(shape|target)-/.test(path.basename(f))).length).toBeGreaterThan(0);
    const readme = fs.readFileSync(projectPath("data/weights/README.md"), "utf8");
    for (const file of files) {
      expect(readme).toContain(path.relative(projectPath("."), file));
      const n0 = tf.memory().numTensors;
      const kind = path.basename(file).startsWith("shape-") ? "shape" : path.basename(file).startsWith("target-") ? "target" : "drawer";
      const params = kind === "shape" ? loadShapeReader(file).params : kind === "target" ? loadTargetReader(file).params : loadDrawer(file).params;
      const names = { shape: ["shape.h.b", "shape.h.w", "shape.out.b", "shape.out.w"], target: ["target.a.b", "target.a.w", "target.h.b", "target.h.w", "target.material.b", "target.material.w", "target.shape.b", "target.shape.w"], drawer: ["redraw.l1.b", "redraw.l1.w", "redraw.l2.b", "redraw.l2.w", "redraw.out.b", "redraw.out.w"] };
      expect(Object.keys(params).sort()).toEqual(names[kind]);
      disposeParams(params);
      expect(tf.memory().numTensors).toBe(n0);
    }
  });
});
