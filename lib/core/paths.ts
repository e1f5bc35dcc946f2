/**
 * Where the project's folders are, wherever the code runs from: a notebook (cwd `notebooks/`,
 * code compiled by tslab into a temporary folder), a test (cwd = root) or a script.
 * `SPATIALEDIT_ROOT` overrides the search.
 */
import * as fs from "fs";
import * as path from "path";

const PACKAGE_NAME = "spatialedit-ts";
let cachedRoot: string | null = null;

function findUp(start: string): string | null {
  let dir = path.resolve(start);
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === PACKAGE_NAME) return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The project root (the folder of our package.json). */
export function projectRoot(): string {
  if (cachedRoot !== null) return cachedRoot;
  const fromEnv = process.env.SPATIALEDIT_ROOT;
  const root = fromEnv ? path.resolve(fromEnv) : (findUp(process.cwd()) ?? findUp(__dirname));
  if (root === null) {
    throw new Error(`cannot find the project root (a package.json named '${PACKAGE_NAME}') above ${process.cwd()}; set SPATIALEDIT_ROOT`);
  }
  cachedRoot = root;
  return root;
}

/** A path under the project root; creates the parent folder when `ensureDir` is set. */
export function projectPath(rel: string, ensureDir = false): string {
  const p = path.join(projectRoot(), rel);
  if (ensureDir) fs.mkdirSync(path.dirname(p), { recursive: true });
  return p;
}

/** `figures/` (static PNG/SVG figures and tables), or `SPATIALEDIT_FIGURES_DIR`. */
export function figuresDir(): string {
  const dir = process.env.SPATIALEDIT_FIGURES_DIR ?? path.join(projectRoot(), "figures");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** `results/` (measured numbers with their provenance), or `SPATIALEDIT_RESULTS_DIR`. */
export function resultsDir(): string {
  const dir = process.env.SPATIALEDIT_RESULTS_DIR ?? path.join(projectRoot(), "results");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes a file atomically (temp file + rename), so a crash never leaves half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Checks that a figure/table/result name is a plain file stem (no folders, no extension). */
export function checkName(name: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || /\.(png|svg|csv|md|json|html)$/i.test(name)) {
    throw new Error(`${what} name '${name}' must be a plain file stem of letters, digits, '.', '_' or '-', without extension (e.g. '00-quickstart-loss')`);
  }
  return name;
}
