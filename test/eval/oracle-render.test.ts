import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { copyDenoiser, initOracleRender, oraclePrediction, oracleContentFeatures, oracleFeatures, oracleFeaturesFor, oracleRender, oracleRenderConfig, type OracleInjection } from "../../lib/eval/oracle-render";
import { Rng } from "../../lib/core/rng";
import { disposeParams } from "../../lib/nn/layers";
import { editorConfig } from "../../lib/models/editor/config";

beforeAll(async () => {
  await initBackend();
});

/** The tiny editor's oracle study weights with the denoiser's output layer opened (it starts at zero: no edit), so that its input shows in the prediction. */
function openedOracle(inject: OracleInjection, seed: number): { c: ReturnType<typeof editorConfig>; N: number; p: ReturnType<typeof initOracleRender> } {
  const c = editorConfig("tiny");
  const p = initOracleRender(new Rng(seed).fork("init"), c, inject);
  tf.tidy(() => p["dn.final.out.w"].assign(tf.randomNormal(p["dn.final.out.w"].shape, 0, 0.1, "float32", 3)));
  return { c, N: (c.image / c.dnPatch) ** 2, p };
}

describe("oracle-render study", () => {
  it("oracleFeatures: per patch the changed share and the mean target colour of the changed pixels, in patchify's order", () => {
    const size = 8;
    const source = new Float32Array(size * size * 3).fill(-1);
    const target = new Float32Array(source);
    // patch (row 0, col 1): 2 of its 16 pixels become (1, 0, -1) and (0, 0, -1); a 1/255 change elsewhere is below the threshold
    const set = (x: number, y: number, rgb: number[]) => rgb.forEach((v, c) => (target[(y * size + x) * 3 + c] = v));
    set(4, 0, [1, 0, -1]);
    set(5, 1, [0, 0, -1]);
    set(0, 7, [-1 + 2 / 255, -1, -1]);
    const f = oracleFeatures(source, target, size, 4);
    expect(f.length).toBe(4 * 4);
    expect(Array.from(f.slice(4, 8))).toEqual([2 / 16, 0.5, 0, -1]);
    for (const patch of [0, 2, 3]) expect(Array.from(f.slice(patch * 4, patch * 4 + 4))).toEqual([0, 0, 0, 0]);
    // the content oracle: mean source and target colour of the 2 changed pixels, and their share of the 64
    expect(Array.from(oracleContentFeatures(source, target, size))).toEqual([-1, -1, -1, 0.5, 0, -1, 2 / 64]);
    expect(Array.from(oracleContentFeatures(source, source, size))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // split: each patch's changed share, then the content token
    expect(Array.from(oracleFeaturesFor("split", source, target, size, 4))).toEqual([0, 2 / 16, 0, 0, -1, -1, -1, 0.5, 0, -1, 2 / 64]);
    expect(() => oracleFeatures(source, target.slice(1), size, 4)).toThrow("oracleFeatures: images must have 8x8x3 = 192 values, got 192 and 191");
    expect(() => oracleFeatures(source, target, size, 3)).toThrow("oracleFeatures: patch 3 does not divide the image size 8");
  });

  it("config: presets per profile and clear errors", () => {
    expect(oracleRenderConfig("paper")).toMatchObject({ inject: "cross", steps: 1000, regionWeight: 8, emaDecay: 0.995 });
    expect(() => oracleRenderConfig("tiny", { inject: "both" as never })).toThrow("oracle-render: inject must be one of cross, add, content, split, gated, got 'both'");
    expect(() => oracleRenderConfig("tiny", { steps: 0 })).toThrow("oracle-render: steps must be a positive integer, got 0");
    expect(() => oracleRenderConfig("tiny", { emaDecay: 1 })).toThrow("oracle-render: emaDecay must be in [0, 1) (0: off), got 1");
  });

  it("trains and scores the five injections on tiny (EMA on), and frees every tensor", async () => {
    const editor = editorConfig("tiny");
    const bench = ensureBenchmark("spatialeval", "tiny");
    const spatial = bench.items.filter((x) => x.kind !== null).length;
    const n0 = tf.memory().numTensors;
    for (const inject of ["cross", "add", "content", "split", "gated"] as const) {
      const lines: string[] = [];
      const points = await oracleRender(oracleRenderConfig("tiny", { inject, emaDecay: 0.9 }), editor, bench, { log: (l) => lines.push(l) });
      expect(points.map((p) => p.step)).toEqual([2]);
      const [p] = points;
      expect(p.n).toBe(spatial);
      expect(p.items.length).toBe(spatial);
      expect(p.items.reduce((a, x) => a + x, 0) / spatial).toBeCloseTo(p.objectJudge, 12);
      for (const x of [p.objectJudge, p.done, p.kept]) expect(x >= 0 && x <= 1).toBe(true);
      expect(Object.values(p.perKind).reduce((a, k) => a + k.n, 0)).toBe(spatial);
      expect(lines[lines.length - 1]).toMatch(/^step 2: object judge \d\.\d{3} \(done/);
    }
    expect(tf.memory().numTensors).toBe(n0);
  }, 300_000);

  it("hands the points so far to onPoint after each evaluation, the last call equal to the result", async () => {
    const editor = editorConfig("tiny");
    const bench = ensureBenchmark("spatialeval", "tiny");
    const seen: number[][] = [];
    const points = await oracleRender(oracleRenderConfig("tiny", { inject: "add", steps: 4, evalEvery: 2 }), editor, bench, { onPoint: (ps) => seen.push(ps.map((p) => p.step)) });
    expect(seen).toEqual([[2], [2, 4]]);
    expect(points.map((p) => p.step)).toEqual([2, 4]);
  }, 300_000);

  it("gated: starts as no oracle at all, and a patch's colour reaches the denoiser scaled by its changed share", () => {
    const n0 = tf.memory().numTensors;
    const { c, N, p } = openedOracle("gated", 4);
    const B = 2;
    const noisy = tf.randomNormal([B, c.image, c.image, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const source = tf.randomUniform([B, c.image, c.image, 3], -1, 1, "float32", 2) as tf.Tensor4D;
    const feats = tf.tensor2d(Array.from({ length: B * N * 4 }, (_, i) => ((i * 37) % 11) / 11), [B, N * 4]);
    const none = tf.zerosLike(feats) as tf.Tensor2D;
    const at = (f: tf.Tensor2D) => tf.tidy(() => Array.from(oraclePrediction(p, c, "gated", noisy, source, [3, 7], f).dataSync()));
    // g and Lin_pi start at zero: the oracle changes nothing until they learn
    expect(at(feats)).toEqual(at(none));
    tf.tidy(() => {
      p["or.gate"].assign(tf.fill([c.dnD], 0.5));
      p["or.in.w"].assign(tf.fill([3, c.dnD], 0.25));
    });
    // a patch changed by none of its pixels carries no colour; the spatial input is share (g + Lin_pi(rgb)), not its colour alone
    const colourOnly = tf.tensor2d(Array.from({ length: B * N * 4 }, (_, i) => (i % 4 === 0 ? 0 : 0.9)), [B, N * 4]);
    expect(at(colourOnly)).toEqual(at(none));
    expect(at(feats)).not.toEqual(at(none));
    disposeParams(p);
    for (const x of [noisy, source, feats, none, colourOnly]) x.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it("condition dropout: an item that loses the text loses the oracle too; the others keep theirs", () => {
    const n0 = tf.memory().numTensors;
    const { c, N, p } = openedOracle("add", 5);
    const r = tf.tidy(() => {
      const noisy = tf.randomNormal([2, c.image, c.image, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const source = tf.randomUniform([2, c.image, c.image, 3], -1, 1, "float32", 2) as tf.Tensor4D;
      const feats = tf.tensor2d(Array.from({ length: 2 * N * 4 }, (_, i) => ((i * 37) % 11) / 11), [2, N * 4]);
      const other = tf.tensor2d(Array.from({ length: 2 * N * 4 }, (_, i) => ((i * 13) % 7) / 7), [2, N * 4]);
      const at = (f: tf.Tensor2D, dropText?: boolean[]) => oraclePrediction(p, c, "add", noisy, source, [3, 7], f, dropText && { dropText, dropImage: [false, false] }).arraySync() as number[][][][];
      const dropped = at(feats, [true, false]);
      const droppedOther = at(other, [true, false]);
      const kept = at(feats);
      return { item0Same: JSON.stringify(dropped[0]) === JSON.stringify(droppedOther[0]), item1Kept: JSON.stringify(dropped[1]) === JSON.stringify(kept[1]), item0Changed: JSON.stringify(dropped[0]) !== JSON.stringify(kept[0]) };
    });
    disposeParams(p);
    expect(tf.memory().numTensors).toBe(n0);
    expect(r).toEqual({ item0Same: true, item1Kept: true, item0Changed: true });
    expect(() => oracleRenderConfig("tiny", { conditionDropout: "yes" as never })).toThrow(`oracle-render (profile 'tiny'): config key 'conditionDropout' must be boolean, got string ("yes")`);
  });

  it("copyDenoiser: sets every dn.* weight from another editor's, leaves the oracle's own embedding, and refuses another denoiser", async () => {
    const editor = editorConfig("tiny");
    const n0 = tf.memory().numTensors;
    const p = initOracleRender(new Rng(1).fork("init"), editor, "add");
    const from = initOracleRender(new Rng(2).fork("init"), editor, "add");
    const orBefore = Array.from(p["or.in.w"].dataSync());
    const dnKeys = Object.keys(p).filter((k) => k.startsWith("dn."));
    expect(dnKeys.some((k) => Array.from(p[k].dataSync()).join() !== Array.from(from[k].dataSync()).join())).toBe(true);
    expect(copyDenoiser(p, from)).toBe(dnKeys.length);
    for (const k of dnKeys) expect(Array.from(p[k].dataSync())).toEqual(Array.from(from[k].dataSync()));
    expect(Array.from(p["or.in.w"].dataSync())).toEqual(orBefore);
    const wide = initOracleRender(new Rng(3).fork("init"), editorConfig("tiny", { dnD: 32 }), "add");
    expect(() => copyDenoiser(p, wide)).toThrow(/^oracle-render: the initial dn\.[^ ]+ is \[[0-9, ]+\], this denoiser's \[[0-9, ]+\]$/);
    const { "dn.null.e": _dropped, ...partial } = from;
    expect(() => copyDenoiser(p, partial)).toThrow("oracle-render: the initial weights have no dn.null.e: they are not an editor's with this denoiser");
    // a copy that refused changed nothing
    for (const k of dnKeys) expect(Array.from(p[k].dataSync())).toEqual(Array.from(from[k].dataSync()));
    for (const x of [p, from, wide]) disposeParams(x);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it("starts the denoiser from the given weights: two runs from the same weights agree, and differ from a random start", async () => {
    const editor = editorConfig("tiny");
    const bench = ensureBenchmark("spatialeval", "tiny");
    const cfg = oracleRenderConfig("tiny", { inject: "add", steps: 1, evalEvery: 1 });
    const init = initOracleRender(new Rng(9).fork("init"), editor, "add");
    const a = await oracleRender(cfg, editor, bench, { denoiserInit: init });
    const b = await oracleRender(cfg, editor, bench, { denoiserInit: init });
    const random = await oracleRender(cfg, editor, bench);
    expect(a[0].l1Region).toBe(b[0].l1Region);
    expect(a[0].l1Region).not.toBe(random[0].l1Region);
    disposeParams(init);
  }, 300_000);
});
