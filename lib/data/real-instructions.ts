/**
 * The frozen set of real, human-written editing instructions (paper Table 3, Appendix H), each
 * hand-labelled spatial / not spatial by `docs/spatial-rubric.md`, with the repository, commit,
 * path and line it was read from. Split by group into `dev` (rules may change, learned models may
 * train on it) and `test` (held out: only measured). `data/real-instructions/manifest.json`
 * records each file's sha256; a file that no longer matches is an error, so a held-out number
 * can never come from an edited set.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { projectPath } from "../core/paths";

export type RealSplit = "dev" | "test";
export type SpatialKind = "position" | "relation" | "placement" | "rank" | "comparison" | "direction";
const KINDS: readonly SpatialKind[] = ["position", "relation", "placement", "rank", "comparison", "direction"];

export interface RealInstruction {
  id: string;
  /** Corpus name (magicbrush, emu-edit, aurora-ag, something-something, epic-kitchens, ggip2p). */
  source: string;
  text: string;
  /** The label by the rubric. */
  spatial: boolean;
  /** Which spatial kind (null for non-spatial items). */
  kind: SpatialKind | null;
  /** Reason for a borderline call. */
  note: string | null;
  /** Split group (items of one edit session or one image stay in one split). */
  group: string;
  repo: string;
  commit: string;
  path: string;
  line: number;
  key: string;
}

export interface RealManifest {
  files: Record<string, { sha256: string; items: number; use: string }>;
  sources: Record<string, { repo: string; files: string[]; written_by: string }>;
  [k: string]: unknown;
}

/** The folder of the frozen files (`data/real-instructions/`). */
export function realInstructionsDir(): string {
  return projectPath("data/real-instructions");
}

export function readRealManifest(dir = realInstructionsDir()): RealManifest {
  const file = path.join(dir, "manifest.json");
  if (!fs.existsSync(file)) throw new Error(`real instructions: no manifest at ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as RealManifest;
  } catch (e) {
    throw new Error(`real instructions: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function checkRecord(r: unknown, where: string): RealInstruction {
  const o = r as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof o[k] !== "string" || (o[k] as string) === "") throw new Error(`real instructions: ${where}: '${k}' must be a non-empty string`);
  };
  for (const k of ["id", "source", "text", "group", "repo", "commit", "path", "key"]) str(k);
  if (typeof o.spatial !== "boolean") throw new Error(`real instructions: ${where}: 'spatial' must be true or false`);
  if (o.spatial ? !KINDS.includes(o.kind as SpatialKind) : o.kind !== null) {
    throw new Error(`real instructions: ${where}: 'kind' must be one of ${KINDS.join(", ")} for a spatial item and null otherwise`);
  }
  if (!Number.isInteger(o.line) || (o.line as number) < 1) throw new Error(`real instructions: ${where}: 'line' must be a positive integer`);
  return o as unknown as RealInstruction;
}

/**
 * Loads one split, after checking its sha256 against the manifest. Throws when the file is
 * missing, changed, or has a malformed record (naming the file and line).
 */
export function loadRealInstructions(split: RealSplit, dir = realInstructionsDir()): RealInstruction[] {
  if (split !== "dev" && split !== "test") throw new Error(`loadRealInstructions: split must be 'dev' or 'test', got ${JSON.stringify(split)}`);
  const manifest = readRealManifest(dir);
  const name = `${split}.jsonl`;
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`real instructions: no file ${file}`);
  const expected = manifest.files?.[name]?.sha256;
  if (typeof expected !== "string") throw new Error(`real instructions: ${path.join(dir, "manifest.json")} records no sha256 for ${name}`);
  const bytes = fs.readFileSync(file);
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw new Error(`real instructions: ${file} changed since it was frozen (sha256 ${actual.slice(0, 12)}..., manifest ${expected.slice(0, 12)}...); the labelled set must not be edited`);
  }
  const out: RealInstruction[] = [];
  bytes
    .toString("utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        throw new Error(`real instructions: ${file} line ${i + 1} is not valid JSON`);
      }
      out.push(checkRecord(rec, `${file} line ${i + 1}`));
    });
  return out;
}
