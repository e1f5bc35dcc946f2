/**
 * Where a trained editor fails (lib/eval/edit-diagnosis.ts): loads final Stage II weights that
 * `npm run curves` kept (data/generated/curve-cache/<profile>/<key>/final-<variant>-<key>), scores
 * them on SpatialEval-mini per edit kind (object judge, edit-region L1) and checks whether the
 * language condition H_lm writes names the instructed object; with the aligned edit map (or the aligned [LOC]
 * path's where head), whether the map (the head) points at the patches the edit changes (lib/eval/edit-map-probe.ts); and, per MLLM layer, how much of the [IMG]
 * tokens' attention over the image falls on the pixels the edit changes (lib/eval/ground-probe.ts). Writes
 * results/<profile>/<name>.json.
 *
 * Usage: npm run diagnose -- --weights=<checkpoint folder> [--ddim=10] [--text-scale=1] [--image-scale=1] [--seed=0]
 *          [--name=editor-diagnosis] [--benchmark=test|validation]
 * (the profile is SPATIALEDIT_PROFILE; it picks the benchmark. --benchmark=validation scores the validation set made
 * like SpatialEval-mini from other held-out scenes, for choosing a setting without looking at the test items)
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, numFlag, parseFlags } from "../lib/core/cli-args";
import { checkName } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { Rng } from "../lib/core/rng";
import { writeResult } from "../lib/core/results";
import { ensureBenchmark, ensureValidationBenchmark } from "../lib/eval/benchmark-generate";
import { diagnoseEdits, diagnosisSummary, diagnosisText } from "../lib/eval/edit-diagnosis";
import { mapProbeSummary, probeEditMap, probeWhereHead } from "../lib/eval/edit-map-probe";
import { checkEditorConfig, type EditorConfig } from "../lib/models/editor/config";
import { createEditor, disposeEditor } from "../lib/models/editor/model";
import { loadEditorWeights } from "../lib/models/editor/train/node";
import { probeEditGrounding } from "../lib/eval/ground-probe";
import { disposeParams } from "../lib/nn/layers";
import { fromPretrained } from "../lib/train/checkpoint";

const KNOWN = ["weights", "ddim", "text-scale", "image-scale", "seed", "name", "benchmark"];

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  if (a.weights === undefined) throw new Error("--weights=<checkpoint folder> is required (a final-<variant>-<key> folder of data/generated/curve-cache/<profile>/<key>)");
  const name = checkName(a.name ?? "editor-diagnosis", "result");
  const dir = path.resolve(a.weights);
  if (!fs.existsSync(path.join(dir, "config.json"))) throw new Error(`--weights: ${dir} is not a checkpoint folder (no config.json)`);
  const profile = currentProfile();
  const backend = (await initBackend()).name;
  const loaded = fromPretrained(dir);
  const meta = loaded.meta.config as { what?: string; config?: { editor?: EditorConfig; recipe?: unknown; seed?: number } };
  if (meta.config?.editor === undefined) {
    disposeParams(loaded.params);
    throw new Error(`--weights: ${dir}/config.json names no editor config (expected the final weights of a learning curve)`);
  }
  const which = a.benchmark ?? "test";
  if (which !== "test" && which !== "validation") throw new Error(`--benchmark must be test or validation, got '${which}'`);
  const model = createEditor(checkEditorConfig(meta.config.editor), new Rng(0).fork("init"));
  try {
    loadEditorWeights(model, loaded.params, dir);
  } finally {
    disposeParams(loaded.params);
  }
  const ddimSteps = intFlag(a, "ddim", 10, 1);
  const seed = intFlag(a, "seed", 0, 0);
  const textScale = numFlag(a, "text-scale", 1);
  const imageScale = numFlag(a, "image-scale", 1);
  const bench = which === "test" ? ensureBenchmark("spatialeval", profile) : ensureValidationBenchmark(profile);
  console.log(`backend ${backend}; profile ${profile}; ${meta.what ?? "weights"} from ${dir}; ${bench.items.length} ${which === "test" ? "SpatialEval-mini" : "validation"} items, ${ddimSteps} DDIM steps, guidance text ${textScale} / image ${imageScale}`);
  try {
    const items = await diagnoseEdits(model, bench, { ddimSteps, seed, textScale, imageScale });
    const rows = diagnosisSummary(items);
    for (const r of rows) console.log(`${r.kind.padEnd(10)} n ${String(r.n).padStart(4)}  target found ${r.targetFound.toFixed(3)}  named ${r.targetNamed.toFixed(3)}  object judge ${r.objectJudge.toFixed(3)}  edit-region L1 ${r.l1Region.toFixed(4)}  background L1 ${r.l1Background.toFixed(4)}  L1 ${r.l1.toFixed(4)}`);
    const text = diagnosisText(rows);
    console.log(text);
    // with the aligned edit map: does it point at what the edit changes? (lib/eval/edit-map-probe.ts)
    const mapItems = model.config.editMap === true ? probeEditMap(model, bench) : null;
    const mapRows = mapItems === null ? null : mapProbeSummary(mapItems);
    for (const r of mapRows ?? []) console.log(`edit map ${r.kind.padEnd(10)} n ${String(r.n).padStart(4)}  mass on the changed patches ${r.mass.toFixed(3)} (uniform map ${r.chance.toFixed(3)})  top patch changed ${r.top.toFixed(3)}`);
    // with the aligned [LOC] path: does its where head point at what the edit changes? (softmax of its logits over the patches)
    const whereItems = model.config.aligned === true && model.imageTokens ? probeWhereHead(model, bench) : null;
    const whereRows = whereItems === null ? null : mapProbeSummary(whereItems);
    for (const r of whereRows ?? []) console.log(`where head ${r.kind.padEnd(10)} n ${String(r.n).padStart(4)}  mass on the changed patches ${r.mass.toFixed(3)} (uniform ${r.chance.toFixed(3)})  top patch changed ${r.top.toFixed(3)}`);
    // the control: the same images with mismatched instructions (a head that only finds objects scores as above)
    const whereOther = whereItems === null ? null : mapProbeSummary(probeWhereHead(model, bench, 32, true));
    for (const r of whereOther ?? []) console.log(`where head, mismatched instruction ${r.kind.padEnd(10)} n ${String(r.n).padStart(4)}  mass on the changed patches ${r.mass.toFixed(3)} (uniform ${r.chance.toFixed(3)})  top patch changed ${r.top.toFixed(3)}`);
    // where the MLLM's [IMG] tokens look for each instruction (lib/eval/ground-probe.ts)
    const grounding = model.imageTokens ? probeEditGrounding(model, bench) : null;
    if (grounding) console.log(`[IMG] attention on the pixels the truth changes, per layer ${grounding.perLayer.map((m) => m.toFixed(3)).join(" / ")} (uniform ${grounding.uniform.toFixed(3)}, ${grounding.n} items)`);
    const file = writeResult(name, { config: { weights: path.relative(process.cwd(), dir), what: meta.what, trained: meta.config, ddimSteps, textScale, imageScale, benchmark: which, benchmarkHash: bench.contentHash }, seed, data: { backend, rows, text, items, grounding, ...(mapRows ? { editMap: { rows: mapRows, items: mapItems } } : {}), ...(whereRows ? { whereHead: { rows: whereRows, items: whereItems, mismatchedInstruction: whereOther } } : {}) } });
    console.log(`wrote ${file}`);
  } finally {
    disposeEditor(model);
  }
}

runMain(main);
