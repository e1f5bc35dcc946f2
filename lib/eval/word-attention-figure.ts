/**
 * Small multiples of a word's attention over the image tokens: one row per model, one column per
 * MLLM layer, each a g x g heatmap laid over the image grid (row-major tokens, top row first);
 * a slider picks the head (or the head mean). The source image is the first column, with the
 * target object's outline, so that "does this layer look at the object?" is read off directly.
 */
import type { Figure } from "../core/plot";
import type { WordAttention } from "./word-attention";

export interface WordAttentionPanel {
  model: string;
  attention: WordAttention;
}

function axisName(kind: "x" | "y", i: number): string {
  return i === 0 ? kind : `${kind}${i + 1}`;
}

/**
 * `image`: 8-bit RGB [S*S*3] of the scene; `panels`: one per model (same question and word);
 * `outline`: optional pixel mask [S*S] of the target object (drawn on the image column).
 */
export function wordAttentionFigure(image: Uint8Array, size: number, panels: readonly WordAttentionPanel[], title: string, outline: ArrayLike<number> | null = null): Figure {
  if (panels.length === 0) throw new Error("wordAttentionFigure: no models to show");
  if (image.length !== size * size * 3) throw new Error(`wordAttentionFigure: image has ${image.length} values, expected ${size} x ${size} x 3`);
  const L = panels[0].attention.maps.length;
  const H = panels[0].attention.maps[0].length;
  const g = panels[0].attention.grid;
  for (const p of panels) {
    if (p.attention.maps.length !== L || p.attention.maps[0].length !== H || p.attention.grid !== g) throw new Error(`wordAttentionFigure: model '${p.model}' has another shape of attention maps`);
  }
  const rows = panels.length;
  const cols = L + 1;
  const gap = 0.012;
  const w = (1 - gap * (cols - 1)) / cols;
  const h = (0.86 - gap * (rows - 1)) / rows;
  const layout: Record<string, unknown> = {
    title: { text: title },
    margin: { l: 200, r: 20, t: 70, b: 90 },
    showlegend: false,
    annotations: [] as Record<string, unknown>[],
  };
  const ann = layout.annotations as Record<string, unknown>[];
  const data: Record<string, unknown>[] = [];
  const options = ["head mean", ...Array.from({ length: H }, (_, k) => `head ${k + 1}`)];
  const rgb: number[][][] = Array.from({ length: size }, (_, y) => Array.from({ length: size }, (_, x) => [0, 1, 2].map((c) => image[(y * size + x) * 3 + c])));
  let axis = 0;
  const heatIndex: number[][] = options.map(() => []); // trace indices per slider option
  for (let r = 0; r < rows; r++) {
    const y0 = 0.86 - (r + 1) * h - r * gap;
    for (let c = 0; c < cols; c++) {
      const x0 = c * (w + gap);
      const xa = axisName("x", axis);
      const ya = axisName("y", axis);
      layout[`xaxis${axis === 0 ? "" : axis + 1}`] = { domain: [x0, x0 + w], showticklabels: false, showgrid: false, zeroline: false, anchor: ya };
      layout[`yaxis${axis === 0 ? "" : axis + 1}`] = { domain: [y0, y0 + h], showticklabels: false, showgrid: false, zeroline: false, anchor: xa, autorange: "reversed", scaleanchor: xa };
      if (c === 0) {
        data.push({ type: "image", z: rgb, xaxis: xa, yaxis: ya, hoverinfo: "skip" });
        if (outline !== null) {
          data.push({ type: "contour", z: Array.from({ length: size }, (_, y) => Array.from({ length: size }, (_, x) => (outline[y * size + x] ? 1 : 0))), xaxis: xa, yaxis: ya, showscale: false, contours: { start: 0.5, end: 0.5, coloring: "none" }, line: { color: "#ffffff", width: 2 }, hoverinfo: "skip" });
        }
        ann.push({ text: panels[r].model, xref: "paper", yref: "paper", x: -0.01, y: y0 + h / 2, xanchor: "right", showarrow: false, font: { size: 12 } });
      } else {
        const l = c - 1;
        const maps = panels[r].attention.maps[l];
        options.forEach((_, k) => {
          const row = k === 0 ? maps[0].map((_, i) => maps.reduce((s, hd) => s + hd[i], 0) / H) : maps[k - 1];
          const z = Array.from({ length: g }, (_, y) => row.slice(y * g, (y + 1) * g));
          heatIndex[k].push(data.length);
          data.push({
            type: "heatmap",
            z,
            x0: (size / g - 1) / 2,
            dx: size / g,
            y0: (size / g - 1) / 2,
            dy: size / g,
            xaxis: xa,
            yaxis: ya,
            colorscale: "Viridis",
            zmin: 0,
            showscale: false,
            visible: k === 0,
            hovertemplate: `${panels[r].model}<br>layer ${l + 1}, ${options[k]}<br>attention %{z:.3f}<extra></extra>`,
          });
        });
        if (r === 0) ann.push({ text: `layer ${l + 1}`, xref: "paper", yref: "paper", x: x0 + w / 2, y: 0.88, xanchor: "center", yanchor: "bottom", showarrow: false });
      }
      axis++;
    }
  }
  const always = data.map((t) => t.type !== "heatmap");
  layout.sliders = [
    {
      active: 0,
      currentvalue: { prefix: "showing: " },
      pad: { t: 30 },
      steps: options.map((label, k) => ({
        label,
        method: "restyle",
        args: [{ visible: data.map((_, i) => always[i] || heatIndex[k].includes(i)) }],
      })),
    },
  ];
  return { data, layout };
}
