/**
 * Results files: every measured number (accuracy, table cell, timing) is written by code,
 * with the config, seed, git commit, backend and machine that produced it, to
 * `results/<name>.json`. Notebooks read these files or recompute them.
 */
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { checkName, projectRoot, resultsDir, writeFileAtomic } from "./paths";
import { currentProfile } from "./profile";

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
  /** `git rev-parse HEAD` (with `-dirty` when the tree has uncommitted changes), or "unknown". */
  gitCommit: string;
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

let cachedCommit: string | null = null;

/** The current git commit, `-dirty` when the working tree differs, or "unknown" outside git. */
export function gitCommit(): string {
  if (cachedCommit !== null) return cachedCommit;
  try {
    const opts = { cwd: projectRoot(), encoding: "utf8" as const, stdio: ["ignore", "pipe", "ignore"] as ("ignore" | "pipe")[] };
    const head = childProcess.execFileSync("git", ["rev-parse", "HEAD"], opts).trim();
    const dirty = childProcess.execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], opts).trim() !== "";
    cachedCommit = dirty ? `${head}-dirty` : head;
  } catch {
    cachedCommit = "unknown";
  }
  return cachedCommit;
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

export function provenance(): Provenance {
  return {
    writtenAt: new Date().toISOString(),
    gitCommit: gitCommit(),
    backend: activeBackendName(),
    profile: currentProfile(),
    machine: machineInfo(),
    versions: { "@tensorflow/tfjs": packageVersion("@tensorflow/tfjs"), "@tensorflow/tfjs-backend-wasm": packageVersion("@tensorflow/tfjs-backend-wasm") },
  };
}

/**
 * Writes `results/<name>.json` atomically with the given config, seed and data plus provenance.
 * Returns the path.
 */
export function writeResult<T>(name: string, payload: { config: unknown; seed: number | number[] | null; data: T }): string {
  checkName(name, "result");
  const file = path.join(resultsDir(), `${name}.json`);
  const record: ResultFile<T> = { name, config: payload.config, seed: payload.seed, provenance: provenance(), data: payload.data };
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** Reads `results/<name>.json`, or null when it does not exist. */
export function readResult<T>(name: string): ResultFile<T> | null {
  checkName(name, "result");
  const file = path.join(resultsDir(), `${name}.json`);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, "utf8")) as ResultFile<T>;
}
