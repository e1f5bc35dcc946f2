/**
 * Committed notebooks carry no outputs: checks notebooks/*.ipynb (exit 1 and a list when some
 * have outputs or execution counts, or cells without the unique id that nbformat 4.5 requires), or
 * strips them in place with --strip (which also gives a cell without an id, or with an id an earlier
 * cell has, a fresh one).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../lib/core/paths";

interface Cell {
  id?: string;
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
  const seen = new Set<string>();
  const needsId = nb.cells.map((c) => {
    const missing = typeof c.id !== "string" || c.id === "" || seen.has(c.id);
    if (!missing) seen.add(c.id!);
    return missing;
  });
  const noIds = needsId.some(Boolean);
  if (!dirty && !noIds) continue;
  if (strip) {
    nb.cells.forEach((c, i) => {
      for (let salt = 0; needsId[i] && (typeof c.id !== "string" || c.id === "" || seen.has(c.id)); salt++) c.id = createHash("sha1").update(`${f}-${i}${salt > 0 ? `-${salt}` : ""}`).digest("hex").slice(0, 8);
      if (needsId[i]) seen.add(c.id!);
      if (c.cell_type !== "code") return;
      c.outputs = [];
      c.execution_count = null;
    });
    (nb as { nbformat_minor?: number }).nbformat_minor = Math.max(5, (nb as { nbformat_minor?: number }).nbformat_minor ?? 0);
    fs.writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
    console.log(`stripped ${f}`);
  } else {
    bad.push(noIds && !dirty ? `${f} (cells without a unique id)` : f);
  }
}
if (bad.length > 0) {
  console.error(`notebooks with outputs, execution counts or cells without a unique id (run 'npm run strip:notebooks'): ${bad.join(", ")}`);
  process.exitCode = 1;
} else if (!strip) {
  console.log("notebooks carry no outputs");
}
