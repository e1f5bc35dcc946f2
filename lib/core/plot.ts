/**
 * Plotting: one call shows a plotly figure interactively in a notebook and writes the same figure
 * as `figures/<profile>/<name>.png` and `.svg`, each with the profile, seed and commit inside.
 *
 *   await showFigure({ data: [{ x, y, type: "scatter" }], layout: { title: { text: "loss" } } }, "00-quickstart-loss");
 *
 * Every notebook output draws on its own: it carries plotly.js (gzip-compressed, ~2 MB of base64)
 * and unpacks it only when the page has no `window.Plotly` yet, so a re-run cell, a reopened
 * notebook or an HTML export never shows a blank box. No internet is needed.
 * Cartesian axes get `automargin: true` unless the figure sets it, so tick labels and axis titles
 * get the room they need; the static export then measures the drawing and reports any titles,
 * tick labels, legends, menus or annotations that still overlap (`SPATIALEDIT_FIGURE_CHECK`).
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { artefactStamp, stampPng, stampSvg, writeArtefact } from "./artefact";
import { envValue } from "./env";
import { notebookDisplay } from "./notebook";
import { checkName, displayPath, figuresDir } from "./paths";
import { currentProfile } from "./profile";
import { LayoutProblem, plotlyBundlePath, renderFigure } from "./static-export";

/** A plotly figure as JSON: traces and layout (see plotly.js docs for the keys). */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

export interface FigureOptions {
  /** Static size in pixels (default 800 x 500); the interactive plot is responsive. */
  width?: number;
  height?: number;
  /** Formats written under figures/<profile>/ (default both). */
  formats?: ("png" | "svg")[];
  /** Skip static export (default: `SPATIALEDIT_STATIC_FIGURES=0` turns it off everywhere). */
  noStatic?: boolean;
  /** The seed that made the figure, recorded in its files (default: the profile's base seed). */
  seed?: number | number[] | null;
}

export interface FigureFiles {
  png?: string;
  svg?: string;
  /** Layout problems found on the static drawing (empty when none or not checked). */
  problems: LayoutProblem[];
}

let figureCounter = 0;
let packedPlotly: string | null = null;

function checkFigure(fig: Figure): void {
  if (fig === null || typeof fig !== "object" || !Array.isArray(fig.data)) {
    throw new Error("showFigure: figure must be { data: [...traces], layout?: {...} }");
  }
}

/** plotly.js, gzip-compressed and base64-encoded (computed once per process). */
function packedPlotlyBundle(): string {
  packedPlotly ??= zlib.gzipSync(fs.readFileSync(plotlyBundlePath()), { level: 9 }).toString("base64");
  return packedPlotly;
}

/**
 * One bar trace per series over `rows` (grouped bars, a legend entry each): the category labels on x (or on y with
 * `horizontal`, for long labels), each series' value of each row (null: no bar), its colour and a hover line.
 */
export function groupedBars<R>(rows: readonly R[], labels: readonly string[], series: readonly { name: string; color: string; value: (r: R) => number | null }[], horizontal = false): Figure["data"] {
  if (labels.length !== rows.length) throw new Error(`groupedBars: ${labels.length} labels for ${rows.length} rows`);
  return series.map((s) => {
    const values = rows.map(s.value);
    return horizontal
      ? { type: "bar", orientation: "h", name: s.name, y: [...labels], x: values, marker: { color: s.color }, hovertemplate: `%{y}<br>${s.name}: %{x:.3f}<extra></extra>` }
      : { type: "bar", name: s.name, x: [...labels], y: values, marker: { color: s.color }, hovertemplate: `%{x}<br>${s.name}: %{y:.3f}<extra></extra>` };
  });
}

/**
 * The figure with `automargin: true` on every cartesian axis it uses or lays out, unless the
 * figure sets `automargin` itself. Returns a new figure; `fig` is not changed.
 */
export function withAutoMargins(fig: Figure): Figure {
  const layout: Record<string, unknown> = { ...(fig.layout ?? {}) };
  const axes = new Set(Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k)));
  axes.add("xaxis").add("yaxis");
  for (const t of fig.data) {
    for (const letter of ["x", "y"]) {
      const ref = t[`${letter}axis`];
      if (typeof ref === "string" && /^[xy]\d*$/.test(ref)) axes.add(`${letter}axis${ref.slice(1)}`);
    }
  }
  const cartesian = fig.data.length === 0 || fig.data.some((t) => !["pie", "sunburst", "treemap", "sankey", "table", "scatter3d", "surface", "mesh3d", "scatterpolar", "barpolar", "indicator"].includes(String(t.type ?? "scatter")));
  if (!cartesian) return { data: fig.data, layout };
  for (const key of axes) {
    const ax = layout[key];
    if (ax !== undefined && (ax === null || typeof ax !== "object")) continue;
    const axis = (ax ?? {}) as Record<string, unknown>;
    if (!("automargin" in axis)) layout[key] = { ...axis, automargin: true };
  }
  return { data: fig.data, layout };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The HTML of one notebook output that draws `fig` on its own: it draws with `window.Plotly`
 * when the page has it, else unpacks the plotly.js it carries (once per page, shared by every
 * output through `window.__spatialeditPlotly`). Until it draws, the box says why it is empty.
 */
export function figureHtml(fig: Figure, height: number, caption = ""): string {
  checkFigure(fig);
  const id = `spatialedit-fig-${process.pid}-${++figureCounter}`;
  const json = JSON.stringify({ data: fig.data, layout: { ...(fig.layout ?? {}), autosize: true } }).replace(/</g, "\\u003c");
  const cap = caption === "" ? "" : `\n<div style="font-size:11px;color:#666;margin:2px 0 0 4px;">${caption}</div>`;
  return `<div id="${id}" style="width:100%;height:${height}px;color:#999;">This figure draws with JavaScript: run the cell, or trust the notebook (File &gt; Trust Notebook).</div>${cap}
<script type="text/javascript">(function(){
var el=document.getElementById("${id}");var fig=${json};
function draw(){el.textContent="";el.style.color="";window.Plotly.newPlot(el,fig.data,fig.layout,{responsive:true});}
function fail(e){el.textContent="This figure could not load plotly.js: "+e;}
if(window.Plotly){draw();return;}
if(!window.__spatialeditPlotly){
 if(typeof DecompressionStream==="undefined"){fail("this browser has no DecompressionStream (Chrome 80+, Firefox 113+, Safari 16.4+)");return;}
 var packed="${packedPlotlyBundle()}";
 window.__spatialeditPlotly=(async function(){
  var bin=atob(packed),bytes=new Uint8Array(bin.length);for(var i=0;i<bin.length;i++)bytes[i]=bin.charCodeAt(i);
  var src=await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  if(!window.Plotly){var s=document.createElement("script");s.type="text/javascript";
   /* shadow AMD/CommonJS so plotly sets window.Plotly even where Jupyter has require.js */
   s.text="(function(define,module,exports){\\n"+src+"\\n}).call(window,undefined,undefined,undefined);";
   document.head.appendChild(s);}
  if(!window.Plotly)throw new Error("plotly.js did not define window.Plotly");
 })();
}
window.__spatialeditPlotly.then(draw,fail);
})();</script>`;
}

/** What to do with layout problems: `SPATIALEDIT_FIGURE_CHECK` (warn, error, off). */
function reportProblems(name: string, problems: LayoutProblem[]): void {
  if (problems.length === 0) return;
  const text = `figure '${name}': ${problems.map((p) => p.text).join("; ")}`;
  if (envValue("SPATIALEDIT_FIGURE_CHECK") === "error") {
    throw new Error(`${text} (widen layout.margin or move the parts; SPATIALEDIT_FIGURE_CHECK=warn only warns)`);
  }
  process.stderr.write(`warning: ${text}\n`);
}

/**
 * Shows `fig` in the notebook (when running in one) with a one-line caption, and writes
 * `figures/<profile>/<name>.png` and `.svg`. Returns nothing, so a notebook cell prints nothing
 * else; `saveFigure` returns the paths.
 */
export async function showFigure(fig: Figure, name: string, options: FigureOptions = {}): Promise<void> {
  checkFigure(fig);
  checkName(name, "figure");
  const full = withAutoMargins(fig);
  const height = options.height ?? 500;
  const nb = notebookDisplay();
  let files: FigureFiles = { problems: [] };
  let error: unknown = null;
  if (!options.noStatic && envValue("SPATIALEDIT_STATIC_FIGURES")) {
    try {
      files = await saveFigure(fig, name, options);
    } catch (e) {
      error = e;
    }
  }
  if (nb !== null) {
    const written = [files.png, files.svg].filter((f): f is string => f !== undefined);
    const where = written.length === 0 ? "no static files" : `${displayPath(written[0])}${written.slice(1).map((f) => `, ${path.extname(f)}`).join("")}`;
    let caption = `${escapeHtml(name)} · profile ${currentProfile()} · ${escapeHtml(where)}`;
    const problems = files.problems.map((p) => p.text);
    if (problems.length > 0) caption += `<br><span style="color:#b35900">layout: ${escapeHtml(problems.join("; "))}</span>`;
    nb.html(figureHtml(full, height, caption));
  }
  if (error !== null) throw error;
}

/**
 * Writes the static files only (scripts and tests), without any notebook output: PNG and SVG with
 * the provenance stamp, after the layout check (`SPATIALEDIT_FIGURE_CHECK`). Returns their paths
 * and the layout problems found.
 */
export async function saveFigure(fig: Figure, name: string, options: FigureOptions = {}): Promise<FigureFiles> {
  checkFigure(fig);
  checkName(name, "figure");
  const profile = currentProfile();
  const formats = options.formats ?? ["png", "svg"];
  const mode = envValue("SPATIALEDIT_FIGURE_CHECK");
  const out = await renderFigure({ figure: withAutoMargins(fig), formats, width: options.width ?? 800, height: options.height ?? 500 });
  const problems = mode === "off" ? [] : out.problems;
  reportProblems(name, problems);
  const stamp = artefactStamp(options.seed, profile);
  const files: FigureFiles = { problems };
  for (const format of formats) {
    const file = path.join(figuresDir(profile), `${name}.${format}`);
    const bytes = out.images[format]!;
    writeArtefact(file, format === "png" ? stampPng(bytes, stamp) : stampSvg(bytes.toString("utf8"), stamp), profile);
    files[format] = file;
  }
  return files;
}

/**
 * Writes PNG bytes made by other code (rendered scenes, image strips) as
 * `figures/<profile>/<name>.png`, with the same provenance stamp as figures. Returns the path.
 */
export function savePng(png: Uint8Array, name: string, options: { seed?: number | number[] | null } = {}): string {
  checkName(name, "figure");
  const profile = currentProfile();
  const file = path.join(figuresDir(profile), `${name}.png`);
  writeArtefact(file, stampPng(Buffer.from(png), artefactStamp(options.seed, profile)), profile);
  return file;
}
