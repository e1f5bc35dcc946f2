/**
 * Stage II learning curves of the editor (lib/eval/learning-curve.ts): base -> Stage I once, then
 * SpatialEdit, w/o S1 and MGIE-like with the same Stage II budget, each scored on SpatialEval-mini
 * with the object judge at chosen steps. Answers "how many Stage II steps does Stage I save" and
 * checks the issue's goal (SpatialEdit >= 0.85 and >= 1.55x MGIE-like within 30 minutes on one
 * core). Writes results/<profile>/editor-curves.json (or --name). Resumable: parents and finished
 * curves are kept in data/generated/curve-cache/<profile>.
 *
 * Usage: npm run curves -- [--base-steps=N] [--stage1-steps=N] [--stage2-steps=N] [--batch=N]
 *          [--engine-scenes=N] [--region-weight=W] [--ema=DECAY] [--eval-every=N] [--variants=spatialedit,wo-s1,mgie]
 *          [--seed=0] [--ddim=10] [--edit-map=on|off] [--map-loss=W] [--ground=W] [--aligned=on|off] [--where-loss=W] [--name=editor-curves]
 * (--edit-map=on: the aligned edit map, lib/models/editor/edit-map.ts; --map-loss: the weight of its localisation loss;
 *  --ground=W: Stage I with the grounding loss, lib/models/editor/grounding.ts, weight W; base is shared with runs without it;
 *  --aligned=on: the aligned [LOC] path, lib/models/editor/aligned.ts; --where-loss: the weight of its where loss; base and
 *  Stage I are made without it, so they are shared with runs without it)
 * (the profile is SPATIALEDIT_PROFILE; the defaults are its recipe presets)
 */
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, onOffFlag, parseFlags } from "../lib/core/cli-args";
import { projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { Rng } from "../lib/core/rng";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark } from "../lib/eval/benchmark-generate";
import { CURVE_VARIANTS, curveVerdict, finalDifference, finalDifferenceText, rawWeightsCurve, stage2Curves, stepsSaved, stepsSavedText, type CurveVariant } from "../lib/eval/learning-curve";
import { checkEditorConfig, editorConfig } from "../lib/models/editor/config";
import { recipeConfig } from "../lib/models/editor/train/recipes";

const KNOWN = ["base-steps", "stage1-steps", "stage2-steps", "batch", "engine-scenes", "region-weight", "ema", "eval-every", "variants", "seed", "ddim", "name", "edit-map", "map-loss", "ground", "aligned", "where-loss"];

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const backend = (await initBackend()).name;
  const preset = recipeConfig(profile);
  const recipe0 = recipeConfig(profile, {
    baseSteps: intFlag(a, "base-steps", preset.baseSteps),
    stage1Steps: intFlag(a, "stage1-steps", preset.stage1Steps),
    stage2Steps: intFlag(a, "stage2-steps", preset.stage2Steps),
    batch: intFlag(a, "batch", preset.batch),
    engineScenes: intFlag(a, "engine-scenes", preset.engineScenes),
    editRegionWeight: numFlag(a, "region-weight", preset.editRegionWeight),
    emaDecay: numFlag(a, "ema", preset.emaDecay),
    editMapLossWeight: numFlag(a, "map-loss", preset.editMapLossWeight ?? 0),
    groundLossWeight: numFlag(a, "ground", preset.groundLossWeight ?? 0),
  });
  const aligned = onOffFlag(a, "aligned", false);
  const whereWeight = numFlag(a, "where-loss", 0);
  if (!(whereWeight >= 0) || !Number.isFinite(whereWeight)) throw new Error(`--where-loss must be a finite number >= 0, got ${whereWeight}`);
  if (!aligned && whereWeight > 0) throw new Error("--where-loss needs --aligned=on (the loss trains the aligned path's where head)");
  // the where loss's weight is not a preset key: recipes (and keys) without it stay as they were
  const recipe = whereWeight > 0 ? { ...recipe0, whereLossWeight: whereWeight } : recipe0;
  const editMap = onOffFlag(a, "edit-map", false);
  if (!editMap && (recipe.editMapLossWeight ?? 0) > 0) throw new Error("--map-loss needs --edit-map=on (the loss trains the edit map)");
  const every = intFlag(a, "eval-every", Math.max(1, Math.round(recipe.stage2Steps / 4)));
  if (every < 1) throw new Error("--eval-every must be >= 1");
  const evalAt: number[] = [];
  for (let s = every; s < recipe.stage2Steps; s += every) evalAt.push(s);
  evalAt.push(recipe.stage2Steps);
  const variants = (a.variants ?? Object.keys(CURVE_VARIANTS).join(",")).split(",") as CurveVariant[];
  const editor0 = editorConfig(profile, editMap ? { editMap: true } : {});
  const config = { editor: aligned ? checkEditorConfig({ ...editor0, aligned: true }) : editor0, recipe, seed: intFlag(a, "seed", 0), variants, evalAt, ddimSteps: intFlag(a, "ddim", 10) };
  const bench = ensureBenchmark("spatialeval", profile);
  console.log(`backend ${backend}; profile ${profile}; base ${recipe.baseSteps}, Stage I ${recipe.stage1Steps}, Stage II ${recipe.stage2Steps} steps at batch ${recipe.batch}; ${recipe.engineScenes} engine scenes; edit-region weight ${recipe.editRegionWeight}; EMA ${recipe.emaDecay || "off"}; edit map ${editMap ? `on (localisation loss weight ${recipe.editMapLossWeight ?? 0})` : "off"}; Stage I grounding loss ${recipe.groundLossWeight || "off"}; aligned [LOC] path ${aligned ? `on (where loss weight ${whereWeight})` : "off"}; scored at ${evalAt.join(", ")} on ${bench.items.length} SpatialEval-mini items`);
  const run = await stage2Curves(config, bench, projectPath(`data/generated/curve-cache/${profile}`, true), (line) => console.log(line));
  const se = run.curves.find((c) => c.variant === "spatialedit");
  const wo = run.curves.find((c) => c.variant === "wo-s1");
  const saved = se && wo ? stepsSaved(se, wo) : null;
  const verdict = curveVerdict(run.curves);
  const s1 = run.stage1Seconds;
  const seTime = se ? s1 + se.points[se.points.length - 1].trainSeconds : null;
  if (saved) console.log(stepsSavedText(saved, recipe.stage2Steps));
  console.log(`${verdict.text}; Stage I + Stage II training time of SpatialEdit: ${seTime === null ? "-" : `${(seTime / 60).toFixed(1)} min`} (goal <= 30 min on one core)`);
  const mg = run.curves.find((c) => c.variant === "mgie");
  const rng = new Rng(config.seed).fork("final-differences");
  const differences = [se && mg ? finalDifference(se, mg, rng.fork("mgie")) : null, se && wo ? finalDifference(se, wo, rng.fork("wo-s1")) : null].filter((d): d is NonNullable<typeof d> => d !== null);
  // what averaging added: each averaged curve against its own raw weights at the same steps
  for (const c of run.curves) {
    const raw = rawWeightsCurve(c);
    if (raw) differences.push(finalDifference({ ...c, row: `${c.row} (EMA)` }, raw, rng.fork(`ema-${c.variant}`)));
  }
  for (const d of differences) console.log(finalDifferenceText(d));
  const file = writeResult(a.name ?? "editor-curves", { config, seed: config.seed, data: { backend, benchmarkHash: run.benchmarkHash, baseSeconds: run.baseSeconds, stage1Seconds: run.stage1Seconds, curves: run.curves, stepsSaved: saved, verdict, differences, spatialEditTrainSeconds: seTime } });
  console.log(`wrote ${file}`);
}

runMain(main);
