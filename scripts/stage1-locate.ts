/**
 * Does longer Stage I teach the MLLM to ground objects? Trains Stage I (paper §5.2.1: attention
 * tuning on the data engine's spatial VQA, the grid's phase and settings) from a finished grid base
 * node for more steps than the grid gives it, and scores the locate probe (lib/eval/locate-probe.ts)
 * on the held-out locate questions every few steps, and the grounding probe (lib/eval/ground-probe.ts:
 * where the [IMG] tokens look, per layer) on the held-out VQA questions. `--ground=W` adds the grounding
 * loss (lib/models/editor/grounding.ts) with weight W. Trains in this process, writes nothing to the grid
 * cache. Writes results/<profile>/<name>.json.
 *
 * Usage: npm run stage1-locate -- [--base=base@s0] [--steps=4000] [--every=1000] [--mode=attention] [--ground=0] [--name=stage1-locate]
 * (the profile is SPATIALEDIT_PROFILE)
 */
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, parseFlags } from "../lib/core/cli-args";
import { checkName } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { cachedGridNodes } from "../lib/eval/grid-models";
import { probeGrounding, type GroundProbe } from "../lib/eval/ground-probe";
import { locateItems, probeLocate, type LocateScores } from "../lib/eval/locate-probe";
import { spatialVqaItems, vqaEvalConfig } from "../lib/eval/vqa";
import { disposeEditor } from "../lib/models/editor/model";
import { editorNodeConfig, editorPhaseTask, type EditorNodeConfig } from "../lib/models/editor/train/node";
import { trainPhaseSteps } from "../lib/models/editor/train/recipes";
import { TUNING_MODES, type TuningMode } from "../lib/nn/tuning";
import { fromPretrained } from "../lib/train/checkpoint";

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), ["base", "steps", "every", "mode", "ground", "name"]);
  const profile = currentProfile();
  const name = checkName(a.name ?? "stage1-locate", "result");
  const baseId = a.base ?? "base@s0";
  const steps = intFlag(a, "steps", 4000, 1);
  const every = intFlag(a, "every", 1000, 1);
  const mode = (a.mode ?? "attention") as TuningMode;
  const ground = numFlag(a, "ground", 0);
  if (!(ground >= 0)) throw new Error(`--ground must be a number >= 0, got '${a.ground}'`);
  if (!(TUNING_MODES as readonly string[]).includes(mode)) throw new Error(`--mode must be one of ${TUNING_MODES.join(", ")}, got '${mode}'`);
  const backend = (await initBackend()).name;
  const node = cachedGridNodes(profile, [baseId], { recordsDir: null })[baseId];
  if (node === null) throw new Error(`the grid cache has no finished ${baseId}; run npm run grid -- --profile ${profile} --only '${baseId}' first`);
  if (node.kind !== "editor-base") throw new Error(`--base must be a base node of the editor grid, got '${baseId}' (${node.kind})`);
  if (node.dir === null) throw new Error(`${baseId} has no checkpoint folder`); // cannot happen: records are not read here
  const parent = fromPretrained(node.dir);
  const base = editorNodeConfig(parent.meta.config as EditorNodeConfig);
  const config = editorNodeConfig({ ...base, phase: "stage1", mode, recipe: { ...base.recipe, stage1Steps: steps, ...(ground > 0 ? { groundLossWeight: ground } : {}) } });
  const seed = Number(baseId.split("@s")[1] ?? 0);
  const task = editorPhaseTask(config, seed, parent.params, null);
  for (const v of Object.values(parent.params)) v.dispose();
  const { scenes, batch } = vqaEvalConfig(profile);
  const vqa = spatialVqaItems(scenes, config.editor.image, profile);
  const items = locateItems(vqa);
  const points: (LocateScores & { step: number; trainSeconds: number; grounding: GroundProbe })[] = [];
  console.log(`backend ${backend}; profile ${profile}; Stage I (${mode}${ground > 0 ? `, grounding loss ${ground}` : ""}) from ${baseId} for ${steps} steps at batch ${config.recipe.batch}; locate probe on ${items.length} held-out questions every ${every} steps`);
  // written after every point, so a run stopped early leaves the points it reached
  const save = () => writeResult(name, { config: { base: baseId, baseKey: node.key, steps, every, mode, ground, recipe: config.recipe }, seed, data: { backend, points, finished: points.at(-1)?.step === steps } });
  await trainPhaseSteps(task, steps, {
    label: "stage1",
    after: async (step, s) => {
      if (step % every !== 0 && step !== steps) return;
      const sc = (await probeLocate(task.editor, items, batch)).scores;
      const grounding = probeGrounding(task.editor, vqa, batch);
      points.push({ step, trainSeconds: s, ...sc, grounding });
      save();
      console.log(`step ${step}: region ${sc.regionAccuracy.toFixed(3)} (constant guess ${sc.majorityRegion.toFixed(3)}), point error ${sc.meanError.toFixed(3)} (constant guess ${sc.constantError.toFixed(3)}), readable ${sc.readable}/${sc.n}; [IMG] attention on the question's objects per layer ${grounding.perLayer.map((m) => m.toFixed(3)).join(" / ")} (uniform ${grounding.uniform.toFixed(3)}, ${grounding.n} questions); ${s.toFixed(0)} s of training`);
    },
  });
  disposeEditor(task.editor);
  console.log(`wrote ${save()}`);
}

runMain(main);
