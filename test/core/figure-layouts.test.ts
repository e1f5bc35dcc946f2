/**
 * The static layout check (lib/core/static-export.ts) on the figure helpers whose drawings once
 * had overlapping parts in the notebooks' static exports: table bars with long method names,
 * Table 3/4 share bars with long corpus names, the scene panels, the guidance comparison. Each is
 * drawn at the size its notebook uses, with labels as long as the notebooks' own.
 */
import { afterAll, describe, expect, it } from "vitest";
import { withAutoMargins } from "../../lib/core/plot";
import { closeStaticExport, renderFigure } from "../../lib/core/static-export";
import { Rng } from "../../lib/core/rng";
import { sceneFigure } from "../../lib/data/show";
import { shareFigure } from "../../lib/eval/data-tables";
import { tableFigure } from "../../lib/eval/table-figure";
import { stage2FromFigure, stage2FromSummary } from "../../lib/eval/stage2-from-summary";
import { decodingFigure, decodingSummary } from "../../lib/eval/decoding-summary";
import { TABLE1_SPEC } from "../../lib/eval/table-specs";
import { buildTable } from "../../lib/eval/tables";
import { learnedVsExactFigure } from "../../lib/theory/guidance/report";
import { sortLossFigure, sortSeedsFromResults } from "../../lib/theory/sort/report";
import * as fs from "fs";
import * as path from "path";
import { worldConfig } from "../../lib/world/config";
import { renderScene } from "../../lib/world/render";
import { sampleScene } from "../../lib/world/sampler";

afterAll(async () => {
  await closeStaticExport();
});

describe("figure helpers draw without overlapping parts", () => {
  it("tables, shares, scene panels and the guidance comparison", async () => {
  const ms = ["oracle", "identity", "SpatialEdit", "MGIE", "InsPix2Pix"].flatMap((m, k) => ["object judge", "perception judge", "pixel agreement (masked)"].map((metric) => ({ method: m, metric, seed: 0, value: 0.1 * k })));
  const t1 = buildTable(TABLE1_SPEC, ms, { rng: new Rng(1), resamples: 50 });
  const labels3 = ["aurora-ag (real)", "emu-edit (real)", "epic-kitchens (real)", "ggip2p (real)", "magicbrush (real)", "something-something (real)", "engine edit data", "generic data (IPr2Pr stand-in; intended share, a sanity row)"];
  const rows3 = labels3.map((c, i) => ({ corpus: c, "spatial share (ours)": 0.1 * i, "spatial share CI lo": 0.05 * i, "spatial share CI hi": 0.12 * i, "paper spatial share": i === 4 ? 0.3 : null }));
  const labels4 = ["engine data (oracle perception)", "engine data (noisy perception)", "generic data (IPr2Pr stand-in)", "SpatialEdit", "IPr2Pr"];
  const rows4 = labels4.map((c, i) => ({ dataset: c, "ground truth exact (ours)": 0.9, "parses to one referent (ours)": 0.8, "spatial (ours)": 0.5, "paper Helpfulness": 0.8, "paper Reasonable": 0.7, "paper Spatial": 0.4 + i * 0.01 }));
  const scene = renderScene(sampleScene(new Rng(3), worldConfig()), { width: 64, height: 64 });
  const figs: [string, unknown, number, number][] = [
    ["table1", tableFigure(t1), 800, 520],
    ["table3", shareFigure(rows3, "corpus", [{ ours: "spatial share", paper: "paper spatial share" }], "Table 3: share of spatial instructions (ours with 95% Wilson CI, paper beside)"), 800, 420],
    ["table4", shareFigure(rows4, "dataset", [{ ours: "ground truth exact", paper: "paper Helpfulness" }, { ours: "parses to one referent", paper: "paper Reasonable" }, { ours: "spatial", paper: "paper Spatial" }], "Table 4 analogue: data quality (ours with 95% CI, paper's rater scores / 100 beside)"), 800, 460],
    ["scene", sceneFigure(scene, "a scene"), 800, 500],
    ["guidance", learnedVsExactFigure([0, 1, 2, 4, 8], [0, 1, 2, 4, 8].map((s) => ({ mean: s, se: 0.1 })), [0, 1, 2, 4, 8].map((s) => ({ mean: s * 0.9, se: 0.1 }))), 800, 460],
  ];
    // notebook 02's sort loss curves, from the committed paper results (log axis: a tick sits at the corner)
    const paperSort = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../results/paper/02-attention-theory-sort.json"), "utf8")).data;
    figs.push(["sort-loss", sortLossFigure({ config: paperSort.config, seeds: sortSeedsFromResults(paperSort), attention: null } as never, 0), 800, 600]);
    // notebook 05's runs of our aligned editor, from the committed paper results (long run names on the x axis)
    figs.push(["stage2-from", stage2FromFigure(stage2FromSummary("paper")), 900, 560]);
    // notebook 05's decodings of the finished editor (long run and decoding names on the y axis)
    figs.push(["decodings", decodingFigure(decodingSummary("paper")), 1000, 900]);
    const problems: string[] = [];
    for (const [name, fig, w, h] of figs) {
      const r = await renderFigure({ figure: withAutoMargins(fig as never) as never, formats: [], width: w, height: h });
      problems.push(...r.problems.map((p) => `${name}: ${p.text}`));
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
