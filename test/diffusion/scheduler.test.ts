import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { Rng } from "../../lib/core/rng";
import { DDIMScheduler } from "../../lib/diffusion/ddim";
import { DDPMScheduler } from "../../lib/diffusion/ddpm";
import { makeSchedule } from "../../lib/diffusion/schedule";
import { noiseAt, spacedTimesteps } from "../../lib/diffusion/scheduler";

beforeAll(async () => {
  await initBackend();
});

const schedule = makeSchedule({ kind: "cosine", numTrainTimesteps: 1000 });
const randn = (rng: Rng, n: number) => Float64Array.from(rng.normalArray(n, 0, 1));

describe("timesteps", () => {
  it("leading, trailing and linspace spacing", () => {
    expect(spacedTimesteps(1000, 10, "leading")).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expect(spacedTimesteps(1000, 10, "trailing")).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    expect(spacedTimesteps(1000, 4, "linspace")).toEqual([999, 666, 333, 0]);
    expect(spacedTimesteps(1000, 1, "trailing")).toEqual([999]);
    expect(spacedTimesteps(5, 5, "leading")).toEqual([4, 3, 2, 1, 0]);
    const s = new DDIMScheduler(schedule);
    expect(s.timesteps.length).toBe(1000);
    expect(s.setTimesteps(3, "trailing")).toEqual([999, 666, 332]);
    expect(s.previousTimestep(666)).toBe(332);
    expect(s.previousTimestep(332)).toBe(-1);
    expect(s.alphaProd(-1)).toBe(1);
  });

  it("bad input fails with exact messages", () => {
    const s = new DDPMScheduler(schedule);
    expect(() => s.setTimesteps(0)).toThrow("setTimesteps: the number of steps must be an integer in [1, 1000], got 0");
    expect(() => s.setTimesteps(1001)).toThrow("setTimesteps: the number of steps must be an integer in [1, 1000], got 1001");
    expect(() => s.setTimesteps(10, "random" as never)).toThrow("setTimesteps: timestep spacing: unknown value 'random'; use one of leading, trailing, linspace");
    s.setTimesteps(10);
    const x = new Float64Array(2);
    expect(() => s.step(x, 7, x, { noise: x })).toThrow("DDPMScheduler.step: timestep 7 is not one of the scheduled timesteps (900, 800, 700, 600, 500, 400, …); call setTimesteps first and step through its timesteps");
    expect(() => s.step(x, 900, x, { prediction: "score" as never, noise: x })).toThrow("DDPMScheduler.step: prediction: unknown value 'score'; use one of epsilon, sample, v");
    expect(() => s.step(x, 900, x)).toThrow("DDPMScheduler.step: the step from timestep 900 adds noise; pass options.noise or options.rng");
    expect(() => s.step(new Float64Array(3), 900, x, { noise: x })).toThrow("DDPMScheduler.step: operands differ: Float64Array of 2 vs Float64Array of 3; pass arrays of one length or tensors of one shape");
    expect(() => new DDPMScheduler(schedule, { variance: "learned" as never })).toThrow("DDPMScheduler: variance: unknown value 'learned'; use one of fixed-small, fixed-large");
    expect(() => new DDIMScheduler(schedule, { eta: -1 })).toThrow("DDIMScheduler: eta must be a finite number >= 0, got -1");
    expect(() => new DDIMScheduler(schedule, { clipSample: 0 })).toThrow("scheduler: clipSample must be a positive number or null, got 0");
    expect(() => s.addNoise(x, x, 1000)).toThrow("DDPMScheduler: timestep must be an integer in [0, 999], got 1000");
    expect(() => s.addNoise(x, x, [1, 2, 3])).toThrow("DDPMScheduler.addNoise: 2 values do not split into 3 rows");
  });
});

describe("forward process and predictions", () => {
  it("addNoise is Eq. 4; ε, x_0 and v outputs all give back x_0 (and ε) for the true noise; per-row timesteps", () => {
    const rng = new Rng(1);
    const x0 = randn(rng, 6);
    const eps = randn(rng, 6);
    const s = new DDPMScheduler(schedule);
    const t = 400;
    const ab = schedule.alphasCumprod[t];
    const xt = s.addNoise(x0, eps, t);
    for (let i = 0; i < 6; i++) expect(xt[i]).toBeCloseTo(Math.sqrt(ab) * x0[i] + Math.sqrt(1 - ab) * eps[i], 14);
    const outputs = { epsilon: eps, sample: x0, v: s.velocity(x0, eps, t) } as const;
    for (const p of ["epsilon", "sample", "v"] as const) {
      expect(s.trainingTarget(x0, eps, t, p)).toEqual(outputs[p]);
      const px0 = s.predictOriginal(outputs[p], t, xt, p);
      const peps = s.predictEpsilon(outputs[p], t, xt, p);
      for (let i = 0; i < 6; i++) {
        expect(px0[i]).toBeCloseTo(x0[i], 12);
        expect(peps[i]).toBeCloseTo(eps[i], 12);
      }
    }
    const rows = s.addNoise(x0, eps, [10, 900]); // two rows of 3
    for (let i = 0; i < 6; i++) {
      const a = schedule.alphasCumprod[i < 3 ? 10 : 900];
      expect(rows[i]).toBeCloseTo(Math.sqrt(a) * x0[i] + Math.sqrt(1 - a) * eps[i], 14);
    }
    // one timestep is noiseAt at its ᾱ exactly; noiseAt also takes a continuous ᾱ and refuses one outside [0, 1]
    expect(noiseAt(x0, eps, ab)).toEqual(xt);
    expect(Array.from(noiseAt(x0, eps, 1))).toEqual(Array.from(x0));
    expect(() => noiseAt(x0, eps, 1.5)).toThrow("noiseAt: ᾱ must be in [0, 1], got 1.5");
    const clipped = new DDPMScheduler(schedule, { clipSample: 0.5 }).predictOriginal(outputs.sample, t, xt, "sample");
    expect(Math.max(...Array.from(clipped, Math.abs))).toBeLessThanOrEqual(0.5);
  });
});

describe("DDPM step (Ho et al. 2020)", () => {
  it("mean is Eq. 7's posterior mean and Eq. 11's μ_θ; variance is β̃_t (or β_t); the last step adds no noise", () => {
    const rng = new Rng(2);
    const s = new DDPMScheduler(schedule);
    s.setTimesteps(50);
    const t = 600;
    const prev = s.previousTimestep(t);
    expect(prev).toBe(580);
    const ab = schedule.alphasCumprod[t];
    const abPrev = schedule.alphasCumprod[prev];
    const alpha = ab / abPrev;
    const beta = 1 - alpha;
    const xt = randn(rng, 5);
    const eps = randn(rng, 5);
    const zero = new Float64Array(5);
    const one = new Float64Array(5).fill(1);
    const mean = s.step(eps, t, xt, { noise: zero }).prevSample;
    const x0 = s.predictOriginal(eps, t, xt);
    for (let i = 0; i < 5; i++) {
      expect(mean[i]).toBeCloseTo((xt[i] - (beta / Math.sqrt(1 - ab)) * eps[i]) / Math.sqrt(alpha), 12); // Eq. 11
      expect(mean[i]).toBeCloseTo((Math.sqrt(abPrev) * beta * x0[i] + Math.sqrt(alpha) * (1 - abPrev) * xt[i]) / (1 - ab), 12); // Eq. 7
    }
    const tildeBeta = ((1 - abPrev) / (1 - ab)) * beta;
    expect(s.posterior(t).variance).toBeCloseTo(tildeBeta, 15);
    const plus = s.step(eps, t, xt, { noise: one }).prevSample;
    expect(plus[0] - mean[0]).toBeCloseTo(Math.sqrt(tildeBeta), 12);
    expect(new DDPMScheduler(schedule, { variance: "fixed-large" }).posterior(999).variance).toBeCloseTo(schedule.betas[999], 15);
    const last = s.timesteps[s.timesteps.length - 1];
    expect(s.posterior(last).variance).toBe(0);
    const final = s.step(eps, last, xt).prevSample; // no noise needed
    const fx0 = s.predictOriginal(eps, last, xt);
    for (let i = 0; i < 5; i++) expect(final[i]).toBeCloseTo(fx0[i], 12);
  });

  it("ancestral sampling with the exact ε of Gaussian data N(μ, σ²) reproduces its mean and variance", () => {
    const mu = 1.5;
    const sd = 0.5;
    const s = new DDPMScheduler(makeSchedule({ kind: "linear", numTrainTimesteps: 200, betaEnd: 0.05 }));
    const rng = new Rng(3);
    const n = 4000;
    let x = randn(rng, n);
    for (const t of s.timesteps) {
      const ab = s.alphaProd(t);
      const v = ab * sd * sd + 1 - ab; // x_t ~ N(√ᾱ μ, ᾱσ² + 1 - ᾱ)
      const eps = x.map((xi) => (Math.sqrt(1 - ab) * (xi - Math.sqrt(ab) * mu)) / v); // ε = -√(1-ᾱ) ∇log p_t
      x = s.step(eps, t, x, { rng }).prevSample;
    }
    const m = x.reduce((a, b) => a + b, 0) / n;
    const varx = x.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
    expect(Math.abs(m - mu)).toBeLessThan(4 * (sd / Math.sqrt(n)));
    expect(Math.abs(varx - sd * sd)).toBeLessThan(4 * sd * sd * Math.sqrt(2 / n));
  });
});

describe("DDIM step (Song et al. 2021)", () => {
  it("round trip: noise x_0 to the first timestep, then η = 0 steps with the true ε (or x_0, or v) recover x_0 exactly", () => {
    const rng = new Rng(4);
    const x0 = randn(rng, 8);
    const eps = randn(rng, 8);
    for (const prediction of ["epsilon", "sample", "v"] as const) {
      const s = new DDIMScheduler(schedule, { prediction, timestepSpacing: "trailing" });
      s.setTimesteps(7);
      let x = s.addNoise(x0, eps, s.timesteps[0]);
      for (const t of s.timesteps) {
        x = s.step(s.trainingTarget(x0, eps, t), t, x).prevSample;
        const prev = s.previousTimestep(t);
        if (prev >= 0) {
          const expected = s.addNoise(x0, eps, prev); // each step lands on the forward process at t'
          for (let i = 0; i < 8; i++) expect(x[i]).toBeCloseTo(expected[i], 10);
        }
      }
      for (let i = 0; i < 8; i++) expect(x[i]).toBeCloseTo(x0[i], 10);
    }
  });

  it("σ_t(η = 1) is the DDPM posterior standard deviation (Eq. 16); η > 0 needs noise", () => {
    const d = new DDIMScheduler(schedule, { eta: 1 });
    const p = new DDPMScheduler(schedule);
    d.setTimesteps(20);
    p.setTimesteps(20);
    for (const t of [950, 500, 50]) expect(d.sigma(t) ** 2).toBeCloseTo(p.posterior(t).variance, 14);
    const x = new Float64Array(2);
    expect(() => d.step(x, 950, x)).toThrow("DDIMScheduler.step: the step from timestep 950 adds noise; pass options.noise or options.rng");
    expect(d.step(x, 950, x, { eta: 0 }).prevSample).toEqual(new Float64Array(2));
  });
});

describe("tensors", () => {
  it("a DDIM and a DDPM step on tensors equal the same steps on arrays (float32), and leak nothing", () => {
    const rng = new Rng(5);
    const x = Float32Array.from(rng.normalArray(12, 0, 1));
    const out = Float32Array.from(rng.normalArray(12, 0, 1));
    const z = Float32Array.from(rng.normalArray(12, 0, 1));
    const ddim = new DDIMScheduler(schedule, { prediction: "v", eta: 0.5 });
    const ddpm = new DDPMScheduler(schedule, { prediction: "epsilon" });
    ddim.setTimesteps(10);
    ddpm.setTimesteps(10);
    const xt = tf.tensor(x, [2, 3, 2]);
    const ot = tf.tensor(out, [2, 3, 2]);
    const zt = tf.tensor(z, [2, 3, 2]);
    const before = tf.memory().numTensors;
    for (const s of [ddim, ddpm]) {
      const a = s.step(out, 900, x, { noise: z });
      const r = s.step(ot, 900, xt, { noise: zt });
      expect(r.prevSample.shape).toEqual([2, 3, 2]);
      const got = r.prevSample.dataSync();
      for (let i = 0; i < 12; i++) expect(got[i]).toBeCloseTo(a.prevSample[i], 4);
      r.prevSample.dispose();
      r.predOriginalSample.dispose();
    }
    const noisy = ddpm.addNoise(xt, zt, [10, 900]); // one timestep per batch row
    const ref = ddpm.addNoise(x, z, [10, 900]);
    const nd = noisy.dataSync();
    for (let i = 0; i < 12; i++) expect(nd[i]).toBeCloseTo(ref[i], 5);
    noisy.dispose();
    const fresh = ddpm.step(ot, 900, xt, { rng: new Rng(6) });
    fresh.prevSample.dispose();
    fresh.predOriginalSample.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xt, ot, zt]);
  });
});
