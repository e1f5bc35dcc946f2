/**
 * bench/exact-rewrites: what the exact rewrites (lib/backend/kernels/exact.ts: a data-sharing
 * same-dtype Cast, a Mean gradient without a tensor of ones) save on an editor training step.
 * In each round one Stage II step (L_condition + L_edit, attention tuning, FusedAdam, batch 64 of
 * the profile's editor) is timed without the rewrites and then with them, in the same process on
 * the same batch, so the ratio holds on a loaded machine; absolute times do not. The tuned kernels
 * stay registered in both. The rewrites give the same values bit for bit (test/backend/exact.test.ts),
 * so the two arms train the same numbers; the bench checks the losses agree too.
 *
 * Usage: npx tsx bench/exact-rewrites.ts [--profile=paper] [--batch=64] [--steps=3] [--rounds=4] [--name=exact-rewrites]
 */
import * as tf from "@tensorflow/tfjs";
import { registerExactRewrites, unregisterExactRewrites } from "../lib/backend/kernels/exact";
import { initBackend, wasmKernels } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { writeResult } from "../lib/core/results";
import { Rng } from "../lib/core/rng";
import { editorConfig } from "../lib/models/editor/config";
import { createEditor, disposeEditor, editorTunable, stage2Loss } from "../lib/models/editor/model";
import { trainStep } from "../lib/train/adam";
import { FusedAdam } from "../lib/train/fused-adam";
import { makeBatch, median, num, str, texts } from "./editor-batch";

const SEED = 1234;

async function main(): Promise<void> {
  const backend = await initBackend();
  if (backend.name !== "wasm") throw new Error(`bench/exact-rewrites: the rewrites are wasm kernels and a gradient; the backend is ${backend.name}`);
  const profile = str("profile", "paper");
  const B = num("batch", 64);
  const steps = num("steps", 3);
  const rounds = num("rounds", 4);
  const c = editorConfig(profile);
  process.stdout.write(`backend wasm (${wasmKernels()}); ${profile} editor, batch ${B}; ${rounds} rounds x ${steps} steps per arm\n`);
  const t = texts(B, SEED);
  // two editors from the same seed, one per arm, so that each arm's Adam state and weights follow its own steps
  const arms = [false, true].map((exact) => {
    const e = createEditor(c, new Rng(SEED));
    const b = makeBatch(e, B, t, SEED);
    const vars = editorTunable(e, "attention");
    const opt = new FusedAdam(1e-3);
    const losses: number[] = [];
    const step = () => {
      if (exact) registerExactRewrites();
      else unregisterExactRewrites();
      const loss = trainStep(opt, () => tf.tidy(() => stage2Loss(e, b).loss), {}, vars);
      losses.push(loss);
    };
    return { exact, e, b, opt, step, losses, ms: [] as number[] };
  });
  for (const a of arms) a.step(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const a of arms) {
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        a.step();
        times.push(performance.now() - t0);
      }
      a.ms.push(median(times));
    }
    process.stdout.write(`round ${r + 1}: without ${arms[0].ms[r].toFixed(0)} ms, with ${arms[1].ms[r].toFixed(0)} ms\n`);
  }
  registerExactRewrites();
  const same = arms[0].losses.every((x, i) => x === arms[1].losses[i]);
  const without = median(arms[0].ms);
  const withRewrites = median(arms[1].ms);
  const ratio = withRewrites / without;
  process.stdout.write(`median ms/step: without ${without.toFixed(0)}, with ${withRewrites.toFixed(0)}: ratio ${ratio.toFixed(3)}; losses of the two arms ${same ? "identical at every step" : "DIFFER"}\n`);
  for (const a of arms) {
    a.opt.dispose();
    tf.dispose([a.b.source, a.b.noisy, a.b.target]);
    disposeEditor(a.e);
  }
  const file = writeResult(str("name", "exact-rewrites"), {
    config: { profile, editor: c, batch: B, steps, rounds, mode: "attention" },
    seed: SEED,
    data: { backend: backend.name, kernels: wasmKernels(), msWithout: arms[0].ms, msWith: arms[1].ms, medianWithout: without, medianWith: withRewrites, ratio, lossesIdentical: same, losses: arms[0].losses },
  });
  process.stdout.write(`wrote ${file}\n`);
  if (!same) throw new Error("bench/exact-rewrites: the two arms' losses differ: a rewrite is not exact");
}

runMain(main);
