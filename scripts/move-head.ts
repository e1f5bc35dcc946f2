/**
 * What a move per object adds to a finished editor with an object head: its move head (lib/models/editor/move-head.ts,
 * editor config alignedMoves; zero at the start, the editor's own offset and scale for the edit) fitted alone, every other
 * weight frozen (lib/models/editor/train/move-head.ts), on the frozen editor's reads cached once per edit, with early
 * stopping on held-out edits:
 * 1. before: the offset and log-scale errors per kind on held-out engine edits (the changed object's row: the editor's own
 *    move), and the editor's decoding chosen on the validation benchmark among --rules x the plan decodings, on SpatialEval-mini;
 * 2. the fit, and the same after; the pair after - before on SpatialEval-mini (paired over items): the two differ only in
 *    how far the moving rules move the chosen object and how much the scaling rules scale it.
 *
 * Usage: npm run move-head -- --from=<the final weights of a stage2-from run, or an editor with a fitted object head (the folder npm run object-head saves, data/generated/curve-cache/<profile>/from/<its --name>)>
 *          [--rules=object+offset+shade,object+move+paste] [--layers=1] [--scale-weight=4] [--scenes=4000] [--held-out=500]
 *          [--steps=1500] [--batch=64] [--lr=0.001] [--check-every=250] [--seed=2] [--ddim=10] [--fresh=off|on] [--chunk=0]
 *          [--decode=on|off] [--name=move-head]
 * (--decode=off: the errors on held-out edits before and after the fit only, without the decodings of 1. and 2.)
 * (--chunk=N, N > 0: the training scenes are generated and read N scenes at a time, and the held-out edits are those of
 * the last --held-out scenes, as npm run object-head does; --fresh=on: scenes the editor's Stage II never saw)
 * (--from may also be a Stage I run's weights (data/generated/stage1-locate/<profile>/<name>), with --decode=off: what its
 * frozen states hold about moves before Stage II; an editor without an object head gets one at zero, which chooses what its where head chooses; removals are taught no move; the profile is SPATIALEDIT_PROFILE; writes results/<profile>/<name>.json, and the editor
 * with its fitted head in data/generated/curve-cache/<profile>/from/<name>)
 */
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, onOffFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { objectRulesFlag } from "../lib/eval/decode-choice";
import { compareHeadFit, measureHeadFit } from "../lib/eval/head-fit-compare";
import { disposeEditor } from "../lib/models/editor/model";
import { isMoveHeadParam } from "../lib/models/editor/move-head";
import { isObjectHeadParam } from "../lib/models/editor/object-head";
import type { EditorConfig } from "../lib/models/editor/config";
import { readCheckpointMeta } from "../lib/train/checkpoint";
import { heldOutSplit, type EditExample } from "../lib/models/editor/train/data";
import { checkedFitFlags, finishedEditorWithHead, finishedFromFlag, headFitEdits, headFitFlags, headFitHeldOut, headFitTrainChunks, saveFittedEditor } from "../lib/models/editor/train/finished";
import { cachedMoveErrors, fitMoveHeadCached, type MoveErrorRow } from "../lib/models/editor/train/move-head";
import { readChunks, readEdits, withStepBar } from "../lib/models/editor/train/read-progress";

const KNOWN = ["from", "decode", "rules", "layers", "scale-weight", "scenes", "held-out", "steps", "batch", "lr", "seed", "ddim", "check-every", "fresh", "chunk", "name"];

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const from = finishedFromFlag(a.from);
  const name = checkName(a.name ?? "move-head", "--name");
  const head = { ...headFitFlags(a), scaleWeight: numFlag(a, "scale-weight", 4) };
  if (!(head.scaleWeight >= 0)) throw new Error(`--scale-weight must be >= 0, got ${head.scaleWeight}`);
  const fitData = checkedFitFlags(a);
  const { scenes, heldOut, checkEvery, ddim } = fitData;
  const layers = intFlag(a, "layers", 1, 1);
  const chunk = intFlag(a, "chunk", 0, 0);
  const decodeOn = onOffFlag(a, "decode", true);
  const rules = objectRulesFlag(a.rules, "object+offset+shade,object+move+paste");
  const backend = (await initBackend()).name;
  // an editor without an object head gets one at zero, which chooses what its where head chooses
  const hadObjects = (readCheckpointMeta(from).config as { config?: { editor?: Partial<EditorConfig> } }).config?.editor?.alignedObjects !== undefined;
  const spec = hadObjects ? { config: { alignedMoves: layers }, isParam: isMoveHeadParam } : { config: { alignedObjects: layers, alignedMoves: layers }, isParam: (k: string) => isMoveHeadParam(k) || isObjectHeadParam(k) };
  const { e, made, meta } = finishedEditorWithHead(from, { name: "move-head", ...spec, seed: head.seed });
  try {
    if (!hadObjects) console.log(`the editor has no object head: one of ${layers} layers is added at zero, so that it chooses the object its where head chooses`);
    const bench = ensureBenchmark("spatialeval", profile);
    const validation = ensureValidationBenchmark(profile);
    // the held-out edits: the first half choose the step the head keeps (early stopping), the second half score it
    const { train, check, test } = chunk > 0 ? { train: [] as EditExample[], ...headFitHeldOut(made.recipe, fitData, e.config.image) } : heldOutSplit(headFitEdits(made.recipe, fitData, e.config.image), heldOut);
    console.log(`backend ${backend}; profile ${profile}; the editor in ${path.relative(projectPath("."), from)} (step ${meta.step}, commit ${meta.gitCommit}): ${rules.join(", ")} before and after a move head of ${layers} layers is fitted alone (log-scale weight ${head.scaleWeight}; removals taught no move) for up to ${head.steps} steps at batch ${head.batch} on the edits of ${scenes} engine scenes${chunk > 0 ? ` (read ${chunk} scenes at a time)` : ""}${fitData.fresh ? " its Stage II never saw" : ""}, keeping the step with the lowest error (checked every ${checkEvery} steps) on ${check.length} held-out edits; scored on ${test.length} other held-out edits, ${validation.items.length} validation and ${bench.items.length} SpatialEval-mini items`);
    // the frozen editor's reads, once per edit (its forward pass is nearly all of a step)
    const trainReads = chunk > 0 ? readChunks(e, (each) => headFitTrainChunks(made.recipe, fitData, e.config.image, chunk, each), scenes) : readEdits(e, train, "editor reads (training edits)");
    const checkReads = readEdits(e, check, "editor reads (checking edits)");
    const testReads = readEdits(e, test, "editor reads (scoring edits)");
    const measure = (label: string) => {
      const errors = cachedMoveErrors(e, testReads);
      const families = cachedMoveErrors(e, testReads, 256, (x) => `${x.kind} (${x.family ?? "generic"})`).slice(1);
      console.log(`${label}: on the held-out edits, per kind, squared offset error (patches^2) / the editor's own, squared log-scale error / the editor's own: ${errorText(errors)}; per kind and template family: ${errorText(families)}`);
      return { kinds: errors, families };
    };
    const fit = () => withStepBar(head.steps, "move head", (tick) => fitMoveHeadCached(e, trainReads, head, { every: checkEvery, reads: checkReads }, (_, loss) => tick(loss)));
    const log = (line: string) => console.log(line);
    const cmp = decodeOn ? await compareHeadFit({ e, rules, validation, bench, ddim, seed: head.seed, stream: "move-head", log, measure, fit }) : measureHeadFit({ measure, fit, log });
    const file = writeResult(name, {
      config: { from: path.relative(projectPath("."), from), fromCheckpoint: { step: meta.step, gitCommit: meta.gitCommit, config: meta.config }, addedObjectHead: !hadObjects, layers, head, checkEvery, decode: decodeOn, rules, scenes, heldOut, fresh: fitData.fresh, chunk, trainedOn: trainReads.length, checkEdits: checkReads.length, heldOutEdits: testReads.length, ddim, benchmarkHash: bench.contentHash, validationHash: validation.contentHash },
      seed: head.seed,
      data: { backend, ...cmp },
    });
    console.log(`wrote ${file}`);
    // the fitted editor, so that other scripts read its move head without a refit (--from=<this folder>)
    const saved = saveFittedEditor(e, from, name, meta, `its move head (${layers} layers) fitted alone (npm run move-head, kept step ${cmp.fit.kept})`, head.seed);
    console.log(`saved the editor with its fitted move head in ${path.relative(projectPath("."), saved)}`);
  } finally {
    disposeEditor(e);
  }
}

function errorText(rows: readonly MoveErrorRow[]): string {
  return rows.map((r) => `${r.kind} (${r.n}) ${r.offset.toFixed(3)} / ${r.offsetBefore.toFixed(3)}, ${r.scale.toFixed(4)} / ${r.scaleBefore.toFixed(4)}`).join("; ");
}

runMain(main);
