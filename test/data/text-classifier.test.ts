import { describe, expect, it } from "vitest";
import { textClassifierProbability, textFeatures, topFeatures, trainTextClassifier } from "../../lib/data/text-classifier";
import { compareWithPaper } from "../../lib/data/table3-real";

const TOY = [
  { text: "move the cube to the left", spatial: true },
  { text: "put the cup on the left", spatial: true },
  { text: "remove the cone on the left", spatial: true },
  { text: "make the cube red", spatial: false },
  { text: "make the cup blue", spatial: false },
  { text: "make the cone green", spatial: false },
];

describe("learned spatial classifier (logistic regression on words and bigrams)", () => {
  it("features are normalised words and bigrams", () => {
    expect(textFeatures("Move it LEFT!").sort()).toEqual(["b:it left", "b:move it", "w:it", "w:left", "w:move"]);
    expect(textFeatures("Move it left", false)).toEqual(["w:move", "w:it", "w:left"]);
  });

  it("learns a separable toy set, deterministically, and puts 'left' on the spatial side", () => {
    const m = trainTextClassifier(TOY, { minCount: 1, steps: 300 });
    for (const t of TOY) expect(textClassifierProbability(m, t.text) >= 0.5).toBe(t.spatial);
    expect(textClassifierProbability(m, "paint the sphere on the left")).toBeGreaterThan(0.5);
    expect(textClassifierProbability(m, "make the sphere red")).toBeLessThan(0.5);
    const again = trainTextClassifier(TOY, { minCount: 1, steps: 300 });
    expect(Array.from(again.weights)).toEqual(Array.from(m.weights));
    expect(topFeatures(m, 3).spatial.map(([f]) => f)).toContain("w:left");
  });

  it("refuses bad configs and one-class data with clear messages", () => {
    expect(() => trainTextClassifier(TOY, { stepz: 3 } as never)).toThrow("trainTextClassifier: unknown config key 'stepz' (allowed: steps, lr, l2, minCount, bigrams)");
    expect(() => trainTextClassifier(TOY, { lr: -1 })).toThrow("trainTextClassifier: lr must be a positive number, got -1");
    expect(() => trainTextClassifier(TOY, { steps: 0 })).toThrow("trainTextClassifier: steps must be a positive integer, got 0");
    expect(() => trainTextClassifier(TOY.filter((t) => t.spatial))).toThrow("trainTextClassifier: need both spatial and non-spatial examples, got 3 of 3 spatial");
  });
});

describe("Table 3 on real text: the comparison with the paper is computed", () => {
  it("says 'disagree' only when the paper's share is outside our interval (both ways)", () => {
    const row = { corpus: "magicbrush", n: 250, spatialShare: 0.3, ciLow: 0.25, ciHigh: 0.36 };
    const far = compareWithPaper("MagicBrush", 0.033, row, "labelled");
    expect(far.disagrees).toBe(true);
    expect(far.sentence).toContain("the two disagree");
    const near = compareWithPaper("MagicBrush", 0.3, row, "labelled");
    expect(near.disagrees).toBe(false);
    expect(near.sentence).toContain("no disagreement");
  });
});
