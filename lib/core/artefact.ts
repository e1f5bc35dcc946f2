/**
 * Provenance inside every artefact file: the profile, seed and commit that made a figure (PNG, SVG),
 * a table (CSV, Markdown) or a result (JSON) are written into the file itself, so a quick-profile
 * figure can never pass for a paper one, and `writeArtefact` refuses to overwrite a file that a
 * larger profile wrote.
 *
 * Where the stamp goes:
 * - PNG: a `tEXt` chunk with keyword `spatialedit-provenance` (JSON text) right after IHDR;
 * - SVG: `<metadata id="spatialedit-provenance">` (JSON text) as the first child of `<svg>`;
 * - CSV: a first line `# provenance: {JSON}` (pandas: `read_csv(f, skiprows=1)`);
 * - Markdown: a first line `<!-- provenance: {JSON} -->` and a visible italic line;
 * - JSON results: the `provenance` field (lib/core/results.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { displayPath, writeFileAtomic } from "./paths";
import { CORE_PRESETS, currentProfile, isProfileName, ProfileName, profileRank } from "./profile";
import { recordGitState } from "./provenance";

export interface ArtefactStamp {
  profile: ProfileName;
  /** The seed that made it; `seedFrom` says whether the caller gave it or it is the profile's base seed. */
  seed: number | number[] | null;
  seedFrom: "caller" | "profile";
  gitCommit: string;
  /** Uncommitted changes outside figures/, results/, data/ (null: unknown). */
  gitDirty: boolean | null;
  /** The stored diff of those changes, relative to the project root (null when clean or unknown). */
  gitDiff: string | null;
}

const KEY = "spatialedit-provenance";

/** The stamp for an artefact written now on `profile` (default: the current one). */
export function artefactStamp(seed?: number | number[] | null, profile: ProfileName = currentProfile()): ArtefactStamp {
  const git = recordGitState();
  return {
    profile,
    seed: seed === undefined ? CORE_PRESETS[profile].seed : seed,
    seedFrom: seed === undefined ? "profile" : "caller",
    gitCommit: git.commit,
    gitDirty: git.dirty,
    gitDiff: git.diffFile === null ? null : displayPath(git.diffFile),
  };
}

/** JSON with every non-ASCII character escaped (PNG tEXt is Latin-1). */
function asciiJson(x: unknown): string {
  return JSON.stringify(x).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One line a person reads: profile, seed, commit. */
export function stampLine(s: ArtefactStamp): string {
  const seed = s.seed === null ? "none" : Array.isArray(s.seed) ? s.seed.join(", ") : String(s.seed);
  const commit = s.gitCommit === "unknown" ? "unknown commit" : `commit ${s.gitCommit.slice(0, 12)}`;
  const dirty = s.gitDirty === true ? ` + uncommitted changes (${s.gitDiff ?? "diff not stored"})` : s.gitDirty === null ? " (clean or dirty: unknown)" : "";
  return `profile ${s.profile}, seed ${seed}${s.seedFrom === "profile" ? " (profile default)" : ""}, ${commit}${dirty}`;
}

// ---- PNG tEXt chunks ----------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let crcTable: Uint32Array | null = null;

function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function checkPng(png: Buffer, what: string): void {
  if (png.length < 33 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString("latin1", 12, 16) !== "IHDR") {
    throw new Error(`${what}: not a PNG file (no PNG signature and IHDR chunk)`);
  }
}

/** The PNG with a `tEXt` chunk (keyword, text) inserted after IHDR. */
export function addPngText(png: Buffer, keyword: string, text: string): Buffer {
  checkPng(png, "addPngText");
  const body = Buffer.from(`${keyword}\0${text}`, "latin1");
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write("tEXt", 4, "latin1");
  body.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + body.length)), 8 + body.length);
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

/** The text of the first `tEXt` chunk with `keyword`, or null. */
export function readPngText(png: Buffer, keyword: string): string | null {
  checkPng(png, "readPngText");
  let at = 8;
  while (at + 12 <= png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    if (type === "tEXt") {
      const body = png.subarray(at + 8, at + 8 + len);
      const zero = body.indexOf(0);
      if (zero > 0 && body.toString("latin1", 0, zero) === keyword) return body.toString("latin1", zero + 1);
    }
    if (type === "IEND") break;
    at += 12 + len;
  }
  return null;
}

// ---- stamping each format -----------------------------------------------------------------

export function stampPng(png: Buffer, s: ArtefactStamp): Buffer {
  return addPngText(png, KEY, asciiJson(s));
}

export function stampSvg(svg: string, s: ArtefactStamp): string {
  const open = svg.indexOf("<svg");
  const end = open < 0 ? -1 : svg.indexOf(">", open);
  if (end < 0) throw new Error("stampSvg: not an SVG document (no <svg> element)");
  const text = JSON.stringify(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `${svg.slice(0, end + 1)}<metadata id="${KEY}">${text}</metadata>${svg.slice(end + 1)}`;
}

export function stampCsv(csv: string, s: ArtefactStamp): string {
  return `# provenance: ${JSON.stringify(s)}\n${csv}`;
}

export function stampMarkdown(md: string, s: ArtefactStamp): string {
  return `<!-- provenance: ${JSON.stringify(s).replace(/--/g, "-\\u002d")} -->\n_${stampLine(s)}_\n\n${md}`;
}

/**
 * The stamp recorded in an artefact file (by extension: png, svg, csv, md, json), null when the
 * file has none (written before stamps existed, or by something else).
 */
export function readStamp(file: string): Partial<ArtefactStamp> | null {
  const ext = path.extname(file).toLowerCase();
  let json: string | null = null;
  if (ext === ".png") {
    json = readPngText(fs.readFileSync(file), KEY);
  } else {
    const text = fs.readFileSync(file, "utf8");
    if (ext === ".svg") {
      const m = new RegExp(`<metadata id="${KEY}">([^<]*)</metadata>`).exec(text);
      json = m === null ? null : m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    } else if (ext === ".csv") {
      json = /^# provenance: (.*)\n/.exec(text)?.[1] ?? null;
    } else if (ext === ".md") {
      json = /^<!-- provenance: (.*) -->\n/.exec(text)?.[1] ?? null;
    } else if (ext === ".json") {
      try {
        const p = (JSON.parse(text) as { provenance?: Partial<ArtefactStamp> }).provenance;
        return p !== undefined && typeof p === "object" && p !== null ? p : null;
      } catch {
        return null;
      }
    }
  }
  if (json === null) return null;
  try {
    return JSON.parse(json) as Partial<ArtefactStamp>;
  } catch {
    return null;
  }
}

/**
 * Writes an artefact atomically, unless the file already there was written by a larger profile
 * (paper > quick > tiny): then it throws and names both profiles.
 */
export function writeArtefact(file: string, data: string | Uint8Array, profile: ProfileName): void {
  if (fs.existsSync(file)) {
    const old = readStamp(file)?.profile;
    if (typeof old === "string" && isProfileName(old) && profileRank(old) > profileRank(profile)) {
      throw new Error(
        `refusing to overwrite ${displayPath(file)}: the '${old}' profile wrote it and this run is '${profile}'; write '${profile}' files to their own folder (leave SPATIALEDIT_FIGURES_DIR/SPATIALEDIT_RESULTS_DIR unset) or delete the file first`,
      );
    }
  }
  writeFileAtomic(file, data);
}
