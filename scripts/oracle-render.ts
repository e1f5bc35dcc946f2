/**
 * The oracle-render study (lib/eval/oracle-render.ts): the editor's denoiser alone, conditioned on
 * the true edit (per patch: the changed share and the target colour), trained with Stage II's
 * L_edit and scored on SpatialEval-mini with the object judge. Bounds what the denoiser renders
 * when "where" and "what" are given exactly, by cross-attention (as H_edit's tokens enter) or added
 * to the patch tokens. Writes results/<profile>/editor-oracle-render-<inject>.json (or --name).
 *
 * Usage: npm run oracle-render -- [--inject=cross|add|content|split|gated] [--steps=N] [--eval-every=N] [--scenes=N]
 *          [--region-weight=W] [--ema=DECAY] [--seed=0] [--dn-d=N] [--dn-layers=N] [--dn-ff=N] [--dn-patch=N]
 *          [--init=grid:<node id>] [--dropout=on|off] [--name=...]
 * (the profile is SPATIALEDIT_PROFILE; the defaults are its presets; the --dn-* flags change the
 * denoiser's width, depth, feed-forward width and patch size from the profile's editor preset;
 * --init starts the denoiser from a finished grid node's, e.g. grid:base@s2, the base's denoiser
 * pre-trained on generic edits, as Stage II starts from it, instead of a random one; --dropout=on trains with
 * Stage II's condition dropout, the oracle dropped with the text condition)
 */
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, onOffFlag, parseFlags } from "../lib/core/cli-args";
import { checkName } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark } from "../lib/eval/benchmark-generate";
import { oracleRender, oracleRenderConfig, type OracleInjection, type OraclePoint } from "../lib/eval/oracle-render";
import { cachedNodeWeights } from "../lib/eval/grid-models";
import { editorConfig } from "../lib/models/editor/config";
import { disposeParams, type Params } from "../lib/nn/layers";

const KNOWN = ["inject", "steps", "eval-every", "scenes", "region-weight", "ema", "seed", "dn-d", "dn-layers", "dn-ff", "dn-patch", "init", "dropout", "name"];

/** The weights of `--init=grid:<node id>` (a finished node of the editor grid's cache). */
function loadInit(spec: string, profile: string): Params {
  const [kind, id] = spec.split(":");
  if (kind !== "grid" || !id) throw new Error(`--init must be grid:<node id> (e.g. grid:base@s2), got '${spec}'`);
  return cachedNodeWeights(profile, id, "--init").params;
}

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const backend = (await initBackend()).name;
  const preset = oracleRenderConfig(profile);
  const cfg = oracleRenderConfig(profile, {
    inject: (a.inject ?? preset.inject) as OracleInjection,
    steps: intFlag(a, "steps", preset.steps, 1),
    evalEvery: intFlag(a, "eval-every", preset.evalEvery, 1),
    scenes: intFlag(a, "scenes", preset.scenes, 1),
    regionWeight: numFlag(a, "region-weight", preset.regionWeight),
    emaDecay: numFlag(a, "ema", preset.emaDecay),
    seed: intFlag(a, "seed", preset.seed),
    conditionDropout: onOffFlag(a, "dropout", false),
  });
  const initFrom = a.init ?? null;
  const name = checkName(a.name ?? `editor-oracle-render-${cfg.inject}`, "result");
  const preEditor = editorConfig(profile);
  const editor = editorConfig(profile, { dnD: intFlag(a, "dn-d", preEditor.dnD, 1), dnLayers: intFlag(a, "dn-layers", preEditor.dnLayers, 1), dnFF: intFlag(a, "dn-ff", preEditor.dnFF, 1), dnPatch: intFlag(a, "dn-patch", preEditor.dnPatch, 1) });
  const bench = ensureBenchmark("spatialeval", profile);
  console.log(`backend ${backend}; profile ${profile}; oracle '${cfg.inject}'; denoiser d ${editor.dnD}, ${editor.dnLayers} blocks, FF ${editor.dnFF}, patch ${editor.dnPatch}; ${cfg.steps} steps at batch ${cfg.batch} on ${cfg.scenes} engine scenes; edit-region weight ${cfg.regionWeight}; EMA ${cfg.emaDecay || "off"}; condition dropout ${cfg.conditionDropout ? "on" : "off"}; denoiser from ${initFrom ?? "a random start"}; ${cfg.ddimSteps} DDIM steps; scored on ${bench.items.length} SpatialEval-mini items`);
  const how = { cross: "told where and what per patch by cross-attention", add: "told where and what per patch, added to its patch tokens", content: "told only what the edit looks like (one cross-attention token: source and target colour of the changed pixels)", split: "told where (each patch's changed share, added to its patch tokens) and what (the content token, through cross-attention)", gated: "told where and what per patch in the editor's gated form (each patch's target colour scaled by its changed share), added to its patch tokens" }[cfg.inject];
  // written after every point, so a run stopped early leaves the points it reached (`finished` says whether it ended)
  const save = (points: readonly OraclePoint[]) => {
    const last = points[points.length - 1];
    const text = `${how}, the denoiser passes the object judge on ${(100 * last.objectJudge).toFixed(1)}% after ${last.step} steps (instructed objects done ${(100 * last.done).toFixed(1)}%, other objects and the ground kept ${(100 * last.kept).toFixed(1)}%)`;
    return { text, file: writeResult(name, { config: { ...cfg, editor, init: initFrom, benchmarkHash: bench.contentHash }, seed: cfg.seed, data: { backend, points, text, finished: last.step === cfg.steps } }) };
  };
  const init = initFrom === null ? undefined : loadInit(initFrom, profile);
  let points: OraclePoint[];
  try {
    points = await oracleRender(cfg, editor, bench, { log: (line) => console.log(line), onPoint: save, denoiserInit: init });
  } finally {
    if (init !== undefined) disposeParams(init);
  }
  const { text, file } = save(points);
  console.log(text);
  console.log(`wrote ${file}`);
}

runMain(main);
