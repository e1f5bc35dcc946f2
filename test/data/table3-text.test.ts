import { describe, expect, it } from "vitest";
import { CLASSIFIER_F1_GOAL, classifierGoalText, compareWithPaper, rubricGapText, sanityRowsText } from "../../lib/data/table3-real";

const rep = (value: number, lo: number) => ({ overall: { f1: { value: value, lo: lo } } });

describe("the spatial classifier's held-out F1 goal (notebook 01)", () => {
  it("the goal is 0.90", () => {
    expect(CLASSIFIER_F1_GOAL).toBe(0.9);
  });

  it("met when the kept classifier's F1 reaches the goal, with a warning when its interval reaches below", () => {
    expect(classifierGoalText({ chosen: "rules", rules: rep(0.93, 0.91), learned: rep(0.88, 0.8) })).toBe(
      "kept: rules (held-out spatial F1 rules 0.930 vs learned 0.880); goal F1 >= 0.90 met.",
    );
    expect(classifierGoalText({ chosen: "rules", rules: rep(0.92, 0.871), learned: rep(0.88, 0.8) })).toBe(
      "kept: rules (held-out spatial F1 rules 0.920 vs learned 0.880); goal F1 >= 0.90 met, but the interval reaches below it (0.871).",
    );
    expect(classifierGoalText({ chosen: "rules", rules: rep(0.9, 0.9), learned: rep(0.88, 0.8) })).toBe(
      "kept: rules (held-out spatial F1 rules 0.900 vs learned 0.880); goal F1 >= 0.90 met.",
    );
  });

  it("NOT met when the kept classifier's F1 is below the goal; the kept one decides, not the better", () => {
    expect(classifierGoalText({ chosen: "learned", rules: rep(0.95, 0.93), learned: rep(0.85, 0.8) })).toBe(
      "kept: learned (held-out spatial F1 rules 0.950 vs learned 0.850); goal F1 >= 0.90 NOT met, but the interval reaches below it (0.800).",
    );
    expect(classifierGoalText({ chosen: "rules", rules: rep(0.93, 0.91), learned: rep(0.88, 0.8) }, 0.95)).toBe(
      "kept: rules (held-out spatial F1 rules 0.930 vs learned 0.880); goal F1 >= 0.95 NOT met, but the interval reaches below it (0.910).",
    );
  });
});

const row = (share: number, lo: number, hi: number, n = 250) => ({ corpus: "magicbrush", n: n, spatialShare: share, ciLow: lo, ciHigh: hi });

describe("Table 3's sentences on real text (notebook 01)", () => {
  it("the rubric gap: placement explains it, or it does not (the strict share stays above, or falls below)", () => {
    const broad = compareWithPaper("MagicBrush", 0.033, row(0.304, 0.25, 0.364), "labelled (rubric)");
    const strictAbove = compareWithPaper("MagicBrush", 0.033, row(0.132, 0.096, 0.18), "strict labelled (no placement)");
    expect(rubricGapText(broad, strictAbove)).toBe(
      "Why: our rubric counts a thing put on/in a named object or region (\"put a cat on the seat\", 17.2 points of MagicBrush) and relations that locate a target; even without placement the share stays above the paper's, so their annotators must also have left out relations such as 'the car in front of the bus' or moves towards an object; their rubric is not published, so the gap is a difference of definition, not of data.",
    );
    const strictInside = compareWithPaper("MagicBrush", 0.033, row(0.04, 0.02, 0.07), "strict labelled (no placement)");
    expect(rubricGapText(broad, strictInside)).toBe(
      "Why: our rubric counts a thing put on/in a named object or region (\"put a cat on the seat\", 26.4 points of MagicBrush) and relations that locate a target; without placement our share is compatible with the paper's, so the difference is the placement kind.",
    );
    const strictBelow = compareWithPaper("MagicBrush", 0.033, row(0.004, 0.001, 0.02), "strict labelled (no placement)");
    expect(rubricGapText(broad, strictBelow)).toContain("without placement the share falls below the paper's, so placement alone does not explain the difference");
    const compatible = compareWithPaper("MagicBrush", 0.3, row(0.304, 0.25, 0.364), "labelled (rubric)");
    expect(rubricGapText(compatible, strictAbove)).toBe("Our labelled MagicBrush share is compatible with the paper's.");
  });

  it("the sanity rows: the edit data must be more spatial than the generic data", () => {
    expect(sanityRowsText({ edit: 1, generic: 0.058, genericIntended: 0.0583 }, 0.443)).toBe(
      "Sanity rows: the classifier finds 100.0% of our edit records spatial (all are, by construction) and 5.8% of the generic records (the generator wrote 5.8%). Our edit data is far above the paper's 44.3% because every K.1 template names its object by a spatial property; the paper's data also keeps non-spatial edits.",
    );
    expect(sanityRowsText({ edit: 0.4, generic: 0.058, genericIntended: 0.073 }, 0.443)).toBe(
      "Sanity rows: the classifier finds 40.0% of our edit records spatial (all are, by construction) and 5.8% of the generic records (the generator wrote 7.3%). Our edit data is not above the paper's 44.3%.",
    );
    expect(sanityRowsText({ edit: 0.05, generic: 0.058, genericIntended: 0.073 }, 0.443)).toBe("Unexpected: the edit data (5.0%) is not more spatial than the generic data (5.8%).");
    expect(sanityRowsText({ edit: 0.058, generic: 0.058, genericIntended: 0.073 }, 0.443)).toBe("Unexpected: the edit data (5.8%) is not more spatial than the generic data (5.8%).");
  });
});
