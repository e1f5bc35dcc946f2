import { describe, expect, it } from "vitest";
import { checkSceneFacts, factAgreement } from "../../lib/data/check-facts";
import { dataEngineConfig } from "../../lib/data/config";
import { buildScene } from "../../lib/data/generate";

/**
 * "Exact answers": every rank or order fact behind a written VQA answer or an edit referent,
 * decided on the oracle extraction, must hold on the scene's truth (analytic geometry).
 */
describe("answers and referents from the oracle extraction hold on the truth", () => {
  for (const resolution of [32, 64]) {
    it(`${resolution}x${resolution}, 40 random scenes`, () => {
      const cfg = dataEngineConfig("tiny", { perception: "oracle", resolution, vqaPerScene: 10, editsPerScene: 6, paraphrase: false });
      let facts = 0;
      const wrong: string[] = [];
      for (let k = 0; k < 40; k++) {
        const c = checkSceneFacts(buildScene(k, 77, cfg));
        facts += c.facts;
        wrong.push(...c.wrong);
      }
      expect(wrong).toEqual([]);
      expect(facts).toBeGreaterThan(100);
    });
  }

  it("the noisy source is measured, not assumed", () => {
    const r = factAgreement(dataEngineConfig("tiny", { perception: "noisy", vqaPerScene: 8, editsPerScene: 4 }), 5, 15);
    expect(r.facts).toBeGreaterThan(10);
    expect(r.agreement).toBeGreaterThan(0);
    expect(r.agreement).toBeLessThanOrEqual(1);
    expect(r.agreed).toBeLessThanOrEqual(r.facts);
  });
});
