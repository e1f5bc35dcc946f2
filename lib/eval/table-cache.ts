/**
 * A cache for the computations behind the tables that need no trained model: the reference editors
 * run through the whole evaluation, Table 3's classifier and shares, Table 4's data-quality measures.
 * The trained rows come from the editor grid's cache (or its committed records); with this cache
 * too, notebook 06 rebuilds every table without recomputing anything.
 *
 * An entry is keyed by the SHA-256 of its name, its inputs (plain JSON: configs, seeds, benchmark
 * content hashes) and the content of every file under its source folders (lib/ by default; add a
 * data folder the computation reads). So any edit to lib/ makes every entry stale, and a stale entry
 * is never read: it is computed again under a new key. Entries are written atomically:
 *
 *   <root>/<profile>/<name>-<key, 16 hex>.json   { name, key, inputs, sources, computedAt, commit, dirty, seconds, value }
 *
 * The value must be plain JSON data (`canonicalJson` checks it before it is stored, so a value that would
 * not come back the same is an error, not a silent difference; an object's undefined fields are left out, as JSON does).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { checkName, displayPath, projectRoot, writeFileAtomic } from "../core/paths";
import { gitState } from "../core/provenance";
import { canonicalJson } from "../train/checkpoint-config";

export interface TableCacheOptions {
  profile: string;
  /** The entry's name (the naming rule of artefacts: lower-case words joined by '-'). */
  name: string;
  /** Everything else the value depends on, as plain JSON (configs, seeds, benchmark hashes). */
  inputs: unknown;
  /** Folders (or files), relative to the project root, whose content the value depends on; default ["lib"]. */
  sources?: readonly string[];
  /** The cache folder (default data/generated/table-cache). */
  root?: string;
  /** The folder `sources` are relative to (default: the project root). */
  sourceRoot?: string;
  /** Compute and store again even when the entry exists. */
  recompute?: boolean;
}

export interface Cached<T> {
  value: T;
  /** Whether the value was read from the cache. */
  hit: boolean;
  file: string;
  /** When, at which commit (dirty: with uncommitted changes), and in how many seconds the value was computed (for a hit: the original computation). */
  computedAt: string;
  commit: string | null;
  dirty: boolean | null;
  seconds: number;
}

interface Entry {
  name: string;
  key: string;
  inputs: unknown;
  sources: string[];
  computedAt: string;
  commit: string | null;
  dirty: boolean | null;
  seconds: number;
  value: unknown;
}

/** The table cache's default folder: data/generated/table-cache. */
export function defaultTableCacheRoot(): string {
  return path.join(projectRoot(), "data", "generated", "table-cache");
}

function filesUnder(abs: string): string[] {
  const st = fs.statSync(abs);
  if (st.isFile()) return [abs];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((d) => (d.isDirectory() ? filesUnder(path.join(abs, d.name)) : d.isFile() ? [path.join(abs, d.name)] : []));
}

/** SHA-256 (hex) over the relative path and content of every file under `sources` (relative to `root`), in path order. */
export function sourcesHash(sources: readonly string[], root: string = projectRoot()): string {
  if (sources.length === 0) throw new Error("sourcesHash: no source folders given");
  const h = createHash("sha256");
  for (const src of [...sources].sort()) {
    const abs = path.resolve(root, src);
    if (!fs.existsSync(abs)) throw new Error(`sourcesHash: ${src} does not exist under ${root}`);
    for (const f of filesUnder(abs)) {
      h.update(path.relative(root, f).split(path.sep).join("/"));
      h.update("\0");
      h.update(fs.readFileSync(f));
      h.update("\0");
    }
  }
  return h.digest("hex");
}

/** The entry's key (16 hex digits) for these options. */
export function tableCacheKey(o: Pick<TableCacheOptions, "name" | "inputs" | "sources" | "sourceRoot">): string {
  const sources = o.sources ?? ["lib"];
  return createHash("sha256")
    .update(canonicalJson({ name: o.name, inputs: o.inputs, sources: sourcesHash(sources, o.sourceRoot ?? projectRoot()) }, `table cache '${o.name}' inputs`))
    .digest("hex")
    .slice(0, 16);
}

/**
 * The value of `compute()` for these options: read from the cache when an entry with the same key
 * exists, else computed, stored and returned. An unreadable entry (not JSON, or another key inside)
 * is computed again and overwritten, with a warning.
 */
export async function cachedComputation<T>(o: TableCacheOptions, compute: () => T | Promise<T>): Promise<Cached<T>> {
  checkName(o.name, "table cache entry");
  const root = o.root ?? defaultTableCacheRoot();
  const key = tableCacheKey(o);
  const file = path.join(root, o.profile, `${o.name}-${key}.json`);
  if (o.recompute !== true && fs.existsSync(file)) {
    let entry: Entry | null = null;
    try {
      entry = JSON.parse(fs.readFileSync(file, "utf8")) as Entry;
    } catch {
      entry = null;
    }
    if (entry !== null && entry.key === key && entry.name === o.name && "value" in entry) {
      return { value: entry.value as T, hit: true, file, computedAt: entry.computedAt, commit: entry.commit, dirty: entry.dirty ?? null, seconds: entry.seconds };
    }
    console.warn(`table cache: ${file} is not a readable entry for '${o.name}'; computing it again`);
  }
  const t0 = Date.now();
  const value = await compute();
  const seconds = (Date.now() - t0) / 1000;
  canonicalJson(value, `table cache '${o.name}' value`, { omitUndefined: true }); // refuses what JSON would not bring back
  const computedAt = new Date().toISOString();
  const { commit, dirty } = gitState();
  const entry: Entry = { name: o.name, key, inputs: o.inputs, sources: [...(o.sources ?? ["lib"])], computedAt, commit, dirty, seconds, value };
  writeFileAtomic(file, `${JSON.stringify(entry)}\n`);
  return { value, hit: false, file, computedAt, commit, dirty, seconds };
}

/** One line on where a cached value came from: "<what>: read from the table cache (computed <when> at <commit> in <s> s): <file>" or "... computed in <s> s and stored in <file>". */
export function describeCached(c: Cached<unknown>, what: string): string {
  const file = displayPath(c.file);
  return c.hit
    ? `${what}: read from the table cache (computed ${c.computedAt} at commit ${c.commit === null ? "unknown" : c.commit.slice(0, 12)}${c.dirty === true ? " with uncommitted changes" : ""} in ${c.seconds.toFixed(1)} s): ${file}`
    : `${what}: computed in ${c.seconds.toFixed(1)} s and stored in ${file}`;
}
