import { describe, expect, it } from "vitest";
import { alphasCumprod, cosineAlphaBar, makeSchedule, scheduleFromAlphasCumprod } from "../../lib/diffusion/schedule";

describe("noise schedules", () => {
  it("linear: Ho et al.'s endpoints, ᾱ is the running product of 1 - β", () => {
    const s = makeSchedule();
    expect(s.betas.length).toBe(1000);
    expect(s.betas[0]).toBeCloseTo(1e-4, 15);
    expect(s.betas[999]).toBeCloseTo(0.02, 15);
    expect(s.betas[500] - s.betas[499]).toBeCloseTo((0.02 - 1e-4) / 999, 15);
    expect(s.alphasCumprod[2]).toBeCloseTo((1 - s.betas[0]) * (1 - s.betas[1]) * (1 - s.betas[2]), 15);
    expect(s.alphasCumprod[999]).toBeCloseTo(4.04e-5, 6); // the data is almost gone at t = T-1
    expect(Array.from(alphasCumprod([0.5, 0.5]))).toEqual([0.5, 0.25]);
  });

  it("scaled-linear: √β is linear; cosine: ᾱ_t = f((t+1)/T)/f(0) until β reaches its clip", () => {
    const s = makeSchedule({ kind: "scaled-linear", betaStart: 0.00085, betaEnd: 0.012, numTrainTimesteps: 10 });
    for (let t = 0; t < 10; t++) expect(Math.sqrt(s.betas[t])).toBeCloseTo(Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * t) / 9, 14);
    const c = makeSchedule({ kind: "cosine", numTrainTimesteps: 100 });
    for (const t of [0, 10, 50, 90]) expect(c.alphasCumprod[t]).toBeCloseTo(cosineAlphaBar((t + 1) / 100), 12);
    expect(c.betas[99]).toBe(0.999);
    expect(cosineAlphaBar(0)).toBe(1);
    expect(cosineAlphaBar(1)).toBeLessThan(1e-30);
  });

  it("an explicit ᾱ gives back its betas; equal neighbours are a copy step (β = 0)", () => {
    const s = makeSchedule({ kind: "cosine", numTrainTimesteps: 20 });
    const back = scheduleFromAlphasCumprod(s.alphasCumprod);
    for (let t = 0; t < 20; t++) expect(back.betas[t]).toBeCloseTo(s.betas[t], 12);
    expect(back.kind).toBe("alphas-cumprod");
    expect(Array.from(scheduleFromAlphasCumprod([0.5, 0.5]).betas)).toEqual([0.5, 0]);
  });

  it("bad input fails with exact messages", () => {
    expect(() => makeSchedule({ kind: "quadratic" as never })).toThrow("noise schedule: unknown kind 'quadratic'; known kinds: linear, scaled-linear, cosine");
    expect(() => makeSchedule({ numTrainTimesteps: 0 })).toThrow("noise schedule: numTrainTimesteps must be a positive integer, got 0");
    expect(() => makeSchedule({ betaEnd: 1.5, numTrainTimesteps: 3 })).toThrow("noise schedule 'linear': beta at t = 2 is 1.5; every beta must be in (0, 1)");
    expect(() => scheduleFromAlphasCumprod([0.5, 0.6])).toThrow("scheduleFromAlphasCumprod: alpha-bar must be in (0, 1) and non-increasing, got 0.6 at t = 1 after 0.5");
    expect(() => scheduleFromAlphasCumprod([1])).toThrow("scheduleFromAlphasCumprod: alpha-bar must be in (0, 1) and non-increasing, got 1 at t = 0 after 1");
    expect(() => scheduleFromAlphasCumprod([])).toThrow("scheduleFromAlphasCumprod: needs at least one timestep");
    expect(() => cosineAlphaBar(1.5)).toThrow("cosineAlphaBar: u must be in [0, 1], got 1.5");
  });
});
