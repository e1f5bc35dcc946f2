/**
 * Tables: shown in a notebook as HTML, returned as a danfojs DataFrame for further work, and
 * written as `figures/<profile>/<name>.csv` and `.md`, each starting with its provenance
 * (profile, seed, commit; see lib/core/artefact.ts).
 */
import * as path from "path";
import { artefactStamp, stampCsv, stampMarkdown, writeArtefact } from "./artefact";
import { notebookDisplay } from "./notebook";
import { checkName, figuresDir } from "./paths";
import { currentProfile } from "./profile";

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/** Minimal view of danfojs' DataFrame that we rely on. */
export interface DataFrameLike {
  columns: string[];
  values: unknown[];
  shape: number[];
}

function checkRows(rows: Row[]): string[] {
  if (!Array.isArray(rows) || rows.length === 0) throw new Error("table: rows must be a non-empty array of objects");
  const columns: string[] = [];
  for (const r of rows) {
    if (r === null || typeof r !== "object" || Array.isArray(r)) throw new Error("table: every row must be an object of column -> value");
    for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  }
  return columns;
}

function cellText(v: Cell | undefined, digits: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    return Math.abs(v) >= 1e5 || (Math.abs(v) < 10 ** -digits && v !== 0) ? v.toExponential(digits - 1) : v.toFixed(digits);
  }
  return String(v);
}

/** CSV text (RFC 4180 quoting). */
export function toCsv(rows: Row[]): string {
  const columns = checkRows(rows);
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [columns.map(q).join(",")];
  for (const r of rows) lines.push(columns.map((c) => q(cellText(r[c], 6))).join(","));
  return `${lines.join("\n")}\n`;
}

/** GitHub-flavoured Markdown table text. */
export function toMarkdown(rows: Row[], digits = 3): string {
  const columns = checkRows(rows);
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`| ${columns.map(esc).join(" | ")} |`, `| ${columns.map((c) => (typeof rows[0][c] === "number" ? "---:" : "---")).join(" | ")} |`];
  for (const r of rows) lines.push(`| ${columns.map((c) => esc(cellText(r[c], digits))).join(" | ")} |`);
  return `${lines.join("\n")}\n`;
}

/** HTML table text for notebook output. */
export function toHtml(rows: Row[], digits = 3, caption?: string): string {
  const columns = checkRows(rows);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${columns.map((c) => `<td style="text-align:${typeof r[c] === "number" ? "right" : "left"}">${esc(cellText(r[c], digits))}</td>`).join("")}</tr>`)
    .join("\n");
  const cap = caption ? `<caption style="caption-side:top;text-align:left">${esc(caption)}</caption>` : "";
  return `<table class="dataframe">${cap}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A danfojs DataFrame of the rows (danfojs-node is loaded on first use: it is large). */
export function toDataFrame(rows: Row[]): DataFrameLike {
  const columns = checkRows(rows);
  const dfd = require("danfojs-node") as { DataFrame: new (data: unknown, opts?: unknown) => DataFrameLike };
  return new dfd.DataFrame(
    rows.map((r) => columns.map((c) => r[c] ?? null)),
    { columns },
  );
}

export interface TableOptions {
  /** Decimal places shown in notebook/Markdown (CSV keeps 6). */
  digits?: number;
  caption?: string;
  /** The seed that made the table, recorded in its files (default: the profile's base seed). */
  seed?: number | number[] | null;
}

/**
 * Shows `rows` as a table in the notebook, writes `figures/<profile>/<name>.csv` and `.md` (with
 * the provenance line first), and returns the rows as a danfojs DataFrame.
 */
export function showTable(rows: Row[], name: string, options: TableOptions = {}): DataFrameLike {
  checkName(name, "table");
  const digits = options.digits ?? 3;
  const csv = toCsv(rows);
  const md = (options.caption ? `${options.caption}\n\n` : "") + toMarkdown(rows, digits);
  const nb = notebookDisplay();
  if (nb !== null) nb.html(toHtml(rows, digits, options.caption));
  const profile = currentProfile();
  const stamp = artefactStamp(options.seed, profile);
  const dir = figuresDir(profile);
  writeArtefact(path.join(dir, `${name}.csv`), stampCsv(csv, stamp), profile);
  writeArtefact(path.join(dir, `${name}.md`), stampMarkdown(md, stamp), profile);
  return toDataFrame(rows);
}
