/**
 * Stage II (SpatialEdit's phase: attention tuning on the engine's spatial edits) from chosen parents,
 * each with the same budget, data and seed, scored on SpatialEval-mini with the object judge at chosen
 * steps (lib/eval/learning-curve.ts trainCurve), and the paired difference of the first two parents'
 * last points. A parent is a finished grid node (`grid:stage1@s0`, from the grid cache) or the final
 * weights of a `npm run stage1-locate` run (`locate:<name>`). Asks what a different Stage I does to
 * Stage II when everything else is held fixed. With the aligned [LOC] path, each final editor's where
 * head is read on the benchmark with matched and mismatched instructions (lib/eval/edit-map-probe.ts), per edit
 * kind and template family, and on as many of its own Stage II training edits (lib/eval/probe-items.ts: fit vs. held out).
 * Resumable: each finished curve is kept in data/generated/curve-cache/<profile>/from/, and a curve in training checkpoints
 * every 250 steps there (run-<key>/) and continues from its last checkpoint. Writes
 * results/<profile>/<name>.json.
 *
 * Usage: npm run stage2-from -- --parents=grid:stage1@s0,locate:stage1-where1 [--stage2-steps=N] [--eval-every=N] [--engine-scenes=N]
 *          [--aligned=on|off] [--where-head=additive|bilinear] [--where-loss=W] [--where-object-loss=W] [--offset-loss=W] [--offset-removals=skip|still] [--scale-loss=W] [--where-forcing=P] [--plan-jitter=S] [--what=on|off] [--plan=on|attend|palette|off] [--plan-gate=share|open] [--dropout=on|off] [--refer=N] [--seed=0] [--ddim=10]
 *          [--gate-decode=max,top4,top8,top16,object,object+free,object+offset,object+offset+ground,object+move] [--name=stage2-from] [--only=all|plan-probe|decode|guidance] [--guidance=1.5x1,2x1,...]
 * (--only=plan-probe: trains nothing; for each finished run of the same command, the edit plan's probe on the benchmark and
 * the training edits, lib/eval/plan-probe.ts, written to results/<profile>/<name>-plan-probe.json; --only=decode: the same for
 * the gate (and plan) decodings chosen on the validation benchmark, results/<profile>/<name>-decode.json, whose run0.decoded
 * curve-compare reads; --only=guidance: each final editor, its gate decoded as its results file chose, scored with each pair of
 * classifier-free guidance scales of --guidance (text x image, 1x1 always tried) on the validation benchmark, the best on
 * SpatialEval-mini paired with no guidance (lib/eval/guidance-sweep.ts), written to results/<profile>/<name>-guidance.json,
 * whose run0.guided curve-compare reads; all need the run's final weights)
 * (with the bilinear head each final editor is also scored with its gate decoded by each rule of --gate-decode on the validation
 * benchmark, and with the best of them and the default sigmoid on SpatialEval-mini; --gate-decode=sigmoid skips it; `object` chooses among
 * the objects the engine perceives in the source, lib/eval/object-regions.ts, and adds the object-choice probe; `object+free` also opens
 * the free ground the where head scores as high as its chosen object; `object+offset`, with --offset-loss, also opens the chosen
 * object moved by the offset head's prediction and gives the patches it fills the object's colour as their plan; `object+offset+ground`
 * also gives the patches the move vacates the colour of the nearest free ground)
 * (--offset-loss=W: an offset head, editor config alignedOffset, predicts how far the edit moves the object it changes,
 * trained with weight W against the object's visible centre shift; needs the bilinear head; --scale-loss=W: a scale head,
 * alignedScale, predicts the log of how much the edit grows the object's visible extent, which `object+move` reads;
 * --offset-removals=still teaches the offset head "no move" on removals, which it otherwise never sees)
 * (--dropout=off: Stage II without the condition dropout of classifier-free guidance, MGIE's 5% + 5% + 5%; our scores are taken
 * without guidance, so the dropout trains branches they never use; the parents are not retrained)
 * (--engine-scenes: the data engine's scenes that Stage II's edits come from, default the profile's; the parents are not retrained)
 * (a parent whose aligned path was trained must have been made with the same --where-head)
 * (the profile is SPATIALEDIT_PROFILE; the other settings are its recipe presets)
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, onOffFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { Rng } from "../lib/core/rng";
import { readResult, writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { gateProbeSummary, gateRowText, mapProbeSummary, mapRowText, probeWhereGate, probeWhereHead, type MapProbeRow } from "../lib/eval/edit-map-probe";
import { cachedNodeWeights } from "../lib/eval/grid-models";
import { guidanceSweep, parseGuidancePairs, type GuidanceSweep } from "../lib/eval/guidance-sweep";
import { checkCurveConfig, finalDifference, keepCurve, finalDifferenceText, pointText, scoreEditorPoint, trainCurve, type Curve, type CurveConfig, type CurvePoint, type PointScores } from "../lib/eval/learning-curve";
import type { Benchmark } from "../lib/eval/benchmark-io";
import { benchmarkKindMeans, type KindMeanRow } from "../lib/eval/kind-means";
import { planProbeSummary, probePlanHead, type PlanProbeRow } from "../lib/eval/plan-probe";
import { objectGateEditor, trainedEditor, whereOracleEditor } from "../lib/eval/trained-editor";
import { needsObjects, parseGateDecode, type GateDecode } from "../lib/models/editor/gate-decode";
import { objectChoiceSummary, probeObjectChoice } from "../lib/eval/object-choice-probe";
import { checkEditorConfig, editorConfig, planOn } from "../lib/models/editor/config";
import { NO_CONDITION_DROPOUT } from "../lib/models/editor/losses";
import { disposeEditor, type Editor as ModelEditor } from "../lib/models/editor/model";
import type { EditPipelineOptions, PlanDecode } from "../lib/models/editor/pipeline";
import { editorFromWeights, editorNodeConfig, EDITOR_TRAIN_VERSION } from "../lib/models/editor/train/node";
import { keyedRecipe, recipeConfig } from "../lib/models/editor/train/recipes";
import { disposeParams, type Params } from "../lib/nn/layers";
import { fromPretrained } from "../lib/train/checkpoint";
import { hashJson } from "../lib/train/checkpoint-config";
import { bootstrapDiffCi } from "../lib/eval/stats";
import { engineTrainingProbeItems, type ProbeSet } from "../lib/eval/probe-items";

const KNOWN = ["parents", "stage2-steps", "engine-scenes", "eval-every", "aligned", "where-head", "where-loss", "where-object-loss", "offset-loss", "offset-removals", "scale-loss", "where-forcing", "what", "plan", "plan-gate", "dropout", "refer", "seed", "ddim", "gate-decode", "guidance", "name", "only", "plan-jitter"];

/** A parent's weights and what identifies them (the grid key, or the locate run's config hash). */
function loadParent(spec: string, profile: string, whereHead: string, referLayers: number): { params: Params; id: string } {
  const [kind, name] = spec.split(":");
  if (kind === "grid" && name) {
    const { params, key } = cachedNodeWeights(profile, name, "--parents");
    return { params, id: `grid:${key}` };
  }
  if (kind === "locate" && name) {
    const dir = projectPath(`data/generated/stage1-locate/${profile}/${checkName(name, "run")}`);
    if (!fs.existsSync(path.join(dir, "config.json"))) throw new Error(`--parents: no final weights of a stage1-locate run '${name}' in ${dir}; run npm run stage1-locate -- --name=${name} first`);
    const loaded = fromPretrained(dir);
    const editor = (loaded.meta.config as { editor?: { aligned?: boolean; alignedWhere?: string; alignedRefer?: number } }).editor;
    const made = editor?.aligned === true ? (editor.alignedWhere ?? "additive") : null;
    if (made !== null && made !== whereHead) {
      disposeParams(loaded.params);
      throw new Error(`--parents: '${spec}' was trained with the ${made} where head; pass --where-head=${made}`);
    }
    const madeRefer = editor?.aligned === true ? (editor.alignedRefer ?? 0) : 0;
    if (madeRefer > 0 && madeRefer !== referLayers) {
      disposeParams(loaded.params);
      throw new Error(`--parents: '${spec}' was trained with a ${madeRefer}-layer referring decoder; pass --refer=${madeRefer}`);
    }
    return { params: loaded.params, id: `locate:${hashJson(loaded.meta.config)}` };
  }
  throw new Error(`--parents: each parent is grid:<node id> or locate:<run name>, got '${spec}'`);
}

/** Per edit kind, the mean of each column of per-item scores (every benchmark item judged, in the benchmark's order). */
function perKind<K extends string>(bench: Pick<Benchmark, "items">, columns: Record<K, readonly number[]>): KindMeanRow<K>[] {
  return benchmarkKindMeans(bench.items, columns, "stage2-from");
}

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const name = checkName(a.name ?? "stage2-from", "result");
  const parents = (a.parents ?? "").split(",").filter((x) => x !== "");
  if (parents.length === 0) throw new Error("--parents is required: e.g. --parents=grid:stage1@s0,locate:stage1-where1");
  const only = a.only ?? "all";
  if (only !== "all" && only !== "plan-probe" && only !== "decode" && only !== "guidance") throw new Error(`--only must be all, plan-probe, decode or guidance, got '${only}'`);
  const guidancePairs = parseGuidancePairs(a.guidance ?? "1.5x1,2x1,3x1,5x1,1x1.5,2x1.5,3x1.5");
  const aligned = onOffFlag(a, "aligned", true);
  const whereWeight = numFlag(a, "where-loss", aligned ? 1 : 0);
  if (!(whereWeight >= 0) || !Number.isFinite(whereWeight)) throw new Error(`--where-loss must be a finite number >= 0, got ${whereWeight}`);
  if (!aligned && whereWeight > 0) throw new Error("--where-loss needs --aligned=on (the loss trains the aligned path's where head)");
  const preset = recipeConfig(profile);
  const recipe0 = recipeConfig(profile, { stage2Steps: intFlag(a, "stage2-steps", preset.stage2Steps, 1), engineScenes: intFlag(a, "engine-scenes", preset.engineScenes, 1) });
  const forcing = numFlag(a, "where-forcing", 0);
  if (!(forcing >= 0 && forcing <= 1)) throw new Error(`--where-forcing must be a probability in [0, 1], got ${forcing}`);
  const objectWeight = numFlag(a, "where-object-loss", 0);
  if (!(objectWeight >= 0) || !Number.isFinite(objectWeight)) throw new Error(`--where-object-loss must be a finite number >= 0, got ${objectWeight}`);
  if (!aligned && objectWeight > 0) throw new Error("--where-object-loss needs --aligned=on (the loss trains the aligned path's where head)");
  const offsetWeight = numFlag(a, "offset-loss", 0);
  if (!(offsetWeight >= 0) || !Number.isFinite(offsetWeight)) throw new Error(`--offset-loss must be a finite number >= 0, got ${offsetWeight}`);
  const offsetRemovals = a["offset-removals"] ?? "skip";
  if (offsetRemovals !== "skip" && offsetRemovals !== "still") throw new Error(`--offset-removals must be skip or still, got '${offsetRemovals}'`);
  if (offsetRemovals === "still" && !(offsetWeight > 0)) throw new Error("--offset-removals=still needs the offset loss (--offset-loss=W with W > 0)");
  const scaleWeight = numFlag(a, "scale-loss", 0);
  if (!(scaleWeight >= 0) || !Number.isFinite(scaleWeight)) throw new Error(`--scale-loss must be a finite number >= 0, got ${scaleWeight}`);
  const planJitter = numFlag(a, "plan-jitter", 0);
  if (!(planJitter >= 0) || !Number.isFinite(planJitter)) throw new Error(`--plan-jitter must be a finite number >= 0, got ${planJitter}`);
  if (planJitter > 0 && !(forcing > 0)) throw new Error("--plan-jitter jitters the plan of the forced items: it needs --where-forcing=P with P > 0");
  const recipe = { ...recipe0, ...(planJitter > 0 ? { planJitter } : {}), ...(whereWeight > 0 ? { whereLossWeight: whereWeight } : {}), ...(forcing > 0 ? { whereForcing: forcing } : {}), ...(objectWeight > 0 ? { whereObjectLossWeight: objectWeight } : {}), ...(offsetWeight > 0 ? { whereOffsetLossWeight: offsetWeight } : {}), ...(offsetRemovals === "still" ? { whereOffsetStillRemovals: true } : {}), ...(scaleWeight > 0 ? { whereScaleLossWeight: scaleWeight } : {}) };
  const every = intFlag(a, "eval-every", Math.max(1, Math.round(recipe.stage2Steps / 2)), 1);
  const evalAt: number[] = [];
  for (let s = every; s < recipe.stage2Steps; s += every) evalAt.push(s);
  evalAt.push(recipe.stage2Steps);
  const whereHead = a["where-head"] ?? "additive";
  if (whereHead !== "additive" && whereHead !== "bilinear") throw new Error(`--where-head must be additive or bilinear, got '${whereHead}'`);
  if (!aligned && whereHead !== "additive") throw new Error("--where-head needs --aligned=on");
  if (forcing > 0 && whereHead !== "bilinear") throw new Error("--where-forcing needs --where-head=bilinear (only the bilinear head has a gate to force)");
  const what = onOffFlag(a, "what", false);
  if (what && whereHead !== "bilinear") throw new Error("--what=on needs --where-head=bilinear (the instruction's 'what' rides on the bilinear head's gate)");
  const planFlag = a.plan ?? "off";
  if (planFlag !== "on" && planFlag !== "off" && planFlag !== "attend" && planFlag !== "palette") throw new Error(`--plan must be on, attend, palette or off, got '${planFlag}'`);
  if (planFlag !== "off" && whereHead !== "bilinear") throw new Error(`--plan=${planFlag} needs --where-head=bilinear (the edit plan rides on the bilinear head's gate)`);
  const planGate = a["plan-gate"] ?? "share";
  if (planGate !== "share" && planGate !== "open") throw new Error(`--plan-gate must be share or open, got '${planGate}'`);
  if (planGate === "open" && planFlag === "off") throw new Error("--plan-gate=open needs an edit plan (--plan=on, attend or palette)");
  if (offsetWeight > 0 && whereHead !== "bilinear") throw new Error("--offset-loss needs --where-head=bilinear (the offset head moves the object the bilinear head's gate chooses)");
  if (scaleWeight > 0 && whereHead !== "bilinear") throw new Error("--scale-loss needs --where-head=bilinear (the scale head scales the object the bilinear head's gate chooses)");
  const dropout = onOffFlag(a, "dropout", true);
  const gateRules = (a["gate-decode"] ?? "max,top4,top8,top16").split(",").filter((x) => x !== "" && x !== "sigmoid").map(parseGateDecode);
  const referLayers = intFlag(a, "refer", 0, 0);
  if (referLayers > 0 && whereHead !== "bilinear") throw new Error("--refer=N needs --where-head=bilinear (the referring decoder feeds the bilinear where head)");
  const base = { ...editorConfig(profile), ...(dropout ? {} : NO_CONDITION_DROPOUT) };
  const editor = aligned ? checkEditorConfig({ ...base, aligned: true, ...(whereHead === "bilinear" ? { alignedWhere: "bilinear" as const } : {}), ...(what ? { alignedWhat: true } : {}), ...(planFlag !== "off" ? { alignedPlan: planFlag === "attend" || planFlag === "palette" ? planFlag : true, ...(planGate === "open" ? { alignedPlanGate: "open" as const } : {}) } : {}), ...(referLayers > 0 ? { alignedRefer: referLayers } : {}), ...(offsetWeight > 0 ? { alignedOffset: true } : {}), ...(scaleWeight > 0 ? { alignedScale: true } : {}) }) : checkEditorConfig(base);
  const c: CurveConfig = checkCurveConfig({ editor, recipe, seed: intFlag(a, "seed", 0), variants: ["spatialedit"], evalAt, ddimSteps: intFlag(a, "ddim", 10) });
  const backend = (await initBackend()).name;
  const bench = ensureBenchmark("spatialeval", profile);
  const validationBench = (aligned && whereHead === "bilinear" && gateRules.length > 0) || only === "guidance" ? ensureValidationBenchmark(profile) : null;
  // --only=guidance: the gate decoding each run's results file chose (absent: the editor's own sigmoid gate)
  const priorRuns = only === "guidance" ? readResult<{ runs: { parent: string; gateDecode?: { chosen: GateDecode; chosenPlan?: PlanDecode } }[] }>(name)?.data.runs : undefined;
  if (only === "guidance" && priorRuns === undefined) throw new Error(`--only=guidance reads the gate decoding chosen in results/${profile}/${name}.json; run the same command without --only first`);
  // the Stage II training edits the fit probes read: made once, for every parent (the same data seed and scenes)
  let trainSet: ProbeSet | null = null;
  const trainingEdits = () => (trainSet ??= engineTrainingProbeItems(c.recipe, c.editor.image, bench.items.length));
  const dir = projectPath(`data/generated/curve-cache/${profile}/from`, true);
  console.log(`backend ${backend}; profile ${profile}; Stage II from ${parents.join(", ")}: ${recipe.stage2Steps} steps at batch ${recipe.batch} on the edits of ${recipe.engineScenes} engine scenes, edit-region weight ${recipe.editRegionWeight}, EMA ${recipe.emaDecay || "off"}; condition dropout ${dropout ? "on" : "off"}; aligned [LOC] path ${aligned ? `on (${whereHead} where head, where loss ${whereWeight}${objectWeight > 0 ? `, object-level where loss ${objectWeight}` : ""}${offsetWeight > 0 ? `, an offset head (loss ${offsetWeight}${offsetRemovals === "still" ? ", removals taught no move" : ""})` : ""}${scaleWeight > 0 ? `, a scale head (loss ${scaleWeight})` : ""}${forcing > 0 ? `, where forcing ${forcing}${planJitter > 0 ? ` (the plan's brightness jittered by ${planJitter})` : ""}` : ""}${what ? ", the instruction's what on the gate" : ""}${planFlag !== "off" ? `, a per-patch edit plan on the gate${planFlag === "attend" ? " that reads the instruction's words" : planFlag === "palette" ? " that chooses among the engine's colours" : ""}` : ""}${referLayers > 0 ? `, a ${referLayers}-layer referring decoder before the where head` : ""})` : "off"}; scored at ${evalAt.join(", ")} on ${bench.items.length} SpatialEval-mini items`);
  const runs: {
    parent: string;
    parentId: string;
    curve: Pick<Curve, "row" | "points" | "losses">;
    where: {
      matched: MapProbeRow;
      mismatched: MapProbeRow;
      gap: { diff: number; lo: number; hi: number };
      kinds?: MapProbeRow[];
      /** Per template family of the benchmark's items. */
      families?: MapProbeRow[];
      gate?: ReturnType<typeof gateProbeSummary>;
      /**
       * The same probes on as many of the Stage II training edits as the benchmark has items (lib/eval/probe-items.ts):
       * a head that fits them but not the benchmark overfits; one poor on both underfits.
       */
      train?: { kinds: MapProbeRow[]; families: MapProbeRow[]; gate?: ReturnType<typeof gateProbeSummary>; plan?: PlanProbeRow[] };
    } | null;
    /** The final editor with the truth's where gate, and its object judge minus the editor's own (paired over items), also per edit kind. */
    oracleWhere: { scores: PointScores; gain: { diff: number; lo: number; hi: number }; kinds: { kind: string; n: number; own: number; oracle: number }[] } | null;
    /**
     * With an edit plan: the final editor with the truth's where gate and the truth's plan, its object judge minus the
     * oracle-where one (paired), per kind; and the plan head's error per kind (lib/eval/plan-probe.ts).
     */
    oraclePlan?: {
      scores: PointScores;
      gain: { diff: number; lo: number; hi: number };
      kinds: { kind: string; n: number; oracleWhere: number; oraclePlan: number; planOnly: number }[];
      probe: PlanProbeRow[];
      /** The truth's plan with the editor's own where gate, its object judge minus the editor's own (paired). */
      planOnly: { scores: PointScores; gain: { diff: number; lo: number; hi: number } };
      /** With `object` among the gate rules: the truth's plan with the editor's own where decoded by `object`, its object judge minus planOnly's (paired), per kind. */
      planObject?: { scores: PointScores; gain: { diff: number; lo: number; hi: number }; kinds: KindMeanRow<"planOnly" | "planObject">[] };
    } | null;
    /**
     * The bilinear head's gate decoded by other rules at editing time (lib/models/editor/gate-decode.ts): each rule's object
     * judge on the validation benchmark, the best one (sigmoid, the default, included) scored on SpatialEval-mini, and its
     * gain over the editor's own default (paired), per kind. Uses only the editor's own logits.
     */
    gateDecode?: { validation: { rule: GateDecode; planDecode?: PlanDecode; objectJudge: number }[]; chosen: GateDecode; chosenPlan?: PlanDecode; scores: PointScores; gain: { diff: number; lo: number; hi: number }; kinds: KindMeanRow<"own" | "decoded">[] };
    /**
     * With `object` among the rules: how often the where head, choosing among the objects the engine perceives in the
     * source (lib/eval/object-choice-probe.ts), takes the one the truth changes, against a uniform pick, per kind.
     */
    objectChoice?: { kinds: KindMeanRow<"correct" | "chance" | "objects">[]; missed: number };
    /** --only=guidance: guidance scales chosen on the validation benchmark, with the gate (and plan) decoding the run chose. */
    guidance?: GuidanceSweep & { gate: GateDecode; plan?: PlanDecode };
  }[] = [];
  /** `e` as an evaluation editor with its gate decoded by `rule` (and its plan by `planDecode`), with pipeline `extra` options. */
  const gateEditor = (e: ModelEditor, rule: GateDecode, planDecode?: PlanDecode, extra: Partial<EditPipelineOptions> = {}) => (needsObjects(rule) ? objectGateEditor : trainedEditor)(`gate ${rule}${planDecode ? `, plan ${planDecode}` : ""}`, e, { steps: c.ddimSteps, seed: c.seed, gate: rule, ...(planDecode ? { planDecode } : {}), ...extra });
  /** A finished curve's final editor, from its weights in `finalDir` (the caller disposes it). */
  const finalEditor = (finalDir: string): ModelEditor => {
    const weights = fromPretrained(finalDir).params;
    try {
      return editorFromWeights(editorNodeConfig({ editor: c.editor, recipe: c.recipe, phase: "stage2", mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 }), weights);
    } finally {
      disposeParams(weights);
    }
  };
  /**
   * The final editor `e` with its gate decoded by each rule of --gate-decode (and its plan by each of its decodings), scored on
   * the validation benchmark; the best on SpatialEval-mini, paired with `last`, the curve's last point; with `object` among
   * the rules also the object-choice probe.
   */
  const decodeOnValidation = async (e: ModelEditor, spec: string, last: CurvePoint) => {
    if (validationBench === null) throw new Error("stage2-from: gate decoding needs the bilinear where head and --gate-decode rules");
    let objectChoice: (typeof runs)[number]["objectChoice"];
    // a plan is also decoded two ways (as predicted, or naming one palette colour: a palette plan's most likely colour, a colour plan snapped), chosen with the gate rule
    const planDecodes: (PlanDecode | undefined)[] = e.config.alignedPlan === "palette" ? ["soft", "argmax"] : planOn(e.config) ? ["soft", "snap"] : [undefined];
    if (gateRules.some(needsObjects)) {
      const choice = probeObjectChoice(e, bench);
      objectChoice = { kinds: objectChoiceSummary(choice.items), missed: choice.missed };
      console.log(`${spec}: the where head choosing among the perceived objects, the changed one / chance / objects per item: ${objectChoice.kinds.map((k) => `${k.kind} (${k.n}) ${k.correct.toFixed(3)} / ${k.chance.toFixed(3)} / ${k.objects.toFixed(1)}`).join(", ")}; ${choice.missed} items left out (no perceived object on a changed patch)`);
    }
    const validation: { rule: GateDecode; planDecode?: PlanDecode; objectJudge: number }[] = [];
    for (const rule of ["sigmoid" as const, ...gateRules]) {
      for (const planDecode of planDecodes) {
        const v = await scoreEditorPoint(gateEditor(e, rule, planDecode), validationBench, c.seed);
        validation.push({ rule, ...(planDecode ? { planDecode } : {}), objectJudge: v.objectJudge });
      }
    }
    const best = validation.reduce((b, x) => (x.objectJudge > b.objectJudge ? x : b)); // the first of equals: sigmoid (and a soft plan) before the others
    const [chosen, chosenPlan] = [best.rule, best.planDecode];
    const decoded = await scoreEditorPoint(gateEditor(e, chosen, chosenPlan), bench, c.seed);
    const dci = bootstrapDiffCi([decoded.items], [last.items], new Rng(c.seed).fork("gate-decode"), 2000);
    const gateDecode: NonNullable<(typeof runs)[number]["gateDecode"]> = { validation, chosen, ...(chosenPlan ? { chosenPlan } : {}), scores: decoded, gain: { diff: decoded.objectJudge - last.objectJudge, lo: dci.lo, hi: dci.hi }, kinds: perKind(bench, { own: last.items, decoded: decoded.items }) };
    console.log(`${spec}: the gate decoded at editing time, object judge on the validation benchmark: ${validation.map((x) => `${x.rule}${x.planDecode ? ` (plan ${x.planDecode})` : ""} ${x.objectJudge.toFixed(3)}`).join(", ")}; chosen ${chosen}${chosenPlan ? ` (plan ${chosenPlan})` : ""}, on SpatialEval-mini ${pointText(decoded)}; minus the editor's own ${gateDecode.gain.diff.toFixed(3)} [95% CI ${dci.lo.toFixed(3)}, ${dci.hi.toFixed(3)}]`);
    console.log(`${spec}: per kind, own / with the gate decoded by ${chosen}: ${gateDecode.kinds.map((k) => `${k.kind} (${k.n}) ${k.own.toFixed(3)} / ${k.decoded.toFixed(3)}`).join(", ")}`);
    return { gateDecode, objectChoice };
  };
  // --only=plan-probe: per finished run, the plan probe on the benchmark and the training edits (lib/eval/plan-probe.ts)
  const planProbes: { parent: string; parentId: string; bench: PlanProbeRow[]; train: PlanProbeRow[] }[] = [];
  // written after every parent, so a run stopped early leaves the curves it finished
  const save = (difference: ReturnType<typeof finalDifference> | null = null) => writeResult(name, { config: { parents, curve: c, version: EDITOR_TRAIN_VERSION, benchmarkHash: bench.contentHash }, seed: c.seed, data: { backend, runs, finished: runs.length === parents.length, ...(difference ? { difference } : {}) } });
  for (const spec of parents) {
    const parent = loadParent(spec, profile, whereHead, referLayers);
    try {
      const key = hashJson({ parent: parent.id, curve: { ...c, recipe: keyedRecipe(c.recipe) }, bench: bench.contentHash, version: EDITOR_TRAIN_VERSION });
      const file = path.join(dir, `curve-${key}.json`);
      const finalDir = path.join(dir, `final-${key}`);
      let curve: Pick<Curve, "points" | "losses">;
      if (only !== "all") {
        if (only === "plan-probe" && !planOn(c.editor)) throw new Error("--only=plan-probe needs an editor with an edit plan: pass --plan");
        if (only === "decode" && validationBench === null) throw new Error("--only=decode needs the bilinear where head (--where-head=bilinear) and --gate-decode rules");
        if (!fs.existsSync(file)) throw new Error(`--only=${only} reads the final weights of a finished run; ${spec} has none for this command (${file}): run it without --only first`);
        const e = finalEditor(finalDir);
        try {
          if (only === "plan-probe") {
            const row = { parent: spec, parentId: parent.id, bench: planProbeSummary(probePlanHead(e, bench)), train: planProbeSummary(probePlanHead(e, trainingEdits())) };
            for (const [set, rows] of [["SpatialEval-mini", row.bench], ["its training edits", row.train]] as const) console.log(`${spec}: the edit plan on ${set}, skill / palette colour right: ${rows.map((r) => `${r.kind} (${r.n}) ${r.skill.toFixed(2)} / ${r.palette.toFixed(2)}`).join(", ")}`);
            planProbes.push(row);
          } else if (only === "guidance") {
            const cached = JSON.parse(fs.readFileSync(file, "utf8")) as Curve;
            const prior = priorRuns!.find((x) => x.parent === spec)?.gateDecode;
            const [rule, plan] = [prior?.chosen ?? "sigmoid", prior?.chosenPlan];
            const guidance = await guidanceSweep((g) => gateEditor(e, rule, plan, g), validationBench!, bench, guidancePairs, c.seed, (line) => console.log(`${spec}: gate ${rule}${plan ? `, plan ${plan}` : ""}, ${line}`));
            console.log(`${spec}: guidance ${guidance.chosen.textScale} x ${guidance.chosen.imageScale} chosen on the validation benchmark; on SpatialEval-mini ${pointText(guidance.scores)}; minus no guidance (${guidance.none.objectJudge.toFixed(3)}) ${guidance.gain.diff.toFixed(3)} [95% CI ${guidance.gain.lo.toFixed(3)}, ${guidance.gain.hi.toFixed(3)}]`);
            runs.push({ parent: spec, parentId: parent.id, curve: { row: `SpatialEdit from ${spec}`, points: cached.points, losses: cached.losses }, where: null, oracleWhere: null, guidance: { gate: rule, ...(plan ? { plan } : {}), ...guidance } });
          } else {
            const cached = JSON.parse(fs.readFileSync(file, "utf8")) as Curve;
            const { gateDecode, objectChoice } = await decodeOnValidation(e, spec, cached.points[cached.points.length - 1]);
            runs.push({ parent: spec, parentId: parent.id, curve: { row: `SpatialEdit from ${spec}`, points: cached.points, losses: cached.losses }, where: null, oracleWhere: null, gateDecode, ...(objectChoice !== undefined ? { objectChoice } : {}) });
          }
        } finally {
          disposeEditor(e);
        }
        continue;
      }
      if (fs.existsSync(file)) {
        curve = JSON.parse(fs.readFileSync(file, "utf8")) as Curve;
        console.log(`${spec}: from the cache`);
      } else {
        const runDir = path.join(dir, `run-${key}`); // checkpoints while it trains: a stopped run continues from the last
        curve = (await trainCurve(c, "spatialedit", parent.params, bench, { final: finalDir, run: runDir }, (line) => console.log(`${spec}: ${line}`)))!;
        keepCurve(file, curve, runDir);
      }
      let where: (typeof runs)[number]["where"] = null;
      let oracleWhere: (typeof runs)[number]["oracleWhere"] = null;
      let oraclePlan: (typeof runs)[number]["oraclePlan"] = null;
      let gateDecode: (typeof runs)[number]["gateDecode"];
      let objectChoice: (typeof runs)[number]["objectChoice"];
      if (aligned) {
        const e = finalEditor(finalDir);
        try {
          const own = probeWhereHead(e, bench);
          const other = probeWhereHead(e, bench, 32, true); // the same items (those whose truth changes a patch), in the same order
          const ci = bootstrapDiffCi([own.map((x) => x.mass)], [other.map((x) => x.mass)], new Rng(c.seed).fork("where-gap"), 2000);
          const ownRows = mapProbeSummary(own);
          const otherAll = mapProbeSummary(other)[0];
          where = { matched: ownRows[0], mismatched: otherAll, gap: { diff: ownRows[0].mass - otherAll.mass, lo: ci.lo, hi: ci.hi }, kinds: ownRows.slice(1), families: mapProbeSummary(own, "family").slice(1) };
          const train = trainingEdits();
          const trainOwn = probeWhereHead(e, train);
          where.train = { kinds: mapProbeSummary(trainOwn), families: mapProbeSummary(trainOwn, "family") };
          console.log(`${spec}: where head per template family, mass on the changed patches / uniform / top patch changed: ${where.families!.map(mapRowText).join(", ")}`);
          console.log(`${spec}: the same on ${train.items.length} of its Stage II training edits: ${mapRowText(where.train.kinds[0])}; per family ${where.train.families.slice(1).map(mapRowText).join(", ")}`);
          console.log(`${spec}: where head per kind, mass on the changed patches / uniform / top patch changed: ${ownRows.slice(1).map(mapRowText).join(", ")}`);
          console.log(`${spec}: where head on the changed patches ${where.matched.mass.toFixed(3)} (mismatched instructions ${where.mismatched.mass.toFixed(3)}, difference ${where.gap.diff.toFixed(3)} [95% CI ${where.gap.lo.toFixed(3)}, ${where.gap.hi.toFixed(3)}] paired over ${own.length} items; uniform ${where.matched.chance.toFixed(3)}); top patch changed ${where.matched.top.toFixed(3)} (${where.mismatched.top.toFixed(3)})`);
          if (whereHead === "bilinear") {
            where.gate = gateProbeSummary(probeWhereGate(e, bench));
            console.log(`${spec}: the where gate sigmoid(where) on the changed / unchanged patches, and its share outside: ${where.gate.map(gateRowText).join(", ")}`);
            where.train.gate = gateProbeSummary(probeWhereGate(e, train));
            console.log(`${spec}: the same gate on the training edits: ${where.train.gate.map(gateRowText).join(", ")}`);
            if (planOn(e.config)) {
              where.train.plan = planProbeSummary(probePlanHead(e, train));
              console.log(`${spec}: the edit plan's skill on the training edits: ${where.train.plan.map((r) => `${r.kind} (${r.n}) ${r.skill.toFixed(2)}`).join(", ")}; its palette colour right on ${where.train.plan.map((r) => `${r.kind} ${r.palette.toFixed(2)}`).join(", ")}`);
            }
            const scores = await scoreEditorPoint(whereOracleEditor("oracle where", e, { steps: c.ddimSteps, seed: c.seed }), bench, c.seed);
            const last = curve.points[curve.points.length - 1];
            const gci = bootstrapDiffCi([scores.items], [last.items], new Rng(c.seed).fork("oracle-where"), 2000);
            const kinds = perKind(bench, { own: last.items, oracle: scores.items });
            oracleWhere = { scores, gain: { diff: scores.objectJudge - last.objectJudge, lo: gci.lo, hi: gci.hi }, kinds };
            console.log(`${spec}: with the truth's where gate (oracle-where diagnostic): ${pointText(scores)}; minus the editor's own ${oracleWhere.gain.diff.toFixed(3)} [95% CI ${gci.lo.toFixed(3)}, ${gci.hi.toFixed(3)}] paired over ${scores.items.length} items`);
            console.log(`${spec}: per kind, own / with the truth's gate: ${kinds.map((k) => `${k.kind} (${k.n}) ${k.own.toFixed(3)} / ${k.oracle.toFixed(3)}`).join(", ")}`);
            if (validationBench !== null) {
              ({ gateDecode, objectChoice } = await decodeOnValidation(e, spec, last));
            }
            if (planOn(e.config)) {
              const probe = planProbeSummary(probePlanHead(e, bench));
              console.log(`${spec}: the edit plan's error (summed RGB squared error on the changed patches) / keeping the source's / skill / palette colour right: ${probe.map((r) => `${r.kind} (${r.n}) ${r.error.toFixed(3)} / ${r.unchanged.toFixed(3)} / ${r.skill.toFixed(2)} / ${r.palette.toFixed(2)}`).join(", ")}`);
              const both = await scoreEditorPoint(whereOracleEditor("oracle where and plan", e, { steps: c.ddimSteps, seed: c.seed }, { plan: true }), bench, c.seed);
              const pci = bootstrapDiffCi([both.items], [scores.items], new Rng(c.seed).fork("oracle-plan"), 2000);
              const only = await scoreEditorPoint(whereOracleEditor("oracle plan", e, { steps: c.ddimSteps, seed: c.seed }, { where: false, plan: true }), bench, c.seed);
              const oci = bootstrapDiffCi([only.items], [last.items], new Rng(c.seed).fork("oracle-plan-only"), 2000);
              const planKinds = perKind(bench, { oracleWhere: scores.items, oraclePlan: both.items, planOnly: only.items });
              oraclePlan = { scores: both, gain: { diff: both.objectJudge - scores.objectJudge, lo: pci.lo, hi: pci.hi }, kinds: planKinds, probe, planOnly: { scores: only, gain: { diff: only.objectJudge - last.objectJudge, lo: oci.lo, hi: oci.hi } } };
              if (gateRules.includes("object")) {
                const obj = await scoreEditorPoint(whereOracleEditor("oracle plan, object gate", e, { steps: c.ddimSteps, seed: c.seed, gate: "object" }, { where: false, plan: true }), bench, c.seed);
                const bci = bootstrapDiffCi([obj.items], [only.items], new Rng(c.seed).fork("oracle-plan-object"), 2000);
                oraclePlan.planObject = { scores: obj, gain: { diff: obj.objectJudge - only.objectJudge, lo: bci.lo, hi: bci.hi }, kinds: perKind(bench, { planOnly: only.items, planObject: obj.items }) };
                console.log(`${spec}: with the truth's plan and its own where decoded by object: ${pointText(obj)}; minus with its own sigmoid gate ${oraclePlan.planObject.gain.diff.toFixed(3)} [95% CI ${bci.lo.toFixed(3)}, ${bci.hi.toFixed(3)}]; per kind ${oraclePlan.planObject.kinds.map((k) => `${k.kind} (${k.n}) ${k.planOnly.toFixed(3)} / ${k.planObject.toFixed(3)}`).join(", ")}`);
              }
              console.log(`${spec}: with the truth's where gate and plan: ${pointText(both)}; minus with the truth's gate only ${oraclePlan.gain.diff.toFixed(3)} [95% CI ${pci.lo.toFixed(3)}, ${pci.hi.toFixed(3)}]`);
              console.log(`${spec}: with the truth's plan and its own where gate: ${pointText(only)}; minus the editor's own ${oraclePlan.planOnly.gain.diff.toFixed(3)} [95% CI ${oci.lo.toFixed(3)}, ${oci.hi.toFixed(3)}]`);
              console.log(`${spec}: per kind, the truth's gate / gate and plan / plan only: ${planKinds.map((k) => `${k.kind} (${k.n}) ${k.oracleWhere.toFixed(3)} / ${k.oraclePlan.toFixed(3)} / ${k.planOnly.toFixed(3)}`).join(", ")}`);
            }
          }
        } finally {
          disposeEditor(e);
        }
      }
      runs.push({ parent: spec, parentId: parent.id, curve: { row: `SpatialEdit from ${spec}`, ...curve }, where, oracleWhere, ...(oraclePlan !== null ? { oraclePlan } : {}), ...(gateDecode !== undefined ? { gateDecode } : {}), ...(objectChoice !== undefined ? { objectChoice } : {}) });
      save();
    } finally {
      disposeParams(parent.params);
    }
  }
  if (only === "guidance") {
    console.log(`wrote ${writeResult(`${name}-guidance`, { config: { parents, curve: c, version: EDITOR_TRAIN_VERSION, benchmarkHash: bench.contentHash, guidance: guidancePairs }, seed: c.seed, data: { backend, runs, finished: true } })}`);
    return;
  }
  if (only === "decode") {
    console.log(`wrote ${writeResult(`${name}-decode`, { config: { parents, curve: c, version: EDITOR_TRAIN_VERSION, benchmarkHash: bench.contentHash }, seed: c.seed, data: { backend, runs, finished: true } })}`);
    return;
  }
  if (only === "plan-probe") {
    console.log(`wrote ${writeResult(`${name}-plan-probe`, { config: { parents, curve: c, version: EDITOR_TRAIN_VERSION, benchmarkHash: bench.contentHash }, seed: c.seed, data: { backend, planProbes } })}`);
    return;
  }
  const difference = runs.length >= 2 ? finalDifference(runs[1].curve, runs[0].curve, new Rng(c.seed).fork("final-differences"), 2000) : null;
  if (difference) console.log(finalDifferenceText(difference));
  console.log(`wrote ${save(difference)}`);
}

runMain(main);
