/**
 * Committed notebooks carry no outputs: checks notebooks/*.ipynb (exit 1 and a list when some
 * have outputs or execution counts), or strips them in place with --strip.
 */
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../lib/core/paths";

interface Cell {
  cell_type: string;
  outputs?: unknown[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

const strip = process.argv.includes("--strip");
const dir = path.join(projectRoot(), "notebooks");
const bad: string[] = [];
for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".ipynb")).sort()) {
  const file = path.join(dir, f);
  let nb: { cells: Cell[] };
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    bad.push(`${f} (not valid JSON: ${(e as Error).message})`);
    continue;
  }
  const dirty = nb.cells.some((c) => c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || (c.execution_count ?? null) !== null));
  if (!dirty) continue;
  if (strip) {
    for (const c of nb.cells) {
      if (c.cell_type !== "code") continue;
      c.outputs = [];
      c.execution_count = null;
    }
    fs.writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
    console.log(`stripped ${f}`);
  } else {
    bad.push(f);
  }
}
if (bad.length > 0) {
  console.error(`notebooks with outputs or execution counts (run 'npm run strip:notebooks'): ${bad.join(", ")}`);
  process.exitCode = 1;
} else if (!strip) {
  console.log("notebooks carry no outputs");
}
