/**
 * Does longer Stage I teach the MLLM to ground objects? Trains Stage I (paper §5.2.1: attention
 * tuning on the data engine's spatial VQA, the grid's phase and settings) from a finished grid base
 * node for more steps than the grid gives it, and scores the locate probe (lib/eval/locate-probe.ts)
 * on the held-out locate questions every few steps, and the grounding probe (lib/eval/ground-probe.ts:
 * where the [IMG] tokens look, per layer) on the held-out VQA questions. `--ground=W` adds the grounding
 * loss (lib/models/editor/grounding.ts) with weight W. `--where=W` gives Stage I's editor the aligned [LOC]
 * path (lib/models/editor/aligned.ts) and trains its where head, weight W, to find the objects each
 * question is about; each point then also reads that head (lib/eval/where-probe.ts: on the held-out
 * questions, with each image read with its own question and with another question of its scene; and on
 * SpatialEval-mini's edits, lib/eval/edit-map-probe.ts, with matched and mismatched instructions).
 * Trains in this process, writes nothing to the grid cache; the final Stage I weights are kept in
 * data/generated/stage1-locate/<profile>/<name>/ (a checkpoint folder). Writes results/<profile>/<name>.json.
 *
 * `--where-head=bilinear` makes that head match each patch against a query from the [IMG] states (aligned.ts);
 * `--refer=N` puts an N-layer referring decoder (the patches over the question's words) before it (editor config alignedRefer).
 * `--edit-share=S` draws that share of each batch from the same scenes' spatial edits read as text (recipe stage1EditShare:
 * the instruction -> the language condition, and the where head taught the pixels each edit changes).
 *
 * Usage: npm run stage1-locate -- [--base=base@s0] [--steps=4000] [--every=1000] [--mode=attention] [--ground=0] [--where=0]
 *          [--where-head=additive|bilinear] [--refer=N] [--edit-share=0] [--name=stage1-locate]
 * (the profile is SPATIALEDIT_PROFILE)
 */
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, parseFlags } from "../lib/core/cli-args";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { cachedGridNodes } from "../lib/eval/grid-models";
import { probeGrounding, type GroundProbe } from "../lib/eval/ground-probe";
import { locateItems, probeLocate, type LocateScores } from "../lib/eval/locate-probe";
import { spatialVqaItems, vqaEvalConfig } from "../lib/eval/vqa";
import { disposeEditor, editorParams, type Editor } from "../lib/models/editor/model";
import { editorNodeConfig, editorPhaseTask, type EditorNodeConfig } from "../lib/models/editor/train/node";
import { trainPhaseSteps } from "../lib/models/editor/train/recipes";
import { TUNING_MODES, type TuningMode } from "../lib/nn/tuning";
import { fromPretrained, saveCheckpoint } from "../lib/train/checkpoint";
import { checkName, projectPath } from "../lib/core/paths";
import { ensureBenchmark } from "../lib/eval/benchmark-generate";
import type { Benchmark } from "../lib/eval/benchmark-io";
import { mapProbeSummary, probeWhereHead, type MapProbeRow } from "../lib/eval/edit-map-probe";
import { Rng } from "../lib/core/rng";
import { bootstrapDiffCi } from "../lib/eval/stats";
import { probeQuestionWhere, whereProbeSummary, type WhereProbeSummary } from "../lib/eval/where-probe";
import type { VqaItem } from "../lib/eval/vqa";
import { engineTrainingProbeItems, type ProbeSet } from "../lib/eval/probe-items";

interface WherePoint {
  /** The where head on the held-out questions (own question vs. another question of the scene). */
  questions: WhereProbeSummary;
  /** Own minus other question's mass, paired over the questions, with a 95% bootstrap interval. */
  questionDiff: { diff: number; lo: number; hi: number };
  /** On SpatialEval-mini's edits ("all" row): the changed patches' mass with matched and mismatched instructions. */
  edits: MapProbeRow;
  editsMismatched: MapProbeRow;
  /** With `--edit-share`: the same on as many of the Stage I training edits (lib/eval/probe-items.ts), to tell underfitting from overfitting. */
  editsTrain?: MapProbeRow;
}

function wherePoint(e: Editor, vqa: readonly VqaItem[], bench: Benchmark, batch: number, train: ProbeSet | null): WherePoint {
  const items = probeQuestionWhere(e, vqa, batch);
  const ci = bootstrapDiffCi([items.map((x) => x.mass)], [items.map((x) => x.otherMass)], new Rng(0).fork("where-probe"), 2000);
  const questions = whereProbeSummary(items);
  return { questions, questionDiff: { diff: questions.mass - questions.otherMass, lo: ci.lo, hi: ci.hi }, edits: mapProbeSummary(probeWhereHead(e, bench, batch))[0], editsMismatched: mapProbeSummary(probeWhereHead(e, bench, batch, true))[0], ...(train ? { editsTrain: mapProbeSummary(probeWhereHead(e, train, batch))[0] } : {}) };
}

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), ["base", "steps", "every", "mode", "ground", "where", "where-head", "refer", "edit-share", "name"]);
  const profile = currentProfile();
  const name = checkName(a.name ?? "stage1-locate", "result");
  const baseId = a.base ?? "base@s0";
  const steps = intFlag(a, "steps", 4000, 1);
  const every = intFlag(a, "every", 1000, 1);
  const mode = (a.mode ?? "attention") as TuningMode;
  const ground = numFlag(a, "ground", 0);
  if (!(ground >= 0)) throw new Error(`--ground must be a number >= 0, got '${a.ground}'`);
  const where = numFlag(a, "where", 0);
  if (!(where >= 0) || !Number.isFinite(where)) throw new Error(`--where must be a finite number >= 0, got '${a.where}'`);
  const whereHead = a["where-head"] ?? "additive";
  if (whereHead !== "additive" && whereHead !== "bilinear") throw new Error(`--where-head must be additive or bilinear, got '${whereHead}'`);
  if (whereHead !== "additive" && where === 0) throw new Error("--where-head needs --where=W > 0 (the head belongs to the aligned path that --where adds)");
  const referLayers = intFlag(a, "refer", 0, 0);
  if (referLayers > 0 && whereHead !== "bilinear") throw new Error("--refer=N needs --where-head=bilinear (the referring decoder feeds the bilinear where head)");
  const editShare = numFlag(a, "edit-share", 0);
  if (!(editShare >= 0 && editShare < 1)) throw new Error(`--edit-share must be in [0, 1), got '${a["edit-share"]}'`);
  if (!(TUNING_MODES as readonly string[]).includes(mode)) throw new Error(`--mode must be one of ${TUNING_MODES.join(", ")}, got '${mode}'`);
  const backend = (await initBackend()).name;
  const node = cachedGridNodes(profile, [baseId], { recordsDir: null })[baseId];
  if (node === null) throw new Error(`the grid cache has no finished ${baseId}; run npm run grid -- --profile ${profile} --only '${baseId}' first`);
  if (node.kind !== "editor-base") throw new Error(`--base must be a base node of the editor grid, got '${baseId}' (${node.kind})`);
  if (node.dir === null) throw new Error(`${baseId} has no checkpoint folder`); // cannot happen: records are not read here
  const parent = fromPretrained(node.dir);
  const base = editorNodeConfig(parent.meta.config as EditorNodeConfig);
  const config = editorNodeConfig({ ...base, ...(where > 0 ? { editor: { ...base.editor, aligned: true, ...(whereHead === "bilinear" ? { alignedWhere: "bilinear" as const } : {}), ...(referLayers > 0 ? { alignedRefer: referLayers } : {}) } } : {}), phase: "stage1", mode, recipe: { ...base.recipe, stage1Steps: steps, ...(ground > 0 ? { groundLossWeight: ground } : {}), ...(where > 0 ? { stage1WhereLossWeight: where } : {}), ...(editShare > 0 ? { stage1EditShare: editShare } : {}) } });
  const seed = Number(baseId.split("@s")[1] ?? 0);
  const task = editorPhaseTask(config, seed, parent.params, null);
  for (const v of Object.values(parent.params)) v.dispose();
  const { scenes, batch } = vqaEvalConfig(profile);
  const vqa = spatialVqaItems(scenes, config.editor.image, profile);
  const items = locateItems(vqa);
  const bench = where > 0 ? ensureBenchmark("spatialeval", profile) : null;
  const trainEdits = bench !== null && editShare > 0 ? engineTrainingProbeItems(config.recipe, config.editor.image, bench.items.length) : null;
  const points: (LocateScores & { step: number; trainSeconds: number; grounding: GroundProbe; where?: WherePoint })[] = [];
  console.log(`backend ${backend}; profile ${profile}; Stage I (${mode}${ground > 0 ? `, grounding loss ${ground}` : ""}${where > 0 ? `, aligned path with a${whereHead === "bilinear" ? " bilinear" : "n additive"} where head${referLayers > 0 ? ` after a ${referLayers}-layer referring decoder` : ""}, where loss ${where}` : ""}${editShare > 0 ? `, ${editShare} of each batch spatial edits read as text` : ""}) from ${baseId} for ${steps} steps at batch ${config.recipe.batch}; locate probe on ${items.length} held-out questions every ${every} steps`);
  // written after every point, so a run stopped early leaves the points it reached
  const save = () => writeResult(name, { config: { base: baseId, baseKey: node.key, steps, every, mode, ground, where, editShare, editor: config.editor, recipe: config.recipe }, seed, data: { backend, points, finished: points.at(-1)?.step === steps } });
  await trainPhaseSteps(task, steps, {
    label: "stage1",
    after: async (step, s) => {
      if (step % every !== 0 && step !== steps) return;
      const sc = (await probeLocate(task.editor, items, batch)).scores;
      const grounding = probeGrounding(task.editor, vqa, batch);
      const wp = bench === null ? undefined : wherePoint(task.editor, vqa, bench, batch, trainEdits);
      points.push({ step, trainSeconds: s, ...sc, grounding, ...(wp ? { where: wp } : {}) });
      save();
      if (wp) console.log(`step ${step}: where head on the question's objects ${wp.questions.mass.toFixed(3)} (read with another question of the scene ${wp.questions.otherMass.toFixed(3)}, difference ${wp.questionDiff.diff.toFixed(3)} [95% CI ${wp.questionDiff.lo.toFixed(3)}, ${wp.questionDiff.hi.toFixed(3)}]; uniform ${wp.questions.chance.toFixed(3)}; top patch ${wp.questions.top.toFixed(3)} vs ${wp.questions.otherTop.toFixed(3)}; n ${wp.questions.n}); on SpatialEval-mini's changed patches ${wp.edits.mass.toFixed(3)} (mismatched instructions ${wp.editsMismatched.mass.toFixed(3)}, uniform ${wp.edits.chance.toFixed(3)}, n ${wp.edits.n})${wp.editsTrain ? `; on as many training edits ${wp.editsTrain.mass.toFixed(3)} (uniform ${wp.editsTrain.chance.toFixed(3)})` : ""}`);
      console.log(`step ${step}: region ${sc.regionAccuracy.toFixed(3)} (constant guess ${sc.majorityRegion.toFixed(3)}), point error ${sc.meanError.toFixed(3)} (constant guess ${sc.constantError.toFixed(3)}), readable ${sc.readable}/${sc.n}; [IMG] attention on the question's objects per layer ${grounding.perLayer.map((m) => m.toFixed(3)).join(" / ")} (uniform ${grounding.uniform.toFixed(3)}, ${grounding.n} questions); ${s.toFixed(0)} s of training`);
    },
  });
  const dir = projectPath(`data/generated/stage1-locate/${profile}/${name}`, true);
  saveCheckpoint(dir, { params: editorParams(task.editor), config, seed, step: steps, extra: { base: baseId, baseKey: node.key } });
  disposeEditor(task.editor);
  console.log(`wrote ${save()}; the final Stage I weights are in ${dir}`);
}

runMain(main);
