/**
 * Which code made an artefact: the git commit and, when the tree had uncommitted changes, a hash
 * of those changes with the diff itself stored under `results/diffs/<hash>.diff`, so that a result
 * from a dirty tree can still be reproduced (`git checkout <commit> && git apply <diff>`).
 *
 * The project's own outputs (figures/, results/, data/) are left out of the dirty check and of the
 * diff: a notebook run writes them, and they must not make the next notebook's results "dirty".
 * Where the tree has no .git (a copied tree, e.g. on a lent machine), `SPATIALEDIT_GIT_COMMIT`
 * names the commit; without git on PATH the commit is read from the .git folder's files.
 */
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { envValue } from "./env";
import { diffsDir, projectRoot, writeFileAtomic } from "./paths";

/** Folders of generated outputs, left out of the dirty check and the stored diff. */
export const OUTPUT_FOLDERS = ["figures", "results", "data"] as const;

export interface GitState {
  /** The HEAD commit (40 hex digits, or what SPATIALEDIT_GIT_COMMIT says), or "unknown". */
  commit: string;
  /** Uncommitted changes outside the output folders; null when it cannot be told. */
  dirty: boolean | null;
  /** sha256 (first 16 hex digits) of the uncommitted diff, or null when clean or unknown. */
  diffHash: string | null;
  /** How the commit was found. */
  source: "git" | "git files" | "SPATIALEDIT_GIT_COMMIT" | "none";
}

/** Untracked files above this size are named in the diff with their sha256, not included. */
const MAX_UNTRACKED_BYTES = 2 * 2 ** 20;

function git(args: string[], root: string): childProcess.SpawnSyncReturns<string> {
  return childProcess.spawnSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 256 * 2 ** 20, stdio: ["ignore", "pipe", "pipe"] });
}

function excludes(): string[] {
  return ["--", ".", ...OUTPUT_FOLDERS.map((f) => `:(exclude)${f}`)];
}

function sha256(text: string | Buffer): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/**
 * The uncommitted changes of the tree as one patch: tracked changes against HEAD, then every
 * untracked, not ignored file as a new-file patch. Null when `git` cannot run here.
 */
export function uncommittedDiff(root: string = projectRoot()): string | null {
  const tracked = git(["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", ...excludes()], root);
  if (tracked.status !== 0) return null;
  const untracked = git(["ls-files", "--others", "--exclude-standard", "-z", ...excludes()], root);
  if (untracked.status !== 0) return null;
  let diff = tracked.stdout;
  for (const file of untracked.stdout.split("\0").filter((f) => f !== "").sort()) {
    const full = path.join(root, file);
    const size = fs.statSync(full).size;
    if (size > MAX_UNTRACKED_BYTES) {
      diff += `# untracked file not included (${size} bytes): ${file} sha256 ${sha256(fs.readFileSync(full))}\n`;
      continue;
    }
    // --no-index exits 1 when the files differ, which they always do here
    const one = git(["diff", "--no-index", "--binary", "--no-color", "--", "/dev/null", file], root);
    diff += one.stdout;
  }
  return diff;
}

function readGitFiles(root: string): string | null {
  try {
    let gitDir = path.join(root, ".git");
    if (fs.statSync(gitDir).isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(gitDir, "utf8"));
      if (m === null) return null;
      gitDir = path.resolve(root, m[1].trim());
    }
    const head = fs.readFileSync(path.join(gitDir, "HEAD"), "utf8").trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
    if (ref === undefined) return null;
    const commonFile = path.join(gitDir, "commondir");
    const common = fs.existsSync(commonFile) ? path.resolve(gitDir, fs.readFileSync(commonFile, "utf8").trim()) : gitDir;
    for (const dir of [gitDir, common]) {
      const refFile = path.join(dir, ref);
      if (fs.existsSync(refFile)) return fs.readFileSync(refFile, "utf8").trim();
    }
    const packed = path.join(common, "packed-refs");
    if (fs.existsSync(packed)) {
      const line = fs.readFileSync(packed, "utf8").split("\n").find((l) => l.endsWith(` ${ref}`));
      if (line !== undefined) return line.split(" ")[0];
    }
  } catch {
    // no .git here
  }
  return null;
}

function inspect(root: string): { state: GitState; diff: string | null } {
  const top = git(["rev-parse", "--show-toplevel"], root);
  const isOurRepo = top.status === 0 && fs.realpathSync(top.stdout.trim()) === fs.realpathSync(root);
  if (isOurRepo) {
    const head = git(["rev-parse", "HEAD"], root);
    if (head.status === 0) {
      const diff = uncommittedDiff(root);
      const dirty = diff === null ? null : diff !== "";
      const diffHash = dirty === true ? sha256(diff!).slice(0, 16) : null;
      return { state: { commit: head.stdout.trim(), dirty, diffHash, source: "git" }, diff };
    }
  }
  const fromFiles = fs.existsSync(path.join(root, ".git")) ? readGitFiles(root) : null;
  if (fromFiles !== null) return { state: { commit: fromFiles, dirty: null, diffHash: null, source: "git files" }, diff: null };
  const fromEnv = envValue("SPATIALEDIT_GIT_COMMIT");
  if (fromEnv !== undefined) return { state: { commit: fromEnv, dirty: null, diffHash: null, source: "SPATIALEDIT_GIT_COMMIT" }, diff: null };
  return { state: { commit: "unknown", dirty: null, diffHash: null, source: "none" }, diff: null };
}

/** The commit and the uncommitted changes of the project tree (see the module comment). */
export function gitState(root: string = projectRoot()): GitState {
  return inspect(root).state;
}

/** The current commit (40 hex digits), or "unknown". Whether the tree was dirty: `gitState()`. */
export function gitCommit(): string {
  return gitState().commit;
}

/**
 * `gitState()`, and when the tree is dirty the diff stored as `<results>/diffs/<hash>.diff`
 * (once per distinct diff); `diffFile` is its path, null when the tree is clean or unknown.
 */
export function recordGitState(root: string = projectRoot()): GitState & { diffFile: string | null } {
  const { state, diff } = inspect(root);
  if (state.diffHash === null || diff === null) return { ...state, diffFile: null };
  const file = path.join(diffsDir(), `${state.diffHash}.diff`);
  if (!fs.existsSync(file)) writeFileAtomic(file, diff);
  return { ...state, diffFile: file };
}

/** Files with uncommitted changes outside the output folders (`git status`); empty when clean or unknown. */
export function uncommittedFiles(root: string = projectRoot()): string[] {
  const r = git(["status", "--porcelain", "--untracked-files=all", ...excludes()], root);
  if (r.status !== 0) return [];
  return r.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => l.slice(3));
}
