/**
 * Static export of plotly figures to PNG/SVG: Debian's Chromium driven by `playwright-core`
 * (never a downloaded browser), with plotly.js loaded from the installed `plotly.js-dist-min`.
 * One browser per process, started on first use (~2.6 s) and closed after a short idle time
 * or by `closeStaticExport()`.
 */
import * as fs from "fs";
import type { Browser, Page } from "playwright-core";

/** Chromium flags that keep it quiet and offline (see docs/environment.md). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const CHROMIUM_ENV = "SPATIALEDIT_CHROMIUM";
const IDLE_CLOSE_MS = 4000;

export function chromiumPath(): string {
  return process.env[CHROMIUM_ENV] ?? "/usr/bin/chromium";
}

export class StaticExportUnavailableError extends Error {
  constructor(why: string) {
    super(`static figure export is unavailable (${why}): run 'npm run setup' (it installs Debian's chromium), or point ${CHROMIUM_ENV} at a Chromium binary`);
    this.name = "StaticExportUnavailableError";
    this.stack = `${this.name}: ${this.message}`;
  }
}

let browser: Browser | null = null;
let page: Page | null = null;
let starting: Promise<Page> | null = null;
let idleTimer: NodeJS.Timeout | null = null;

/** The path of plotly.js-dist-min's bundle (also inlined into notebook HTML). */
export function plotlyBundlePath(): string {
  return require.resolve("plotly.js-dist-min/plotly.min.js");
}

async function startPage(): Promise<Page> {
  const exe = chromiumPath();
  if (!fs.existsSync(exe)) throw new StaticExportUnavailableError(`no Chromium at ${exe}`);
  const { chromium } = require("playwright-core") as typeof import("playwright-core");
  browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS, headless: true, timeout: 180_000 });
  const p = await browser.newPage();
  await p.setContent("<!doctype html><html><body></body></html>");
  await p.addScriptTag({ path: plotlyBundlePath() });
  return p;
}

async function getPage(): Promise<Page> {
  if (idleTimer !== null) clearTimeout(idleTimer);
  if (page !== null) return page;
  starting ??= startPage().then(
    (p) => {
      page = p;
      return p;
    },
    (e: unknown) => {
      starting = null;
      void closeStaticExport();
      throw e;
    },
  );
  return starting;
}

function scheduleClose(): void {
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void closeStaticExport(), IDLE_CLOSE_MS);
  idleTimer.unref();
}

/** Closes the export browser now (scripts call it before exiting; safe to call twice). */
export async function closeStaticExport(): Promise<void> {
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = null;
  const b = browser;
  browser = null;
  page = null;
  starting = null;
  if (b !== null) await b.close().catch(() => undefined);
}

export interface ExportRequest {
  figure: { data: unknown[]; layout?: Record<string, unknown> };
  format: "png" | "svg";
  width: number;
  height: number;
  /** Pixel density for PNG (1 = width x height pixels). */
  scale?: number;
}

async function exportOnce(req: ExportRequest): Promise<Buffer> {
  const p = await getPage();
  try {
    const dataUrl = await p.evaluate(async (r: ExportRequest) => {
      const g = globalThis as unknown as { Plotly: { toImage: (fig: unknown, opts: unknown) => Promise<string> } };
      return g.Plotly.toImage({ data: r.figure.data, layout: r.figure.layout ?? {} }, { format: r.format, width: r.width, height: r.height, scale: r.scale ?? 1 });
    }, req);
    const comma = dataUrl.indexOf(",");
    const head = dataUrl.slice(0, comma);
    const body = dataUrl.slice(comma + 1);
    return head.includes(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
  } finally {
    scheduleClose();
  }
}

/**
 * Renders one figure to PNG bytes or SVG text through plotly's `toImage`. A browser that died
 * or timed out (seen on heavily loaded machines) is restarted once before the error is raised.
 */
export async function exportFigure(req: ExportRequest): Promise<Buffer> {
  try {
    return await exportOnce(req);
  } catch (e) {
    if (e instanceof StaticExportUnavailableError) throw e;
    await closeStaticExport();
    try {
      return await exportOnce(req);
    } catch (e2) {
      const msg = e2 instanceof Error ? e2.message.split("\n")[0] : String(e2);
      throw new Error(`static export of a ${req.format} figure failed twice (${msg}); set SPATIALEDIT_STATIC_FIGURES=0 to skip static files`);
    }
  }
}
