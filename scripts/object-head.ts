/**
 * What a choice among whole objects adds to a finished editor (the object head, lib/models/editor/object-head.ts):
 * 1. the editor as it is: its where head's object choice (on held-out engine edits, on the validation benchmark and on
 *    SpatialEval-mini, per template family), and its object-choosing decodings (--rules, each with the plan decodings of
 *    its kind) on the validation benchmark; the best one scored on SpatialEval-mini, the reference; and the same decoding
 *    with the object the truth changes (the oracle-choice diagnostic, choiceOracleEditor): the most a better choice adds;
 * 2. (--fit=on, the default) the object head (--layers) fitted alone on the editor (lib/models/editor/train/object-head.ts fitObjectHead; every
 *    other weight frozen, the head starting at the where head's choice), on the edits of --scenes engine scenes, keeping
 *    the weights of the step (checked every --check-every) whose choice is best on the edits of half the last --held-out
 *    source images; its choice measured on the other half's edits, on the validation benchmark and on SpatialEval-mini;
 * 3. the same decodings with the head's choice, the best on validation scored on SpatialEval-mini and paired with 1's;
 *    the fitted editor is saved in data/generated/curve-cache/<profile>/from/<name> (a --from for the other finished-editor scripts);
 * 2'. (--head-from=<dir>, instead of the fit) the object head of the finished editor in <dir>, fitted on the same editor as
 *    --from (every weight but the object and move heads' equal, finished.ts headFromEditor): a head fitted alone reads
 *    only the frozen editor, so this is the head the same fit would make, joined to --from's move head without a refit.
 * The two editors differ only in which object the gate decodings take.
 *
 * Usage: npm run object-head -- --from=<the final weights of a stage2-from run: data/generated/curve-cache/<profile>/from/final-<key>>
 *          [--fit=on|off] [--rules=object+offset+ground] [--layers=2] [--scenes=4000] [--held-out=500] [--steps=1500] [--batch=64] [--lr=0.001]
 *          [--seed=2] [--ddim=10] [--check-every=250] [--fresh=off|on] [--cache=on|off] [--chunk=0]
 *          [--head-from=<dir>] [--drawer=<dir>] [--keep-closed=off|on|both] [--ground-moves=off|on|both]
 *          [--retexturer=<dir>] [--shape-reader=<dir>] [--shape-check=off|on|both] [--ranks=off|on]
 *          [--paste-behind=off|on|both] [--target-reader=<dir>] [--read-targets=off|on|both] [--said-extremes=off|on|both]
 *          [--name=object-head]
 * (--drawer=<dir>: the drawer npm run redraw-fit wrote, attached to the editor for the object+move+redraw rule, which
 * may redraw a still chosen object as another shape and colour; --rules must name that rule for it to be used; --retexturer=<dir>: a
 * second drawer, one that retextures, for the said retextures only; --keep-closed:
 * each decoding scored as it is, with the source kept in the patches its gate leaves closed (pipeline option keepClosed), or
 * both ways, validation choosing; --ground-moves likewise for a said move done on the ground plane, pipeline option
 * groundMoves; --shape-check likewise for the object choice weighed by the shape the condition says, pipeline option
 * shapeCheck, with the reader npm run shape-fit wrote (--shape-reader; with it the object choice is also measured so);
 * --paste-behind likewise for a pasted move kept behind the objects nearer on the ground, pipeline option pasteBehind;
 * --read-targets likewise for a said new shape or material as the target reader npm run target-fit wrote reads it
 * (--target-reader), pipeline option readTargets; --said-extremes likewise for a plain extreme the condition says chosen on
 * the objects' pixels (with --shape-reader), pipeline option saidExtremes;
 * the flags' cross product; --ranks=on: the fitted head also reads each object's places among the item's objects, editor
 * config alignedObjectRanks)
 * (--cache=on, the default: the editor's reads of each training and checking edit are computed once and kept in memory,
 * cacheObjectReads, and the head trains on them, several times faster than --cache=off, which runs the frozen editor at
 * every step; the same fit up to float rounding)
 * (--chunk=N, N > 0, with --cache=on: the training scenes are generated and read N scenes at a time, so that only their
 * reads are held, not their images; the held-out edits are then those of the last --held-out scenes, headFitHeldOut)
 * (--fresh=on: the head's scenes are numbered after the editor's own Stage II scenes, so that the editor's heads meet them
 * as unseen scenes; off, the default: from scene 0, the editor's own scenes first)
 * (the edits come from the editor's recipe's data seed, as in Stage II; the profile is SPATIALEDIT_PROFILE; writes
 * results/<profile>/<name>.json)
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, onOffFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { Rng } from "../lib/core/rng";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { benchmarkKindMeans, meansByKind } from "../lib/eval/kind-means";
import { chooseDecoding, decodeVariantsFlag, decodingOptions, objectRulesFlag } from "../lib/eval/decode-choice";
import { pointText, scoreEditorPoint } from "../lib/eval/learning-curve";
import { objectChoiceSummary, probeObjectChoice, type ObjectChoiceItem, type ObjectChoiceProbe } from "../lib/eval/object-choice-probe";
import { bootstrapDiffCi } from "../lib/eval/stats";
import { choiceOracleEditor } from "../lib/eval/trained-editor";
import { disposeEditor } from "../lib/models/editor/model";
import { isMoveHeadParam } from "../lib/models/editor/move-head";
import { isObjectHeadParam } from "../lib/models/editor/object-head";
import { heldOutSplit, type EditExample } from "../lib/models/editor/train/data";
import { checkedFitFlags, finishedEditorWithHead, headFromEditor, headFitEdits, headFitHeldOut, headFitTrainChunks, finishedFromFlag, headFitFlags, saveFittedEditor } from "../lib/models/editor/train/finished";
import { fitObjectHead, fitObjectHeadCached, objectHeadAccuracy, withChangedObject } from "../lib/models/editor/train/object-head";
import { loadDrawer } from "../lib/models/editor/train/redraw";
import { loadShapeReader } from "../lib/models/editor/train/shape-reader";
import { loadTargetReader } from "../lib/models/editor/train/target-reader";
import { redrawsObject } from "../lib/models/editor/redraw-decode";
import { pastesObject } from "../lib/models/editor/gate-decode";
import { readChunks, readEdits, withStepBar } from "../lib/models/editor/train/read-progress";

const KNOWN = ["from", "fit", "rules", "layers", "scenes", "held-out", "steps", "batch", "lr", "seed", "ddim", "check-every", "fresh", "cache", "chunk", "head-from", "drawer", "keep-closed", "ground-moves", "shape-check", "shape-reader", "retexturer", "ranks", "paste-behind", "target-reader", "read-targets", "said-extremes", "name"];

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const from = finishedFromFlag(a.from);
  const name = checkName(a.name ?? "object-head", "--name");
  const head = headFitFlags(a);
  const fitData = checkedFitFlags(a);
  const { scenes, heldOut, checkEvery, ddim } = fitData;
  const layers = intFlag(a, "layers", 2, 1);
  const ranks = onOffFlag(a, "ranks", false); // the objects' places among the item's objects as the head's input too (config alignedObjectRanks)
  const fitOn = onOffFlag(a, "fit", true);
  const cacheOn = onOffFlag(a, "cache", true);
  const chunk = intFlag(a, "chunk", 0, 0);
  if (chunk > 0 && !cacheOn) throw new Error("--chunk reads the training scenes piece by piece into the cache; it needs --cache=on");
  const rules = objectRulesFlag(a.rules, "object+offset+ground");
  const variants = decodeVariantsFlag(a["keep-closed"], a["ground-moves"], a["shape-check"], a["paste-behind"], a["read-targets"], a["said-extremes"]);
  const headFrom = a["head-from"] === undefined ? null : path.resolve(a["head-from"]);
  const headFromShown = headFrom === null ? null : path.relative(projectPath("."), headFrom);
  if (headFrom !== null && !fitOn) throw new Error("--head-from takes the object head instead of fitting it; it needs --fit=on");
  const backend = (await initBackend()).name;
  const { e, made, meta } = finishedEditorWithHead(from, { name: "object-head", config: { alignedObjects: layers, ...(ranks ? { alignedObjectRanks: true } : {}) }, isParam: isObjectHeadParam, seed: head.seed });
  const config = e.config;
  // --drawer: the drawer (npm run redraw-fit) the object+move+redraw rule redraws a still object with
  const drawerPath = a.drawer === undefined ? null : weightsFile(a.drawer, "redraw.safetensors");
  const drawer = drawerPath === null ? null : path.relative(projectPath("."), drawerPath);
  if (drawerPath !== null) e.drawer = loadDrawer(drawerPath);
  if (rules.some(redrawsObject) && drawer === null) throw new Error("--rules: object+move+redraw needs a drawer (--drawer=<the folder npm run redraw-fit wrote>)");
  // --retexturer: a drawer that retextures (npm run redraw-fit -- --retextures=...), for the said retextures only
  const retexturerPath = a.retexturer === undefined ? null : weightsFile(a.retexturer, "redraw.safetensors");
  const retexturer = retexturerPath === null ? null : path.relative(projectPath("."), retexturerPath);
  if (retexturerPath !== null) {
    if (drawer === null) throw new Error("--retexturer redraws the said retextures beside the drawer; give --drawer too");
    e.retexturer = loadDrawer(retexturerPath);
    if (e.retexturer.config.retexture !== true) throw new Error(`--retexturer: ${retexturer} is a drawer that does not retexture (npm run redraw-fit -- --retextures=<share> makes one)`);
  }
  // --shape-reader: the reader (npm run shape-fit) the shapeCheck option weighs the object choice with
  const shapeReaderPath = a["shape-reader"] === undefined ? null : weightsFile(a["shape-reader"], "shape.safetensors");
  const shapeReader = shapeReaderPath === null ? null : path.relative(projectPath("."), shapeReaderPath);
  if (shapeReaderPath !== null) e.shapeReader = loadShapeReader(shapeReaderPath);
  if (variants.some((v) => v.pasteBehind) && rules.some((r) => !pastesObject(r))) throw new Error(`--paste-behind needs rules that paste the object's own pixels (object+offset+paste, object+offset+shade, object+move+paste or a redrawing rule); --rules has ${rules.filter((r) => !pastesObject(r)).join(", ")}`);
  // --target-reader: the reader (npm run target-fit) the readTargets option reads a said new shape or material with
  const targetReaderPath = a["target-reader"] === undefined ? null : weightsFile(a["target-reader"], "target.safetensors");
  const targetReader = targetReaderPath === null ? null : path.relative(projectPath("."), targetReaderPath);
  if (targetReaderPath !== null) e.targetReader = loadTargetReader(targetReaderPath);
  if (variants.some((v) => v.readTargets) && (targetReader === null || rules.some((r) => !redrawsObject(r)))) throw new Error(`--read-targets needs a target reader (--target-reader=<the folder npm run target-fit wrote>) and redrawing rules (object+move+redraw, said, draw or pixels)${targetReader === null ? "" : `; --rules has ${rules.filter((r) => !redrawsObject(r)).join(", ")}`}`);
  if (variants.some((v) => v.saidExtremes) && shapeReader === null) throw new Error("--said-extremes needs a shape reader (--shape-reader=<the folder npm run shape-fit wrote>)");
  if (variants.some((v) => v.shapeCheck) && shapeReader === null) throw new Error("--shape-check needs a shape reader (--shape-reader=<the folder npm run shape-fit wrote>)");
  try {
    const bench = ensureBenchmark("spatialeval", profile);
    const validation = ensureValidationBenchmark(profile);
    // the held-out images' edits: the first half choose the step the head keeps (early stopping), the second half score it;
    // with --chunk the training scenes are read piece by piece when the head is fitted (train stays empty here)
    const { train, check, test } = chunk > 0 ? { train: [] as EditExample[], ...headFitHeldOut(made.recipe, fitData, config.image) } : heldOutSplit(headFitEdits(made.recipe, fitData, config.image), heldOut);
    console.log(`backend ${backend}; profile ${profile}; the editor in ${path.relative(projectPath("."), from)} (step ${meta.step}, commit ${meta.gitCommit}): its object choice and ${rules.join(", ")} before and after ${headFromShown !== null ? `the object head of ${layers} layers of ${headFromShown} (taken, not fitted; ${check.length} held-out edits unused)` : `an object head of ${layers} layers${ranks ? " reading the objects' places" : ""} fitted alone for up to ${head.steps} steps at batch ${head.batch} on ${chunk > 0 ? "the" : train.length} edits of ${scenes} engine scenes${chunk > 0 ? ` (read ${chunk} scenes at a time)` : ""}, keeping the step whose choice is best (checked every ${checkEvery} steps) on ${check.length} held-out edits`}; scored on ${test.length} other held-out edits (the last ${heldOut} ${chunk > 0 ? "scenes" : "source images"} hold both); ${validation.items.length} validation and ${bench.items.length} SpatialEval-mini items`);
    // the best decoding on the validation benchmark, scored on SpatialEval-mini (the first of equals wins)
    const decodeBest = (label: string) => chooseDecoding(e, rules, validation, bench, ddim, head.seed, (line) => console.log(`${label}: ${line}`), variants);
    const choices = (label: string) => {
      const engine = objectHeadAccuracy(e, test);
      const onValidation = probeObjectChoice(e, validation);
      const onBench = probeObjectChoice(e, bench);
      console.log(`${label}: object choice on held-out engine edits ${engine.map((r) => `${r.kind} (${r.n}) ${r.head.toFixed(3)}`).join(", ")}; on validation ${mean(onValidation.items).toFixed(3)}; on SpatialEval-mini ${mean(onBench.items).toFixed(3)} (per family ${families(onBench.items).map((f) => `${f.kind} ${f.correct.toFixed(2)}`).join(", ")})`);
      // with a shape reader and the object head: the choice weighed by the said shape (the shapeCheck option's)
      const checked = shapeReader === null || e.config.alignedObjects === undefined ? null : (() => {
        const [v, b] = [probeObjectChoice(e, validation, 32, true), probeObjectChoice(e, bench, 32, true)];
        console.log(`${label}: with the shape check, object choice on validation ${mean(v.items).toFixed(3)}; on SpatialEval-mini ${mean(b.items).toFixed(3)} (per family ${families(b.items).map((f) => `${f.kind} ${f.correct.toFixed(2)}`).join(", ")})`);
        return { validation: summarised(v), bench: summarised(b, true) };
      })();
      return { engine, validation: summarised(onValidation), bench: summarised(onBench, true), shapeChecked: checked };
    };
    // 1. the editor as it is: the head starts at the where head's choice (its score layer at zero)
    const before = { choice: choices("before"), decoded: await decodeBest("before") };
    // the oracle choice: the same decoding with the object the truth changes (a diagnostic: the most a better choice can add)
    const oracleScores = await scoreEditorPoint(choiceOracleEditor("the truth's object choice", e, decodingOptions(before.decoded.chosen, ddim, head.seed)), bench, head.seed);
    const oracleCi = bootstrapDiffCi([oracleScores.items], [before.decoded.scores.items], new Rng(head.seed).fork("oracle-choice"), 2000);
    const oracle = { scores: oracleScores, gain: { diff: oracleScores.objectJudge - before.decoded.scores.objectJudge, lo: oracleCi.lo, hi: oracleCi.hi }, kinds: benchmarkKindMeans(bench.items, { before: before.decoded.scores.items, oracle: oracleScores.items }, "object-head") };
    console.log(`with the truth's object choice: ${pointText(oracleScores)}; minus the editor's own ${oracle.gain.diff.toFixed(3)} [95% CI ${oracle.gain.lo.toFixed(3)}, ${oracle.gain.hi.toFixed(3)}]; per kind ${oracle.kinds.map((k) => `${k.kind} (${k.n}) ${k.before.toFixed(3)} / ${k.oracle.toFixed(3)}`).join(", ")}`);
    // 2. and 3. (--fit=on): the head fitted alone, and the pair: the same editor, the same decodings, the head's choice of the object
    let trainCount = withChangedObject(train).length; // the edits the head trains on: those that change a visible object (with --chunk: counted as they are read)
    const fitted = fitOn ? await (async () => {
      const taken = headFrom === null ? null : headFromEditor(e, headFrom, { name: "object-head", isParam: isObjectHeadParam }, isMoveHeadParam);
      const headFromInfo = taken === null ? null : { dir: headFromShown!, gitCommit: taken.gitCommit, what: (taken.config as { what?: string }).what ?? null };
      const fit = taken !== null ? { losses: [] as number[], checks: [] as { step: number; accuracy: number }[], kept: null as number | null } : cacheOn ? (() => {
        // the editor's reads once per edit (its forward pass is nearly all of a step), then the head alone on them
        const trainReads = chunk > 0 ? readChunks(e, (each) => headFitTrainChunks(made.recipe, fitData, config.image, chunk, each), scenes) : readEdits(e, train, "editor reads (training edits)");
        trainCount = trainReads.length;
        const checkReads = readEdits(e, check, "editor reads (checking edits)");
        return withStepBar(head.steps, "object head", (tick) => fitObjectHeadCached(e, trainReads, head, { every: checkEvery, reads: checkReads }, (_, loss) => tick(loss)));
      })() : withStepBar(head.steps, "object head", (tick) => fitObjectHead(e, train, head, { every: checkEvery, edits: check }, (_, loss) => tick(loss)));
      if (headFromInfo !== null) console.log(`the object head taken from ${headFromInfo.dir} (${headFromInfo.what ?? "no description"})`);
      else console.log(`the head's choice on the checking edits: ${fit.checks.map((x) => `step ${x.step} ${x.accuracy.toFixed(3)}`).join(", ")}; kept step ${fit.kept}`);
      const after = { choice: choices("after"), decoded: await decodeBest("after") };
      const ci = bootstrapDiffCi([after.decoded.scores.items], [before.decoded.scores.items], new Rng(head.seed).fork("object-head"), 2000);
      const gain = { diff: after.decoded.scores.objectJudge - before.decoded.scores.objectJudge, lo: ci.lo, hi: ci.hi };
      const kinds = benchmarkKindMeans(bench.items, { before: before.decoded.scores.items, after: after.decoded.scores.items }, "object-head");
      console.log(`the head's choice minus the where head's on SpatialEval-mini: ${gain.diff.toFixed(3)} [95% CI ${gain.lo.toFixed(3)}, ${gain.hi.toFixed(3)}, paired over items]; per kind ${kinds.map((k) => `${k.kind} (${k.n}) ${k.before.toFixed(3)} / ${k.after.toFixed(3)}`).join(", ")}`);
      return { losses: fit.losses.filter((_, i) => i % 10 === 9 || i === fit.losses.length - 1), checks: fit.checks, kept: fit.kept, headFrom: headFromInfo, after, gain, kinds };
    })() : null;
    const file = writeResult(name, {
      config: { from: path.relative(projectPath("."), from), drawer, retexturer, shapeReader, ...(targetReader !== null ? { targetReader } : {}), fromCheckpoint: { step: meta.step, gitCommit: meta.gitCommit, config: meta.config }, fit: fitOn, cache: cacheOn, layers, ranks, head, checkEvery, rules, variants, scenes, heldOut, fresh: fitData.fresh, chunk, trainEdits: train.length, trainedOn: trainCount, checkEdits: check.length, heldOutEdits: test.length, ddim, benchmarkHash: bench.contentHash, validationHash: validation.contentHash },
      seed: head.seed,
      data: { backend, before, oracle, fitted },
    });
    console.log(`wrote ${file}`);
    if (fitted !== null) {
      // the fitted editor, so that other scripts read its object head without a refit (--from=<this folder>)
      const what = fitted.headFrom === null ? `its object head (${layers} layers) fitted alone (npm run object-head, kept step ${fitted.kept})` : `the object head (${layers} layers) of ${fitted.headFrom.dir} (npm run object-head --head-from; ${fitted.headFrom.what ?? ""})`;
      const saved = saveFittedEditor(e, from, name, meta, what, head.seed);
      console.log(`saved the editor with its fitted object head in ${path.relative(projectPath("."), saved)}`);
    }
  } finally {
    disposeEditor(e);
  }
}

/** A weights file: `spec` itself, or `file` in the folder `spec` (where npm run redraw-fit and shape-fit write theirs). */
function weightsFile(spec: string, file: string): string {
  const p = path.resolve(spec);
  return fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, file) : p;
}

function mean(items: readonly ObjectChoiceItem[]): number {
  return items.reduce((s, x) => s + x.correct, 0) / Math.max(1, items.length);
}

/** A choice probe as a results file keeps it: means per kind and per family, the items it missed, and (`withItems`) its items. */
function summarised(p: ObjectChoiceProbe, withItems = false) {
  return { summary: objectChoiceSummary(p.items), families: families(p.items), missed: p.missed, ...(withItems ? { items: p.items } : {}) };
}

/** The object choice's means per template family. */
function families(items: readonly ObjectChoiceItem[]) {
  return meansByKind(items, (x) => x.family, { correct: (x) => x.correct, chance: (x) => x.chance });
}

runMain(main);
