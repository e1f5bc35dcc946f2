/**
 * Plotting: one call shows a plotly figure interactively in a notebook (HTML with plotly.js
 * inlined from the installed package: no internet needed) and writes the same figure as PNG
 * and SVG under `figures/<name>.png|svg`.
 *
 *   await showFigure({ data: [{ x, y, type: "scatter" }], layout: { title: { text: "loss" } } }, "00-quickstart-loss");
 */
import * as fs from "fs";
import * as path from "path";
import { notebookDisplay } from "./env";
import { checkName, figuresDir, writeFileAtomic } from "./paths";
import { exportFigure, plotlyBundlePath } from "./static-export";

/** A plotly figure as JSON: traces and layout (see plotly.js docs for the keys). */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

export interface FigureOptions {
  /** Static size in pixels (default 800 x 500); the interactive plot is responsive. */
  width?: number;
  height?: number;
  /** Formats written under figures/ (default both). */
  formats?: ("png" | "svg")[];
  /** Skip static export (default: `SPATIALEDIT_STATIC_FIGURES=0` turns it off everywhere). */
  noStatic?: boolean;
}

export interface FigureFiles {
  png?: string;
  svg?: string;
}

let plotlyInlined = false;
let figureCounter = 0;

function checkFigure(fig: Figure): void {
  if (fig === null || typeof fig !== "object" || !Array.isArray(fig.data)) {
    throw new Error("showFigure: figure must be { data: [...traces], layout?: {...} }");
  }
}

/** The HTML that draws `fig` in a notebook output (plotly.js inlined the first time). */
export function figureHtml(fig: Figure, height: number): string {
  checkFigure(fig);
  const id = `spatialedit-fig-${process.pid}-${++figureCounter}`;
  let lib = "";
  if (!plotlyInlined) {
    // Shadow AMD/CommonJS so plotly sets window.Plotly even where Jupyter has require.js.
    const src = fs.readFileSync(plotlyBundlePath(), "utf8");
    lib = `<script type="text/javascript">(function(define, module, exports){\n${src}\n}).call(window, undefined, undefined, undefined);</script>`;
    plotlyInlined = true;
  }
  const json = JSON.stringify({ data: fig.data, layout: { ...(fig.layout ?? {}), autosize: true } }).replace(/</g, "\\u003c");
  return `${lib}<div id="${id}" style="width:100%;height:${height}px;"></div>
<script type="text/javascript">(function(){var fig=${json};function draw(){window.Plotly.newPlot("${id}",fig.data,fig.layout,{responsive:true});}
if(window.Plotly){draw();}else{var t=setInterval(function(){if(window.Plotly){clearInterval(t);draw();}},50);}})();</script>`;
}

/**
 * Shows `fig` in the notebook (when running in one) and writes `figures/<name>.png` and `.svg`.
 * Returns the written paths.
 */
export async function showFigure(fig: Figure, name: string, options: FigureOptions = {}): Promise<FigureFiles> {
  checkFigure(fig);
  checkName(name, "figure");
  const width = options.width ?? 800;
  const height = options.height ?? 500;
  const nb = notebookDisplay();
  if (nb !== null) nb.html(figureHtml(fig, height));
  if (options.noStatic || process.env.SPATIALEDIT_STATIC_FIGURES === "0") return {};
  return saveFigure(fig, name, { ...options, width, height });
}

/** Writes the static files only (scripts and tests), without any notebook output. */
export async function saveFigure(fig: Figure, name: string, options: FigureOptions = {}): Promise<FigureFiles> {
  checkFigure(fig);
  checkName(name, "figure");
  const files: FigureFiles = {};
  for (const format of options.formats ?? ["png", "svg"]) {
    const bytes = await exportFigure({ figure: fig, format, width: options.width ?? 800, height: options.height ?? 500 });
    const file = path.join(figuresDir(), `${name}.${format}`);
    writeFileAtomic(file, bytes);
    files[format] = file;
  }
  return files;
}
