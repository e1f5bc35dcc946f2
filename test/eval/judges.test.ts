import { describe, expect, it } from "vitest";
import { recolourObject, renderScene } from "../../lib/world";
import type { Scene } from "../../lib/world";
import { benchmarkDir, comparePerceived, judgeConfig, loadBenchmark, objectJudge, perceptionJudge, pixelAgreement } from "../../lib/eval";
import type { BenchmarkItem, Perceived } from "../../lib/eval";

const cfg = judgeConfig("tiny");
const spatial = loadBenchmark(benchmarkDir("spatialeval", "quick"));
const general = loadBenchmark(benchmarkDir("general", "quick"));
const render = (s: Scene, it: BenchmarkItem) => {
  const r = renderScene(s, { width: it.truth.width, height: it.truth.height });
  return { width: r.width, height: r.height, data: r.rgb };
};
const otherColour = (c: string) => (c === "red" ? "blue" : "red");

describe("judge validation on the quick SpatialEval-mini (the issue's four cases)", () => {
  it("the ground truth scores 1 on every judge", () => {
    for (const it of spatial.items) {
      expect(objectJudge(it, it.truth, cfg).score).toBe(1);
      const p = perceptionJudge(it, it.truth, cfg);
      if (p.applicable) expect(p.score).toBe(1);
      expect(pixelAgreement(it, it.truth, cfg)).toMatchObject({ unmasked: 1, masked: 1, regionL1: 0, backgroundL1: 0 });
    }
    expect(spatial.items.filter((it) => perceptionJudge(it, it.truth, cfg).applicable).length).toBeGreaterThan(0.9 * spatial.items.length);
  });
  it("the unedited source scores 0 on the object and perception judges", () => {
    for (const it of spatial.items) {
      expect(objectJudge(it, it.source, cfg).score).toBe(0);
      const p = perceptionJudge(it, it.source, cfg);
      if (p.applicable) expect(p.score).toBe(0);
      const px = pixelAgreement(it, it.source, cfg);
      expect(px.masked).toBeLessThan(0.5);
      // the source is the truth outside the edited objects: no background error, all the error on the region
      expect(px.backgroundL1).toBe(0);
      expect(px.regionL1).toBeGreaterThan(0);
    }
  });
  it("the right edit applied to the wrong object scores 0", () => {
    const wrongOf = (it: BenchmarkItem) => it.sourceScene.objects.find((o) => o.id !== it.targets[0] && o.colour !== it.params.colour);
    const cases = spatial.items.filter((it) => it.kind === "recolour" && typeof it.params.colour === "string" && it.targets.length === 1 && wrongOf(it) !== undefined);
    expect(cases.length).toBeGreaterThan(3);
    for (const it of cases) {
      const wrong = wrongOf(it)!;
      const result = render(recolourObject(it.sourceScene, wrong.id, it.params.colour as never), it);
      expect(objectJudge(it, result, cfg).score).toBe(0);
      const p = perceptionJudge(it, result, cfg);
      if (p.applicable) expect(p.score).toBe(0);
    }
  });
  it("a partly right edit scores in between: right edit but another object damaged", () => {
    let n = 0;
    for (const it of spatial.items) {
      const bystander = it.editedScene!.objects.find((o) => !it.targets.includes(o.id));
      if (!bystander) continue;
      const result = render(recolourObject(it.editedScene!, bystander.id, otherColour(bystander.colour) as never), it);
      const v = objectJudge(it, result, cfg);
      if (v.others.find((o) => o.id === bystander.id)?.ok !== false) continue; // the bystander is hidden behind the edit
      expect(v.done).toBe(1);
      expect(v.score).toBeGreaterThan(0);
      expect(v.score).toBeLessThan(1);
      expect(v.score).toBeCloseTo((v.others.length - 1) / v.others.length, 12);
      n++;
    }
    expect(n).toBeGreaterThan(30);
  });
  it("a partly right edit scores in between: one of two moving objects moved", () => {
    const multi = spatial.items.filter((it) => it.targets.length >= 2);
    expect(multi.length).toBeGreaterThan(0);
    for (const it of multi) {
      const [first] = it.targets;
      const moved = it.editedScene!.objects.find((o) => o.id === first)!;
      const half: Scene = { ...it.sourceScene, objects: it.sourceScene.objects.map((o) => (o.id === first ? moved : o)) };
      const v = objectJudge(it, render(half, it), cfg);
      expect(v.score).toBeGreaterThan(0);
      expect(v.score).toBeLessThan(1);
    }
  });
});

describe("judges on the general-editing set", () => {
  it("photometric edits have no object-level truth: the object judge is not applicable, pixel agreement covers the whole image", () => {
    const photo = general.items.filter((it) => it.pixelOp !== null);
    expect(photo.length).toBeGreaterThan(0);
    for (const it of photo) {
      expect(objectJudge(it, it.source, cfg)).toMatchObject({ applicable: false });
      expect(Number.isNaN(objectJudge(it, it.source, cfg).score)).toBe(true);
      expect(pixelAgreement(it, it.truth, cfg).regionPixels).toBe(it.truth.width * it.truth.height);
    }
  });
  it("scene edits: truth 1, source 0", () => {
    for (const it of general.items.filter((x) => x.editedScene !== null)) {
      expect(objectJudge(it, it.truth, cfg).score).toBe(1);
      expect(objectJudge(it, it.source, cfg).score).toBe(0);
    }
  });
});

describe("perception judge decision rule (hand-made lists)", () => {
  const a: Perceived = { colour: "red", u: 5, v: 5, area: 40 };
  const b: Perceived = { colour: "blue", u: 20, v: 10, area: 30 };
  const bGreen: Perceived = { ...b, colour: "green" };
  it("recolour of b: truth 1, source 0, right colour but a missing = 0.5, extra object lowers the keep share", () => {
    expect(comparePerceived([a, b], [a, bGreen], [a, bGreen], 32, cfg)).toMatchObject({ score: 1, expectedNew: 1, expectedGone: 1 });
    expect(comparePerceived([a, b], [a, bGreen], [a, b], 32, cfg).score).toBe(0);
    expect(comparePerceived([a, b], [a, bGreen], [bGreen], 32, cfg)).toMatchObject({ score: 0, done: 1, kept: 0 });
    const extra: Perceived = { colour: "cyan", u: 28, v: 28, area: 10 };
    expect(comparePerceived([a, b], [a, bGreen], [a, bGreen, extra], 32, cfg)).toMatchObject({ score: 0.5, spurious: 1 });
  });
  it("a change the lists cannot see is not judgeable", () => {
    const v = comparePerceived([a, b], [a, { ...b, area: 31 }], [a, b], 32, cfg);
    expect(v.applicable).toBe(false);
    expect(Number.isNaN(v.score)).toBe(true);
  });
});

describe("bad input", () => {
  it("a result with 4 channels or no size is refused with a clear message; another size is resized", () => {
    const it = spatial.items[0];
    expect(() => objectJudge(it, { width: 32, height: 32, data: new Uint8Array(32 * 32 * 4) }, cfg)).toThrow("objectJudge (result): expected 3 channels (RGB), got 4 (32x32, 4096 values); convert to RGB first");
    expect(() => perceptionJudge(it, { width: 0, height: 32, data: new Uint8Array(0) }, cfg)).toThrow("perceptionJudge (result): image width and height must be positive integers, got 0x32");
    const big = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) };
    expect(objectJudge(it, big, cfg).score).toBe(0);
  });
  it("judge config: out-of-range tolerance", () => {
    expect(() => judgeConfig("tiny", { keepTolerance: 0 })).toThrow("judge: keepTolerance must be in (0, 1], got 0");
  });
});
