/**
 * What a better edit plan adds to a finished editor: its plan head (aligned.ts editPlan) given the patch's source pixels as
 * a new input (editor config alignedPlanSource, zero at the start) and fitted alone, every other weight frozen
 * (lib/models/editor/train/plan-head.ts), with early stopping on held-out edits:
 * 1. before: the plan loss and its brightness error (lib/eval/plan-split.ts planBrightnessError) on held-out engine edits,
 *    and the editor's decoding chosen on the validation benchmark among --rules x the plan decodings, on SpatialEval-mini;
 * 2. the fit, and the same after; the pair after - before on SpatialEval-mini (paired over items): the two differ only in
 *    the plan the gate carries.
 *
 * Usage: npm run plan-head -- --from=<the final weights of a stage2-from run with an edit plan: data/generated/curve-cache/<profile>/from/final-<key>>
 *          [--rules=object+offset+ground,object+offset+blend] [--scenes=4000] [--held-out=500] [--steps=1500] [--batch=64] [--lr=0.001]
 *          [--check-every=250] [--seed=2] [--ddim=10] [--fresh=off|on] [--name=plan-head]
 */
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { progress } from "../lib/core/progress";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { objectRulesFlag } from "../lib/eval/decode-choice";
import { compareHeadFit } from "../lib/eval/head-fit-compare";
import { planBrightnessError } from "../lib/eval/plan-split";
import { disposeEditor } from "../lib/models/editor/model";
import { heldOutSplit } from "../lib/models/editor/train/data";
import { checkedFitFlags, finishedEditorWithHead, headFitEdits, finishedFromFlag, headFitFlags } from "../lib/models/editor/train/finished";
import { fitPlanHead, isPlanSourceParam, planHeadError } from "../lib/models/editor/train/plan-head";

const KNOWN = ["from", "rules", "scenes", "held-out", "steps", "batch", "lr", "check-every", "seed", "ddim", "fresh", "name"];

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const from = finishedFromFlag(a.from, " with a colour plan");
  const name = checkName(a.name ?? "plan-head", "--name");
  const head = headFitFlags(a);
  const fitData = checkedFitFlags(a);
  const { scenes, heldOut, checkEvery, ddim } = fitData;
  const rules = objectRulesFlag(a.rules, "object+offset+ground,object+offset+blend");
  const backend = (await initBackend()).name;
  const { e, made, meta } = finishedEditorWithHead(from, { name: "plan-head", config: { alignedPlanSource: true }, isParam: isPlanSourceParam, seed: head.seed });
  try {
    if (e.config.alignedPlan !== true && e.config.alignedPlan !== "attend") throw new Error("--from: the plan head's fit needs an editor with a colour plan (stage2-from --plan=on or attend)");
    const bench = ensureBenchmark("spatialeval", profile);
    const validation = ensureValidationBenchmark(profile);
    const all = headFitEdits(made.recipe, fitData, e.config.image);
    // the held-out images' edits: the first half choose the step the head keeps (early stopping), the second half score it
    const { train, check, test } = heldOutSplit(all, heldOut);
    console.log(`backend ${backend}; profile ${profile}; the editor in ${path.relative(projectPath("."), from)} (step ${meta.step}, commit ${meta.gitCommit}): its plan and ${rules.join(", ")} before and after its plan head, given the source patch's pixels, is fitted alone for up to ${head.steps} steps at batch ${head.batch} on ${train.length} edits of ${scenes} engine scenes, keeping the step with the lowest plan loss (checked every ${checkEvery} steps) on ${check.length} held-out edits; scored on ${test.length} other held-out edits, ${validation.items.length} validation and ${bench.items.length} SpatialEval-mini items`);
    const cmp = await compareHeadFit({
      e, rules, validation, bench, ddim, seed: head.seed, stream: "plan-head", log: (line) => console.log(line),
      measure: (label) => {
        const plan = { loss: planHeadError(e, test), brightness: planBrightnessError(e, test) };
        console.log(`${label}: on the held-out edits plan loss ${plan.loss.toFixed(4)}, brightness error ${plan.brightness.toFixed(1)} of 255`);
        return plan;
      },
      fit: () => {
        const bar = progress({ total: head.steps, label: "plan head" });
        const fit = fitPlanHead(e, train, head, { every: checkEvery, edits: check }, (_, loss) => bar.tick(1, { loss }));
        bar.done();
        return fit;
      },
    });
    const file = writeResult(name, {
      config: { from: path.relative(projectPath("."), from), fromCheckpoint: { step: meta.step, gitCommit: meta.gitCommit, config: meta.config }, head, checkEvery, rules, scenes, heldOut, fresh: fitData.fresh, trainEdits: train.length, checkEdits: check.length, heldOutEdits: test.length, ddim, benchmarkHash: bench.contentHash, validationHash: validation.contentHash },
      seed: head.seed,
      data: { backend, ...cmp },
    });
    console.log(`wrote ${file}`);
  } finally {
    disposeEditor(e);
  }
}

runMain(main);
