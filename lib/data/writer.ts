/**
 * Streaming, resumable dataset writer (docs/architecture.md §2): JSONL metadata plus image files in
 * the Hugging Face `datasets` "imagefolder" layout:
 *
 *   <dir>/train/metadata.jsonl      one JSON record per line; `file_name` = the source image (what
 *                                   imagefolder loads as `image`), `edited_file_name` = the relative
 *                                   path of the target image of edit records (a plain string column
 *                                   for `datasets` versions that load only `file_name`; our reader
 *                                   loads both)
 *   <dir>/train/images/*.png
 *   <dir>/manifest.json             config, seed, counts per family / edit kind, refusals (at finish)
 *   <dir>/.writer-state.json        the commit point (removed from nothing: it is how a run resumes)
 *
 * Records are written in units (one scene's records). A unit is committed in three steps:
 *   1. its image files are written atomically (temp file + rename) under deterministic names;
 *   2. its metadata lines are appended to metadata.jsonl and fsync'ed;
 *   3. the state file (units, records, byte length of metadata.jsonl, counts) is replaced atomically.
 * A kill at any point loses at most the unit in flight: on open, metadata.jsonl is truncated to the
 * committed byte length and leftover temp files are deleted; the generator, which derives unit k's
 * randomness from (seed, k) alone, then redoes unit k with the same bytes. So a killed and resumed
 * run writes exactly the files of an uninterrupted one (test/data/writer-kill.test.ts).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../core/paths";

export const STATE_FILE = ".writer-state.json";
export const MANIFEST_FILE = "manifest.json";
export const SPLIT_DIR = "train";
export const METADATA_FILE = "metadata.jsonl";
export const IMAGES_DIR = "images";

/** Counters: group (e.g. "family", "editKind", "refusal") -> key -> count. */
export type Counts = Record<string, Record<string, number>>;

export interface WriterUnit {
  /** Metadata records (JSON-serialisable); file names relative to the split folder. */
  records: Record<string, unknown>[];
  /** Files to write, path relative to the split folder (e.g. "images/000001-src.png"). */
  files: { path: string; bytes: Uint8Array }[];
  /** Counter increments of this unit (merged into the manifest's counts). */
  counts?: Counts;
}

interface WriterState {
  version: 1;
  name: string;
  configHash: string;
  seed: number;
  units: number;
  records: number;
  metadataBytes: number;
  counts: Counts;
  finished: boolean;
}

export interface Manifest {
  name: string;
  /** Layout: "imagefolder" (Hugging Face datasets). */
  format: "imagefolder";
  config: unknown;
  configHash: string;
  seed: number;
  units: number;
  records: number;
  counts: Counts;
  extra: Record<string, unknown>;
}

/** A stable JSON text (sorted keys) and its SHA-256, to recognise the config of a run. */
export function stableJson(x: unknown): string {
  if (x === null || typeof x !== "object") return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(stableJson).join(",")}]`;
  const o = x as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(",")}}`;
}

export function configHash(config: unknown, seed: number): string {
  return crypto.createHash("sha256").update(stableJson({ config, seed })).digest("hex").slice(0, 16);
}

function addCounts(into: Counts, add: Counts | undefined): void {
  if (!add) return;
  for (const [g, m] of Object.entries(add)) {
    const t = (into[g] ??= {});
    for (const [k, v] of Object.entries(m)) t[k] = (t[k] ?? 0) + v;
  }
}

function removeTempFiles(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) removeTempFiles(p);
    else if (/\.tmp-\d+$/.test(e.name)) fs.unlinkSync(p);
  }
}

/** Reads and parses a writer state file; a damaged one is an error naming the file. */
export function readWriterState(stateFile: string): WriterState {
  let text: string;
  try {
    text = fs.readFileSync(stateFile, "utf8");
  } catch (e) {
    throw new Error(`DatasetWriter: cannot read ${stateFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let st: WriterState;
  try {
    st = JSON.parse(text) as WriterState;
  } catch (e) {
    throw new Error(`DatasetWriter: ${stateFile} is not valid JSON (${(e as Error).message}); the commit point of the folder is damaged: delete the folder and write the dataset again`);
  }
  if (st === null || typeof st !== "object" || !Number.isInteger(st.metadataBytes) || st.metadataBytes < 0 || !Number.isInteger(st.units) || typeof st.configHash !== "string") {
    throw new Error(`DatasetWriter: ${stateFile} is not a writer state (needs units, metadataBytes, configHash); delete the folder and write the dataset again`);
  }
  return st;
}

/**
 * Writes all of `bytes` at `position`, looping over short writes (fs.writeSync may write fewer
 * bytes than asked, e.g. at a file-size limit); a write that makes no progress or fails is an
 * error naming the file, and the caller's commit point is left where it was.
 */
export function writeAllAt(fd: number, bytes: Uint8Array, position: number, file: string, write: typeof fs.writeSync = fs.writeSync): void {
  let done = 0;
  while (done < bytes.length) {
    let n: number;
    try {
      n = write(fd, bytes, done, bytes.length - done, position + done);
    } catch (e) {
      throw new Error(`DatasetWriter: writing ${file} failed after ${done} of ${bytes.length} bytes (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was committed: free space or raise the file-size limit, then run again to resume`);
    }
    if (!(n > 0)) {
      throw new Error(`DatasetWriter: short write to ${file}: ${done} of ${bytes.length} bytes written, then none (disk full or a file-size limit?); nothing was committed: fix the cause and run again to resume`);
    }
    done += n;
  }
}

/** Test hook: throw after a given commit step of a given unit (simulates a crash in-process). */
export interface CrashPoint {
  unit: number;
  after: "files" | "metadata";
}

export class DatasetWriter {
  readonly dir: string;
  readonly splitDir: string;
  private state: WriterState;
  private readonly config: unknown;
  crashPoint: CrashPoint | null = null;
  /** Test hook: the write function used for metadata (default fs.writeSync). */
  writeSync: typeof fs.writeSync = fs.writeSync;

  private constructor(dir: string, state: WriterState, config: unknown) {
    this.dir = dir;
    this.splitDir = path.join(dir, SPLIT_DIR);
    this.state = state;
    this.config = config;
  }

  /**
   * Opens `dir` for writing: a new dataset, or the resumption of an interrupted one written with
   * the same name, config and seed. A folder written with another config is an error (use a new
   * folder), so two runs never mix.
   */
  static open(dir: string, opts: { name: string; config: unknown; seed: number }): DatasetWriter {
    const hash = configHash(opts.config, opts.seed);
    const stateFile = path.join(dir, STATE_FILE);
    const split = path.join(dir, SPLIT_DIR);
    const meta = path.join(split, METADATA_FILE);
    if (fs.existsSync(stateFile)) {
      const st = readWriterState(stateFile);
      if (st.configHash !== hash || st.name !== opts.name) {
        throw new Error(
          `DatasetWriter: ${dir} holds dataset '${st.name}' written with another config or seed (hash ${st.configHash}, now ${hash}); write to a new folder or delete it`,
        );
      }
      // roll back anything after the last commit
      const size = fs.existsSync(meta) ? fs.statSync(meta).size : 0;
      if (size < st.metadataBytes) {
        throw new Error(`DatasetWriter: ${meta} is shorter (${size} bytes) than its committed length ${st.metadataBytes}; the folder was damaged, delete it and start again`);
      }
      if (size > st.metadataBytes) fs.truncateSync(meta, st.metadataBytes);
      removeTempFiles(dir);
      return new DatasetWriter(dir, st, opts.config);
    }
    if (fs.existsSync(meta)) {
      throw new Error(`DatasetWriter: ${dir} has a ${SPLIT_DIR}/${METADATA_FILE} but no ${STATE_FILE}; it was not written by this writer, use a new folder`);
    }
    fs.mkdirSync(path.join(split, IMAGES_DIR), { recursive: true });
    removeTempFiles(dir);
    fs.writeFileSync(meta, "");
    const st: WriterState = { version: 1, name: opts.name, configHash: hash, seed: opts.seed, units: 0, records: 0, metadataBytes: 0, counts: {}, finished: false };
    writeFileAtomic(stateFile, JSON.stringify(st));
    return new DatasetWriter(dir, st, opts.config);
  }

  /** Units committed so far (the generator resumes at this unit index). */
  get committedUnits(): number {
    return this.state.units;
  }

  get committedRecords(): number {
    return this.state.records;
  }

  get finished(): boolean {
    return this.state.finished;
  }

  get counts(): Counts {
    return structuredClone(this.state.counts);
  }

  /** Writes one unit and moves the commit point past it (see the file comment for the steps). */
  commit(unit: WriterUnit): void {
    if (this.state.finished) throw new Error(`DatasetWriter: ${this.dir} is finished; open a new folder to write more`);
    const index = this.state.units;
    // 1. files
    for (const f of unit.files) {
      if (path.isAbsolute(f.path) || f.path.split(/[\\/]/).includes("..")) throw new Error(`DatasetWriter: file path '${f.path}' must be relative to the split folder`);
      writeFileAtomic(path.join(this.splitDir, f.path), f.bytes);
    }
    if (this.crashPoint?.unit === index && this.crashPoint.after === "files") throw new Error(`DatasetWriter: simulated crash after files of unit ${index}`);
    // 2. metadata lines
    const text = unit.records.map((r) => `${JSON.stringify(r)}\n`).join("");
    const bytes = Buffer.from(text, "utf8");
    const meta = path.join(this.splitDir, METADATA_FILE);
    const fd = fs.openSync(meta, "r+");
    try {
      writeAllAt(fd, bytes, this.state.metadataBytes, meta, this.writeSync);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (this.crashPoint?.unit === index && this.crashPoint.after === "metadata") throw new Error(`DatasetWriter: simulated crash after metadata of unit ${index}`);
    // 3. commit point
    const next: WriterState = { ...this.state, counts: structuredClone(this.state.counts) };
    next.units += 1;
    next.records += unit.records.length;
    next.metadataBytes += bytes.length;
    addCounts(next.counts, unit.counts);
    writeFileAtomic(path.join(this.dir, STATE_FILE), JSON.stringify(next));
    this.state = next;
  }

  /** Writes manifest.json (deterministic: no time stamps) and marks the dataset finished. */
  finish(extra: Record<string, unknown> = {}): Manifest {
    const m: Manifest = {
      name: this.state.name,
      format: "imagefolder",
      config: this.config,
      configHash: this.state.configHash,
      seed: this.state.seed,
      units: this.state.units,
      records: this.state.records,
      counts: sortCounts(this.state.counts),
      extra,
    };
    writeFileAtomic(path.join(this.dir, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
    const next = { ...this.state, finished: true };
    writeFileAtomic(path.join(this.dir, STATE_FILE), JSON.stringify(next));
    this.state = next;
    return m;
  }
}

function sortCounts(c: Counts): Counts {
  const out: Counts = {};
  for (const g of Object.keys(c).sort()) {
    out[g] = {};
    for (const k of Object.keys(c[g]).sort()) out[g][k] = c[g][k];
  }
  return out;
}

/** Throws a clear error naming `file` when it is missing or not a regular file (a folder, say). */
export function needFile(file: string, who: string, hint = ""): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new Error(`${who}: ${file} does not exist${hint}`);
  }
  if (!st.isFile()) throw new Error(`${who}: ${file} is ${st.isDirectory() ? "a directory" : "not a regular file"}, expected a file${hint}`);
}

/** Reads manifest.json of a finished dataset (clear error when it is missing or damaged). */
export function readManifest(dir: string): Manifest {
  const f = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(f)) throw new Error(`readManifest: ${f} does not exist; the dataset is not finished (run the generator again to resume it)`);
  needFile(f, "readManifest");
  try {
    return JSON.parse(fs.readFileSync(f, "utf8")) as Manifest;
  } catch (e) {
    throw new Error(`readManifest: ${f} is not valid JSON (${(e as Error).message}); run the generator again to rewrite it`);
  }
}

export interface ReadMetadataOptions {
  /** What to do with a dataset the writer has not finished: warn on stderr (default), throw, or read quietly. */
  unfinished?: "warn" | "error" | "quiet";
}

/**
 * Reads the metadata records of a dataset folder: committed lines only (bytes past the writer's
 * commit point are an unfinished unit and are never served). An unfinished dataset is reported
 * (a warning by default, or an error with `unfinished: "error"`).
 */
export function readMetadata(dir: string, opts: ReadMetadataOptions = {}): Record<string, unknown>[] {
  const f = path.join(dir, SPLIT_DIR, METADATA_FILE);
  needFile(f, "readMetadata", `; is ${dir} a dataset folder written by DatasetWriter?`);
  let buf = fs.readFileSync(f);
  const stateFile = path.join(dir, STATE_FILE);
  if (fs.existsSync(stateFile)) {
    const st = readWriterState(stateFile);
    if (buf.length < st.metadataBytes) throw new Error(`readMetadata: ${f} is shorter (${buf.length} bytes) than its committed length ${st.metadataBytes}; the folder was damaged, write the dataset again`);
    buf = buf.subarray(0, st.metadataBytes);
    if (!st.finished) {
      const msg = `readMetadata: ${dir} is an unfinished dataset (${st.records} committed records in ${st.units} units, no manifest yet); run the generator again to finish it`;
      const mode = opts.unfinished ?? "warn";
      if (mode === "error") throw new Error(msg);
      if (mode === "warn") console.warn(`${msg}; reading the committed records only`);
    }
  }
  const text = buf.toString("utf8");
  const out: Record<string, unknown>[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      throw new Error(`readMetadata: ${f} line ${i + 1} is not valid JSON (a truncated write? open the folder with DatasetWriter to roll back to the last commit)`);
    }
  });
  return out;
}
