/**
 * What a move's destination adds to a finished editor (the `object+offset` gate decoding, lib/models/editor/gate-decode.ts):
 * 1. the editor's `object` decoding (its plan decoding chosen on the validation benchmark) on SpatialEval-mini;
 * 2. the oracle-offset diagnostic: the same, with the chosen object also moved by the truth's offset of each item
 *    (lib/eval/trained-editor.ts offsetOracleEditor), paired with 1: what a perfect offset head would add; with an edit
 *    plan also the same with the truth's plan, paired with the truth's gate and plan (whereOracleEditor): what the decoded
 *    gate (the object's coverage and its moved copy, the editor's own object choice) costs against the truth's changed share;
 * 3. (--fit=on) the offset head trained alone on the editor (lib/models/editor/train/offset-head.ts; every other weight
 *    frozen), its error on held-out engine edits, and `object` vs `object+offset` (each with the plan decodings of its kind)
 *    chosen on the validation benchmark, the choice paired with 1 on SpatialEval-mini: the pair differs only in the
 *    destination `object+offset` opens (and colours).
 * (--oracle-rules=object+offset+ground,object+offset+blend,object+move: step 2 also with those decodings of the truth's moves: the vacated
 * patches planned as ground, and with object+move the moved coverage scaled by the truth's scale, truthMove; each paired
 * with 1 and with step 2's object+offset; with an edit plan also each with the truth's plan, paired with the truth's gate and plan)
 * (--oracle-choice=on: every oracle of step 2 also moves the object the truth changes, not the editor's choice: what the
 * decoded gate's shape alone costs against the truth's gate)
 *
 * Usage: npm run offset-head -- --from=<the final weights of a stage2-from run: data/generated/curve-cache/<profile>/from/final-<key>>
 *          [--fit=on|off] [--oracle-choice=on|off] [--scenes=4000] [--held-out=500] [--steps=1500] [--batch=64] [--lr=0.001] [--seed=2] [--ddim=10] [--oracle-rules=...] [--name=offset-head]
 * (the edits of --scenes + --held-out data engine scenes (the editor's recipe's data seed) split by source image: the last
 * --held-out images' edits measure the head's error, the others train it; all lie among the editor's Stage II scenes when
 * that run used more, so the error is the head's own generalisation, not the editor's)
 * (the profile is SPATIALEDIT_PROFILE; writes results/<profile>/<name>.json)
 */
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, onOffFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { progress } from "../lib/core/progress";
import { Rng } from "../lib/core/rng";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { benchmarkKindMeans, type KindMeanRow } from "../lib/eval/kind-means";
import { pointText, scoreEditorPoint, type PointScores } from "../lib/eval/learning-curve";
import { bootstrapDiffCi } from "../lib/eval/stats";
import { decodedEditor, planDecodings } from "../lib/eval/decode-choice";
import { offsetOracleEditor, whereOracleEditor, type OracleMoveRule } from "../lib/eval/trained-editor";
import { planOn } from "../lib/models/editor/config";
import { movesObject, MOVING_RULES_TEXT, parseGateDecode, type GateDecode } from "../lib/models/editor/gate-decode";
import { disposeEditor } from "../lib/models/editor/model";
import type { PlanDecode } from "../lib/models/editor/pipeline";
import { engineData, heldOutStart } from "../lib/models/editor/train/data";
import { finishedEditorWithHead, finishedFromFlag, headFitFlags } from "../lib/models/editor/train/finished";
import { isOffsetParam, offsetErrors, trainOffsetHead, type OffsetErrorRow, type OffsetHeadConfig } from "../lib/models/editor/train/offset-head";

const KNOWN = ["from", "fit", "oracle-choice", "scenes", "held-out", "steps", "batch", "lr", "seed", "ddim", "oracle-rules", "name"];

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const from = finishedFromFlag(a.from);
  const name = checkName(a.name ?? "offset-head", "--name");
  const head = headFitFlags(a);
  const scenes = intFlag(a, "scenes", 4000, 1);
  const heldOut = intFlag(a, "held-out", 500, 1);
  const ddim = intFlag(a, "ddim", 10, 1);
  const fit = onOffFlag(a, "fit", true);
  const oracleChoice = onOffFlag(a, "oracle-choice", false);
  const withChoice = oracleChoice ? ", the truth's object choice" : "";
  const oracleRules = (a["oracle-rules"] ?? "").split(",").filter((x) => x !== "").map((x) => {
    const rule = parseGateDecode(x);
    if (!movesObject(rule) || rule === "object+offset") throw new Error(`--oracle-rules takes the moving rules but object+offset (${MOVING_RULES_TEXT}; comma-separated), got '${x}'`);
    return rule as OracleMoveRule;
  });
  const backend = (await initBackend()).name;
  const { e, made, meta } = finishedEditorWithHead(from, { name: "offset-head", config: { alignedOffset: true }, isParam: isOffsetParam, seed: head.seed });
  const config = e.config;
  try {
    const bench = ensureBenchmark("spatialeval", profile);
    const validation = ensureValidationBenchmark(profile);
    console.log(`backend ${backend}; profile ${profile}; the editor in ${path.relative(projectPath("."), from)} (step ${meta.step}, commit ${meta.gitCommit}): object vs object+offset with the truth's offsets${fit ? `, and with its offset head fitted alone for ${head.steps} steps at batch ${head.batch} on the edits of ${scenes} engine scenes (its error measured on the edits of the last ${heldOut} source images)` : ""}; ${validation.items.length} validation and ${bench.items.length} SpatialEval-mini items`);
    const plans = planDecodings(e);
    const editorOf = (rule: GateDecode, plan?: PlanDecode) => decodedEditor(e, { rule, ...(plan ? { planDecode: plan } : {}) }, ddim, head.seed);
    type Row = { rule: GateDecode; planDecode?: PlanDecode; objectJudge: number };
    const rows: Row[] = [];
    const onValidation = async (rule: GateDecode) => {
      for (const plan of plans) {
        const v = await scoreEditorPoint(editorOf(rule, plan), validation, head.seed);
        rows.push({ rule, ...(plan ? { planDecode: plan } : {}), objectJudge: v.objectJudge });
        console.log(`validation: ${rule}${plan ? ` (plan ${plan})` : ""} ${v.objectJudge.toFixed(3)}`);
      }
    };
    const best = (xs: readonly Row[]) => xs.reduce((b, x) => (x.objectJudge > b.objectJudge ? x : b)); // the first of equals: object before object+offset
    const paired = (a: PointScores, b: PointScores, label: string) => {
      const ci = bootstrapDiffCi([a.items], [b.items], new Rng(head.seed).fork(label), 2000);
      return { diff: a.objectJudge - b.objectJudge, lo: ci.lo, hi: ci.hi };
    };
    // the editor's `object` decoding (its plan decoding chosen on the validation benchmark), the reference of both comparisons
    await onValidation("object");
    const objectBest = best(rows);
    const object = await scoreEditorPoint(editorOf(objectBest.rule, objectBest.planDecode), bench, head.seed);
    console.log(`object${objectBest.planDecode ? ` (plan ${objectBest.planDecode})` : ""} on SpatialEval-mini: ${pointText(object)}`);
    // the oracle offset: the same decoding, moved by the truth's offset (a diagnostic: no choice is made on it)
    const oracleScores = await scoreEditorPoint(offsetOracleEditor(`object+offset, the truth's offsets${withChoice}`, e, { steps: ddim, seed: head.seed, ...(objectBest.planDecode ? { planDecode: objectBest.planDecode } : {}) }, { choice: oracleChoice }), bench, head.seed);
    const oracle = { scores: oracleScores, gain: paired(oracleScores, object, "oracle"), kinds: benchmarkKindMeans(bench.items, { object: object.items, oracle: oracleScores.items }, "offset-head") };
    console.log(`with the truth's offsets (object+offset): ${pointText(oracleScores)}; minus object ${oracle.gain.diff.toFixed(3)} [95% CI ${oracle.gain.lo.toFixed(3)}, ${oracle.gain.hi.toFixed(3)}, paired over items]; per kind ${oracle.kinds.map((k) => `${k.kind} (${k.n}) ${k.object.toFixed(3)} / ${k.oracle.toFixed(3)}`).join(", ")}`);
    // --oracle-rules: the same truth's moves decoded by the rules that also plan the vacated ground (and scale by the truth's scale)
    const oracleMoves: { rule: GateDecode; scores: PointScores; gain: { diff: number; lo: number; hi: number }; overOffset: { diff: number; lo: number; hi: number }; kinds: KindMeanRow<"object" | "oracle">[] }[] = [];
    for (const rule of oracleRules) {
      const scores = await scoreEditorPoint(offsetOracleEditor(`${rule}, the truth's moves${withChoice}`, e, { steps: ddim, seed: head.seed, ...(objectBest.planDecode ? { planDecode: objectBest.planDecode } : {}) }, { rule, choice: oracleChoice }), bench, head.seed);
      const row = { rule, scores, gain: paired(scores, object, `oracle-${rule}`), overOffset: paired(scores, oracleScores, `oracle-${rule}-offset`), kinds: benchmarkKindMeans(bench.items, { object: object.items, oracle: scores.items }, "offset-head") };
      oracleMoves.push(row);
      console.log(`with the truth's moves (${rule}): ${pointText(scores)}; minus object ${row.gain.diff.toFixed(3)} [95% CI ${row.gain.lo.toFixed(3)}, ${row.gain.hi.toFixed(3)}]; minus object+offset with the truth's offsets ${row.overOffset.diff.toFixed(3)} [95% CI ${row.overOffset.lo.toFixed(3)}, ${row.overOffset.hi.toFixed(3)}]; per kind ${row.kinds.map((k) => `${k.kind} (${k.n}) ${k.object.toFixed(3)} / ${k.oracle.toFixed(3)}`).join(", ")}`);
    }
    // with an edit plan: the same with the truth's plan too, against the truth's gate and plan: what the decoded gate's shape and object choice cost
    let oraclePlan: { scores: PointScores; truthBoth: PointScores; gain: { diff: number; lo: number; hi: number }; kinds: KindMeanRow<"truthBoth" | "offsetPlan">[] } | null = null;
    const oraclePlanRules: { rule: GateDecode; scores: PointScores; gain: { diff: number; lo: number; hi: number }; kinds: KindMeanRow<"truthBoth" | "offsetPlan">[] }[] = [];
    if (planOn(config)) {
      const offsetPlan = await scoreEditorPoint(offsetOracleEditor(`object+offset, the truth's offsets and plan${withChoice}`, e, { steps: ddim, seed: head.seed }, { plan: true, choice: oracleChoice }), bench, head.seed);
      const truthBoth = await scoreEditorPoint(whereOracleEditor("the truth's gate and plan", e, { steps: ddim, seed: head.seed }, { plan: true }), bench, head.seed);
      oraclePlan = { scores: offsetPlan, truthBoth, gain: paired(offsetPlan, truthBoth, "oracle-plan"), kinds: benchmarkKindMeans(bench.items, { truthBoth: truthBoth.items, offsetPlan: offsetPlan.items }, "offset-head") };
      // and the oracle rules' gates with the truth's moves and plan
      for (const rule of oracleRules) {
        const scores = await scoreEditorPoint(offsetOracleEditor(`${rule}, the truth's moves and plan${withChoice}`, e, { steps: ddim, seed: head.seed }, { rule, plan: true, choice: oracleChoice }), bench, head.seed);
        const row = { rule, scores, gain: paired(scores, truthBoth, `oracle-plan-${rule}`), kinds: benchmarkKindMeans(bench.items, { truthBoth: truthBoth.items, offsetPlan: scores.items }, "offset-head") };
        oraclePlanRules.push(row);
        console.log(`with the truth's moves and plan (${rule}): ${pointText(scores)}; minus the truth's gate and plan ${row.gain.diff.toFixed(3)} [95% CI ${row.gain.lo.toFixed(3)}, ${row.gain.hi.toFixed(3)}]; per kind ${row.kinds.map((k) => `${k.kind} (${k.n}) ${k.truthBoth.toFixed(3)} / ${k.offsetPlan.toFixed(3)}`).join(", ")}`);
      }
      console.log(`with the truth's offsets and plan (object+offset): ${pointText(offsetPlan)}; with the truth's gate and plan ${truthBoth.objectJudge.toFixed(3)}; difference ${oraclePlan.gain.diff.toFixed(3)} [95% CI ${oraclePlan.gain.lo.toFixed(3)}, ${oraclePlan.gain.hi.toFixed(3)}]; per kind, truth's gate / object+offset, both with the truth's plan: ${oraclePlan.kinds.map((k) => `${k.kind} (${k.n}) ${k.truthBoth.toFixed(3)} / ${k.offsetPlan.toFixed(3)}`).join(", ")}`);
    }
    let fitted: { losses: number[]; errors: { train: OffsetErrorRow[]; heldOut: OffsetErrorRow[] }; chosen: Row; scores: PointScores; gain: { diff: number; lo: number; hi: number }; kinds: KindMeanRow<"object" | "chosen">[] } | null = null;
    if (fit) {
      const all = engineData(made.recipe.dataSeed, scenes + heldOut, config.image).edits;
      const cut = heldOutStart(all, heldOut);
      const [train, test] = [all.slice(0, cut), all.slice(cut)];
      const bar = progress({ total: head.steps, label: "offset head" });
      const losses = trainOffsetHead(e, train, head, (_, loss) => bar.tick(1, { loss }));
      bar.done();
      const errors = { train: offsetErrors(e, train), heldOut: offsetErrors(e, test) };
      console.log(`the head's squared error / predicting no move's (patches^2) / the true shift's mean length (patches) on the held-out edits: ${errors.heldOut.map((r) => `${r.kind} (${r.n}) ${r.error.toFixed(3)} / ${r.zero.toFixed(3)} / ${r.shift.toFixed(2)}`).join(", ")}`);
      await onValidation("object+offset");
      const chosen = best(rows);
      const scores = chosen === objectBest ? object : await scoreEditorPoint(editorOf(chosen.rule, chosen.planDecode), bench, head.seed);
      const gain = paired(scores, object, "offset-head");
      const kinds = benchmarkKindMeans(bench.items, { object: object.items, chosen: scores.items }, "offset-head");
      console.log(`chosen on validation: ${chosen.rule}${chosen.planDecode ? ` (plan ${chosen.planDecode})` : ""}; on SpatialEval-mini ${pointText(scores)}; minus object ${gain.diff.toFixed(3)} [95% CI ${gain.lo.toFixed(3)}, ${gain.hi.toFixed(3)}, paired over items]; per kind ${kinds.map((k) => `${k.kind} (${k.n}) ${k.object.toFixed(3)} / ${k.chosen.toFixed(3)}`).join(", ")}`);
      fitted = { losses: losses.filter((_, i) => i % 10 === 9 || i === losses.length - 1), errors, chosen, scores, gain, kinds };
    }
    const file = writeResult(name, {
      config: { from: path.relative(projectPath("."), from), fromCheckpoint: { step: meta.step, gitCommit: meta.gitCommit, config: meta.config }, fit, oracleChoice, oracleRules, head, scenes, heldOut, ddim, benchmarkHash: bench.contentHash, validationHash: validation.contentHash },
      seed: head.seed,
      data: { backend, validation: rows, objectBest, object, oracle, oracleMoves, oraclePlan, oraclePlanRules, fitted },
    });
    console.log(`wrote ${file}`);
  } finally {
    disposeEditor(e);
  }
}

runMain(main);
