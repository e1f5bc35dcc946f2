/**
 * bench/editor-step: one Stage II training step of the editor (paper §5.2.2, Eq. 8) at batch 64:
 * Enc (frozen) -> Ada_img -> MLLM -> H_lm (L_condition) and H_edit -> Diff_edit (L_edit), backward
 * over the attention-tuning varList (soft prompt, adapter, heads, denoiser, W_Q..W_O of every MLLM
 * layer), FusedAdam. Instructions and language conditions are real data-engine text (so sequence
 * lengths are realistic); images, noise and targets are seeded noise (values do not change the
 * time). In the same rounds it times the "editor-sized" reference step of docs/environment.md's feasibility
 * notes (4 pre-LN blocks, d 64, 4 heads, FF 256, batch 64, 80 tokens, MSE, Adam; measured there at
 * 225-272 ms), so the ratio editor / reference is meaningful on a loaded machine; absolute times
 * are not. Also a forward-only breakdown per component. Prints a table; writes
 * results/editor-step.json (or results/<--name>.json).
 *
 * Usage: npx tsx bench/editor-step.ts [--profiles=quick,paper] [--batch=64] [--steps=3] [--rounds=3] [--mode=attention] [--name=editor-step]
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { writeResult } from "../lib/core/results";
import { Rng } from "../lib/core/rng";
import { adaptImageTokens } from "../lib/models/editor/adapter";
import { editorConfig, type EditorConfig } from "../lib/models/editor/config";
import { denoiserTokenCount } from "../lib/models/editor/denoiser";
import { encodeImages } from "../lib/models/editor/encoder";
import { editHead } from "../lib/models/editor/heads";
import { createEditor, disposeEditor, editorDenoise, editorParamCounts, editorParams, editorTunable, stage2Loss, type Editor, type Stage2Batch } from "../lib/models/editor/model";
import { mllmForward } from "../lib/models/editor/mllm";
import { countParams, disposeParams, type Params } from "../lib/nn/layers";
import { initTransformer, transformer, type TransformerConfig } from "../lib/nn/transformer";
import { checkTuningMode } from "../lib/nn/tuning";
import { trainStep } from "../lib/train/adam";
import { FusedAdam } from "../lib/train/fused-adam";
import { makeBatch, median, num, str, texts } from "./editor-batch";

const SEED = 1234;

/** docs/environment.md's editor-sized reference step: 4 blocks, d 64, 4 heads, FF 256, batch B, 80 tokens, MSE, Adam. */
function referenceStep(B: number): { step: () => void; dispose: () => void; params: number } {
  const cfg: TransformerConfig = { dModel: 64, dFF: 256, nHeads: 4, causal: true, nLayers: 4 };
  const rng = new Rng(SEED).fork("reference");
  const p: Params = initTransformer(rng, cfg, "ref");
  const x = tf.tensor3d(rng.fork("x").normalArray(B * 80 * 64), [B, 80, 64]);
  const y = tf.tensor3d(rng.fork("y").normalArray(B * 80 * 64), [B, 80, 64]);
  const opt = new FusedAdam(1e-3);
  return {
    step: () => void trainStep(opt, () => tf.tidy(() => tf.losses.meanSquaredError(y, transformer(x, p, cfg, "ref").hidden) as tf.Scalar), p),
    dispose: () => {
      opt.dispose();
      tf.dispose([x, y]);
      disposeParams(p);
    },
    params: countParams(Object.values(p)),
  };
}

function timeMs(fn: () => void, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Forward-only time of each component (median of `n`), no gradient tape. */
function breakdown(e: Editor, b: Stage2Batch, n: number): Record<string, number> {
  const p = editorParams(e);
  const c = e.config;
  const sync = (t: tf.Tensor) => void t.dataSync();
  const run = (f: () => tf.Tensor) => median(timeMs(() => tf.tidy(() => sync(f())), n));
  const imgTok = tf.tidy(() => tf.keep(adaptImageTokens(p, c, encodeImages(p, c, b.source).tokens)));
  const mllm = tf.tidy(() => tf.keep(mllmForward(p, c, b.layout, imgTok, { lora: e.lora, loraScale: e.loraScale }).img));
  const cond = tf.tidy(() => tf.keep(editHead(p, c, mllm, p["soft.img"] as tf.Tensor2D).tokens));
  const out = {
    encoderAdapterMs: run(() => adaptImageTokens(p, c, encodeImages(p, c, b.source).tokens)),
    mllmMs: run(() => mllmForward(p, c, b.layout, imgTok, { lora: e.lora, loraScale: e.loraScale }).hidden),
    editHeadMs: run(() => editHead(p, c, mllm, p["soft.img"] as tf.Tensor2D).tokens),
    denoiserMs: run(() => editorDenoise(e, { noisy: b.noisy, source: b.source, t: b.t, cond }).prediction),
    lossForwardMs: run(() => stage2Loss(e, b).loss),
  };
  tf.dispose([imgTok, mllm, cond]);
  return out;
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const profiles = str("profiles", "quick,paper").split(",");
  const B = num("batch", 64);
  const steps = num("steps", 3);
  const rounds = num("rounds", 3);
  const mode = checkTuningMode(str("mode", "attention"));
  process.stdout.write(`backend ${backend.name}; batch ${B}; ${rounds} rounds x ${steps} steps; ${mode} tuning; Stage II step (L_condition + L_edit)\n`);
  const t = texts(B, SEED);
  const ref = referenceStep(B);
  ref.step(); // warm-up
  const rows: Record<string, unknown>[] = [];
  const configs: Record<string, EditorConfig> = {};
  for (const profile of profiles) {
    const c = editorConfig(profile);
    configs[profile] = c;
    const e = createEditor(c, new Rng(SEED));
    const b = makeBatch(e, B, t, SEED);
    const vars = editorTunable(e, mode);
    const opt = new FusedAdam(1e-3);
    const step = () => void trainStep(opt, () => tf.tidy(() => stage2Loss(e, b).loss), {}, vars);
    step(); // warm-up (kernel set-up, first allocation)
    const editorMs: number[] = [];
    const refMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      refMs.push(median(timeMs(ref.step, steps)));
      editorMs.push(median(timeMs(step, steps)));
    }
    const parts = breakdown(e, b, 3);
    const row = {
      profile,
      msPerStep: median(editorMs),
      referenceMsPerStep: median(refMs),
      ratioToReference: median(editorMs) / median(refMs),
      rounds: { editor: editorMs, reference: refMs },
      forwardBreakdown: parts,
      mllmTokensMax: b.layout.T,
      mllmTokensMean: b.layout.items.reduce((s, it) => s + it.length, 0) / B,
      denoiserTokens: denoiserTokenCount(c),
      params: editorParamCounts(e),
      trainableParams: countParams(vars),
    };
    rows.push(row);
    process.stdout.write(
      `${profile}: ${row.msPerStep.toFixed(0)} ms/step (reference 4-block step ${row.referenceMsPerStep.toFixed(0)} ms, ratio ${row.ratioToReference.toFixed(2)}); ` +
        `MLLM tokens max ${row.mllmTokensMax} mean ${row.mllmTokensMean.toFixed(1)}, denoiser tokens ${row.denoiserTokens}; ` +
        `params ${row.params.total} (trainable ${row.trainableParams}; ${Object.entries(row.params).map(([k, v]) => `${k} ${v}`).join(", ")})\n` +
        `  forward only: ${Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")}\n`,
    );
    opt.dispose();
    tf.dispose([b.source, b.noisy, b.target]);
    disposeEditor(e);
  }
  ref.dispose();
  const file = writeResult(str("name", "editor-step"), {
    config: { editor: configs, batch: B, steps, rounds, mode, reference: { blocks: 4, d: 64, heads: 4, ff: 256, tokens: 80, params: ref.params } },
    seed: SEED,
    data: { backend: backend.name, rows, note: "wall clock on a shared machine: compare the ratio to the reference step measured in the same rounds" },
  });
  process.stdout.write(`wrote ${file}\n`);
}

runMain(main);
