import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { measureRankAgreement, summariseAgreement } from "../../lib/engine/agreement";
import { engineConfig, NOISY_LABEL_MODE, noisyConfig } from "../../lib/engine/config";
import { RANK_KEYS } from "../../lib/engine/types";
import { worldConfig } from "../../lib/world/config";

const base = { width: 32, height: 32, world: worldConfig("tiny"), engine: engineConfig("tiny"), noisy: noisyConfig("tiny") };

describe("rank facts vs the renderer's truth", () => {
  it("on 1,000 random oracle scenes (32x32) every decided rank fact agrees with the truth", () => {
    const c = measureRankAgreement(new Rng(2024), { ...base, scenes: 1000, source: "oracle" });
    expect(c.examples).toEqual([]);
    for (const key of RANK_KEYS) {
      const a = c.perKey[key];
      expect(a.pairsAgreed).toBe(a.pairsDecided);
      expect(a.rankFactsAgreed).toBe(a.rankFactsDecided);
      expect(a.pairsDecided).toBeGreaterThan(0.1 * a.pairs); // the tolerances leave facts to use
    }
    const s = summariseAgreement(c);
    expect(s.overallAgreement).toBe(1);
    expect(s.colourAccuracy).toBe(1);
    expect(c.framesRefused).toBe(0);
  });

  // measured on these 40 scenes: zero noise 1.0000, default 0.8834, labels 0.8543, heavy 0.6246
  const zero = noisyConfig("tiny", { depthNoise: 0, erodeProbability: 0, dilateProbability: 0, dropProbability: 0 });
  const run = (noisy: typeof zero) => summariseAgreement(measureRankAgreement(new Rng(7), { ...base, noisy: noisy, scenes: 40, source: "noisy" }));

  /** Agreement must fall as the geometric noise grows: zero > default > heavy, zero exactly 1. */
  function checkNoiseOrder(z: Record<string, number>, d: Record<string, number>, h: Record<string, number>): void {
    expect(z.overallAgreement).toBe(1);
    expect(d.overallAgreement).toBeLessThan(z.overallAgreement);
    expect(h.overallAgreement).toBeLessThan(d.overallAgreement);
  }

  it("the noisy source's agreement falls with the noise (zero noise = 1 exactly) and is repeatable", () => {
    const a = measureRankAgreement(new Rng(7), { ...base, scenes: 40, source: "noisy" });
    const b = measureRankAgreement(new Rng(7), { ...base, scenes: 40, source: "noisy" });
    expect(a).toEqual(b);
    const z = run(zero);
    const d = summariseAgreement(a);
    const h = run(noisyConfig("tiny", { depthNoise: 0.05, dropProbability: 0.2 }));
    checkNoiseOrder(z, d, h);
    // the geometric noise leaves the labels true: the semantic step is not exercised ...
    expect([d.shapeAccuracy, d.materialAccuracy, d.sizeAccuracy, d.trendAccuracy]).toEqual([1, 1, 1, 1]);
    // ... the label mode corrupts it (wrong class 10%, each hint dropped 20%)
    const l = run(noisyConfig("tiny", NOISY_LABEL_MODE));
    expect(l.shapeAccuracy).toBeLessThan(1);
    expect(l.shapeAccuracy).toBeGreaterThan(0.8);
    expect(l.materialAccuracy).toBeLessThan(0.9);
  });

  it("that check fails on a deliberately broken input: the 'noisy' runs all without noise", () => {
    const z = run(zero);
    expect(() => checkNoiseOrder(z, z, z)).toThrow();
  });
});
