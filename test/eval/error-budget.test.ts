import { describe, expect, it } from "vitest";
import type { Row } from "../../lib/core/table";
import { BUDGET_PARTS, errorBudget, errorBudgetFigure, goalNeeds, largestCost, reportedBudget, type BudgetRow } from "../../lib/eval/error-budget";

const move = { kind: "move", form: "extreme" };
const trend = { kind: "move", form: "trend" };
const recolour = { kind: "recolour", form: "rank-items" };

describe("where the object-judge score goes (error-budget.ts)", () => {
  it("splits each item's point into judge, choice, rendering and no image, summing to 1 per kind", () => {
    // a trend item (no image), a move the choice loses, a recolour the rendering loses, one a wrong choice happens to pass
    const items = [trend, move, recolour, recolour];
    const rows = errorBudget(items, [0.25, 0, 0, 1], [0.5, 1, 0, 0]);
    expect(rows.map((r) => r.kind)).toEqual(["all", "move", "recolour"]);
    const [all, moves, recolours] = rows;
    expect(moves).toEqual({ kind: "move", n: 2, judge: 0.125, choice: 0.5, rendering: 0, "no image": 0.375 });
    expect(recolours).toEqual({ kind: "recolour", n: 2, judge: 0.5, choice: -0.5, rendering: 1, "no image": 0 });
    expect(all.n).toBe(4);
    for (const r of rows) expect(BUDGET_PARTS.reduce((s, k) => s + r[k], 0)).toBeCloseTo(1, 12);
  });

  it("names the largest cost, and the answer flips with the numbers", () => {
    const items = [trend, move, move, recolour];
    expect(largestCost(errorBudget(items, [1, 1, 0, 1], [1, 1, 1, 1]))).toEqual({ part: "choice", share: 0.25 });
    expect(largestCost(errorBudget(items, [1, 1, 0, 0], [1, 1, 0, 0]))).toEqual({ part: "rendering", share: 0.5 });
    expect(largestCost(errorBudget(items, [0, 1, 1, 1], [0, 1, 1, 1]))).toEqual({ part: "no image", share: 0.25 });
    expect(() => largestCost(errorBudget(items, [0, 1, 1, 1], [0, 1, 1, 1]).slice(1))).toThrow("largestCost: no 'all' row");
  });

  it("says what a goal over all items asks of the answerable ones", () => {
    const items = [trend, move, move, recolour];
    expect(goalNeeds(items, [0, 1, 0.5, 1], 0.75)).toEqual({ needed: 1, reached: 2.5 / 3, answerable: 3, possible: true });
    expect(goalNeeds(items, [0, 1, 0.5, 1], 0.85).possible).toBe(false); // 3.4 points from 3 items
    expect(goalNeeds(items, [1, 1, 0.5, 1], 0.85).needed).toBeCloseTo((3.4 - 1) / 3, 12); // a trend item that happens to pass counts
    expect(() => goalNeeds([trend], [0], 0.5)).toThrow("goalNeeds: every item is a trend item; no image answers any");
    expect(() => goalNeeds(items, [0, 1, 0.5, 1], 0)).toThrow("goalNeeds: the goal is a mean object judge in (0, 1], got 0");
  });

  it("refuses mismatched or out-of-range scores", () => {
    expect(() => errorBudget([move], [1, 0], [1])).toThrow("errorBudget: 1 items, 2 own scores and 1 scores with the truth's choice");
    expect(() => errorBudget([move], [1.5], [1])).toThrow("errorBudget: item 0's own score is 1.5; object-judge scores lie in [0, 1]");
    expect(() => errorBudget([move], [1], [NaN])).toThrow("errorBudget: item 0's score with the truth's choice is NaN; object-judge scores lie in [0, 1]");
    expect(() => errorBudget([], [], [])).toThrow("errorBudget: no items");
  });

  it("stacks one bar per kind, all at the top, the goal as a line", () => {
    const rows: BudgetRow[] = errorBudget([trend, recolour], [0, 1], [0, 1]);
    const fig = errorBudgetFigure(rows, "t");
    expect(fig.data.map((t) => t.name)).toEqual([...BUDGET_PARTS]);
    expect(fig.data[0].y).toEqual(["recolour (1)", "move (1)", "all (2)"]);
    expect(fig.layout?.barmode).toBe("relative");
  });

  it("reads the run validation prefers on paper (said extremes with the target reader and the retexturer, 0.794; rendering still the largest cost); none on tiny", () => {
    const b = reportedBudget("paper")!;
    const asTable: Row[] = b.rows; // notebook 05 shows them with showTable (a type check)
    expect(asTable.length).toBe(6);
    expect(b.run).toBe("extremes-retex-targets-behind-ranks128k-s2");
    const all = b.rows[0];
    expect([all.n, all.judge.toFixed(3), all.choice.toFixed(3), all.rendering.toFixed(3), all["no image"].toFixed(3)]).toEqual([270, "0.794", "0.033", "0.094", "0.078"]);
    expect(largestCost(b.rows).part).toBe("rendering");
    expect([b.goal.answerable, b.goal.needed.toFixed(3), b.goal.reached.toFixed(3)]).toEqual([249, "0.922", "0.861"]);
    expect(reportedBudget("tiny")).toBeNull();
  });
});
