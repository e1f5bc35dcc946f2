import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { EDIT_FAMILIES, EDIT_KINDS, EditInstruction, makeEditInstruction } from "../../lib/data/edit-instruction";
import { makeEdit } from "../../lib/data/instructions";
import { perceiveScene } from "../../lib/data/perceive";
import { Refused } from "../../lib/data/select";
import { truthExtraction } from "../../lib/data/truth";
import { computeRanks } from "../../lib/engine/ranks";
import type { ExtractionResult, ObjectInfo, RankKey } from "../../lib/engine/types";
import { worldConfig } from "../../lib/world/config";
import { renderScene } from "../../lib/world/render";
import { sampleScene } from "../../lib/world/sampler";
import { COLOURS } from "../../lib/world/types";
import type { ColourName } from "../../lib/world/types";
import { twins } from "./fixtures";

const SIZE = { width: 64, height: 64 };
const OPTS = { moveStep: 0.6, trendStep: 0.3, ...SIZE };
const STEPS = { moveStep: 0.6, trendStep: 0.3 };

/** The instruction and refusal of makeEdit, without the edited scene (or the refusal's message). */
function sceneOutcome(run: () => EditInstruction): EditInstruction | string {
  try {
    const out = run() as EditInstruction & { edited?: unknown };
    const { edited: _edited, ...rest } = out;
    return rest;
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    return e.message;
  }
}

describe("makeEditInstruction agrees with makeEdit on SpatialWorld renders", () => {
  it("same target, text, condition and parameters for the same seed (oracle extraction)", () => {
    let same = 0;
    let refusedBoth = 0;
    for (let si = 0; si < 3; si++) {
      const scene = sampleScene(new Rng(300 + si), worldConfig("quick"));
      const ex = perceiveScene("oracle", scene, renderScene(scene, SIZE), new Rng(si));
      for (const family of EDIT_FAMILIES) {
        for (const kind of EDIT_KINDS) {
          for (let s = 0; s < 6; s++) {
            const a = sceneOutcome(() => makeEdit(scene, ex, new Rng(s), family, kind, OPTS));
            // the exact scene edit can still refuse what the text alone allows (overlap, out of view)
            if (typeof a === "string" && /^edit_(blocked|out_of_view):/.test(a)) continue;
            const b = sceneOutcome(() => makeEditInstruction(ex, new Rng(s), family, kind, STEPS));
            expect(b, `${family}/${kind} seed ${s}`).toEqual(a);
            if (typeof a === "string") refusedBoth++;
            else same++;
          }
        }
      }
    }
    expect(same).toBeGreaterThan(150);
    expect(refusedBoth).toBeGreaterThan(10);
  });

  it("refuses ties and non-unique names with the scene path's reasons and messages", () => {
    const scene = twins();
    const ex = truthExtraction(scene, renderScene(scene, SIZE));
    const reasons = new Set<string>();
    for (const family of ["direction", "depth", "rank"] as const) {
      for (let s = 0; s < 40; s++) {
        const a = sceneOutcome(() => makeEdit(scene, ex, new Rng(s), family, "remove", OPTS));
        const b = sceneOutcome(() => makeEditInstruction(ex, new Rng(s), family, "remove", STEPS));
        expect(b).toEqual(a);
        if (typeof b === "string") reasons.add(b.split(":")[0]);
      }
    }
    expect(reasons).toContain("rank_tied");
    expect(reasons).toContain("unnamed");
    expect(() => makeEditInstruction(ex, new Rng(0), "depth", "remove", STEPS)).toThrow(/^rank_tied: depth rank 1 \((asc|desc)\): object \d and object \d are tied/);
  });

  it("bad arguments name the caller", () => {
    const scene = twins();
    const ex = truthExtraction(scene, renderScene(scene, SIZE));
    expect(() => makeEditInstruction(ex, new Rng(0), "sideways" as never, "remove", STEPS)).toThrow("makeEditInstruction: unknown family 'sideways'");
    expect(() => makeEditInstruction(ex, new Rng(0), "depth", "paint" as never, STEPS)).toThrow("makeEditInstruction: unknown edit kind 'paint'");
    expect(() => makeEditInstruction(ex, new Rng(0), "depth", "move", { ...STEPS, moveStep: 0 })).toThrow("makeEditInstruction: moveStep must be a positive distance");
  });
});

/** An extracted object built by hand: the rank values and a colour, no scene behind it. */
function info(id: number, object: string, colour: ColourName, v: { u: number; depth: number; area: number; volume: number; height?: number }): ObjectInfo {
  const zero: Record<RankKey, number> = { horizontal: 0, depth: 0, volume: 0, contour: 0, height: 0 };
  return {
    id,
    object,
    description: `${colour} ${object}`,
    trend: "none",
    colour,
    material: null,
    sizeClass: null,
    centroid2d: { u: v.u, v: 50 },
    bbox2d: [v.u - 5, 30, v.u + 5, 70],
    area: v.area,
    perimeter: 100,
    centre3d: [0, 0, v.depth],
    ground2d: [0, v.depth],
    centreU: v.u,
    depth: v.depth,
    distanceToCamera: v.depth,
    height: v.height ?? 1.7,
    width: 0.5,
    volumeBox: v.volume,
    volumeHull: v.volume,
    volumeShape: null,
    distances: {},
    pointCount: 100,
    truncated: false,
    occluded: false,
    hiddenSides: { left: false, right: false, top: false, bottom: false },
    uncertainty: zero,
    ranks: {} as ObjectInfo["ranks"],
  };
}

/** A photo-like extraction: a red person left and near, a gray person right and far, a brown dog between them. */
function handBuilt(objects: ObjectInfo[] = [
  info(10, "person", "red", { u: 20, depth: 3, area: 900, volume: 0.3 }),
  info(11, "person", "gray", { u: 100, depth: 6, area: 500, volume: 0.25 }),
  info(12, "dog", "brown", { u: 60, depth: 4.5, area: 300, volume: 0.05 }),
]): ExtractionResult {
  const tol = { abs: 0.01, rel: 0.02 };
  const tolerances = { horizontal: tol, depth: tol, volume: tol, contour: tol, height: tol };
  computeRanks(objects, tolerances, true);
  return {
    width: 128,
    height: 96,
    intrinsics: { fx: 192, fy: 192, cx: 64, cy: 48, width: 128, height: 96 },
    intrinsicsGuessed: true,
    plane: null,
    objects,
    refusals: [],
    invalidDepthPixels: 0,
    tolerances,
    source: "hand",
    complete: true,
  };
}

describe("makeEditInstruction on an extraction built by hand (no Scene)", () => {
  const ex = handBuilt();

  it("picks the object the words name", () => {
    const expected: Record<string, number> = {
      "remove the leftmost object": 10,
      "remove the rightmost object": 11,
      "remove the leftmost person": 10,
      "remove the rightmost person": 11,
      "remove the nearest object": 10,
      "remove the farthest object": 11,
      "remove the nearest person": 10,
      "for their real volume, remove the biggest object": 10,
      "for their real volume, remove the smallest object": 12,
      "for the size of their contour, remove the smallest object": 12,
      "remove the dog right of the red person": 12,
      "remove the person left of the dog": 10,
    };
    const found = new Map<string, number[]>();
    for (let s = 0; s < 200; s++) {
      for (const family of ["direction", "depth", "volume", "contour", "rank"] as const) {
        try {
          const e = makeEditInstruction(ex, new Rng(s), family, "remove", STEPS);
          expect(e.family).toBe(family);
          expect(e.condition).toMatch(/ is removed and the ground behind it is visible$/);
          found.set(e.instruction, e.targets);
        } catch (err) {
          if (!(err instanceof Refused)) throw err;
        }
      }
    }
    let hits = 0;
    for (const [text, id] of Object.entries(expected)) {
      if (!found.has(text)) continue;
      hits++;
      expect(found.get(text), text).toEqual([id]);
    }
    expect(hits).toBe(Object.keys(expected).length);
    expect(found.get("remove the dog that is the second nearest object in the whole image")).toEqual([12]);
  });

  it("a 2-D recolour writes a new colour, never a material", () => {
    const kinds = new Set<string>();
    for (let s = 0; s < 60; s++) {
      try {
        const e = makeEditInstruction(ex, new Rng(s), "direction", "recolour", { ...STEPS, textures: false });
        const target = ex.objects.find((o) => o.id === e.targets[0])!;
        expect(Object.keys(e.params)).toEqual(["colour"]);
        expect(COLOURS).toContain(e.params.colour);
        expect(e.params.colour).not.toBe(target.colour);
        expect(e.instruction.endsWith(` into ${e.params.colour}`)).toBe(true);
        kinds.add(e.form);
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
      }
    }
    expect([...kinds].sort()).toEqual(["extreme", "relative"]);
    // the same seeds with textures allowed give the same referents (the draw is made either way)
    for (let s = 0; s < 30; s++) {
      try {
        const a = makeEditInstruction(ex, new Rng(s), "depth", "recolour", { ...STEPS, textures: false });
        const b = makeEditInstruction(ex, new Rng(s), "depth", "recolour", STEPS);
        expect(b.targets).toEqual(a.targets);
        if ("colour" in b.params) expect(b).toEqual(a);
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
      }
    }
  });

  it("refuses ties, non-unique names, motionless scenes and incomplete extractions", () => {
    // two gray people level in depth: depth ranks tie, and "the gray person" names two objects
    const tied = handBuilt([
      info(1, "person", "gray", { u: 20, depth: 4, area: 900, volume: 0.3 }),
      info(2, "person", "gray", { u: 100, depth: 4.02, area: 500, volume: 0.25 }),
    ]);
    const reasons = new Map<string, string>();
    for (let s = 0; s < 80; s++) {
      for (const family of ["direction", "depth"] as const) {
        try {
          makeEditInstruction(tied, new Rng(s), family, "remove", STEPS);
        } catch (err) {
          if (!(err instanceof Refused)) throw err;
          reasons.set(err.reason, err.message);
        }
      }
    }
    expect(reasons.get("rank_tied")).toMatch(/^rank_tied: depth rank 1 \((asc|desc)\): object [12] and object [12] are tied \(values 4\.0\d* and 4\.0\d*\)$/);
    expect(reasons.get("unnamed")).toMatch(/^unnamed: object [12] \(gray person\) has an identical twin$/);

    let trendRefusal = "";
    for (let s = 0; s < 20 && !trendRefusal; s++) {
      try {
        makeEditInstruction(ex, new Rng(s), "movement", "move", STEPS);
      } catch (err) {
        if (err instanceof Refused) trendRefusal = err.message;
      }
    }
    expect(trendRefusal).toBe("no_moving_object: no object in the scene has a trend");

    const incomplete = { ...ex, complete: false, refusals: [{ id: 13, reason: "too-few-points" as const, detail: "" }] };
    expect(() => makeEditInstruction(incomplete, new Rng(0), "direction", "remove", STEPS)).toThrow(
      "incomplete_extraction: the extraction refused object(s) 13 (too-few-points); ranks and relations could be wrong",
    );
    const none = { ...ex, objects: [] };
    expect(() => makeEditInstruction(none, new Rng(0), "direction", "remove", STEPS)).toThrow("too_few_objects: the scene has no usable objects");
  });

  it("resize without a known size writes no old size; a moving object gets the trend template", () => {
    for (let s = 0; s < 40; s++) {
      try {
        const e = makeEditInstruction(ex, new Rng(s), "depth", "resize", STEPS);
        expect(e.condition).toMatch(/ is now (small|medium|large)$/);
        break;
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
      }
    }
    const moving = handBuilt();
    moving.objects[2].trend = "left";
    for (let s = 0; s < 40; s++) {
      try {
        const e = makeEditInstruction(moving, new Rng(s), "movement", "move", STEPS);
        if (e.form !== "trend") continue;
        expect(e.targets).toEqual([12]);
        expect(e.condition).toBe("the brown dog moving left has moved on to where it is at the next moment");
        expect(e.params).toEqual({ distance: 0.3, moving: 1 });
        return;
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
      }
    }
    throw new Error("no trend instruction in 40 seeds");
  });
});
