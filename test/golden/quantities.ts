/**
 * The quantities pinned by the goldens of issue 8 (step 1), on tiny configs with fixed seeds:
 * the tiny GPT's logits (plain, with a prompt, with a prefix), one-to-three training steps' losses
 * for each adaptation method, attention maps with a prefix, the Eq. 7 study, the sort
 * experiment and the multi-layer attention-tuning run. Same definitions before and after the
 * refactor; only the API used to compute them may change.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, resolveConfig } from "../../lib/core";
import {
  adaptMethod, ATTENTION_TUNING_PRESETS, disposeAdapted,
  eq7Study, eq7TableRows, runAttentionTuning, runSortExperiment, SORT_PRESETS,
  sortAttentionMaps, sortGptConfig, summariseSort, trainSort, type SortExperimentConfig, type SortMethod,
} from "../../lib/theory";
import { createGpt, createPrefix, createPrefixKV, createPrompt, disposeAdapters, disposeGpt, forwardTokens } from "../../lib/models";

export type Golden = Record<string, number[]>;

/**
 * The sort experiment as it was defined when the goldens were captured (issue 11 changed the
 * definition: standard prefix keys/values, learning-rate sweeps, equal budgets). The old path stays
 * reachable: golden name -> today's method (the old "prefix" is today's "prefix-ln"), and the old
 * single learning rate of each method.
 */
const LEGACY_METHODS: [string, SortMethod, number][] = [["prefix", "prefix-ln", 1e-2], ["prompt", "prompt", 1e-2], ["attention", "attention", 1e-3], ["lora", "lora", 1e-2], ["full", "full", 1e-3]];
const LEGACY_NAME: Record<string, string> = Object.fromEntries(LEGACY_METHODS.map(([g, m]) => [m, g]));
function legacySortTiny(): SortExperimentConfig {
  const t = resolveConfig(SORT_PRESETS, "sort", "tiny");
  return { ...t, n: 3, d: 16, layers: 1, heads: 2, ff: 32, batch: 16, pretrainSteps: 6, pretrainLr: 3e-3, adaptSteps: 3, lrs: { soft: [1e-2], weights: [1e-3], lora: [1e-2] }, methods: LEGACY_METHODS.map(([, m]) => m), nSoft: 2, softStd: 1, loraRank: 2, evalSize: 32, seeds: [1] };
}

const round = (xs: ArrayLike<number>) => Array.from(xs, (x) => Number(x));

function stats(xs: ArrayLike<number>): number[] {
  let s = 0;
  let a = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    a += Math.abs(xs[i]);
  }
  return [s, a];
}

export async function goldenQuantities(): Promise<Golden> {
  const out: Golden = {};
  const sortTiny = legacySortTiny();
  const cfg = { ...sortGptConfig({ ...sortTiny, layers: 2 }) };
  const tokens = [1, 2, 3, 10, 1, 2, 5, 4, 3, 10, 3, 4];
  // 1. logits of the tiny GPT, plain / prompt / prefix
  {
    const m = createGpt(cfg, new Rng(11).fork("init"));
    const prompt = createPrompt(m, 2, new Rng(12), 1);
    const prefix = createPrefix(m, 2, new Rng(13), 1);
    tf.tidy(() => {
      const t = tf.tensor2d(tokens, [2, 6], "int32");
      const plain = forwardTokens(m, t).logits.dataSync();
      out["gpt.logits.first16"] = round(plain.slice(0, 16));
      out["gpt.logits.stats"] = stats(plain);
      out["gpt.logits.prompt.stats"] = stats(forwardTokens(m, t, { prompt }).logits.dataSync());
      out["gpt.logits.prefix.stats"] = stats(forwardTokens(m, t, { prefix }).logits.dataSync());
    });
    const maps = sortAttentionMaps(m, { prefix }, Int32Array.from(tokens.slice(0, 6)));
    out["gpt.attention.prefix.layer0.stats"] = stats(maps.maps[0].flat(3));
    out["gpt.attention.prefix.layer1.row5"] = round(maps.maps[1][1][5]);
    out["gpt.attention.prefix.extra"] = maps.extra;
    disposeAdapters({ prompt, prefix });
    disposeGpt(m);
  }
  // 2. three training steps per method from the same base (losses, then the logits' stats after)
  for (const [name, method, lr] of LEGACY_METHODS) {
    const base = createGpt(cfg, new Rng(21).fork("init"));
    const ad = adaptMethod(base, method, { nSoft: 2, loraRank: 2 }, new Rng(22).fork(name));
    const losses = await trainSort(ad.model, ad.adapters, ad.vars, "descending", 3, lr, 8, new Rng(23), name, true);
    out[`step.${name}.losses`] = losses;
    out[`step.${name}.params`] = [ad.params];
    tf.tidy(() => {
      out[`step.${name}.logits.after.stats`] = stats(forwardTokens(ad.model, tf.tensor2d(tokens, [2, 6], "int32"), ad.adapters).logits.dataSync());
    });
    disposeAdapted(ad);
    disposeGpt(base);
  }
  // 3. the Eq. 7 study (3 instances per case)
  eq7TableRows(eq7Study(new Rng(7), 3)).forEach((r, i) => {
    out[`eq7.case${i}`] = [r["instances"], r["max rel. error"], r["max abs. error"], r["max |logit|"], r["rows with order kept (exact)"], r["min s_i"], r["max s_i"]].map(Number);
  });
  // 4. the sort experiment on tiny
  const sort = await runSortExperiment(sortTiny, { silent: true });
  out["sort.pretrainLoss"] = sort.seeds[0].pretrainLoss;
  out["sort.pretrainAscending"] = [sort.seeds[0].pretrainAscending, sort.seeds[0].baseDescending];
  for (const s of summariseSort(sort)) out[`sort.${LEGACY_NAME[s.method]}.mean,token,params`] = [s.mean, s.token, s.params];
  for (const [method, curve] of Object.entries(sort.seeds[0].curves)) out[`sort.${LEGACY_NAME[method]}.curve`] = curve;
  // 5. multi-layer attention tuning on tiny
  const at = await runAttentionTuning(resolveConfig(ATTENTION_TUNING_PRESETS, "attention", "tiny"), { silent: true });
  out["attention.base.mass,hit"] = [at.base.targetMass, at.base.top1Hit];
  for (const m of at.methods) {
    out[`attention.${m.method}.mass,hit,params`] = [m.targetMass, m.top1Hit, m.params];
    out[`attention.${m.method}.losses`] = m.losses;
    out[`attention.${m.method}.perLayer.meanTau`] = m.perLayer.map((p) => p.meanTau);
  }
  return out;
}
