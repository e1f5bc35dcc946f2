/**
 * Results files: every measured number (accuracy, table cell, timing) is written by code, with the
 * config, seed, git commit (and the stored diff of uncommitted changes), backend and machine that
 * produced it, to `results/<profile>/<name>.json`. Notebooks read these files or recompute them.
 *
 * JSON has no NaN or Infinity: a non-finite number is written as the string "NaN", "Infinity" or
 * "-Infinity" and its JSON Pointer is listed in the file's `nonFinite` field; `readResult` turns
 * them back into numbers. Typed arrays are written as arrays; Maps, Sets, functions, BigInts and
 * cycles are errors that name where they are.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { writeArtefact } from "./artefact";
import { checkName, displayPath, projectRoot, resultsDir } from "./paths";
import { checkProfileName, currentProfile, ProfileName } from "./profile";
import { recordGitState } from "./provenance";

export { gitCommit, gitState } from "./provenance";

export interface MachineInfo {
  hostname: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  memGiB: number;
  node: string;
}

export interface Provenance {
  /** ISO time the result was written. */
  writtenAt: string;
  /** The HEAD commit (40 hex digits), SPATIALEDIT_GIT_COMMIT on a tree without .git, or "unknown". */
  gitCommit: string;
  /** Uncommitted changes outside figures/, results/, data/ when it was written (null: unknown). */
  gitDirty: boolean | null;
  /** The stored diff of those changes, relative to the project root (`git apply` it on gitCommit). */
  gitDiff: string | null;
  /** How the commit was found: git, the .git files, SPATIALEDIT_GIT_COMMIT, or none. */
  gitSource: string;
  /** TF.js backend chosen by `initBackend` in this process, or "not initialised". */
  backend: string;
  profile: string;
  machine: MachineInfo;
  versions: Record<string, string>;
}

export interface ResultFile<T> {
  name: string;
  config: unknown;
  seed: number | number[] | null;
  provenance: Provenance;
  data: T;
  /** JSON Pointers of the non-finite numbers written as strings (absent when none). */
  nonFinite?: string[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? "unknown",
    cpus: cpus.length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

function packageVersion(pkg: string): string {
  try {
    const file = require.resolve(`${pkg}/package.json`, { paths: [projectRoot()] });
    return JSON.parse(fs.readFileSync(file, "utf8")).version as string;
  } catch {
    return "not installed";
  }
}

/** The TF.js backend in use (read from tf's engine: lib/core imports nothing from lib/backend). */
function activeBackendName(): string {
  const name = (tf.engine() as unknown as { backendName: string | null }).backendName;
  return name ?? "not initialised";
}

export function provenance(profile: ProfileName = currentProfile()): Provenance {
  const git = recordGitState();
  return {
    writtenAt: new Date().toISOString(),
    gitCommit: git.commit,
    gitDirty: git.dirty,
    gitDiff: git.diffFile === null ? null : displayPath(git.diffFile),
    gitSource: git.source,
    backend: activeBackendName(),
    profile,
    machine: machineInfo(),
    versions: { "@tensorflow/tfjs": packageVersion("@tensorflow/tfjs"), "@tensorflow/tfjs-backend-wasm": packageVersion("@tensorflow/tfjs-backend-wasm") },
  };
}

const NON_FINITE_TEXT = ["NaN", "Infinity", "-Infinity"];

function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** A JSON-safe copy of `x` (see the module comment); non-finite numbers' pointers go to `nonFinite`. */
function toJsonSafe(x: unknown, pointer: string, nonFinite: string[], seen: Set<object>, where: string): unknown {
  if (typeof x === "number") {
    if (Number.isFinite(x)) return x;
    nonFinite.push(pointer);
    return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
  }
  if (x === null || typeof x === "string" || typeof x === "boolean") return x;
  const at = pointer === "" ? "the record" : pointer;
  if (x === undefined) return undefined;
  if (typeof x === "bigint" || typeof x === "function" || typeof x === "symbol") {
    throw new Error(`${where}: ${at} is a ${typeof x}, which JSON cannot hold`);
  }
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) x = Array.from(x as unknown as ArrayLike<number>);
  if (x instanceof Map || x instanceof Set) throw new Error(`${where}: ${at} is a ${x instanceof Map ? "Map" : "Set"}, which JSON writes as {}; convert it to an object or array`);
  const obj = x as object;
  if (seen.has(obj)) throw new Error(`${where}: ${at} refers back to an enclosing object (a cycle)`);
  seen.add(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    out = obj.map((v, i) => toJsonSafe(v, `${pointer}/${i}`, nonFinite, seen, where) ?? null);
  } else if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    out = toJsonSafe((obj as { toJSON(): unknown }).toJSON(), pointer, nonFinite, seen, where);
  } else {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const safe = toJsonSafe(v, `${pointer}/${pointerToken(k)}`, nonFinite, seen, where);
      if (safe !== undefined) o[k] = safe;
    }
    out = o;
  }
  seen.delete(obj);
  return out;
}

/**
 * Writes `results/<profile>/<name>.json` atomically with the given config, seed and data plus
 * provenance (refusing to overwrite a file of a larger profile). Returns the path.
 */
export function writeResult<T>(name: string, payload: { config: unknown; seed: number | number[] | null; data: T }): string {
  checkName(name, "result");
  const profile = currentProfile();
  const file = path.join(resultsDir(profile), `${name}.json`);
  const nonFinite: string[] = [];
  const where = `writeResult('${name}')`;
  const body = toJsonSafe({ config: payload.config, seed: payload.seed, data: payload.data }, "", nonFinite, new Set(), where) as Record<string, unknown>;
  const record = { name, config: body.config, seed: body.seed ?? null, provenance: provenance(profile), data: body.data, ...(nonFinite.length > 0 ? { nonFinite } : {}) };
  writeArtefact(file, `${JSON.stringify(record, null, 2)}\n`, profile);
  return file;
}

function restoreNonFinite(record: Record<string, unknown>, pointers: unknown, file: string): void {
  if (!Array.isArray(pointers)) throw new Error(`result file ${file}: 'nonFinite' must be an array of JSON Pointers`);
  for (const p of pointers) {
    const keys = typeof p === "string" && p.startsWith("/") ? p.slice(1).split("/").map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~")) : null;
    let parent: Record<string, unknown> | null = record;
    for (const k of (keys ?? []).slice(0, -1)) parent = parent !== null && typeof parent[k] === "object" ? (parent[k] as Record<string, unknown>) : null;
    const last = keys?.[keys.length - 1];
    const value = parent !== null && last !== undefined ? parent[last] : undefined;
    if (keys === null || parent === null || typeof value !== "string" || !NON_FINITE_TEXT.includes(value)) {
      throw new Error(`result file ${file}: nonFinite entry ${JSON.stringify(p)} does not point at "NaN", "Infinity" or "-Infinity"`);
    }
    parent[last!] = Number(value);
  }
}

/**
 * Reads `results/<profile>/<name>.json` (default: the current profile), or null when it does not
 * exist. A file that is not a result file is an error that names it.
 */
export function readResult<T>(name: string, profile: string = currentProfile()): ResultFile<T> | null {
  checkName(name, "result");
  const file = path.join(resultsDir(checkProfileName(profile)), `${name}.json`);
  if (!fs.existsSync(file)) return null;
  const shown = displayPath(file);
  let record: unknown;
  try {
    record = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`result file ${shown} is not valid JSON (${(e as Error).message}); rerun the code that writes it, or delete the file`);
  }
  if (record === null || typeof record !== "object" || Array.isArray(record)) throw new Error(`result file ${shown} is not a result file (not a JSON object)`);
  const r = record as Record<string, unknown>;
  const missing = ["name", "config", "seed", "provenance", "data"].filter((k) => !(k in r));
  if (missing.length > 0) throw new Error(`result file ${shown} is not a result file (missing ${missing.join(", ")})`);
  if ("nonFinite" in r) restoreNonFinite(r, r.nonFinite, shown);
  return r as unknown as ResultFile<T>;
}

/**
 * Every result file of `profile` whose name starts with `prefix` (default: all), read with readResult, by file name: what the
 * notebooks' summaries of many runs read (lib/eval/decoding-summary.ts, shape-summary.ts, stage2-from-summary.ts). None when
 * the profile has no results folder.
 */
export function readResults<T>(profile: string, prefix = ""): { name: string; file: ResultFile<T> }[] {
  const dir = resultsDir(checkProfileName(profile));
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(".json"))
    .map((f) => path.basename(f, ".json"))
    .sort()
    .map((name) => ({ name, file: readResult<T>(name, profile)! }));
}
