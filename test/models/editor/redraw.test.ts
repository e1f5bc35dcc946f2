import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { benchmarkRedraws, redrawExamples } from "../../../lib/eval/redraw-data";
import { ensureBenchmark } from "../../../lib/eval/benchmark-generate";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { pastesObject, redrawsObject, scalesObject, shadesObject } from "../../../lib/models/editor/gate-decode";
import { disposeEditor } from "../../../lib/models/editor/model";
import { changedPatches, changedPixel, shadeObject } from "../../../lib/models/editor/paste-move";
import { editImages } from "../../../lib/models/editor/pipeline";
import { checkRedrawConfig, cropCorner, erasedSource, initRedraw, redrawImages, redrawInputs, redrawInputSize, type RedrawConfig, type RedrawRequest } from "../../../lib/models/editor/redraw";
import { redrawStill, type Drawer } from "../../../lib/models/editor/redraw-decode";
import { fitRedraw, loadDrawer, redrawError, saveDrawer } from "../../../lib/models/editor/train/redraw";
import { disposeParams } from "../../../lib/nn/layers";
import { liveOffsetEditor, masksOf, maxDiff, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

const C: RedrawConfig = { crop: 4, hidden: 8 };

/** An 8 x 8 source: ground 0.2 everywhere, one object of value 0.8 on pixels (2..3, 2..3); the empty ground -0.2. */
function toy(): RedrawRequest {
  const S = 8;
  const source = new Float32Array(S * S * 3).fill(0.2);
  const mask = new Uint8Array(S * S);
  for (const [x, y] of [[2, 2], [3, 2], [2, 3], [3, 3]]) {
    mask[y * S + x] = 1;
    source.fill(0.8, (y * S + x) * 3, (y * S + x) * 3 + 3);
  }
  return { source, mask, ground: new Float32Array(S * S * 3).fill(-0.2), shape: "cone", colour: [1, -1, -1] };
}

describe("the drawer (redraw.ts): an object redrawn in place as another shape and colour", () => {
  it("inputs: the crop around the object's pixels, its rows and erased crop; an untrained drawer blends half the colour into the erased source; errors", () => {
    const r = toy();
    expect(cropCorner(r.mask, 8, 4)).toEqual([1, 1]); // the pixels' centre (2.5, 2.5) rounds to (3, 3); minus C / 2
    const erased = erasedSource(r);
    expect(erased[(2 * 8 + 2) * 3]).toBeCloseTo(-0.2);
    expect(erased[0]).toBeCloseTo(0.2);
    const inp = redrawInputs(C, [r]);
    expect(inp.rows.length).toBe(redrawInputSize(C));
    expect(redrawInputSize(C)).toBe(7 * 16 + 7);
    expect(inp.rows[7 * 16 + 3]).toBe(1); // one-hot of "cone" (the 4th shape)
    expect(Array.from(inp.colours)).toEqual([1, 0, 0]);
    const p = initRedraw(C, 1);
    try {
      const n0 = tf.memory().numTensors;
      const [img] = redrawImages(p, C, [r]);
      expect(tf.memory().numTensors).toBe(n0);
      // zero last layer: coverage 1/2, shading 1, highlight 1/4: object = min(1, colour + 1/4) -> red channel 1, others 1/4
      const q = (2 * 8 + 2) * 3; // an object pixel: erased to -0.2 (0.4 in [0, 1])
      expect(img[q] * 0.5 + 0.5).toBeCloseTo(0.5 * 1 + 0.5 * 0.4, 5);
      expect(img[q + 1] * 0.5 + 0.5).toBeCloseTo(0.5 * 0.25 + 0.5 * 0.4, 5);
      expect(img[0]).toBeCloseTo(0.2, 6); // outside the crop: the erased source
    } finally {
      disposeParams(p);
    }
    expect(() => checkRedrawConfig({ crop: 3, hidden: 8 })).toThrow("redraw: crop must be an even integer >= 2, got 3");
    expect(() => redrawInputs(C, [{ ...r, mask: new Uint8Array(64) }])).toThrow("redraw: the object's mask is empty");
    expect(() => redrawInputs(C, [{ ...r, shape: "torus" as never }])).toThrow("redrawInputs: unknown shape 'torus' (cube, sphere, cylinder, cone)");
    expect(() => redrawInputs(C, [{ ...r, colour: [2, 0, 0] }])).toThrow("redrawInputs: the colour must be three numbers in [-1, 1], got [2, 0, 0]");
    expect(() => redrawInputs(C, [{ ...r, ground: new Float32Array(3) }])).toThrow("redrawInputs: a mask of 64 pixels, a source of 192 values and a ground of 3 do not fit one square image");
  });

  it("engine replacements and the benchmark's: a fit lowers the held-out crop error, keeps the best check, leaks nothing; save and load round trip", () => {
    const train = redrawExamples(24, 3, 16);
    const held = redrawExamples(8, 4, 16);
    expect(train).toHaveLength(24);
    expect(train[0].request.mask.length).toBe(256);
    expect(train.some((x) => maxDiff(x.target, x.request.source) > 0.05)).toBe(true); // some replacement changes pixels
    const bench = benchmarkRedraws(ensureBenchmark("spatialeval", "tiny").items, 32); // the tiny benchmark's 12 items: 2 replacements, 3 recolours
    expect(bench.map((b) => b.kind).sort()).toEqual(["recoloured", "recoloured", "recoloured", "replaced", "replaced"]);
    expect(benchmarkRedraws(ensureBenchmark("spatialeval", "tiny").items, 16)).toEqual([]); // another size: none
    const c = { crop: 8, hidden: 32 };
    const p = initRedraw(c, 2);
    try {
      const n0 = tf.memory().numTensors;
      const checks = fitRedraw(p, c, train, held, { steps: 40, batch: 8, lr: 3e-3, checkEvery: 20, seed: 1 });
      expect(tf.memory().numTensors).toBe(n0);
      expect(checks.map((k) => k.step)).toEqual([0, 20, 40]);
      const best = Math.min(...checks.map((k) => k.heldOut));
      expect(best).toBeLessThan(checks[0].heldOut);
      expect(redrawError(p, c, held)).toBeCloseTo(best, 6); // the kept weights are the best check's
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redraw-"));
      saveDrawer(path.join(dir, "d.safetensors"), p, c);
      const d = loadDrawer(path.join(dir, "d.safetensors"));
      try {
        expect(d.config).toEqual(c);
        expect(d.palette).toHaveLength(8);
        expect(maxDiff(redrawImages(d.params, c, [held[0].request])[0], redrawImages(p, c, [held[0].request])[0])).toBe(0);
      } finally {
        disposeParams(d.params);
      }
      const small = initRedraw({ crop: 4, hidden: 32 }, 0);
      saveDrawer(path.join(dir, "small.safetensors"), small, { crop: 8, hidden: 32 });
      disposeParams(small);
      expect(() => loadDrawer(path.join(dir, "small.safetensors"))).toThrow(/loadDrawer: .*small\.safetensors lacks 'redraw\.l1\.w' \[455, 32\]; it holds \[119, 32\]/);
    } finally {
      disposeParams(p);
    }
    expect(() => fitRedraw({}, C, [], held, { steps: 1, batch: 1, lr: 1e-3, checkEvery: 1, seed: 0 })).toThrow("fitRedraw: needs training and held-out examples, got 0 and 8");
  });
});

describe("object+move+redraw: a still object redrawn when a drawn candidate fits the plan better (redraw-decode.ts)", () => {
  it("redrawStill: a plan that is a drawn candidate's gives that candidate and its gate; a plan that is the shaded recolour keeps it", () => {
    const r = toy();
    const p = initRedraw(C, 1);
    const drawer: Drawer = { params: p, config: C, palette: [[1, -1, -1], [-1, -1, 1]] };
    try {
      // the plan of the blue candidate (the untrained drawer draws every shape alike; the first of equals, the cube, wins)
      const blue = redrawImages(p, C, [{ ...r, shape: "cube", colour: [-1, -1, 1] }])[0];
      const drawn = changedPatches(blue, Uint8Array.from({ length: 64 }, (_, q) => (changedPixel(blue, r.source, q) ? 1 : 0)), 8, 4);
      const plan = Float32Array.from({ length: 12 }, (_, i) => (drawn.patches[Math.floor(i / 3)] === 1 ? drawn.colours[i] : 0));
      const got = redrawStill(drawer, r.source, r.mask, r.ground, plan, 4);
      expect(got.kind).toBe("redraw");
      expect(got.gate).toEqual(drawn.share);
      expect(Array.from(got.colours)).toEqual(Array.from(drawn.colours));
      // the plan of the object's own shading (a recolour to grey-ish): the shaded candidate, the rule's gate kept
      const own = shadeObject(r.source, r.mask, r.ground, Float32Array.from({ length: 12 }, () => 0.5), 4);
      const keep = redrawStill(drawer, r.source, r.mask, r.ground, Float32Array.from({ length: 12 }, (_, i) => (own.patches[Math.floor(i / 3)] === 1 ? own.colours[i] : 0)), 4);
      expect(keep.kind).toBe(own.kind);
      expect(keep.gate).toBeNull();
    } finally {
      disposeParams(p);
    }
    expect([redrawsObject("object+move+redraw"), redrawsObject("object+move+paste"), pastesObject("object+move+redraw"), shadesObject("object+move+redraw"), scalesObject("object+move+redraw")]).toEqual([true, false, true, true, true]);
  });

  it("the pipeline: with a drawer far from every plan it edits as object+move+paste, leaks nothing; it needs a drawer", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    const extras = { objects, objectMasks: masksOf(objects, c), emptyGrounds: sources.map(() => new Float32Array(c.image * c.image * 3).fill(-0.2)), offsets: [[0, 0], [0, 0]] as [number, number][], scales: [1, 1] };
    try {
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+move+redraw" }, extras)).toThrow("editImages: gate decoding 'object+move+redraw' needs an editor with a drawer (Editor.drawer; npm run redraw-fit makes one)");
      const dc = { crop: 8, hidden: 8 };
      const p = initRedraw(dc, 3);
      tf.tidy(() => p["redraw.out.b"].assign(tf.fill([3 * 64], 4))); // a drawer that covers its whole crop: it draws far from any plan
      e.drawer = { params: p, config: dc, palette: [[1, 1, 1]] };
      const n0 = tf.memory().numTensors;
      const paste = editImages(e, sources, instructions, { steps: 2, gate: "object+move+paste" }, extras).images[0];
      const far = editImages(e, sources, instructions, { steps: 2, gate: "object+move+redraw" }, extras).images[0];
      expect(tf.memory().numTensors).toBe(n0);
      expect(maxDiff(far, paste)).toBe(0); // no drawn candidate is nearer the plan than the shaded one: the same edit
    } finally {
      disposeEditor(e);
    }
  });
});
