import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { figureHtml, saveFigure, showFigure } from "../../lib/core/plot";
import { closeStaticExport } from "../../lib/core/static-export";

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "figs-"));
  process.env.SPATIALEDIT_FIGURES_DIR = dir;
});
afterAll(async () => {
  await closeStaticExport();
  delete process.env.SPATIALEDIT_FIGURES_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
});

const FIG = { data: [{ x: [1, 2, 3], y: [3, 1, 2], type: "scatter" }], layout: { title: { text: "test" } } };

describe("plot helper", () => {
  it("writes a real PNG of the requested size and an SVG", async () => {
    const files = await saveFigure(FIG, "test-figure", { width: 640, height: 360 });
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
  });

  it("showFigure outside a notebook writes the files only", async () => {
    const files = await showFigure(FIG, "test-show", { width: 300, height: 200, formats: ["png"] });
    expect(Object.keys(files)).toEqual(["png"]);
    expect((await sharp(files.png!).metadata()).width).toBe(300);
  });

  it("notebook HTML inlines plotly once, then only draws", () => {
    const first = figureHtml(FIG, 400);
    const second = figureHtml(FIG, 400);
    expect(first).toContain("plotly.js v");
    expect(second).not.toContain("plotly.js v");
    expect(second).toContain("window.Plotly.newPlot(");
  });

  it("rejects bad names and figures with clear messages", async () => {
    await expect(saveFigure(FIG, "../escape")).rejects.toThrow("figure name '../escape' must be a plain file stem");
    await expect(saveFigure(FIG, "x.png")).rejects.toThrow("figure name 'x.png' must be a plain file stem");
    await expect(saveFigure({ data: "nope" } as never, "x")).rejects.toThrow("showFigure: figure must be { data: [...traces], layout?: {...} }");
  });
});
