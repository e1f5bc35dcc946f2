/**
 * Fits the shape reader (lib/models/editor/shape-reader.ts) on the objects of engine scenes (lib/eval/shape-examples.ts:
 * perceived as the editor's decodings perceive them, labelled with the true shape) and measures it: its accuracy per shape
 * and its confusions on held-out scenes, and on the objects of the validation benchmark's and SpatialEval-mini's source
 * scenes (measured, not used to choose anything). Writes the weights to data/generated/shape/<name>/shape.safetensors and
 * results/<profile>/<name>.json. The pipeline option shapeCheck reads the reader (npm run object-head -- --shape-reader=...).
 *
 * Usage: SPATIALEDIT_PROFILE=paper npm run shape-fit -- [--scenes=40000] [--held-out=2000] [--steps=10000] [--batch=128]
 *          [--lr=0.001] [--check-every=500] [--cells=8] [--hidden=96] [--purity=0.8] [--seed=0] [--name=shape-<scenes/1000>k-s<seed>]
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
import { sceneShapeExamples, shapeExamples, type ShapeExampleOptions } from "../lib/eval/shape-examples";
import { editorConfig } from "../lib/models/editor/config";
import { checkShapeReaderConfig, initShapeReader, SHAPE_READER_DEFAULTS, type ShapeReaderConfig } from "../lib/models/editor/shape-reader";
import { fitShapeReader, saveShapeReader, shapePredictions, type ShapeExample } from "../lib/models/editor/train/shape-reader";
import type { Params } from "../lib/nn/layers";
import { SHAPES } from "../lib/world/types";

const KNOWN = ["scenes", "held-out", "steps", "batch", "lr", "check-every", "cells", "hidden", "purity", "seed", "name"];

/** Accuracy overall and per true shape, and the confusion counts [true][predicted] (SHAPES order). */
function measured(p: Params, c: ShapeReaderConfig, xs: readonly ShapeExample[]) {
  const pred = shapePredictions(p, c, xs);
  const confusion = SHAPES.map(() => SHAPES.map(() => 0));
  xs.forEach((x, i) => confusion[x.shape][pred[i]]++);
  const perShape = SHAPES.map((s, k) => ({ shape: s, n: confusion[k].reduce((a, b) => a + b, 0), accuracy: confusion[k][k] / Math.max(1, confusion[k].reduce((a, b) => a + b, 0)) }));
  return { n: xs.length, accuracy: pred.filter((s, i) => s === xs[i].shape).length / Math.max(1, xs.length), perShape, confusion };
}

/** The labelled objects of a benchmark's source scenes (each scene once). */
function benchmarkObjects(b: Benchmark, o: ShapeExampleOptions): ShapeExample[] {
  const scenes = new Map(b.items.map((it) => [it.scene, it.sourceScene]));
  return [...scenes.values()].flatMap((s) => sceneShapeExamples(s, o));
}

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), KNOWN);
  const profile = currentProfile();
  const backend = (await initBackend()).name;
  const size = editorConfig(profile).image;
  const c = checkShapeReaderConfig({ cells: intFlag(a, "cells", SHAPE_READER_DEFAULTS.cells, 2), hidden: intFlag(a, "hidden", SHAPE_READER_DEFAULTS.hidden, 1) });
  const fit = { steps: intFlag(a, "steps", 10000, 1), batch: intFlag(a, "batch", 128, 1), lr: numFlag(a, "lr", 1e-3), checkEvery: intFlag(a, "check-every", 500, 1), seed: intFlag(a, "seed", 0) };
  const [nTrain, nHeld] = [intFlag(a, "scenes", 40000, 1), intFlag(a, "held-out", 2000, 1)];
  const o: ShapeExampleOptions = { size, cells: c.cells, purity: numFlag(a, "purity", 0.8) };
  const name = checkName(a.name ?? `shape-${nTrain / 1000}k-s${fit.seed}`, "result");
  const t0 = Date.now();
  const train = shapeExamples(0, nTrain, fit.seed, o);
  const held = shapeExamples(nTrain, nHeld, fit.seed, o);
  const madeS = (Date.now() - t0) / 1000;
  console.log(`backend ${backend}; profile ${profile}; ${train.length} objects of ${nTrain} engine scenes to fit on, ${held.length} of ${nHeld} held-out scenes (made in ${madeS.toFixed(0)} s); ${size} x ${size}, cells ${c.cells}, hidden ${c.hidden}`);
  const dir = projectPath(path.join("data", "generated", "shape", name));
  fs.mkdirSync(dir, { recursive: true });
  const weights = path.join(dir, "shape.safetensors");
  const p = initShapeReader(c, fit.seed);
  const t1 = Date.now();
  const checks = fitShapeReader(p, c, train, held, fit, (k) => console.log(`step ${k.step}: held-out accuracy ${k.heldOut.toFixed(4)}, training loss ${Number.isNaN(k.train) ? "-" : k.train.toFixed(4)} (${((Date.now() - t1) / 1000).toFixed(0)} s)`));
  const fitS = (Date.now() - t1) / 1000;
  saveShapeReader(weights, { params: p, config: c }); // the kept (best) weights
  const onHeld = measured(p, c, held);
  const onValidation = measured(p, c, benchmarkObjects(ensureValidationBenchmark(profile), o));
  const onBench = measured(p, c, benchmarkObjects(ensureBenchmark("spatialeval", profile), o));
  for (const [label, m] of [["held-out scenes", onHeld], ["validation scenes", onValidation], ["SpatialEval-mini scenes", onBench]] as const) console.log(`${label}: ${m.n} objects, accuracy ${m.accuracy.toFixed(4)} (${m.perShape.map((s) => `${s.shape} ${s.accuracy.toFixed(3)} of ${s.n}`).join(", ")})`);
  const file = writeResult(name, {
    config: { reader: c, fit, scenes: nTrain, heldOutScenes: nHeld, examples: o, trainObjects: train.length, heldOutObjects: held.length, weights: path.relative(projectPath("."), weights) },
    seed: fit.seed,
    data: { backend, seconds: { examples: madeS, fit: fitS }, checks, heldOut: onHeld, validation: onValidation, spatialEvalMini: onBench },
  });
  console.log(`wrote ${file} and ${path.relative(projectPath("."), weights)}`);
}

runMain(main);
