import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStamp } from "../../lib/core/artefact";
import { figureHtml, groupedBars, saveFigure, savePng, showFigure, withAutoMargins } from "../../lib/core/plot";
import { closeStaticExport, renderFigure } from "../../lib/core/static-export";

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "figs-"));
  process.env.SPATIALEDIT_FIGURES_DIR = dir;
  process.env.SPATIALEDIT_RESULTS_DIR = dir;
});
afterAll(async () => {
  await closeStaticExport();
  delete process.env.SPATIALEDIT_FIGURES_DIR;
  delete process.env.SPATIALEDIT_RESULTS_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
});

const FIG = { data: [{ x: [1, 2, 3], y: [3, 1, 2], type: "scatter" }], layout: { title: { text: "test" } } };

/** A heatmap whose long y tick labels need ~150 px, drawn with a fixed 40 px left margin. */
const LONG_LABELS = Array.from({ length: 6 }, (_, i) => `a long token label ${i}`);
function cramped(automargin?: boolean): { data: Record<string, unknown>[]; layout: Record<string, unknown> } {
  return {
    data: [{ type: "heatmap", z: LONG_LABELS.map((_, i) => [i, i + 1]), x: ["a", "b"], y: LONG_LABELS, showscale: false }],
    layout: { margin: { l: 40 }, yaxis: { title: { text: "token" }, ...(automargin === undefined ? {} : { automargin }) } },
  };
}

describe("groupedBars", () => {
  it("one trace per series, labels on x (or y when horizontal), null values kept; a label count that does not match is an error", () => {
    const rows = [{ a: 1, b: null }, { a: 2, b: 3 }];
    const series = [{ name: "A", color: "#111", value: (r: (typeof rows)[number]) => r.a }, { name: "B", color: "#222", value: (r: (typeof rows)[number]) => r.b }];
    const v = groupedBars(rows, ["r1", "r2"], series) as { x: string[]; y: (number | null)[]; name: string; orientation?: string }[];
    expect(v.map((t) => [t.name, t.x, t.y, t.orientation])).toEqual([["A", ["r1", "r2"], [1, 2], undefined], ["B", ["r1", "r2"], [null, 3], undefined]]);
    const h = groupedBars(rows, ["r1", "r2"], series, true) as { x: (number | null)[]; y: string[]; orientation: string }[];
    expect(h.map((t) => [t.y, t.x, t.orientation])).toEqual([[["r1", "r2"], [1, 2], "h"], [["r1", "r2"], [null, 3], "h"]]);
    expect(() => groupedBars(rows, ["r1"], series)).toThrow("groupedBars: 1 labels for 2 rows");
  });
});

describe("plot helper", () => {
  it("writes a real PNG of the requested size and an SVG, both stamped with profile, seed and commit", async () => {
    const files = await saveFigure(FIG, "test-figure", { width: 640, height: 360, seed: 99 });
    expect(files.png).toBe(path.join(dir, "test-figure.png"));
    const meta = await sharp(files.png!).metadata();
    expect(meta.format).toBe("png");
    expect(meta.width).toBe(640);
    expect(meta.height).toBe(360);
    // not a blank image: the plot draws lines and text in more than one colour
    const stats = await sharp(files.png!).stats();
    expect(stats.channels[0].min).toBeLessThan(stats.channels[0].max);
    const svg = fs.readFileSync(files.svg!, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain('width="640"');
    for (const f of [files.png!, files.svg!]) {
      expect(readStamp(f)).toMatchObject({ profile: "quick", seed: 99, seedFrom: "caller" });
      expect(readStamp(f)?.gitCommit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    }
    expect(files.problems).toEqual([]);
  });

  it("showFigure outside a notebook writes the files only and returns nothing to print", async () => {
    const ret = await showFigure(FIG, "test-show", { width: 300, height: 200, formats: ["png"] });
    expect(ret).toBeUndefined();
    expect((await sharp(path.join(dir, "test-show.png")).metadata()).width).toBe(300);
    expect(fs.existsSync(path.join(dir, "test-show.svg"))).toBe(false);
  });

  it("savePng stamps PNG bytes made elsewhere", async () => {
    const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: "#336699" } }).png().toBuffer();
    const file = savePng(png, "test-strip", { seed: 5 });
    expect(readStamp(file)).toMatchObject({ profile: "quick", seed: 5 });
    expect((await sharp(file).metadata()).width).toBe(4);
  });

  it("every notebook output carries plotly.js and draws with window.Plotly when the page has it", () => {
    const first = figureHtml(FIG, 400);
    const second = figureHtml(FIG, 400);
    for (const html of [first, second]) {
      expect(html).toContain("if(window.Plotly){draw();return;}");
      expect(html).toContain('new DecompressionStream("gzip")');
      expect(html).toMatch(/var packed="H4sI[A-Za-z0-9+/=]{1000000,}"/); // gzip magic, base64
    }
    expect(first.length).toBeLessThan(2.2e6); // plotly.js is 4.8 MB raw, ~2 MB packed
  });

  it("gives every cartesian axis automargin unless the figure sets it", () => {
    const f = withAutoMargins({ data: [{ type: "heatmap", xaxis: "x2", yaxis: "y2" }], layout: { yaxis: { automargin: false, title: { text: "t" } } } });
    expect(f.layout).toEqual({
      yaxis: { automargin: false, title: { text: "t" } },
      xaxis: { automargin: true },
      xaxis2: { automargin: true },
      yaxis2: { automargin: true },
    });
    expect(withAutoMargins({ data: [{ type: "pie" }] }).layout).toEqual({});
  });

  it("the layout check finds tick labels cut off and under the axis title, and automargin fixes them", async () => {
    const bad = await renderFigure({ figure: cramped(false), formats: [], width: 500, height: 300 });
    const texts = bad.problems.map((p) => p.text);
    expect(texts.some((t) => /^y tick label "a long token label \d" is cut off at the image edge by \d+ px$/.test(t))).toBe(true);
    expect(texts.some((t) => /^y-axis title "token" overlaps y tick label "a long token label \d" by \d+x\d+ px$/.test(t))).toBe(true);
    const good = await renderFigure({ figure: withAutoMargins(cramped()), formats: [], width: 500, height: 300 });
    expect(good.problems).toEqual([]);
  });

  it("the layout check finds a dropdown menu over the title", async () => {
    const fig = {
      data: [{ type: "scatter", x: [1, 2], y: [1, 2] }],
      layout: {
        title: { text: "A long title that runs under the menu" },
        updatemenus: [{ buttons: [{ label: "layer 1", method: "restyle", args: ["visible", [true]] }], x: 0.5, y: 1.45, xanchor: "left", yanchor: "top" }],
      },
    };
    const out = await renderFigure({ figure: fig, formats: [], width: 500, height: 300 });
    expect(out.problems.map((p) => p.text)).toContainEqual(expect.stringMatching(/^title "A long title that runs under the menu" overlaps menu "layer 1" by \d+x\d+ px$/));
  });

  it("SPATIALEDIT_FIGURE_CHECK=error refuses a figure with overlaps and writes nothing", async () => {
    process.env.SPATIALEDIT_FIGURE_CHECK = "error";
    try {
      await expect(saveFigure(cramped(false), "test-cramped", { width: 500, height: 300 })).rejects.toThrow(/^figure 'test-cramped': y tick label "a long token label \d" is cut off at the image edge by \d+ px/);
      expect(fs.existsSync(path.join(dir, "test-cramped.png"))).toBe(false);
    } finally {
      delete process.env.SPATIALEDIT_FIGURE_CHECK;
    }
  });
});
