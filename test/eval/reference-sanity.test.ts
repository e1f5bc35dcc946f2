import { describe, expect, it } from "vitest";
import { referenceSanity, type EvalRun } from "../../lib/eval/evaluate";

const run = (method: string, object: number, perception: number, benchmark = "spatialeval"): EvalRun => ({
  method: method,
  seed: 0,
  benchmark: benchmark,
  benchmarkHash: "h",
  items: [],
  summary: { "object judge": { mean: object, n: 3 }, "perception judge": { mean: perception, n: 3 } },
  seconds: 0,
});

describe("the judges' sanity check on the reference editors (notebook 06)", () => {
  it("passes when the oracle scores 1 and the identity 0 on both judges; other benchmarks and editors are ignored", () => {
    const s = referenceSanity([run("oracle", 1, 1), run("identity", 0, 0), run("oracle", 0.5, 0.5, "general"), run("SpatialEdit", 0.3, 0.2)]);
    expect(s.sane).toBe(true);
    expect(s.rows).toEqual([{ editor: "oracle", object: 1, perception: 1 }, { editor: "identity", object: 0, perception: 0 }]);
    expect(s.text).toBe("oracle: object judge 1, perception judge 1\nidentity: object judge 0, perception judge 0\nsanity rows as required: oracle 1, identity 0");
  });

  it("fails when a judge does not bound a reference editor", () => {
    const s = referenceSanity([run("oracle", 1, 0.9), run("identity", 0, 0)]);
    expect(s.sane).toBe(false);
    expect(s.text).toBe("oracle: object judge 1, perception judge 0.9\nidentity: object judge 0, perception judge 0\nSANITY FAILED: the judges do not bound the reference editors");
    expect(referenceSanity([run("oracle", 1, 1), run("identity", 0.1, 0)]).sane).toBe(false);
  });

  it("fails when a reference run or a judge is missing", () => {
    expect(referenceSanity([run("oracle", 1, 1)]).sane).toBe(false);
    expect(referenceSanity([]).text).toBe("SANITY FAILED: the judges do not bound the reference editors");
    const noPerception = { ...run("identity", 0, 0), summary: { "object judge": { mean: 0, n: 3 } } };
    const s = referenceSanity([run("oracle", 1, 1), noPerception]);
    expect(s.sane).toBe(false);
    expect(s.rows[1]).toEqual({ editor: "identity", object: 0, perception: NaN });
  });
});
