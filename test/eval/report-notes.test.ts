import { describe, expect, it } from "vitest";
import { budgetCaveat, reportNoteConfig } from "../../lib/eval/report-notes";

describe("the grid notebooks' budget caveat (notebooks 04 and 07)", () => {
  it("tiny and quick budgets are a smoke test and say so; paper's are not and add nothing", () => {
    const caveat = "- On this profile the budgets are a smoke test: read the verdicts as what this run measured, not as the paper-scale result.";
    expect(budgetCaveat(reportNoteConfig("tiny"))).toBe(caveat);
    expect(budgetCaveat(reportNoteConfig("quick"))).toBe(caveat);
    expect(budgetCaveat(reportNoteConfig("paper"))).toBe("");
    expect(budgetCaveat(reportNoteConfig("paper", { smokeTest: true }))).toBe(caveat);
    expect(budgetCaveat(reportNoteConfig("quick", { smokeTest: false }))).toBe("");
  });

  it("an unknown profile or key is a config error", () => {
    expect(() => reportNoteConfig("huge")).toThrow("unknown profile 'huge'");
    expect(() => reportNoteConfig("quick", { smoke: true } as never)).toThrow("report notes (profile 'quick'): unknown config key 'smoke'; known keys: smokeTest");
  });
});
