import { describe, expect, it } from "vitest";
import { Theorem2Row, Verdict } from "../../../lib/theory/divergence/divergence";
import { theorem2Conclusion, verdictTableRows } from "../../../lib/theory/divergence/report";

function row(v: Partial<Record<"eq9" | "eq10Mean" | "eq10PerC" | "assumptionEq29" | "assumptionAtThetaN" | "assumptionAllTheta" | "jensen", Verdict>>, separation = 1, heterogeneity = 1): Theorem2Row {
  return {
    K: 2, separation, heterogeneity, eq9Diff: -1, eq9Se: 0.1, eq9: v.eq9 ?? "holds", eq10MeanDiff: -1, eq10Mean: v.eq10Mean ?? "holds", eq10PerCFailFraction: 0, eq10PerC: v.eq10PerC ?? "holds",
    assumptionEq29Diff: -1, assumptionEq29Se: 0.1, assumptionEq29: v.assumptionEq29 ?? "holds", assumptionAtThetaN: v.assumptionAtThetaN ?? "holds", assumptionAllTheta: v.assumptionAllTheta ?? "holds",
    worstAssumptionGap: -1, jensenDiff: 0, jensen: v.jensen ?? "tie", klNonSpatial: 1,
  };
}

describe("Theorem 2 report: sentences follow the verdict counts", () => {
  it("explains the failures of the literal assumption and of the Jensen step only when they occur", () => {
    const failing = [row({ assumptionAllTheta: "fails", jensen: "fails", eq9: "fails" }, 0.2, 2), row({ assumptionAllTheta: "fails" }, 2, 1)];
    const text = theorem2Conclusion([{ family: "full", rows: failing }], 3);
    expect(text).toContain("failed in 100.0% of instances: for a broad enough model");
    expect(text).toContain("the step fails whenever q(x) is not itself Gaussian");
    expect(text).toContain("the conditions overlap more");
    const holding = [row({}), row({})];
    const t2 = theorem2Conclusion([{ family: "full", rows: holding }], 3);
    expect(t2).toContain("failed in 0.0% of instances. ");
    expect(t2).not.toContain("for a broad enough model");
    expect(t2).not.toContain("not itself Gaussian");
    expect(t2).toContain("No instance failed Eq. 9.");
    expect(t2).toContain("ties: within 3 SE");
  });

  it("Eq. 10 averaged over c: 'never failed', or a warning when it does", () => {
    expect(theorem2Conclusion([{ family: "isotropic", rows: [row({})] }], 3)).toContain("never failed (the conditional family contains the unconditional model)");
    expect(theorem2Conclusion([{ family: "isotropic", rows: [row({ eq10Mean: "fails" })] }], 3)).toContain("which the nesting of the two families rules out: check the fits");
    expect(theorem2Conclusion([{ family: "full", rows: [row({ eq9: "fails" })] }], 3)).toContain("Eq. 9 held in no instance");
  });

  it("the verdict table counts each check", () => {
    const t = verdictTableRows([row({ eq9: "fails" }), row({ eq9: "tie" })], "full");
    const eq9 = t.find((r) => String(r.check).startsWith("Eq. 9"))!;
    expect([eq9.holds, eq9.fails, eq9.ties, eq9["fails %"]]).toEqual([0, 1, 1, 50]);
  });
});
