/**
 * Static export of plotly figures to PNG/SVG: Debian's Chromium driven by `playwright-core`
 * (never a downloaded browser), with plotly.js loaded from the installed `plotly.js-dist-min`.
 * One browser per process, started on first use (~2.6 s) and closed after a short idle time
 * or by `closeStaticExport()`.
 */
import * as fs from "fs";
import type { Browser, Page } from "playwright-core";
import { envValue } from "./env";

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
  return envValue(CHROMIUM_ENV);
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

/** Two parts of a drawn figure that cover each other, or one cut off at the image's edge. */
export interface LayoutProblem {
  /** e.g. `y-axis title "attention" overlaps y tick label "patch 12" by 14x9 px`. */
  text: string;
}

export interface RenderRequest {
  figure: { data: unknown[]; layout?: Record<string, unknown> };
  formats: ("png" | "svg")[];
  width: number;
  height: number;
  scale?: number;
}

export interface RenderResult {
  images: Partial<Record<"png" | "svg", Buffer>>;
  /** Overlapping titles, tick labels, legends, colour bars, menus, sliders and annotations. */
  problems: LayoutProblem[];
}

interface BrowserRender {
  urls: Partial<Record<"png" | "svg", string>>;
  problems: string[];
}

/**
 * Runs in the page (plain JavaScript, kept as text so that no compiler helper leaks into it):
 * draws the figure at its static size, measures the boxes of its text parts and controls, lists
 * overlaps between different parts and parts cut off at the edge, then renders the requested
 * formats from the same drawing. Input: a RenderRequest; output: { urls, problems }.
 */
const RENDER_IN_PAGE = String.raw`async function (r) {
  var gd = document.createElement("div");
  document.body.appendChild(gd);
  try {
    var layout = Object.assign({}, r.figure.layout || {}, { width: r.width, height: r.height, autosize: false });
    await Plotly.newPlot(gd, r.figure.data, layout, { staticPlot: true });
    var svg = gd.querySelector("svg.main-svg");
    var origin = svg === null ? { x: 0, y: 0 } : svg.getBoundingClientRect();
    var parts = [];
    function short(t) {
      var s = (t || "").replace(/[\u25b2-\u25c4]/g, "").replace(/\s+/g, " ").trim(); // no menu arrows
      return JSON.stringify(s.length > 40 ? s.slice(0, 37) + "..." : s);
    }
    // rank orders the two parts of a message: titles first, tick labels last
    function add(el, group, what, rank) {
      var b = el.getBoundingClientRect();
      if (b.width < 0.5 || b.height < 0.5) return;
      parts.push({ group: group, what: what, rank: rank, x0: b.left - origin.x, y0: b.top - origin.y, x1: b.right - origin.x, y1: b.bottom - origin.y });
    }
    gd.querySelectorAll("g").forEach(function (g) {
      var cls = (g.getAttribute("class") || "").split(/\s+/);
      cls.forEach(function (c) {
        var tick = /^([xy]\d*)tick$/.exec(c);
        var title = /^g-([xy]\d*|g)title$/.exec(c);
        if (tick !== null) add(g, tick[1] + " tick labels", tick[1] + " tick label " + short(g.textContent), 7);
        else if (title !== null) add(g, c, title[1] === "g" ? "title " + short(g.textContent) : title[1] + "-axis title " + short(g.textContent), title[1] === "g" ? 0 : 1);
        else if (c === "colorbar") add(g, "colorbar " + cls.join(" "), "colour bar", 3);
        else if (c === "legend") add(g, "legend", "legend", 2);
        else if (c === "updatemenu-container") add(g, "menu " + parts.length, "menu " + short(g.textContent), 4);
        else if (c === "slider-container") add(g, "slider " + parts.length, "slider", 5);
        else if (c === "annotation") add(g, "annotation " + parts.length, "annotation " + short(g.textContent), 6);
      });
    });
    var problems = [];
    for (var i = 0; i < parts.length; i++) {
      var a = parts[i];
      var outside = Math.max(-a.x0, -a.y0, a.x1 - r.width, a.y1 - r.height);
      if (outside > 1) problems.push(a.what + " is cut off at the image edge by " + Math.round(outside) + " px");
      for (var j = i + 1; j < parts.length; j++) {
        var b = parts[j];
        if (a.group === b.group) continue;
        var w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
        var h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
        var first = a.rank <= b.rank ? a : b;
        var second = first === a ? b : a;
        if (w > 1 && h > 1) problems.push(first.what + " overlaps " + second.what + " by " + Math.round(w) + "x" + Math.round(h) + " px");
      }
    }
    var urls = {};
    for (var k = 0; k < r.formats.length; k++) {
      urls[r.formats[k]] = await Plotly.toImage(gd, { format: r.formats[k], width: r.width, height: r.height, scale: r.scale || 1 });
    }
    return { urls: urls, problems: problems };
  } finally {
    Plotly.purge(gd);
    gd.remove();
  }
}`;

function decodeDataUrl(dataUrl: string): Buffer {
  const comma = dataUrl.indexOf(",");
  const head = dataUrl.slice(0, comma);
  const body = dataUrl.slice(comma + 1);
  return head.includes(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
}

async function renderOnce(req: RenderRequest): Promise<RenderResult> {
  const p = await getPage();
  try {
    const out = (await p.evaluate(`(${RENDER_IN_PAGE})(${JSON.stringify(req)})`)) as BrowserRender;
    const images: RenderResult["images"] = {};
    for (const [format, url] of Object.entries(out.urls)) images[format as "png" | "svg"] = decodeDataUrl(url);
    return { images, problems: out.problems.map((text) => ({ text })) };
  } finally {
    scheduleClose();
  }
}

/**
 * Draws one figure at its static size in the export browser: PNG bytes and/or SVG text, and the
 * layout problems (overlapping or cut-off titles, tick labels, menus...) measured on the drawing.
 * A browser that died or timed out (seen on heavily loaded machines) is restarted once before
 * the error is raised.
 */
export async function renderFigure(req: RenderRequest): Promise<RenderResult> {
  try {
    return await renderOnce(req);
  } catch (e) {
    if (e instanceof StaticExportUnavailableError) throw e;
    await closeStaticExport();
    try {
      return await renderOnce(req);
    } catch (e2) {
      const msg = e2 instanceof Error ? e2.message.split("\n")[0] : String(e2);
      throw new Error(`static export of a figure failed twice (${msg}); set SPATIALEDIT_STATIC_FIGURES=0 to skip static files`);
    }
  }
}

/** Renders one figure to PNG bytes or SVG text (see `renderFigure`). */
export async function exportFigure(req: ExportRequest): Promise<Buffer> {
  const out = await renderFigure({ figure: req.figure, formats: [req.format], width: req.width, height: req.height, scale: req.scale });
  return out.images[req.format]!;
}
