/**
 * A table as an interactive plotly figure: for each metric, our mean per method with its
 * bootstrap CI as error bars (hover lists the per-seed means) beside the paper's number for
 * the same method (in [0, 1] units; percent columns divided by 100).
 */
import type { Figure } from "../core/plot";
import type { BuiltTable } from "./tables";
import { paperValue } from "./paper-numbers";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

export function tableFigure(t: BuiltTable): Figure {
  const data: Record<string, unknown>[] = [];
  const x = t.methods;
  t.spec.metrics.forEach((m, k) => {
    const cells = x.map((method) => t.cells.find((c) => c.method === method && c.metric === m.ours)!);
    const y = cells.map((c) => (Number.isFinite(c.mean) ? c.mean : null));
    data.push({
      type: "bar",
      name: `ours: ${m.ours}`,
      x,
      y,
      marker: { color: PALETTE[k % PALETTE.length] },
      error_y: { type: "data", symmetric: false, array: cells.map((c) => (Number.isFinite(c.ci.hi) ? c.ci.hi - c.mean : null)), arrayminus: cells.map((c) => (Number.isFinite(c.ci.lo) ? c.mean - c.ci.lo : null)) },
      customdata: cells.map((c) => c.seeds.map((s, i) => `seed ${s}: ${c.perSeed[i].toFixed(3)}`).join("<br>") || "not measured"),
      hovertemplate: `%{x}<br>${m.ours}: %{y:.3f} (${m.better} is better)<br>%{customdata}<extra>ours</extra>`,
    });
    if (m.paper) {
      const col = m.paper;
      data.push({
        type: "bar",
        name: `paper: ${col.dataset ? `${col.dataset} ` : ""}${col.column}`,
        x,
        y: x.map((method) => paperValue(t.spec.table, method, col.column, col.dataset)),
        marker: { color: PALETTE[k % PALETTE.length], opacity: 0.35, pattern: { shape: "/" } },
        hovertemplate: `%{x}<br>paper ${col.column}: %{y:.3f}<extra>paper</extra>`,
      });
    }
  });
  return {
    data,
    layout: {
      title: { text: t.spec.title },
      barmode: "group",
      yaxis: { title: { text: "score ([0, 1]; L1: lower is better)" }, rangemode: "tozero" },
      // labels slant down to the right, so the first never runs into the y tick labels; the
      // legend sits right of the plot, clear of the x tick labels (test/core/figure-layouts)
      xaxis: { tickangle: 30 },
      legend: { orientation: "v", x: 1.02, y: 1, xanchor: "left", yanchor: "top" },
    },
  };
}
