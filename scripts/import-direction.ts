/**
 * The layers of lib/ depend one way, downwards (docs/architecture.md):
 *   core <- backend <- nn <- {train, diffusion} <- models <- {theory, eval}
 *   core <- math;  core <- world <- engine <- {data, perception};  data <- {models, eval}
 * This checker reads every relative import of every .ts file under lib/ (and the barrels
 * lib/<area>.ts), maps both ends to their area, and reports each import that is not allowed.
 * Notebooks may import only the barrels (`./lib/<area>`).
 * Run: `npx tsx scripts/import-direction.ts` (the unit tests run it too: test/arch).
 */
import * as fs from "fs";
import * as path from "path";

/** For each area, the areas it may import (the transitive closure is written out). */
export const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  backend: ["core"],
  math: ["core"],
  nn: ["core", "backend"],
  train: ["core", "backend", "nn"],
  diffusion: ["core", "backend", "nn", "math"],
  world: ["core"],
  engine: ["core", "world"],
  data: ["core", "world", "engine"],
  perception: ["core", "backend", "world", "engine"],
  models: ["core", "backend", "math", "nn", "train", "diffusion", "world", "engine", "data"],
  theory: ["core", "backend", "math", "nn", "train", "diffusion", "models", "world", "engine", "data"],
  eval: ["core", "backend", "math", "nn", "train", "diffusion", "models", "world", "engine", "data", "perception"],
};

export interface ImportViolation {
  file: string;
  line: number;
  from: string;
  to: string;
  spec: string;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.isFile() && e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** The area of a path inside `libDir`: its first folder, or the barrel's name for lib/<area>.ts. */
export function areaOf(libDir: string, file: string): string | null {
  const rel = path.relative(libDir, file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return null;
  const first = rel.split(path.sep)[0];
  return first.endsWith(".ts") ? first.slice(0, -3) : first;
}

/**
 * import/export ... from "x" (the clause may span lines: `import {\n a,\n} from "x"`), bare
 * `import "x"`, require("x") and import("x"); either quote. Comments are not skipped: a commented
 * import counts too (harmless: it can only add a report).
 */
const IMPORT_RE = /(?:^|[\s;])(?:import|export)(?:\s+type)?\s+(?:[^'"`;]*?\sfrom\s*)?["']([^"'\n]+)["']|require\(\s*["']([^"'\n]+)["']\s*\)|import\(\s*["']([^"'\n]+)["']\s*\)/g;

/** 1-based line of character `index` of `text`. */
function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Every relative import of lib/ that goes against the allowed direction, plus imports of unknown areas. */
export function checkImportDirection(libDir: string, allowed: Record<string, readonly string[]> = ALLOWED): ImportViolation[] {
  const out: ImportViolation[] = [];
  for (const file of listTs(libDir)) {
    const from = areaOf(libDir, file);
    if (from === null) continue;
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith(".")) continue;
      // the line of the module name (for a multi-line import: its `from` line)
      const line = lineAt(text, m.index! + m[0].lastIndexOf(spec));
      const to = areaOf(libDir, path.resolve(path.dirname(file), spec));
      if (to === null) {
        out.push({ file: path.relative(libDir, file), line, from, to: "(outside lib)", spec });
        continue;
      }
      if (to === from) continue;
      const ok = allowed[from];
      if (ok === undefined || !ok.includes(to)) out.push({ file: path.relative(libDir, file), line, from, to, spec });
    }
  }
  return out;
}

/** The .ts file a relative import of `file` names (`spec`.ts, or `spec`/index.ts), or null when neither exists. */
function resolveTs(file: string, spec: string): string | null {
  const p = path.resolve(path.dirname(file), spec);
  for (const c of [`${p}.ts`, path.join(p, "index.ts"), p]) if (c.endsWith(".ts") && fs.existsSync(c)) return c;
  return null;
}

/**
 * Import cycles among the files of lib/ (relative value imports; `import type` / `export type` are erased and cannot
 * loop at run time): each as the files around it (relative to `libDir`), the first repeated at the end. The notebooks'
 * kernel (tslab) loads lib/ through require() and does not survive a cycle (it overflows the stack), so there must be none.
 */
export function checkImportCycles(libDir: string): string[][] {
  const graph = new Map<string, string[]>();
  for (const file of listTs(libDir)) {
    const text = fs.readFileSync(file, "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith(".") || /^(?:import|export)\s+type\b/.test(m[0].trim())) continue;
      const to = resolveTs(file, spec);
      if (to !== null) deps.push(to);
    }
    graph.set(file, deps);
  }
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
  const cycles: string[][] = [];
  const visit = (u: string, stack: string[]) => {
    state.set(u, 1);
    stack.push(u);
    for (const v of graph.get(u) ?? []) {
      if (state.get(v) === 1) cycles.push([...stack.slice(stack.indexOf(v)), v].map((f) => path.relative(libDir, f)));
      else if (state.get(v) === undefined) visit(v, stack);
    }
    stack.pop();
    state.set(u, 2);
  };
  for (const f of [...graph.keys()].sort()) if (state.get(f) === undefined) visit(f, []);
  return cycles;
}

/** Notebook imports of ./lib that do not go through a barrel (`./lib/<area>`). */
export function checkNotebookImports(notebookDir: string): { notebook: string; spec: string }[] {
  const out: { notebook: string; spec: string }[] = [];
  for (const f of fs.readdirSync(notebookDir).filter((n) => n.endsWith(".ipynb")).sort()) {
    const nb = JSON.parse(fs.readFileSync(path.join(notebookDir, f), "utf8")) as { cells: { cell_type: string; source: string[] | string }[] };
    for (const c of nb.cells) {
      if (c.cell_type !== "code") continue;
      const src = Array.isArray(c.source) ? c.source.join("") : c.source;
      for (const m of src.matchAll(/(?:from\s*|import\s*\(\s*|require\(\s*|import\s+)["'](\.\/lib(?:\/[^"'\n]*)?)["']/g)) {
        if (!/^\.\/lib\/[a-z]+$/.test(m[1])) out.push({ notebook: f, spec: m[1] });
      }
    }
  }
  return out;
}

export function formatViolation(v: ImportViolation): string {
  return `lib/${v.file}:${v.line}: ${v.from} may not import ${v.to} ('${v.spec}'); ${v.from} may import: ${(ALLOWED[v.from] ?? []).join(", ") || "nothing in lib"}`;
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  const bad = checkImportDirection(path.join(root, "lib"));
  const nb = checkNotebookImports(path.join(root, "notebooks"));
  const cycles = checkImportCycles(path.join(root, "lib"));
  for (const v of bad) console.error(formatViolation(v));
  for (const c of cycles) console.error(`import cycle: lib/${c.join(" -> lib/")}`);
  for (const v of nb) console.error(`notebooks/${v.notebook}: imports '${v.spec}'; notebooks import barrels only (./lib/<area>)`);
  if (bad.length + nb.length + cycles.length > 0) process.exit(1);
  console.log("import direction: ok");
}
