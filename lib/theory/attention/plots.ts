/**
 * Interactive attention heatmaps (plotly): one figure, a dropdown over models/methods and a
 * slider over (layer, head). The static PNG/SVG shows the first method, layer 1, head 1.
 */
import { Figure } from "../../core/plot";
import type { Eq7Report } from "./prefix";

export interface AttentionPanel {
  /** Dropdown label (method name). */
  name: string;
  /** [layer][head][query][key] attention probabilities. */
  maps: number[][][][];
  /** Key columns in front of the original tokens, per layer (prompt/prefix tokens). */
  extra: number[];
}

/** Width in pixels of one character of plotly's default 12 px tick font (a safe upper estimate for Latin text). */
export const TICK_CHAR_PX = 7.5;

/**
 * Margins of the heatmap (pixels): the left margin holds the longest y tick label plus the axis
 * title; the bottom margin the longest x tick label (rotated 45 degrees), the axis title and the
 * slider; the top margin the title line, then the dropdown below it (so the static image's
 * dropdown does not cover the end of the title). `sliderPad` is the slider's distance below the plot.
 */
export function heatmapMargins(yLabels: string[], xLabels: string[]): { l: number; r: number; t: number; b: number; sliderPad: number; titleY: number; menuY: number } {
  const longest = (xs: string[]) => xs.reduce((m, x) => Math.max(m, x.length), 0);
  const yTicks = Math.ceil(longest(yLabels) * TICK_CHAR_PX);
  const xTicks = Math.ceil(longest(xLabels) * TICK_CHAR_PX * Math.SQRT1_2) + 10; // rotated -45 degrees
  const axisTitle = 30; // the axis title line and its gap to the tick labels
  const sliderPad = xTicks + axisTitle + 10;
  return { l: yTicks + axisTitle + 20, r: 30, t: 100, b: sliderPad + 70, sliderPad, titleY: 0.98, menuY: 1.02 };
}

/**
 * A heatmap figure of attention maps with a method dropdown and a (layer, head) slider.
 * `tokens` labels the original tokens (queries and the original keys); extra key columns are
 * labelled s1, s2, ... (soft tokens).
 */
export function attentionHeatmapFigure(panels: AttentionPanel[], tokens: string[], title: string): Figure {
  if (panels.length === 0) throw new Error("attentionHeatmapFigure: need at least one panel");
  const layers = panels[0].maps.length;
  const heads = panels[0].maps[0].length;
  for (const p of panels) {
    if (p.maps.length !== layers || p.maps[0].length !== heads) throw new Error(`attentionHeatmapFigure: panel '${p.name}' has ${p.maps.length} layers x ${p.maps[0]?.length} heads, expected ${layers} x ${heads}`);
  }
  // Unique labels "position:token": plotly merges repeated category names (e.g. two '3' digits).
  const tokLabels = tokens.map((s, i) => `${i}:${s}`);
  const xLabels = (p: AttentionPanel, l: number) => [...Array.from({ length: p.extra[l] }, (_, i) => `s${i + 1}`), ...tokLabels];
  const data = panels.map((p, i) => ({
    type: "heatmap",
    name: p.name,
    z: p.maps[0][0],
    x: xLabels(p, 0),
    y: tokLabels,
    zmin: 0,
    zmax: 1,
    colorscale: "Viridis",
    visible: i === 0,
    hovertemplate: "query %{y}<br>key %{x}<br>attention %{z:.3f}<extra></extra>",
  }));
  const steps: Record<string, unknown>[] = [];
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      steps.push({
        method: "restyle",
        label: `L${l + 1} H${h + 1}`,
        args: [{ z: panels.map((p) => p.maps[l][h]), x: panels.map((p) => xLabels(p, l)) }],
      });
    }
  }
  const buttons = panels.map((p, i) => ({ method: "restyle", label: p.name, args: [{ visible: panels.map((_, j) => j === i) }] }));
  const allX = panels.flatMap((p) => p.extra.flatMap((_, l) => xLabels(p, l)));
  const m = heatmapMargins(tokLabels, allX);
  return {
    data,
    layout: {
      // title: top line of the figure (container coordinates); dropdown: just above the plot area, under the title
      title: { text: title, x: 0.01, xanchor: "left", y: m.titleY, yanchor: "top", yref: "container" },
      xaxis: { title: { text: "key" }, type: "category", tickangle: -45, automargin: true },
      yaxis: { title: { text: "query", standoff: 10 }, type: "category", autorange: "reversed", automargin: true },
      updatemenus: [{ type: "dropdown", buttons, x: 1.0, xanchor: "right", y: m.menuY, yanchor: "bottom", showactive: true }],
      sliders: [{ active: 0, steps, currentvalue: { prefix: "layer/head: " }, pad: { t: m.sliderPad } }],
      margin: { l: m.l, r: m.r, t: m.t, b: m.b },
    },
  };
}

/** Grouped bars of a per-layer metric (e.g. Kendall tau vs. base) for each method. */
export function perLayerFigure(series: { name: string; values: number[] }[], metric: string, title: string): Figure {
  return {
    data: series.map((s) => ({ type: "bar", name: s.name, x: s.values.map((_, l) => `layer ${l + 1}`), y: s.values })),
    layout: { title: { text: title }, barmode: "group", yaxis: { title: { text: metric } } },
  };
}

/**
 * Eq. 7 up close: every (head, query, original key) entry of one checked instance, A_ij · s_i on
 * the x axis and A^et_ij on the y axis (log-log); Eq. 7 puts every point on the diagonal.
 * `nt` = prefix columns in front of the originals in A^et.
 */
export function eq7ScatterFigure(r: Eq7Report, nt: number, what: string): Figure {
  const traces = r.A.map((A, h) => {
    const xs: number[] = [];
    const ys: number[] = [];
    A.forEach((row, i) => row.forEach((a, j) => {
      xs.push(a * r.scale[h][i]);
      ys.push(r.Aet[h][i][nt + j]);
    }));
    return { type: "scatter", mode: "markers", name: `head ${h + 1}`, x: xs, y: ys, marker: { size: 4 } };
  });
  return {
    data: [...traces, { type: "scatter", mode: "lines", name: "y = x", x: [1e-8, 1], y: [1e-8, 1], line: { dash: "dot", color: "black" } }],
    layout: { title: { text: `Eq. 7: A^et_ij vs A_ij · s_i (${what}; max rel. error ${r.maxRelError.toExponential(1)})` }, xaxis: { type: "log", title: { text: "A_ij · Σ_r A^et_ir" } }, yaxis: { type: "log", title: { text: "A^et_ij" } } },
  };
}
