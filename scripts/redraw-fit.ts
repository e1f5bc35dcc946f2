/**
 * Fits the drawer (lib/models/editor/redraw.ts) on engine replacements (lib/eval/redraw-data.ts) and scores its ceiling:
 * on the validation benchmark and SpatialEval-mini, the items that change one object's shape and/or colour, redrawn with the
 * truth's object, shape and colour (an oracle: it reads the truth), judged by the object judge as they are drawn; with
 * --retextures=<share> (a share of the examples retextures, the drawer one that retextures) also the items that change one
 * object's material, with the truth's material (--retextures=1: a drawer fitted on retextures alone, for Editor.retexturer,
 * which draws nothing else). Writes the
 * weights to data/generated/redraw/<name>/redraw.safetensors (at each new best check too, so that a stopped fit leaves its
 * best drawer so far) and results/<profile>/<name>.json.
 *
 * Usage: SPATIALEDIT_PROFILE=paper npm run redraw-fit -- [--examples=N] [--held-out=N] [--steps=N] [--batch=N] [--lr=X]
 *          [--check-every=N] [--crop=C] [--hidden=H] [--retextures=X] [--seed=S] [--name=...]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { judgeConfig } from "../lib/eval/judge-config";
import { objectJudge } from "../lib/eval/judges";
import { benchmarkRedraws, redrawExamples } from "../lib/eval/redraw-data";
import { editorConfig } from "../lib/models/editor/config";
import { checkRedrawConfig, initRedraw, redrawImages, REDRAW_DEFAULTS } from "../lib/models/editor/redraw";
import { fitRedraw, saveDrawer } from "../lib/models/editor/train/redraw";
import type { Benchmark } from "../lib/eval/benchmark-io";
import type { Params } from "../lib/nn/layers";
import type { RedrawConfig } from "../lib/models/editor/redraw";

const KNOWN = ["examples", "held-out", "steps", "batch", "lr", "check-every", "crop", "hidden", "retextures", "seed", "name"];

/** The drawer's object-judge scores with the truth's object, shape, colour (and material) on a benchmark's redraw items, per kind ("replaced": the shape changes; "recoloured": only the colour; "retextured": only the material, for a drawer that retextures). */
function oracleScores(p: Params, c: RedrawConfig, bench: Benchmark, size: number) {
  const judge = judgeConfig();
  const xs = benchmarkRedraws(bench.items, size, c.retexture === true);
  const images = redrawImages(p, c, xs.map((x) => x.example.request));
  const rows = new Map<string, { n: number; score: number }>();
  xs.forEach(({ item, kind }, i) => {
    const v = objectJudge(item, { width: size, height: size, data: Float32Array.from(images[i], (x) => (x + 1) / 2) }, judge);
    for (const k of ["all", kind]) {
      const r = rows.get(k) ?? { n: 0, score: 0 };
      rows.set(k, { n: r.n + 1, score: r.score + v.score });
    }
  });
  return { items: bench.items.length, redraws: xs.length, kinds: [...rows.entries()].map(([kind, r]) => ({ kind, n: r.n, objectJudge: r.score / r.n })) };
}

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const backend = (await initBackend()).name;
  const size = editorConfig(profile).image;
  const retextures = numFlag(a, "retextures", 0);
  if (!(retextures >= 0 && retextures <= 1)) throw new Error(`redraw-fit: --retextures must be a share in [0, 1], got ${retextures}`);
  const c = checkRedrawConfig({ crop: intFlag(a, "crop", REDRAW_DEFAULTS.crop, 2), hidden: intFlag(a, "hidden", REDRAW_DEFAULTS.hidden, 1), retexture: retextures > 0 });
  const fit = { steps: intFlag(a, "steps", 10000, 1), batch: intFlag(a, "batch", 128, 1), lr: numFlag(a, "lr", 1e-3), checkEvery: intFlag(a, "check-every", 1000, 1), seed: intFlag(a, "seed", 0) };
  const [nTrain, nHeld] = [intFlag(a, "examples", 50000, 1), intFlag(a, "held-out", 1000, 1)];
  const name = checkName(a.name ?? `redraw-${nTrain / 1000}k-s${fit.seed}`, "result");
  console.log(`backend ${backend}; profile ${profile}; drawer crop ${c.crop}, hidden ${c.hidden}${c.retexture ? ` (retextures: a share ${retextures} of the examples)` : ""}; ${nTrain} engine replacements (+${nHeld} held out) at ${size}x${size}; ${fit.steps} steps at batch ${fit.batch}, lr ${fit.lr}, seed ${fit.seed}`);
  let t = Date.now();
  const train = redrawExamples(nTrain, 2 * fit.seed + 1000, size, retextures);
  const held = redrawExamples(nHeld, 2 * fit.seed + 1001, size, retextures);
  console.log(`examples made in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const p = initRedraw(c, fit.seed);
  const dir = projectPath(`data/generated/redraw/${name}`, true);
  fs.mkdirSync(dir, { recursive: true });
  const weights = path.join(dir, "redraw.safetensors");
  t = Date.now();
  let best = Infinity;
  const checks = fitRedraw(p, c, train, held, fit, (k) => {
    // the weights of each new best check are on disk at once, so a stopped fit leaves its best drawer so far
    const better = k.heldOut < best;
    if (better) {
      best = k.heldOut;
      saveDrawer(weights, p, c);
    }
    console.log(`step ${k.step}: held-out crop error ${k.heldOut.toFixed(5)}, training ${k.train.toFixed(5)} (${((Date.now() - t) / 1000).toFixed(0)} s)${better ? `; saved ${path.relative(projectPath("."), weights)}` : ""}`);
  });
  const seconds = (Date.now() - t) / 1000;
  saveDrawer(weights, p, c); // the kept (best) weights
  const oracle = { validation: oracleScores(p, c, ensureValidationBenchmark(profile), size), spatialEvalMini: oracleScores(p, c, ensureBenchmark("spatialeval", profile), size) };
  for (const [b, o] of Object.entries(oracle)) console.log(`${b}: ${o.kinds.length === 0 ? `none of its ${o.items} items changes one object's shape or colour at ${size}x${size}` : o.kinds.map((k) => `${k.kind} ${k.objectJudge.toFixed(3)} (${k.n})`).join(", ")}`);
  const file = writeResult(name, { config: { drawer: c, fit, examples: nTrain, retextures, heldOut: nHeld, size, weights: path.relative(projectPath("."), dir) }, seed: fit.seed, data: { backend, seconds, checks, oracle } });
  console.log(`wrote ${file}`);
}

runMain(main);
