/**
 * Where the project's folders are, wherever the code runs from: a notebook (cwd `notebooks/`,
 * code compiled by tslab into a temporary folder), a test (cwd = root) or a script.
 * `SPATIALEDIT_ROOT` overrides the search.
 */
import * as fs from "fs";
import * as path from "path";
import { envValue } from "./env";
import { currentProfile, ProfileName } from "./profile";

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
  const fromEnv = envValue("SPATIALEDIT_ROOT");
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

/**
 * Where figure and table files of `profile` go: `figures/<profile>/`, or `SPATIALEDIT_FIGURES_DIR`
 * (one folder for every profile: then a smaller profile still cannot overwrite a larger one's file).
 */
export function figuresDir(profile: ProfileName = currentProfile()): string {
  const dir = envValue("SPATIALEDIT_FIGURES_DIR") ?? path.join(projectRoot(), "figures", profile);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Where result files of `profile` go: `results/<profile>/`, or `SPATIALEDIT_RESULTS_DIR`. */
export function resultsDir(profile: ProfileName = currentProfile()): string {
  const dir = envValue("SPATIALEDIT_RESULTS_DIR") ?? path.join(projectRoot(), "results", profile);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Where the uncommitted diffs that artefacts refer to are kept: `results/diffs/` (or `<SPATIALEDIT_RESULTS_DIR>/diffs`). */
export function diffsDir(): string {
  const dir = path.join(envValue("SPATIALEDIT_RESULTS_DIR") ?? path.join(projectRoot(), "results"), "diffs");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** `file` relative to the project root when it lies inside it (for captions and provenance), else as given. */
export function displayPath(file: string): string {
  const rel = path.relative(projectRoot(), file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

/** Writes a file atomically (temp file + rename), so a crash never leaves half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Checks an artefact name against the naming rule: lower-case words of letters and digits joined
 * by '-', starting with the notebook number or the script that writes it (`02-attention-theory-eq7`,
 * `bench-data-engine`); no folder, extension or profile (the folder says the profile).
 */
export function checkName(name: string, what: string): string {
  if (typeof name !== "string" || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(
      `${what} name ${JSON.stringify(name)} does not follow the naming rule: lower-case letters and digits in words joined by '-', no folder or extension (e.g. '00-quickstart-loss')`,
    );
  }
  return name;
}
