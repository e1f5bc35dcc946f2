import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { measureRankAgreement, summariseAgreement } from "../../lib/engine/agreement";
import { engineConfig, noisyConfig } from "../../lib/engine/config";
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

  it("the noisy source's agreement is measured (reported, not asserted) and repeatable", () => {
    const a = measureRankAgreement(new Rng(7), { ...base, scenes: 40, source: "noisy" });
    const b = measureRankAgreement(new Rng(7), { ...base, scenes: 40, source: "noisy" });
    expect(a).toEqual(b);
    const s = summariseAgreement(a);
    expect(s.overallAgreement).toBeGreaterThan(0);
    expect(s.overallAgreement).toBeLessThanOrEqual(1);
  });
});
