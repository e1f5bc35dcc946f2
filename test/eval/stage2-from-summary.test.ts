import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import type { Row } from "../../lib/core/table";
import { stage2FromFigure, stage2FromRows, stage2FromSummary } from "../../lib/eval/stage2-from-summary";

const file = (runs: unknown[], recipe: Record<string, number> = { stage2Steps: 2000, engineScenes: 16000 }) => ({ config: { parents: ["locate:x"], curve: { recipe } }, data: { runs } }) as never;
const run = (extra: Record<string, unknown> = {}) => ({ parent: "locate:x", curve: { points: [{ step: 1000, objectJudge: 0.04 }, { step: 2000, objectJudge: 0.07 }] }, ...extra });

describe("stage2-from summary", () => {
  it("one row per run: the last point's own score, the decoded rule and score, the object choice and the truth's diagnostics", () => {
    const rows = stage2FromRows("stage2-from-a", file([run({ oracleWhere: { scores: { objectJudge: 0.2 } }, oraclePlan: { scores: { objectJudge: 0.5 } }, gateDecode: { chosen: "object", scores: { objectJudge: 0.13 } }, objectChoice: { kinds: [{ kind: "all", correct: 0.6 }, { kind: "move", correct: 0.7 }] } })]));
    expect(rows).toEqual([{ run: "stage2-from-a", parent: "locate:x", "Stage II steps": 2000, "engine scenes": 16000, "object loss": 0, plan: "none", own: 0.07, "decoded rule": "object", decoded: 0.13, "object choice": 0.6, "truth's gate": 0.2, "truth's gate and plan": 0.5 }]);
    // an older file without the diagnostics gives nulls, not a crash; the object loss's weight is read when present
    const old = stage2FromRows("stage2-from-b", file([run()], { stage2Steps: 2000, engineScenes: 1600, whereObjectLossWeight: 1 }))[0];
    expect([old.decoded, old["decoded rule"], old["object choice"], old["truth's gate"], old["truth's gate and plan"], old["object loss"]]).toEqual([null, null, null, null, null, 1]);
    // the plan from the editor config; a palette plan's decoding beside the rule
    const pal = stage2FromRows("stage2-from-d", { config: { parents: ["locate:x"], curve: { recipe: { stage2Steps: 2000, engineScenes: 16000 }, editor: { alignedPlan: "palette" } } }, data: { runs: [run({ gateDecode: { chosen: "object", chosenPlan: "argmax", scores: { objectJudge: 0.2 } } })] } } as never)[0];
    expect([pal.plan, pal["decoded rule"]]).toEqual(["palette", "object (plan argmax)"]);
    expect(stage2FromRows("stage2-from-e", { config: { parents: ["locate:x"], curve: { recipe: { stage2Steps: 2000, engineScenes: 16000 }, editor: { alignedPlan: true } } }, data: { runs: [run()] } } as never)[0].plan).toBe("colour");
    expect(() => stage2FromRows("stage2-from-c", file([{ parent: "grid:p", curve: { points: [] } }]))).toThrow("stage2FromRows: 'stage2-from-c' has a run from 'grid:p' with no scored point");
  });

  it("reads every stage2-from file of a profile that holds runs (the committed paper results), and draws only runs with the diagnostics", () => {
    const rows = stage2FromSummary("paper");
    const asTable: Row[] = rows; // notebook 05 shows them with showTable, which takes Row[] (a type check)
    expect(asTable.length).toBe(rows.length);
    const names = fs.readdirSync(path.resolve(__dirname, "../../results/paper")).filter((f) => f.startsWith("stage2-from-") && f.endsWith(".json"));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.run)).size).toBeLessThan(names.length); // the compare files hold no runs and give no rows
    const best = rows.find((r) => r.run === "stage2-from-plan-refer2-edits50-scenes16k-s2")!;
    expect([best["engine scenes"], best.plan, best["decoded rule"], best.decoded!.toFixed(3)]).toEqual([16000, "colour", "object", "0.135"]);
    const fig = stage2FromFigure(rows);
    const bars = fig.data as { x: string[]; y: (number | null)[] }[];
    expect(bars.length).toBe(4);
    expect(bars[0].x.length).toBe(rows.filter((r) => r["truth's gate"] !== null).length);
    expect(bars[3].y[bars[0].x.findIndex((x) => x.startsWith("plan-refer2-edits50-scenes16k-s2 "))]).toBe(best["truth's gate and plan"]);
    expect(stage2FromSummary("tiny")).toEqual([]);
  });
});
