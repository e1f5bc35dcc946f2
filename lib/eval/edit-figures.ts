/**
 * Figures of the editing notebook (notebooks/05-stage2-editing.ipynb), kept here so the notebook
 * stays thin: training-loss curves of grid nodes (raw and smoothed, each node starting where its
 * parent stopped), and a grid of images (rows of edits: source, ground truth, each model's
 * result) with a title per row and a caption under each image (the model's language condition).
 * Images are plotly `image` traces (lib/data's `imageRows`, as in its scene figure). How many items
 * of each instruction type it shows is a per-profile preset (`editFigureConfig`).
 */
import type { Figure } from "../core/plot";
import { resolveConfig, type DeepPartial, type Presets } from "../core/profile";
import { imageRows } from "../data/show";
import type { RgbImage } from "../engine/types";

export interface EditFigureConfig {
  /** Held-out items shown per instruction type in the side-by-side edits (each is edited by every variant). */
  itemsPerType: number;
}

export const EDIT_FIGURE_PRESETS: Presets<EditFigureConfig> = {
  tiny: { itemsPerType: 1 },
  quick: { itemsPerType: 2 },
  paper: { itemsPerType: 2 },
};

export function editFigureConfig(profile?: string, overrides?: DeepPartial<EditFigureConfig>): EditFigureConfig {
  const c = resolveConfig(EDIT_FIGURE_PRESETS, "edit figures", profile, overrides);
  if (!Number.isInteger(c.itemsPerType) || c.itemsPerType < 1) throw new Error(`edit figures: itemsPerType must be an integer >= 1, got ${c.itemsPerType}`);
  return c;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

/** Trailing moving average over `window` values (the first values average what exists so far). */
export function movingAverage(xs: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`movingAverage: window must be a positive integer, got ${window}`);
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i];
    if (i >= window) sum -= xs[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

export interface LossCurve {
  name: string;
  losses: readonly number[];
  /** Global step of the curve's first step (the steps of its ancestors; default 0). */
  start?: number;
}

/**
 * One colour per curve: the raw per-step losses (thin, faint) and their trailing moving average
 * over `smooth` steps (default: a tenth of the shortest curve, at least 1). x is the global step.
 */
export function lossCurvesFigure(curves: readonly LossCurve[], title: string, smooth?: number): Figure {
  if (curves.length === 0) throw new Error("lossCurvesFigure: no curves");
  for (const c of curves) if (c.losses.length === 0) throw new Error(`lossCurvesFigure: curve '${c.name}' has no losses`);
  const w = smooth ?? Math.max(1, Math.floor(Math.min(...curves.map((c) => c.losses.length)) / 10));
  const data: Record<string, unknown>[] = [];
  curves.forEach((c, k) => {
    const colour = PALETTE[k % PALETTE.length];
    const x = c.losses.map((_, i) => (c.start ?? 0) + i + 1);
    data.push({ type: "scatter", mode: "lines", name: `${c.name} (raw)`, legendgroup: c.name, showlegend: false, x, y: [...c.losses], line: { color: colour, width: 1 }, opacity: 0.3, hovertemplate: `${c.name}<br>step %{x}: %{y:.4f}<extra>raw</extra>` });
    data.push({ type: "scatter", mode: "lines", name: c.name, legendgroup: c.name, x, y: movingAverage(c.losses, w), line: { color: colour, width: 2.5 }, hovertemplate: `${c.name}<br>step %{x}: %{y:.4f}<extra>mean of ${w}</extra>` });
  });
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { title: { text: "training step (from base pre-training's first step)" } },
      yaxis: { title: { text: `loss (faint: per step; bold: mean of the last ${w})` }, rangemode: "tozero" },
      legend: { orientation: "h", x: 0, y: -0.42, yanchor: "top" },
      margin: { b: 200 },
    },
  };
}

/** Breaks `text` into lines of at most `width` characters at spaces (a longer word stays whole). */
export function wrapText(text: string, width: number): string[] {
  if (!Number.isInteger(width) || width < 1) throw new Error(`wrapText: width must be a positive integer, got ${width}`);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export interface ImageGridRow {
  /** Shown above the row (e.g. the instruction). */
  title: string;
  /** One cell per column: an image (or null: an empty cell) and a caption under it. */
  cells: { image: RgbImage | null; caption?: string }[];
}

export interface ImageGridFigure {
  figure: Figure;
  /** The static size the layout was computed for (pass both to showFigure). */
  width: number;
  height: number;
}

/**
 * Rows of images under column titles; each row has a title line above it and each image a
 * caption under it (wrapped to the column's width). The layout is computed in pixels for a
 * static figure `width` pixels wide (default 900); the interactive plot keeps the images square.
 */
export function imageGridFigure(columns: readonly string[], rows: readonly ImageGridRow[], title: string, width = 900): ImageGridFigure {
  const C = columns.length;
  if (C === 0) throw new Error("imageGridFigure: no columns");
  if (rows.length === 0) throw new Error("imageGridFigure: no rows");
  rows.forEach((r, i) => {
    if (r.cells.length !== C) throw new Error(`imageGridFigure: row ${i} has ${r.cells.length} cells for ${C} columns`);
  });
  const margin = { l: 10, r: 10, t: 80, b: 10 };
  const gap = 12;
  const colW = (width - margin.l - margin.r) / C;
  const img = Math.min(colW - gap, 220);
  const fontSize = 11;
  const lineH = 14;
  const chars = Math.max(8, Math.floor((colW - gap) / (0.6 * fontSize)));
  const captions = rows.map((r) => r.cells.map((c) => wrapText(c.caption ?? "", chars)));
  const titleH = 24;
  const rowH = rows.map((_, i) => titleH + img + 6 + Math.max(0, ...captions[i].map((l) => l.length)) * lineH + 10);
  const plotH = rowH.reduce((a, b) => a + b, 0);
  const height = Math.round(plotH + margin.t + margin.b);
  const py = (px: number) => 1 - px / plotH; // pixels from the top of the plot area -> paper y
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: escape(title), y: 0.99, yanchor: "top" },
    margin,
    showlegend: false,
    plot_bgcolor: "white",
  };
  const annotations: Record<string, unknown>[] = columns.map((c, j) => ({ text: `<b>${escape(c)}</b>`, x: (j + 0.5) / C, y: 1, xref: "paper", yref: "paper", xanchor: "center", yanchor: "bottom", yshift: 4, showarrow: false, font: { size: 12 } }));
  let top = 0;
  rows.forEach((r, i) => {
    annotations.push({ text: escape(r.title), x: 0, y: py(top), xref: "paper", yref: "paper", xanchor: "left", yanchor: "top", showarrow: false, font: { size: 12 } });
    const y0 = top + titleH;
    r.cells.forEach((cell, j) => {
      const k = i * C + j + 1;
      const ax = k === 1 ? "" : String(k);
      const cx = (j + 0.5) / C;
      const half = img / 2 / (width - margin.l - margin.r);
      layout[`xaxis${ax}`] = { domain: [cx - half, cx + half], visible: false, constrain: "domain" };
      layout[`yaxis${ax}`] = { domain: [py(y0 + img), py(y0)], visible: false, autorange: "reversed", scaleanchor: `x${ax}`, constrain: "domain", anchor: `x${ax}` };
      if (cell.image !== null) data.push({ type: "image", z: imageRows(cell.image), xaxis: `x${ax}`, yaxis: `y${ax}`, name: `${columns[j]}: ${r.title}`, hovertemplate: `${escape(columns[j])}<extra></extra>` });
      const lines = captions[i][j];
      if (lines.length > 0) annotations.push({ text: lines.map(escape).join("<br>"), x: cx, y: py(y0 + img + 4), xref: "paper", yref: "paper", xanchor: "center", yanchor: "top", align: "center", showarrow: false, font: { size: fontSize, color: "#333" } });
    });
    top += rowH[i];
  });
  layout.annotations = annotations;
  return { figure: { data, layout }, width, height };
}
