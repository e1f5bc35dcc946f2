/**
 * What a resize's new extent adds to a finished editor: its scale head (aligned.ts, editor config alignedScale; zero at the
 * start, "the same size") fitted alone, every other weight frozen (lib/models/editor/train/scale-head.ts), with early
 * stopping on held-out edits:
 * 1. before: the head's log-scale error per kind on held-out engine edits, and the editor's decoding chosen on the
 *    validation benchmark among --rules x the plan decodings, on SpatialEval-mini (with the head at zero, the scaling rules
 *    move without scaling);
 *    (--removals=still, the default: the removals are taught scale 1, as no change; out: left out, as Stage II's scale loss does)
 * 2. the fit, and the same after; the pair after - before on SpatialEval-mini (paired over items): the two differ only in
 *    the scales the scaling rules (object+move, object+move+paste) read.
 *
 * Usage: npm run scale-head -- --from=<the final weights of a stage2-from run with the offset head: data/generated/curve-cache/<profile>/from/final-<key>>
 *          [--removals=still|out] [--rules=object+offset+shade,object+move+paste] [--scenes=4000] [--held-out=500] [--steps=1500] [--batch=64] [--lr=0.001]
 *          [--check-every=250] [--seed=2] [--ddim=10] [--fresh=off|on] [--name=scale-head]
 * (the profile is SPATIALEDIT_PROFILE; writes results/<profile>/<name>.json, and the editor with its fitted head as a
 * checkpoint in data/generated/curve-cache/<profile>/from/<name>, which other scripts' --from read)
 */
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { progress } from "../lib/core/progress";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { objectRulesFlag } from "../lib/eval/decode-choice";
import { compareHeadFit } from "../lib/eval/head-fit-compare";
import { disposeEditor } from "../lib/models/editor/model";
import { heldOutSplit } from "../lib/models/editor/train/data";
import { checkedFitFlags, finishedEditorWithHead, headFitEdits, finishedFromFlag, headFitFlags, saveFittedEditor } from "../lib/models/editor/train/finished";
import { fitScaleHead, isScaleParam, scaleErrors, type ScaleErrorRow } from "../lib/models/editor/train/scale-head";

const KNOWN = ["from", "removals", "rules", "scenes", "held-out", "steps", "batch", "lr", "check-every", "seed", "ddim", "fresh", "name"];

const errorText = (rows: readonly ScaleErrorRow[]) => rows.map((r) => `${r.kind} (${r.n}) ${r.error.toFixed(4)} / ${r.zero.toFixed(4)}`).join(", ");

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const from = finishedFromFlag(a.from, " with the offset head");
  const name = checkName(a.name ?? "scale-head", "--name");
  const head = headFitFlags(a);
  const fitData = checkedFitFlags(a);
  const { scenes, heldOut, checkEvery, ddim } = fitData;
  const rules = objectRulesFlag(a.rules, "object+offset+shade,object+move+paste");
  const removals = a.removals ?? "still";
  if (removals !== "still" && removals !== "out") throw new Error(`--removals must be still (taught scale 1) or out (left out of the fit), got '${removals}'`);
  const still = removals === "still";
  const backend = (await initBackend()).name;
  const { e, made, meta } = finishedEditorWithHead(from, { name: "scale-head", config: { alignedScale: true }, isParam: isScaleParam, seed: head.seed });
  try {
    if (e.config.alignedOffset !== true) throw new Error("--from: the scaling rules need an editor with the offset head (stage2-from --offset-loss=W)");
    const bench = ensureBenchmark("spatialeval", profile);
    const validation = ensureValidationBenchmark(profile);
    const all = headFitEdits(made.recipe, fitData, e.config.image);
    // the held-out images' edits: the first half choose the step the head keeps (early stopping), the second half score it
    const { train, check, test } = heldOutSplit(all, heldOut);
    console.log(`backend ${backend}; profile ${profile}; the editor in ${path.relative(projectPath("."), from)} (step ${meta.step}, commit ${meta.gitCommit}): ${rules.join(", ")} before and after its scale head is fitted alone (removals ${still ? "taught scale 1" : "left out"}) for up to ${head.steps} steps at batch ${head.batch} on ${train.length} edits of ${scenes} engine scenes, keeping the step with the lowest log-scale error (checked every ${checkEvery} steps) on ${check.length} held-out edits; scored on ${test.length} other held-out edits, ${validation.items.length} validation and ${bench.items.length} SpatialEval-mini items`);
    const cmp = await compareHeadFit({
      e, rules, validation, bench, ddim, seed: head.seed, stream: "scale-head", log: (line) => console.log(line),
      measure: (label) => {
        const errors = scaleErrors(e, test, still);
        console.log(`${label}: squared log-scale error / predicting no change on the held-out edits, per kind: ${errorText(errors)}`);
        return errors;
      },
      fit: () => {
        const bar = progress({ total: head.steps, label: "scale head" });
        const fit = fitScaleHead(e, train, head, { every: checkEvery, edits: check }, (_, loss) => bar.tick(1, { loss }), still);
        bar.done();
        return fit;
      },
    });
    const file = writeResult(name, {
      config: { from: path.relative(projectPath("."), from), fromCheckpoint: { step: meta.step, gitCommit: meta.gitCommit, config: meta.config }, head, removals, checkEvery, rules, scenes, heldOut, fresh: fitData.fresh, trainEdits: train.length, checkEdits: check.length, heldOutEdits: test.length, ddim, benchmarkHash: bench.contentHash, validationHash: validation.contentHash },
      seed: head.seed,
      data: { backend, ...cmp },
    });
    console.log(`wrote ${file}`);
    // the fitted editor, so that other scripts read its scale head without a refit (--from=<this folder>)
    const saved = saveFittedEditor(e, from, name, meta, `its scale head fitted alone (npm run scale-head, kept step ${cmp.fit.kept})`, head.seed);
    console.log(`saved the editor with its fitted scale head in ${path.relative(projectPath("."), saved)}`);
  } finally {
    disposeEditor(e);
  }
}

runMain(main);
