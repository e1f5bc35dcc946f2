/**
 * Which part of a colour-plan editor's plan costs it its score (the plan-split diagnostic, lib/eval/plan-split.ts): with the
 * object the truth changes and, for moves, the truth's offset, the editor edits SpatialEval-mini with a plan made patch by
 * patch from its own decoding's and the truth's, one split per row:
 *   own | truth | own fills (else truth) | own vacates (else truth) | own vacates at the truth's brightness (else truth) |
 *   own elsewhere (fills and vacates the truth's) | own everywhere at the truth's brightness | truth with a brightness noise
 * Each row's object judge, per kind, and paired against the own and the truth's plan.
 *
 * Usage: npm run plan-split -- --from=<the final weights of a stage2-from run with a colour plan: data/generated/curve-cache/<profile>/from/final-<key>>
 *          [--rule=object+offset+ground|object+offset+blend|object+offset+paste|object+offset+shade] [--plan-decode=snap|soft] [--noise=0.1] [--seed=2] [--ddim=10] [--name=plan-split]
 */
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { Rng } from "../lib/core/rng";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark } from "../lib/eval/benchmark-generate";
import { benchmarkKindMeans } from "../lib/eval/kind-means";
import { pointText, scoreEditorPoint, type PointScores } from "../lib/eval/learning-curve";
import { planSplitEditor, type PlanSplit } from "../lib/eval/plan-split";
import { bootstrapDiffCi } from "../lib/eval/stats";
import { disposeEditor } from "../lib/models/editor/model";
import { finishedEditorWithHead, finishedFromFlag } from "../lib/models/editor/train/finished";

const KNOWN = ["from", "rule", "plan-decode", "noise", "seed", "ddim", "name"];

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const from = finishedFromFlag(a.from, " with a colour plan");
  const name = checkName(a.name ?? "plan-split", "--name");
  const rule = a.rule ?? "object+offset+ground";
  if (rule !== "object+offset+ground" && rule !== "object+offset+blend" && rule !== "object+offset+paste" && rule !== "object+offset+shade") throw new Error(`--rule must be object+offset+ground, object+offset+blend, object+offset+paste or object+offset+shade, got '${rule}'`);
  const planDecode = a["plan-decode"] ?? "snap";
  if (planDecode !== "snap" && planDecode !== "soft") throw new Error(`--plan-decode must be snap or soft, got '${planDecode}'`);
  const noise = numFlag(a, "noise", 0.1);
  if (!(noise > 0) || !Number.isFinite(noise)) throw new Error(`--noise must be a finite number > 0, got ${noise}`);
  const seed = intFlag(a, "seed", 2);
  const ddim = intFlag(a, "ddim", 10, 1);
  const backend = (await initBackend()).name;
  const bench = ensureBenchmark("spatialeval", profile);
  const { e, meta } = finishedEditorWithHead(from, { name: "plan-split", config: {}, isParam: () => false, seed });
  try {
    const splits: { label: string; split: PlanSplit }[] = [
      { label: "own", split: { fills: "own", vacates: "own", rest: "own" } },
      { label: "truth", split: { fills: "truth", vacates: "truth", rest: "truth" } },
      { label: "own fills", split: { fills: "own", vacates: "truth", rest: "truth" } },
      { label: "own vacates", split: { fills: "truth", vacates: "own", rest: "truth" } },
      { label: "own vacates at the truth's brightness", split: { fills: "truth", vacates: "own chroma, truth brightness", rest: "truth" } },
      { label: "own elsewhere", split: { fills: "truth", vacates: "truth", rest: "own" } },
      { label: "own at the truth's brightness", split: { fills: "own chroma, truth brightness", vacates: "own chroma, truth brightness", rest: "own chroma, truth brightness" } },
      { label: `truth, brightness noise ${noise}`, split: { fills: "truth", vacates: "truth", rest: "truth", noise } },
    ];
    const rows: { label: string; split: PlanSplit; scores: PointScores }[] = [];
    for (const { label, split } of splits) {
      const scores = await scoreEditorPoint(planSplitEditor(label, e, { steps: ddim, seed, planDecode }, rule, split, seed), bench, seed);
      rows.push({ label, split, scores });
      console.log(`${label}: ${pointText(scores)}`);
    }
    const paired = (x: PointScores, y: PointScores, label: string) => {
      const ci = bootstrapDiffCi([x.items], [y.items], new Rng(seed).fork(label), 2000);
      return { diff: x.objectJudge - y.objectJudge, lo: ci.lo, hi: ci.hi };
    };
    const [own, truth] = [rows[0].scores, rows[1].scores];
    const table = rows.map((r) => ({ label: r.label, split: r.split, objectJudge: r.scores.objectJudge, scores: r.scores, minusOwn: paired(r.scores, own, `${r.label}-own`), minusTruth: paired(r.scores, truth, `${r.label}-truth`), kinds: benchmarkKindMeans(bench.items, { row: r.scores.items }, "plan-split") }));
    for (const r of table) console.log(`${r.label}: ${r.objectJudge.toFixed(3)}; minus own ${r.minusOwn.diff.toFixed(3)} [${r.minusOwn.lo.toFixed(3)}, ${r.minusOwn.hi.toFixed(3)}]; minus truth ${r.minusTruth.diff.toFixed(3)} [${r.minusTruth.lo.toFixed(3)}, ${r.minusTruth.hi.toFixed(3)}]; per kind ${r.kinds.map((k) => `${k.kind} (${k.n}) ${k.row.toFixed(3)}`).join(", ")}`);
    const file = writeResult(name, {
      config: { from: path.relative(projectPath("."), from), fromCheckpoint: { step: meta.step, gitCommit: meta.gitCommit, config: meta.config }, rule, planDecode, noise, ddim, benchmarkHash: bench.contentHash },
      seed,
      data: { backend, rows: table },
    });
    console.log(`wrote ${file}`);
  } finally {
    disposeEditor(e);
  }
}

runMain(main);
