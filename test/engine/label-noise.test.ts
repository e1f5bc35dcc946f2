import { describe, expect, it } from "vitest";
import { labelNoiseText } from "../../lib/engine/report";

const rep = (overallAgreement: number, shapeAccuracy: number) => ({ counts: {} as never, summary: { overallAgreement: overallAgreement, shapeAccuracy: shapeAccuracy } });

describe("does label noise lower the rank agreement? (notebook 01)", () => {
  it("lowers when the agreement with label noise is below the one without, does not lower otherwise", () => {
    expect(labelNoiseText({ noisy: rep(0.9512, 1), noisyLabels: rep(0.9123, 0.9) })).toBe(
      "label noise lowers the overall rank agreement (0.9512 -> 0.9123); class labels right 90.0% of the time with label noise, 100.0% without.",
    );
    expect(labelNoiseText({ noisy: rep(0.9, 1), noisyLabels: rep(0.9, 0.9) })).toBe(
      "label noise does not lower the overall rank agreement (0.9000 -> 0.9000); class labels right 90.0% of the time with label noise, 100.0% without.",
    );
    expect(labelNoiseText({ noisy: rep(0.8, 1), noisyLabels: rep(0.85, 0.9) })).toContain("label noise does not lower");
  });
});
