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
import { editorFeatureExtractor, trainedEditor } from "../../lib/eval/trained-editor";
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

  it("'feature sim (ours)': the editor's encoder as a feature extractor (any input size, no leak, identical images give 1)", async () => {
    const model = createEditor(editorConfig("tiny"), new Rng(1));
    const fx = editorFeatureExtractor(model, 2);
    const rng = new Rng(5);
    const img = (S: number) => ({ width: S, height: S, data: Uint8Array.from(rng.uniformArray(S * S * 3, 0, 255), Math.round) });
    const a = img(32);
    const b = img(16);
    const n0 = tf.memory().numTensors;
    const f = await fx.extract([a, a, b]);
    expect(tf.memory().numTensors).toBe(n0);
    expect(fx.name).toBe("feature sim (ours)");
    expect(f.map((x) => x.length)).toEqual([model.config.encD, model.config.encD, model.config.encD]);
    f[0].forEach((v, i) => expect(f[1][i]).toBeCloseTo(v, 5)); // the same image, in another batch row
    expect(Math.max(...Array.from(f[0], (v, i) => Math.abs(v - f[2][i])))).toBeGreaterThan(1e-3);
    fx.dispose();
    await expect(fx.extract([a])).rejects.toThrow("feature sim (ours): the extractor was disposed");
    disposeEditor(model);
  });
});
