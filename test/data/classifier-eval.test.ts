import { describe, expect, it } from "vitest";
import { confusionOf, evaluateOn, f1Of, scoreClassifier, wilsonInterval } from "../../lib/data/classifier-eval";

describe("held-out classifier scores", () => {
  it("Wilson intervals match textbook values", () => {
    const a = wilsonInterval(5, 10);
    expect(a.value).toBe(0.5);
    expect(a.lo).toBeCloseTo(0.2366, 4);
    expect(a.hi).toBeCloseTo(0.7634, 4);
    const b = wilsonInterval(0, 10);
    expect(b.lo).toBe(0);
    expect(b.hi).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(0, 0)).toEqual({ value: Number.NaN, lo: 0, hi: 1, n: 0 });
    expect(() => wilsonInterval(3, 2)).toThrow("wilsonInterval: need integers 0 <= k <= n, got k=3, n=2");
  });

  it("confusion, precision, recall and F1 on a hand-counted case", () => {
    const pred = [true, true, false, false, true];
    const lab = [true, false, true, false, true];
    expect(confusionOf(pred, lab)).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1 });
    const s = scoreClassifier(pred, lab, { bootstrap: 200, seed: 1 });
    expect(s.precision.value).toBeCloseTo(2 / 3, 12);
    expect(s.recall.value).toBeCloseTo(2 / 3, 12);
    expect(s.f1.value).toBeCloseTo(2 / 3, 12);
    expect(s.f1.lo).toBeLessThanOrEqual(s.f1.value);
    expect(s.f1.hi).toBeGreaterThanOrEqual(s.f1.value);
    expect(scoreClassifier(pred, lab, { bootstrap: 200, seed: 1 })).toEqual(s);
    expect(f1Of({ tp: 0, fp: 0, fn: 0, tn: 4 })).toBeNaN();
    expect(() => confusionOf([true], [])).toThrow("confusionOf: 1 predictions for 0 labels");
  });

  it("splits by source and lists the errors", () => {
    const items = [
      { text: "move it left", spatial: true, source: "a" },
      { text: "make it red", spatial: false, source: "a" },
      { text: "put it on the plate", spatial: true, source: "b" },
    ];
    const rep = evaluateOn((t) => t.includes("left"), items, { bootstrap: 0 });
    expect(rep.bySource.a.accuracy.value).toBe(1);
    expect(rep.bySource.b.recall.value).toBe(0);
    expect(rep.errors).toEqual([{ source: "b", text: "put it on the plate", label: true }]);
  });
});
