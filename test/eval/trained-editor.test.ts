import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { Rng } from "../../lib/core/rng";
import { BENCHMARK_SEEDS } from "../../lib/data/seeds";
import { benchmarkConfig } from "../../lib/eval/benchmark-config";
import { generateBenchmark } from "../../lib/eval/benchmark-generate";
import { evaluate } from "../../lib/eval/evaluate";
import { identityEditor } from "../../lib/eval/editor";
import { trainedEditor } from "../../lib/eval/trained-editor";
import { editorConfig } from "../../lib/models/editor/config";
import { createEditor, disposeEditor } from "../../lib/models/editor/model";

beforeAll(async () => {
  await initBackend();
});

describe("a trained editor behind the evaluation interface", () => {
  it("an untrained editor (zero-initialised denoiser) scores 0 on the object judge, like identity; sizes are mapped back", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "trained-editor-"));
    const bench = generateBenchmark("spatialeval", path.join(tmp, "b"), benchmarkConfig("tiny"), BENCHMARK_SEEDS.spatialEval);
    const model = createEditor(editorConfig("tiny"), new Rng(1)); // 16x16 editor on the 32x32 benchmark
    const n0 = tf.memory().numTensors;
    const ours = await evaluate(trainedEditor("untrained", model, { steps: 2 }), bench, { seed: 1 });
    const ident = await evaluate(identityEditor(), bench, { seed: 1 });
    expect(tf.memory().numTensors).toBe(n0);
    expect(ours.items.length).toBe(ident.items.length);
    // the untrained editor returns its (downsampled, upsampled) source: no object changed as instructed
    expect(ours.summary["object judge"].mean).toBe(0);
    expect(ours.summary["object judge"].mean).toBe(ident.summary["object judge"].mean);
    disposeEditor(model);
  }, 120_000);
});
