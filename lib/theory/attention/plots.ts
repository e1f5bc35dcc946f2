/**
 * Interactive attention heatmaps (plotly): one figure, a dropdown over models/methods and a
 * slider over (layer, head). The static PNG/SVG shows the first method, layer 1, head 1.
 */
import { Figure } from "../../core/plot";

export interface AttentionPanel {
  /** Dropdown label (method name). */
  name: string;
  /** [layer][head][query][key] attention probabilities. */
  maps: number[][][][];
  /** Key columns in front of the original tokens, per layer (prompt/prefix tokens). */
  extra: number[];
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
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { title: { text: "key" }, type: "category", tickangle: -45 },
      yaxis: { title: { text: "query" }, type: "category", autorange: "reversed" },
      updatemenus: [{ type: "dropdown", buttons, x: 1.0, xanchor: "right", y: 1.15, yanchor: "top", showactive: true }],
      sliders: [{ active: 0, steps, currentvalue: { prefix: "layer/head: " }, pad: { t: 60 } }],
      margin: { t: 90, b: 120 },
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
