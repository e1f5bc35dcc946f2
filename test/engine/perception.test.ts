import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { noisyConfig } from "../../lib/engine/config";
import { EXTRACT_STEPS, extractSpatialInfo, newExtractTimings } from "../../lib/engine/extract";
import { noisySource, oracleSource } from "../../lib/engine/perception";
import { renderScene } from "../../lib/world/render";
import { obj, scene } from "./helpers";

const s = scene([obj(0, -1, 0), obj(1, 1.2, 1, { shape: "sphere", colour: "blue", trend: "left" })]);
const render = renderScene(s, { width: 48, height: 48 });
const input = { image: { width: 48, height: 48, data: render.rgb }, render };

describe("perception sources", () => {
  it("the oracle passes the renderer's mask, depth, labels, hints and intrinsics", () => {
    const f = oracleSource().perceive(input);
    expect(f.mask).toBe(render.mask);
    expect(f.depth).toBe(render.depth);
    expect(f.intrinsics).toEqual(render.intrinsics);
    expect(f.detections).toEqual([
      { id: 0, label: "cube", score: 1, hints: { material: "matte", size: "medium", trend: "none" } },
      { id: 1, label: "sphere", score: 1, hints: { material: "matte", size: "medium", trend: "left" } },
    ]);
  });

  it("oracle and noisy sources need the render, with a message that says so", () => {
    expect(() => oracleSource().perceive({ image: input.image })).toThrow(
      "oracle perception needs the renderer's output: call perceive({ image, render }) with render = renderScene(...)",
    );
    expect(() => oracleSource().perceive({ image: { width: 32, height: 48, data: new Uint8Array(32 * 48 * 3) }, render })).toThrow(
      "oracle perception: image is 32x48 but the render is 48x48",
    );
  });

  it("the noisy source is seeded, perturbs depth and masks, and can miss objects", () => {
    const cfg = noisyConfig("tiny", { erodeProbability: 0.5, dilateProbability: 0.5 });
    const a = noisySource(new Rng(1), cfg).perceive(input);
    const b = noisySource(new Rng(1), cfg).perceive(input);
    expect(Array.from(a.depth)).toEqual(Array.from(b.depth));
    expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
    expect(a.intrinsics).toBeNull();
    expect(Array.from(a.depth)).not.toEqual(Array.from(render.depth));
    expect(Array.from(a.mask)).not.toEqual(Array.from(render.mask));
    const drop = noisySource(new Rng(1), noisyConfig("tiny", { dropProbability: 1 })).perceive(input);
    expect(drop.detections).toEqual([]);
    expect(drop.mask.every((m) => m === -1)).toBe(true);
    expect(extractSpatialInfo(drop).refusals[0].reason).toBe("empty-scene");
    expect(() => noisySource(new Rng(1), { ...cfg, depthNoise: -1 })).toThrow("noisySource: depthNoise must be a finite number >= 0, got -1");
  });

  it("by default the noisy source passes the TRUE labels and hints; the label mode corrupts them", () => {
    const plain = noisySource(new Rng(3), noisyConfig("tiny", { dropProbability: 0 })).perceive(input);
    expect(plain.detections.map((d) => [d.label, d.hints])).toEqual(oracleSource().perceive(input).detections.map((d) => [d.label, d.hints]));
    const bad = noisySource(new Rng(3), noisyConfig("tiny", { dropProbability: 0, wrongLabelProbability: 1, dropAttributeProbability: 1 })).perceive(input);
    expect(bad.detections[0].label).not.toBe("cube"); // always relabelled with another shape
    expect(bad.detections[1].label).not.toBe("sphere");
    expect(bad.detections.map((d) => d.hints)).toEqual([{}, {}]);
    // a label probability of 0 draws nothing: the geometric stream is unchanged by the new options
    const again = noisySource(new Rng(3), noisyConfig("tiny", { dropProbability: 0 })).perceive(input);
    expect(Array.from(again.depth)).toEqual(Array.from(plain.depth));
  });
});

describe("extraction step timings (for benchmarks)", () => {
  it("fill wall and CPU milliseconds per step, and change nothing in the result", () => {
    const frame = oracleSource().perceive(input);
    const t = newExtractTimings();
    const timed = extractSpatialInfo(frame, undefined, t);
    expect(timed).toEqual(extractSpatialInfo(frame));
    expect(Object.keys(t.wall)).toEqual([...EXTRACT_STEPS]);
    for (const s of EXTRACT_STEPS) {
      expect(t.wall[s]).toBeGreaterThan(0);
      expect(t.cpu[s]).toBeGreaterThanOrEqual(0);
    }
  });

  it("an early return (no detections) leaves the later steps at 0", () => {
    const frame = { ...oracleSource().perceive(input), detections: [] };
    const t = newExtractTimings();
    expect(extractSpatialInfo(frame, undefined, t).refusals[0].reason).toBe("empty-scene");
    expect(t.wall.pointCloud).toBeGreaterThan(0);
    expect([t.wall.groundPlane, t.wall.attributes, t.cpu.groundPlane, t.cpu.attributes]).toEqual([0, 0, 0, 0]);
  });
});
