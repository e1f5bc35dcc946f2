/**
 * The paper's reported numbers (Tables 1-5) as typed data, read from
 * `data/paper/spatialedit-tables.json` and validated: every entry names its table, row, column
 * (and dataset for Table 2), the value as printed, whether higher or lower is better, and the
 * scale it was printed in (100 = percent).
 */
import * as fs from "fs";
import { projectPath } from "../core/paths";

export const PAPER_TABLES = ["1", "2", "3", "4", "5"] as const;
export type PaperTable = (typeof PAPER_TABLES)[number];

export interface PaperEntry {
  table: PaperTable;
  row: string;
  column: string;
  /** Table 2 only: EVR, GIER, MA5k or MagicBrush. */
  dataset?: string;
  /** As printed. */
  value: number;
  better: "higher" | "lower" | "none";
  /** 1, or 100 for columns printed in percent. */
  scale: 1 | 100;
  /** False for rows the miniature cannot have (Dalle3, Seed-X, ...): shown with the paper's numbers only. */
  miniature: boolean;
}

export const PAPER_NUMBERS_FILE = "data/paper/spatialedit-tables.json";

/** Validates the parsed JSON document; the message names the entry and the field. */
export function validatePaperNumbers(doc: unknown): PaperEntry[] {
  const entries = (doc as { entries?: unknown })?.entries;
  if (!Array.isArray(entries) || entries.length === 0) throw new Error("paper numbers: the document needs a non-empty 'entries' array");
  const seen = new Set<string>();
  return entries.map((e: Record<string, unknown>, i) => {
    const bad = (field: string) => new Error(`paper numbers: entry ${i} (${JSON.stringify(e).slice(0, 80)}) has a bad '${field}'`);
    if (!(PAPER_TABLES as readonly unknown[]).includes(e.table)) throw bad("table");
    for (const f of ["row", "column"]) if (typeof e[f] !== "string" || e[f] === "") throw bad(f);
    if (e.dataset !== undefined && typeof e.dataset !== "string") throw bad("dataset");
    if ((e.table === "2") !== (typeof e.dataset === "string")) throw bad("dataset");
    if (typeof e.value !== "number" || !Number.isFinite(e.value)) throw bad("value");
    if (!["higher", "lower", "none"].includes(e.better as string)) throw bad("better");
    if (e.scale !== 1 && e.scale !== 100) throw bad("scale");
    if (typeof e.miniature !== "boolean") throw bad("miniature");
    if ((e.value as number) < 0 || (e.value as number) > (e.scale as number)) throw bad("value");
    const key = `${e.table}|${e.dataset ?? ""}|${e.row}|${e.column}`;
    if (seen.has(key)) throw new Error(`paper numbers: entry ${i} repeats table ${e.table}, ${e.dataset ? `${e.dataset}, ` : ""}${e.row}, ${e.column}`);
    seen.add(key);
    return e as unknown as PaperEntry;
  });
}

let cache: PaperEntry[] | null = null;

/** All entries (read once). */
export function paperNumbers(): PaperEntry[] {
  if (cache === null) cache = validatePaperNumbers(JSON.parse(fs.readFileSync(projectPath(PAPER_NUMBERS_FILE), "utf8")));
  return cache;
}

/** One entry, or null when the paper has no such cell. */
export function paperEntry(table: PaperTable, row: string, column: string, dataset?: string): PaperEntry | null {
  return paperNumbers().find((e) => e.table === table && e.row === row && e.column === column && (e.dataset ?? undefined) === dataset) ?? null;
}

/** The value in [0, 1] units (value / scale, rounded to 9 decimals so that 44.3 / 100 reads 0.443), or null. */
export function paperValue(table: PaperTable, row: string, column: string, dataset?: string): number | null {
  const e = paperEntry(table, row, column, dataset);
  return e === null ? null : Math.round((e.value / e.scale) * 1e9) / 1e9;
}

/** The rows of a table in the paper's order. */
export function paperRows(table: PaperTable): string[] {
  const rows: string[] = [];
  for (const e of paperNumbers()) if (e.table === table && !rows.includes(e.row)) rows.push(e.row);
  return rows;
}
