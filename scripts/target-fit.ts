/**
 * Fits the target reader (lib/models/editor/target-reader.ts) on a finished editor's word states and measures it against
 * the editor's own language condition: on held-out engine edits, and on the replacements and retextures of the validation
 * benchmark and SpatialEval-mini (measured, not used to choose anything), how often the condition (H_lm, greedy) says the
 * right new shape or material, and how often the pipeline option readTargets would (the condition's kind with the reader's
 * shape or material). Writes data/generated/target/<name>/target.safetensors and results/<profile>/<name>.json; the
 * object-head script reads the reader (--target-reader=<that folder> --read-targets=on|both).
 *
 * Usage: SPATIALEDIT_PROFILE=paper npm run target-fit -- --from=<a finished editor with an object head (a folder of
 *          data/weights/<profile>/ or npm run object-head's)> [--scenes=32000] [--held-out=2000] [--chunk=2000] [--steps=4000]
 *          [--batch=128] [--lr=0.001] [--check-every=500] [--hidden=64] [--seed=2] [--name=target-<scenes/1000>k-s<seed>]
 * (the scenes are numbered after the editor's own Stage II scenes, of its recipe's data seed, as the head scripts'
 * --fresh=on; the first half of the last --held-out scenes chooses the kept step, the second half scores the reader)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, parseFlags } from "../lib/core/cli-args";
import { checkName, projectPath } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import type { Benchmark } from "../lib/eval/benchmark-io";
import { signedAtSize } from "../lib/eval/trained-editor";
import { isObjectHeadParam } from "../lib/models/editor/object-head";
import { answerQuestions } from "../lib/models/editor/pipeline";
import { checkTargetReaderConfig, initTargetReader, TARGET_READER_HIDDEN, type TargetReaderConfig } from "../lib/models/editor/target-reader";
import { finishedEditorWithHead, finishedFromFlag, headFitHeldOut, headFitTrainChunks } from "../lib/models/editor/train/finished";
import { readChunksWith } from "../lib/models/editor/train/read-progress";
import { fitTargetReader, saveTargetReader, targetExamples, targetHits, targetLabel, type TargetExample } from "../lib/models/editor/train/target-reader";
import type { Editor } from "../lib/models/editor/model";
import type { Params } from "../lib/nn/layers";

const KNOWN = ["from", "scenes", "held-out", "chunk", "steps", "batch", "lr", "check-every", "hidden", "seed", "name"];

/** Accuracy of the reader on examples, overall and per edit kind. */
function measured(p: Params, c: TargetReaderConfig, xs: readonly TargetExample[]) {
  const hits = targetHits(p, c, xs);
  const kinds = [...new Set(xs.map((x) => (x.shape >= 0 ? "replace" : "retexture")))].sort();
  const share = (keep: (x: TargetExample) => boolean) => {
    const idx = xs.map((x, i) => [x, i] as const).filter(([x]) => keep(x));
    return { n: idx.length, accuracy: idx.filter(([, i]) => hits[i]).length / Math.max(1, idx.length) };
  };
  return { all: share(() => true), perKind: kinds.map((k) => ({ kind: k, ...share((x) => (x.shape >= 0 ? "replace" : "retexture") === k) })) };
}

/**
 * On a benchmark's items whose true condition says a new shape or material: per item whether the editor's condition says
 * the same kind and the right attribute, and whether its kind with the reader's attribute is right (the readTargets option).
 */
function onBenchmark(e: Editor, p: Params, c: TargetReaderConfig, b: Benchmark) {
  const items = b.items.filter((it) => targetLabel(it.condition) !== null);
  const truths = items.map((it) => ({ source: signedAtSize(it.source, e.config.image), instruction: it.instruction, condition: it.condition, kind: it.kind ?? "none" }));
  const written = answerQuestions(e, truths.map((x) => x.source), truths.map((x) => x.instruction), e.config.maxCondition);
  const xs = targetExamples(e, truths);
  const hits = targetHits(p, c, xs);
  const rows = items.map((it, i) => {
    const [want, said] = [targetLabel(it.condition)!, targetLabel(written[i])];
    const sameKind = said !== null && (said.shape >= 0) === (want.shape >= 0);
    return { item: b.items.indexOf(it), kind: want.shape >= 0 ? "replace" : "retexture", condition: sameKind && said.shape === want.shape && said.material === want.material, read: sameKind && hits[i] };
  });
  const count = (keep: (r: (typeof rows)[number]) => boolean) => {
    const rs = rows.filter(keep);
    return { n: rs.length, condition: rs.filter((r) => r.condition).length, read: rs.filter((r) => r.read).length };
  };
  return { all: count(() => true), replace: count((r) => r.kind === "replace"), retexture: count((r) => r.kind === "retexture"), items: rows };
}

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const from = finishedFromFlag(a.from);
  const backend = (await initBackend()).name;
  const fit = { steps: intFlag(a, "steps", 4000, 1), batch: intFlag(a, "batch", 128, 1), lr: numFlag(a, "lr", 1e-3), checkEvery: intFlag(a, "check-every", 500, 1), seed: intFlag(a, "seed", 2) };
  const data = { scenes: intFlag(a, "scenes", 32000, 1), heldOut: intFlag(a, "held-out", 2000, 2), checkEvery: fit.checkEvery, ddim: 10, fresh: true };
  const chunk = intFlag(a, "chunk", 2000, 1);
  const name = checkName(a.name ?? `target-${data.scenes / 1000}k-s${fit.seed}`, "result");
  const { e, made, meta } = finishedEditorWithHead(from, { name: "object-head", config: { alignedObjects: 1 }, isParam: isObjectHeadParam, seed: fit.seed }); // the words the reader reads do not depend on the head's weights
  const c = checkTargetReaderConfig({ width: e.config.d, hidden: intFlag(a, "hidden", TARGET_READER_HIDDEN, 1) });
  console.log(`backend ${backend}; profile ${profile}; the editor in ${path.relative(projectPath("."), from)} (step ${meta.step}, commit ${meta.gitCommit}); ${data.scenes} unseen engine scenes to fit on, ${data.heldOut} held out; reader hidden ${c.hidden}`);
  const t0 = Date.now();
  const train = readChunksWith((each) => headFitTrainChunks(made.recipe, data, e.config.image, chunk, each), data.scenes, "word states (training scenes)", (edits) => targetExamples(e, edits));
  const held = headFitHeldOut(made.recipe, data, e.config.image);
  const [check, test] = [targetExamples(e, held.check), targetExamples(e, held.test)];
  const readS = (Date.now() - t0) / 1000;
  console.log(`${train.length} labelled edits to fit on (replacements and retextures), ${check.length} to check, ${test.length} to score (read in ${readS.toFixed(0)} s)`);
  const p = initTargetReader(c, fit.seed);
  const t1 = Date.now();
  const checks = fitTargetReader(p, c, train, check, fit, (k) => console.log(`step ${k.step}: held-out accuracy ${k.heldOut.toFixed(4)}, training loss ${Number.isNaN(k.train) ? "-" : k.train.toFixed(4)} (${((Date.now() - t1) / 1000).toFixed(0)} s)`));
  const fitS = (Date.now() - t1) / 1000;
  const dir = projectPath(path.join("data", "generated", "target", name));
  fs.mkdirSync(dir, { recursive: true });
  const weights = path.join(dir, "target.safetensors");
  saveTargetReader(weights, { params: p, config: c }); // the kept (best) weights
  const onTest = measured(p, c, test);
  console.log(`held-out engine edits: ${onTest.all.n}, accuracy ${onTest.all.accuracy.toFixed(4)} (${onTest.perKind.map((k) => `${k.kind} ${k.accuracy.toFixed(3)} of ${k.n}`).join(", ")})`);
  const benches = { validation: onBenchmark(e, p, c, ensureValidationBenchmark(profile)), spatialEvalMini: onBenchmark(e, p, c, ensureBenchmark("spatialeval", profile)) };
  for (const [label, m] of Object.entries(benches)) console.log(`${label}: right new shape or material, the condition's / with the reader's: replacements ${m.replace.condition} / ${m.replace.read} of ${m.replace.n}, retextures ${m.retexture.condition} / ${m.retexture.read} of ${m.retexture.n}`);
  const file = writeResult(name, {
    config: { from: path.relative(projectPath("."), from), fromCheckpoint: { step: meta.step, gitCommit: meta.gitCommit }, reader: c, fit, scenes: data.scenes, heldOutScenes: data.heldOut, chunk, trainExamples: train.length, checkExamples: check.length, testExamples: test.length, weights: path.relative(projectPath("."), weights) },
    seed: fit.seed,
    data: { backend, seconds: { reads: readS, fit: fitS }, checks, heldOut: onTest, ...benches },
  });
  console.log(`wrote ${file} and ${path.relative(projectPath("."), weights)}`);
}

runMain(main);
