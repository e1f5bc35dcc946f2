import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ALLOWED, checkImportCycles, checkImportDirection, checkNotebookImports, formatViolation } from "../../scripts/import-direction";

const root = path.resolve(__dirname, "../..");

function fixture(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "imports-"));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe("import direction of lib/", () => {
  it("lib/ has no back-edge", () => {
    const bad = checkImportDirection(path.join(root, "lib"));
    expect(bad.map(formatViolation)).toEqual([]);
  });

  it("lib/ has no import cycle (the notebooks' kernel overflows its stack on one); a deliberate one is found, a type-only one is not", () => {
    expect(checkImportCycles(path.join(root, "lib"))).toEqual([]);
    const dir = fixture({
      "eval/a.ts": 'import { b } from "./b";\nexport const a = 1;\n',
      "eval/b.ts": 'import { c } from "./c";\nexport const b = 2;\n',
      "eval/c.ts": 'import { a } from "./a";\nimport type { T } from "./d";\nexport const c = 3;\n',
      "eval/d.ts": 'import type { c } from "./c";\nexport type T = number;\n',
    });
    expect(checkImportCycles(dir)).toEqual([[path.join("eval", "a.ts"), path.join("eval", "b.ts"), path.join("eval", "c.ts"), path.join("eval", "a.ts")]]);
  });

  it("every area of lib/ is declared", () => {
    const areas = fs.readdirSync(path.join(root, "lib"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(areas.filter((a) => !(a in ALLOWED))).toEqual([]);
  });

  it("fails on a deliberate back-edge (core importing train) and names it", () => {
    const dir = fixture({
      "core/a.ts": 'import { step } from "../train/step";\nexport const a = 1;\n',
      "train/step.ts": 'import { a } from "../core/a";\nexport const step = a;\n',
      "train.ts": 'export * from "./train/step";\n',
    });
    const bad = checkImportDirection(dir);
    expect(bad).toEqual([{ file: path.join("core", "a.ts"), line: 1, from: "core", to: "train", spec: "../train/step" }]);
    expect(formatViolation(bad[0])).toBe("lib/core/a.ts:1: core may not import train ('../train/step'); core may import: nothing in lib");
  });

  it("catches require() and dynamic import() too", () => {
    const dir = fixture({
      "world/a.ts": 'const x = require("../engine/b");\nconst y = import("../data/c");\n',
      "engine/b.ts": "export {};\n",
      "data/c.ts": "export {};\n",
    });
    expect(checkImportDirection(dir).map((v) => `${v.from}->${v.to}`)).toEqual(["world->engine", "world->data"]);
  });

  it("catches a back-edge in an import that spans lines, and bare and type-only imports", () => {
    const dir = fixture({
      "nn/a.ts": 'import {\n  step,\n  other,\n} from "../train/step";\nimport type { M } from \'../models/m\';\nimport "../eval/side-effect";\nexport const a = step;\n',
      "train/step.ts": "export const step = 1;\nexport const other = 2;\n",
      "models/m.ts": "export type M = number;\n",
      "eval/side-effect.ts": "export {};\n",
    });
    expect(checkImportDirection(dir).map((v) => `${v.file}:${v.line} ${v.from}->${v.to}`)).toEqual([
      `${path.join("nn", "a.ts")}:4 nn->train`,
      `${path.join("nn", "a.ts")}:5 nn->models`,
      `${path.join("nn", "a.ts")}:6 nn->eval`,
    ]);
  });

  it("notebooks import barrels only", () => {
    expect(checkNotebookImports(path.join(root, "notebooks"))).toEqual([]);
    const dir = fixture({
      "x.ipynb": JSON.stringify({
        cells: [{ cell_type: "code", source: ['import { a } from "./lib/core";\n', 'import { b } from "./lib/theory/sort";\n', "import { c } from './lib/nn/layers';\n", 'const d = await import("./lib/math/linalg");\n'] }],
      }),
    });
    expect(checkNotebookImports(dir)).toEqual([
      { notebook: "x.ipynb", spec: "./lib/theory/sort" },
      { notebook: "x.ipynb", spec: "./lib/nn/layers" },
      { notebook: "x.ipynb", spec: "./lib/math/linalg" },
    ]);
  });
});
