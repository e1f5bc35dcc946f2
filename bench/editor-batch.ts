/**
 * What the editor benches share: their seeded Stage II batch (real data-engine instructions and
 * language conditions, so that sequence lengths are realistic; seeded noise for images, noise and
 * targets, whose values do not change the time), their `--name=value` flags and the median.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../lib/core/rng";
import { dataEngineConfig } from "../lib/data/config";
import { buildScene } from "../lib/data/generate";
import { conditionDropout } from "../lib/models/editor/losses";
import { editorLayout, type Editor, type Stage2Batch } from "../lib/models/editor/model";

/** Real instructions and language conditions from the data engine (seeded), B of them. */
export function texts(B: number, seed: number): { instructions: string[]; conditions: string[] } {
  const cfg = dataEngineConfig("quick");
  const instructions: string[] = [];
  const conditions: string[] = [];
  for (let k = 0; instructions.length < B; k++) {
    for (const e of buildScene(k, seed, cfg).edits) {
      instructions.push(e.text);
      conditions.push(e.condition);
    }
  }
  return { instructions: instructions.slice(0, B), conditions: conditions.slice(0, B) };
}

/** A Stage II batch of B items for `e` (the caller disposes source, noisy and target). */
export function makeBatch(e: Editor, B: number, t: { instructions: string[]; conditions: string[] }, seed: number): Stage2Batch {
  const rng = new Rng(seed).fork("batch");
  const S = e.config.image;
  const n = B * S * S * 3;
  return {
    source: tf.tensor4d(rng.fork("src").uniformArray(n, -1, 1), [B, S, S, 3]),
    noisy: tf.tensor4d(rng.fork("noisy").normalArray(n), [B, S, S, 3]),
    target: tf.tensor4d(rng.fork("target").normalArray(n, 0, 0.3), [B, S, S, 3]),
    t: Array.from({ length: B }, (_, i) => (i * 397) % e.config.timesteps),
    layout: editorLayout(e, t.instructions, t.conditions),
    ...conditionDropout(rng.fork("drop"), B, e.config),
  };
}

/** The value of `--name=value` on the command line, or `def`. */
export const str = (name: string, def: string): string => (process.argv.find((x) => x.startsWith(`--${name}=`)) ?? `--${name}=${def}`).split("=")[1];
export const num = (name: string, def: number): number => Number(str(name, String(def)));

export const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
