/**
 * Stage II learning curves (issue 9: "how many Stage II steps Stage I saves to reach the same
 * score", and the goal "one SpatialEdit variant >= 0.85 on the object judge and >= 1.55x the
 * MGIE-like variant within 30 minutes on one core"; paper §5.2, Table 1).
 *
 * One base pre-training and one Stage I (attention tuning on spatial VQA) are trained, then each
 * Stage II variant from its parent with the same steps, batch, data and seed:
 * - `spatialedit`: base -> Stage I -> Stage II (attention tuning on the engine's spatial edits);
 * - `wo-s1`: base -> Stage II (no Stage I);
 * - `mgie`: base -> MGIE-like (embedding tuning on generic edits, L_condition + 0.5 L_edit).
 * At each step of `evalAt` the editor in training is scored on SpatialEval-mini (held-out scenes,
 * lib/eval/benchmark-generate.ts) with the object judge; scoring does not touch the weights or
 * the optimizer, so the curve's last point is the uninterrupted run's final model.
 *
 * Resumable: the base and Stage I weights and each finished variant's curve are kept in
 * `cacheDir` (keyed by the whole config and the training code's version), so a run that stops starts again after its last
 * finished variant; a variant in training checkpoints its Stage II every `CURVE_CHECKPOINT_EVERY` steps in a run folder,
 * with the points scored so far beside the checkpoint, and continues from there (`trainCurve`).
 * The pure readers (`stepsToReach`, `stepsSaved`, `curveVerdict`) are tested.
 */
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../core/paths";
import { cloneParams, disposeParams, type Params } from "../nn/layers";
import type { TuningMode } from "../nn/tuning";
import { keyedEditorConfig, type EditorConfig } from "../models/editor/config";
import { disposeEditor, editorParams, type Editor } from "../models/editor/model";
import { EDITOR_TRAIN_VERSION, editorNodeConfig, editorPhaseTask, type EditorNodeConfig, type EditorPhaseTask, type RecipeName } from "../models/editor/train/node";
import { keyedRecipe, splitEditPhaseFields, trainPhaseSteps, type RecipeConfig } from "../models/editor/train/recipes";
import type { Rng } from "../core/rng";
import { hashJson } from "../train/checkpoint-config";
import { verdictFromCi, type Verdict } from "./orderings";
import { bootstrapDiffCi, type Interval } from "./stats";
import { fromPretrained, saveCheckpoint } from "../train/checkpoint";
import { latestStep, trainResumable } from "../train/checkpoint-resume";
import type { Benchmark } from "./benchmark-io";
import { evaluate } from "./evaluate";
import type { Editor as EvalEditor } from "./editor";
import { trainedEditor } from "./trained-editor";

/** The Stage II variants a curve run can train: phase, parent and tuning mode. */
export const CURVE_VARIANTS = {
  spatialedit: { row: "SpatialEdit", phase: "stage2", parent: "stage1", mode: "attention" },
  "wo-s1": { row: "SpatialEdit w/o S1", phase: "stage2", parent: "base", mode: "attention" },
  mgie: { row: "MGIE", phase: "mgie", parent: "base", mode: "embedding" },
} as const satisfies Record<string, { row: string; phase: RecipeName; parent: "base" | "stage1"; mode: TuningMode }>;
export type CurveVariant = keyof typeof CURVE_VARIANTS;

export interface CurveConfig {
  editor: EditorConfig;
  /** Steps of base and Stage I from `baseSteps` / `stage1Steps`; `stage2Steps` is the last evaluated step. */
  recipe: RecipeConfig;
  seed: number;
  variants: CurveVariant[];
  /** Stage II steps after which the editor is scored (sorted, each in 1..stage2Steps; the last must be stage2Steps). */
  evalAt: number[];
  /** DDIM steps of the edit pipeline when scoring. */
  ddimSteps: number;
}

export interface CurvePoint {
  step: number;
  /** Seconds of Stage II training up to this step (scoring excluded). */
  trainSeconds: number;
  /** Mean object judge over the applicable items, and how many there were. */
  objectJudge: number;
  n: number;
  /** Mean L1 to the truth, on the background (everything outside the edited objects) and on the edit region (absent in curves cached before it was recorded). */
  l1: number;
  l1Background: number;
  l1Region?: number;
  /** Per-item object-judge scores (item order of the benchmark), for paired comparisons. */
  items: number[];
  /** The judge's two factors, means over the items (absent in curves cached before they were recorded). */
  judgeDone?: number;
  judgeKept?: number;
  /** When the recipe averages weights (emaDecay > 0), the scores above are the averages'; these are the raw trained weights' at the same step. */
  raw?: PointScores;
}

/** The scores of one evaluation (a CurvePoint without its step and time). */
export type PointScores = Omit<CurvePoint, "step" | "trainSeconds" | "raw">;

export interface Curve {
  variant: CurveVariant;
  row: string;
  points: CurvePoint[];
  losses: number[];
}

export interface CurveRun {
  config: CurveConfig;
  benchmarkHash: string;
  baseSeconds: number;
  stage1Seconds: number;
  curves: Curve[];
}

/** Checks a curve config; errors name the field. */
export function checkCurveConfig(c: CurveConfig): CurveConfig {
  const known = Object.keys(CURVE_VARIANTS);
  if (c.variants.length === 0) throw new Error("learning curve: variants must not be empty");
  for (const v of c.variants) if (!known.includes(v)) throw new Error(`learning curve: unknown variant '${v}'; known: ${known.join(", ")}`);
  const last = c.recipe.stage2Steps;
  if (c.evalAt.length === 0) throw new Error("learning curve: evalAt must not be empty");
  c.evalAt.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1 || s > last) throw new Error(`learning curve: evalAt[${i}] must be an integer in 1..${last} (stage2Steps), got ${s}`);
    if (i > 0 && s <= c.evalAt[i - 1]) throw new Error(`learning curve: evalAt must increase, got ${c.evalAt[i - 1]} then ${s}`);
  });
  if (c.evalAt[c.evalAt.length - 1] !== last) throw new Error(`learning curve: the last evalAt must be stage2Steps (${last}), got ${c.evalAt[c.evalAt.length - 1]}`);
  if (!Number.isInteger(c.ddimSteps) || c.ddimSteps < 1) throw new Error(`learning curve: ddimSteps must be an integer >= 1, got ${c.ddimSteps}`);
  return c;
}

/**
 * The first evaluated step at which `curve` reaches `target` on the object judge, or null if it
 * never does.
 */
export function stepsToReach(curve: Pick<Curve, "points">, target: number): number | null {
  const p = curve.points.find((x) => x.objectJudge >= target);
  return p ? p.step : null;
}

/**
 * Stage II steps that Stage I saves: `without` (w/o S1) reaches its final score at its last
 * step; `withS1` (SpatialEdit) reaches the same score at `stepsToReach`. Positive: Stage I
 * saves steps; null: SpatialEdit never reaches that score in the budget, or the final score is 0
 * (nothing to reach: no saving can be measured).
 */
export function stepsSaved(withS1: Pick<Curve, "points">, without: Pick<Curve, "points">): { target: number; reachedAt: number | null; saved: number | null } {
  const last = without.points[without.points.length - 1];
  const target = last.objectJudge;
  if (!(target > 0)) return { target, reachedAt: null, saved: null };
  const reachedAt = stepsToReach(withS1, target);
  return { target, reachedAt, saved: reachedAt === null ? null : last.step - reachedAt };
}

/** `stepsSaved`'s result in words (`last`: the Stage II budget). */
export function stepsSavedText(s: ReturnType<typeof stepsSaved>, last: number): string {
  if (!(s.target > 0)) return `steps saved by Stage I: not measurable (w/o S1 scores ${s.target.toFixed(3)} at step ${last}: there is no score to reach)`;
  if (s.saved === null) return `steps saved by Stage I: none (w/o S1 reaches ${s.target.toFixed(3)} at step ${last}; SpatialEdit never reaches it at the evaluated steps)`;
  return `steps saved by Stage I: ${s.saved} of ${last} (w/o S1 reaches ${s.target.toFixed(3)} at step ${last}; SpatialEdit at step ${s.reachedAt})`;
}

/** The issue's goal, checked on the numbers: final SpatialEdit >= `minScore` and >= `minRatio` x MGIE-like. */
export function curveVerdict(curves: readonly Curve[], minScore = 0.85, minRatio = 1.55): { spatialedit: number | null; mgie: number | null; ratio: number | null; reached: boolean; text: string } {
  const final = (v: CurveVariant) => {
    const c = curves.find((x) => x.variant === v);
    return c ? c.points[c.points.length - 1].objectJudge : null;
  };
  const se = final("spatialedit");
  const mg = final("mgie");
  const ratio = se !== null && mg !== null && mg > 0 ? se / mg : null;
  if (se === null) return { spatialedit: se, mgie: mg, ratio, reached: false, text: "SpatialEdit was not trained in this run" };
  const scoreOk = se >= minScore;
  const ratioOk = mg === null ? false : mg === 0 ? se > 0 : se / mg >= minRatio;
  const reached = scoreOk && ratioOk;
  const ratioText = mg === null ? "MGIE-like not trained" : mg === 0 ? `MGIE-like scores 0 (SpatialEdit ${se > 0 ? "above" : "equal"})` : `ratio ${(se / mg).toFixed(2)} (goal >= ${minRatio})`;
  return { spatialedit: se, mgie: mg, ratio, reached, text: `SpatialEdit ${se.toFixed(3)} (goal >= ${minScore}), ${ratioText}: goal ${reached ? "reached" : "not reached"}` };
}

/**
 * The final object-judge difference a - b of two curves, paired over the same benchmark items, with a
 * 95% bootstrap interval and its verdict ("holds" only when the interval excludes 0): e.g. SpatialEdit
 * vs MGIE-like, SpatialEdit vs w/o S1.
 */
export function finalDifference(a: Pick<Curve, "row" | "points">, b: Pick<Curve, "row" | "points">, rng: Rng, resamples = 2000): { a: string; b: string; diff: number; ci: Interval; paired: boolean; verdict: Verdict } {
  const fa = a.points[a.points.length - 1];
  const fb = b.points[b.points.length - 1];
  if (fa === undefined || fb === undefined) throw new Error(`finalDifference: '${fa === undefined ? a.row : b.row}' has no scored points`);
  if (fa.items.length !== fb.items.length) throw new Error(`finalDifference: '${a.row}' has ${fa.items.length} scored items and '${b.row}' ${fb.items.length}; a paired difference needs the same items`);
  const diff = fa.objectJudge - fb.objectJudge;
  const ci = bootstrapDiffCi([fa.items], [fb.items], rng, resamples);
  return { a: a.row, b: b.row, diff, ci: { lo: ci.lo, hi: ci.hi }, paired: ci.paired, verdict: verdictFromCi(diff, ci) };
}

/** `c` read at `step`: its points up to that step, so that its last point is the one at `step`; an error when it has none there. */
export function curveAtStep<C extends Pick<Curve, "row" | "points">>(c: C, step: number): C {
  if (!c.points.some((p) => p.step === step)) throw new Error(`'${c.row}' has no point at step ${step} (its points: ${c.points.map((p) => p.step).join(", ") || "none"})`);
  return { ...c, points: c.points.filter((p) => p.step <= step) };
}

/** A curve averaged with EMA, read at its raw weights' scores (the points' `raw`), or null when it was not averaged. */
export function rawWeightsCurve(c: Pick<Curve, "row" | "points">): Pick<Curve, "row" | "points"> | null {
  if (c.points.length === 0 || c.points.some((p) => p.raw === undefined)) return null;
  return { row: `${c.row} (raw weights)`, points: c.points.map((p) => ({ step: p.step, trainSeconds: p.trainSeconds, ...p.raw! })) };
}

/** `finalDifference` in words. */
export function finalDifferenceText(d: ReturnType<typeof finalDifference>): string {
  return `${d.a} - ${d.b} on the object judge at the last step: ${d.diff.toFixed(3)} [95% CI ${d.ci.lo.toFixed(3)}, ${d.ci.hi.toFixed(3)}, paired over items]: ${d.verdict}`;
}

function nodeConfig(c: CurveConfig, phase: RecipeName, mode: TuningMode): EditorNodeConfig {
  // base and Stage I are made without the edit map and the aligned path (as in the grid), so curves with and without them share them
  return editorNodeConfig({ editor: keyedEditorConfig(c.editor, phase === "base" || phase === "stage1"), recipe: c.recipe, phase, mode, layers: "all", imageTokens: true, checkpointEvery: 1 });
}

/** Trains one phase (base or Stage I) from `parent` (null for base) for `steps`. */
async function trainPhase(c: EditorNodeConfig, seed: number, parent: Params | null, steps: number, label: string): Promise<{ editor: Editor; losses: number[]; seconds: number }> {
  const task = editorPhaseTask(c, seed, parent, null);
  const r = await trainPhaseSteps(task, steps, { label });
  return { editor: task.editor, losses: r.losses, seconds: r.trainSeconds };
}

/** Scores `e` on `bench` with the object judge (and L1). */
async function scorePoint(e: Editor, bench: Benchmark, c: CurveConfig): Promise<PointScores> {
  return scoreEditorPoint(trainedEditor("curve", e, { steps: c.ddimSteps, seed: c.seed }), bench, c.seed);
}

/** A curve point's scores of any evaluation editor on `bench` (the object judge per item, its two factors, the L1s). */
export async function scoreEditorPoint(editor: EvalEditor, bench: Benchmark, seed: number): Promise<PointScores> {
  const run = await evaluate(editor, bench, { seed });
  const judged = run.items.map((x) => x.metrics["object judge"]).filter((x) => x !== undefined);
  const m = (k: string) => run.summary[k]?.mean ?? Number.NaN;
  return { objectJudge: m("object judge"), n: judged.length, l1: m("L1"), l1Background: m("L1 (background)"), l1Region: m("L1 (edit region)"), items: judged, judgeDone: m("object judge: done"), judgeKept: m("object judge: kept") };
}

export function pointText(p: PointScores): string {
  return `object judge ${p.objectJudge.toFixed(3)} (n ${p.n}${p.judgeDone !== undefined ? `; done ${p.judgeDone.toFixed(3)}, kept ${(p.judgeKept ?? Number.NaN).toFixed(3)}` : ""}), L1 ${p.l1.toFixed(4)}, background L1 ${p.l1Background.toFixed(4)}, edit-region L1 ${(p.l1Region ?? Number.NaN).toFixed(4)}`;
}

/** The weights cached in `dir`, or those `make` trains (saved there first); the caller owns the returned variables. */
async function cachedWeights(dir: string, make: () => Promise<{ editor: Editor; seconds: number }>, c: CurveConfig, what: string): Promise<{ params: Params; seconds: number }> {
  if (fs.existsSync(path.join(dir, "config.json"))) {
    const loaded = fromPretrained(dir);
    return { params: loaded.params, seconds: (loaded.meta.extra as { seconds: number }).seconds };
  }
  const { editor, seconds } = await make();
  try {
    saveCheckpoint(dir, { params: editorParams(editor), config: { what, config: c }, seed: c.seed, step: 0, extra: { seconds } });
    return { params: cloneParams(editorParams(editor)), seconds };
  } finally {
    disposeEditor(editor);
  }
}

/** Where a curve's final Stage II weights are kept (a checkpoint folder; its config.json holds the CurveConfig). */
export function finalWeightsDir(dir: string, variant: CurveVariant, key: string): string {
  return path.join(dir, `final-${variant}-${key}`);
}

/** Stage II steps between a curve's checkpoints in its run folder (and always after the last). */
export const CURVE_CHECKPOINT_EVERY = 250;

/** The file in a curve's run folder that holds the points scored so far and the training seconds at each checkpointed step. */
export const CURVE_PROGRESS_FILE = "curve-progress.json";

interface CurveProgress {
  points: CurvePoint[];
  /** Seconds of training up to each step whose checkpoint followed (keyed by the step). */
  seconds: Record<string, number>;
}

/**
 * Trains variant `v` of `c` from `parent`'s weights for `c.recipe.stage2Steps` steps, scoring it at
 * `c.evalAt` (with EMA the averages' scores, the raw weights' beside them); its final weights are kept
 * in `dirs.final` (a checkpoint folder), for diagnoses of where the editor fails (scripts/editor-diagnose.ts).
 * Resumable (lib/train/checkpoint-resume.ts): `dirs.run` holds a checkpoint every `checkpointEvery` steps and the points
 * scored so far (each written before the checkpoint that follows it), so a killed run continues from its last checkpoint with
 * the points it had, and ends as the uninterrupted run would. The caller removes `dirs.run` once it has kept the curve
 * (`keepCurve`). `stopAfter` (tests) stops after that many steps as a kill would, and returns null.
 */
export async function trainCurve(c: CurveConfig, v: CurveVariant, parent: Params, bench: Benchmark, dirs: { final: string; run: string }, log: (line: string) => void = () => {}, o: { checkpointEvery?: number; stopAfter?: number } = {}): Promise<Pick<Curve, "points" | "losses"> | null> {
  const spec = CURVE_VARIANTS[v];
  const node = nodeConfig(c, spec.phase, spec.mode);
  const steps = c.recipe.stage2Steps;
  const progressFile = path.join(dirs.run, CURVE_PROGRESS_FILE);
  const start = latestStep(dirs.run) ?? 0;
  const saved: CurveProgress = fs.existsSync(progressFile) ? (JSON.parse(fs.readFileSync(progressFile, "utf8")) as CurveProgress) : { points: [], seconds: {} };
  const points = saved.points.filter((p) => p.step <= start);
  const missing = c.evalAt.filter((s) => s <= start && !points.some((p) => p.step === s));
  if (missing.length > 0) throw new Error(`trainCurve: '${dirs.run}' holds a checkpoint at step ${start} but no score for step ${missing.join(", ")} (${CURVE_PROGRESS_FILE}); remove the folder to train the curve again`);
  const seconds: Record<string, number> = Object.fromEntries(Object.entries(saved.seconds).filter(([k]) => Number(k) <= start));
  let trainSeconds = start === 0 ? 0 : seconds[String(start)] ?? Number.NaN;
  if (start > 0) log(`${v}: resumed at step ${start} of ${steps}${Number.isNaN(trainSeconds) ? " (the training seconds before it are unknown)" : ""}`);
  const every = o.checkpointEvery ?? CURVE_CHECKPOINT_EVERY;
  let mark = Date.now();
  let live: EditorPhaseTask | null = null;
  const result = await trainResumable({
    dir: dirs.run,
    config: { node, curve: c, variant: v },
    seed: c.seed,
    steps,
    checkpointEvery: every,
    label: v,
    stopAfter: o.stopAfter,
    init: ({ rng }) => {
      const task = (live = editorPhaseTask(node, c.seed, parent, rng));
      if (task.skipped > 0) log(`${v}: ${task.skipped} of ${task.skipped + task.kept} training examples left out (longer than the editor's layout takes)`);
      mark = Date.now();
      return task;
    },
    after: async (step) => {
      trainSeconds += (Date.now() - mark) / 1000; // the step (and the checkpoint save before it), not the scoring
      if (c.evalAt.includes(step)) {
        const { editor: e, averaged } = live!;
        // with EMA the point is the averages' score, and the raw weights' is kept beside it
        const raw = c.recipe.emaDecay > 0 ? await scorePoint(e, bench, c) : undefined;
        const p: CurvePoint = { step, trainSeconds, ...(await averaged(() => scorePoint(e, bench, c))), ...(raw ? { raw } : {}) };
        points.push(p);
        log(`${v} step ${step}: ${raw ? "EMA " : ""}${pointText(p)}${raw ? `; raw weights ${pointText(raw)}` : ""}, ${trainSeconds.toFixed(0)} s of training`);
      }
      if (step % every === 0 || step === steps) {
        seconds[String(step)] = trainSeconds;
        writeFileAtomic(progressFile, JSON.stringify({ points, seconds } satisfies CurveProgress));
      }
      mark = Date.now();
    },
  });
  const task = result.task;
  try {
    if (o.stopAfter !== undefined && result.losses.length < steps) return null;
    saveCheckpoint(dirs.final, { params: editorParams(task.editor), config: { what: `final ${v}`, config: c }, seed: c.seed, step: steps, extra: { seconds: trainSeconds } });
    return { points, losses: result.losses };
  } finally {
    task.dispose();
  }
}

/** Writes a finished curve to `file` and then removes its run folder (its checkpoints are no longer needed). */
export function keepCurve(file: string, curve: unknown, runDir: string): void {
  writeFileAtomic(file, JSON.stringify(curve));
  fs.rmSync(runDir, { recursive: true, force: true });
}

/**
 * Runs the curves (see the file comment). `cacheDir`: where parents and finished curves are
 * kept (one sub-folder per config hash).
 */
export async function stage2Curves(config: CurveConfig, bench: Benchmark, cacheDir: string, log: (line: string) => void = () => {}): Promise<CurveRun> {
  const c = checkCurveConfig(config);
  // the parents do not depend on the Stage II budget (curves of several lengths share them); each curve's file names its evalAt
  const { rest: { groundLossWeight: ground = 0, ...parentRecipe }, editOnly: { stage2Steps: _last, ...editOnly } } = splitEditPhaseFields(keyedRecipe(c.recipe)); // evalAt already names stage2Steps in each curve's key
  // base does not read the grounding loss (Stage I's alone): curves with and without it share the folder and its base
  const dir = path.join(cacheDir, hashJson({ editor: keyedEditorConfig(c.editor, true), recipe: parentRecipe, seed: c.seed, version: EDITOR_TRAIN_VERSION }));
  fs.mkdirSync(dir, { recursive: true });
  const base = await cachedWeights(path.join(dir, "base"), () => trainPhase(nodeConfig(c, "base", "full"), c.seed, null, c.recipe.baseSteps, "base"), c, "base");
  log(`base: ${base.seconds.toFixed(0)} s`);
  const needS1 = c.variants.some((v) => CURVE_VARIANTS[v].parent === "stage1");
  const stage1 = needS1 ? await cachedWeights(path.join(dir, ground > 0 ? `stage1-ground${ground}` : "stage1"), () => trainPhase(nodeConfig(c, "stage1", "attention"), c.seed, base.params, c.recipe.stage1Steps, "stage1"), c, "stage1") : null;
  if (stage1) log(`stage1: ${stage1.seconds.toFixed(0)} s`);
  const curves: Curve[] = [];
  try {
    for (const v of c.variants) {
      const spec = CURVE_VARIANTS[v];
      const key = hashJson({ evalAt: c.evalAt, ddimSteps: c.ddimSteps, bench: bench.contentHash, ...editOnly, ...(c.editor.editMap === true ? { editMap: true } : {}), ...(c.editor.aligned === true ? { aligned: true } : {}), ...(ground > 0 && spec.parent === "stage1" ? { groundLossWeight: ground } : {}) });
      const file = path.join(dir, `curve-${v}-${key}.json`);
      if (fs.existsSync(file)) {
        curves.push(JSON.parse(fs.readFileSync(file, "utf8")) as Curve);
        log(`${v}: from the cache`);
        continue;
      }
      const parent = spec.parent === "stage1" ? stage1!.params : base.params;
      const runDir = path.join(dir, `run-${v}-${key}`);
      const { points, losses } = (await trainCurve(c, v, parent, bench, { final: finalWeightsDir(dir, v, key), run: runDir }, log))!;
      const curve: Curve = { variant: v, row: spec.row, points, losses };
      keepCurve(file, curve, runDir);
      curves.push(curve);
    }
  } finally {
    disposeParams(base.params);
    if (stage1) disposeParams(stage1.params);
  }
  return { config: c, benchmarkHash: bench.contentHash, baseSeconds: base.seconds, stage1Seconds: stage1?.seconds ?? 0, curves };
}
