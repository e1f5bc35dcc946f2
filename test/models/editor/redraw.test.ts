import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { benchmarkRedraws, redrawExamples } from "../../../lib/eval/redraw-data";
import { ensureBenchmark } from "../../../lib/eval/benchmark-generate";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { pastesObject, scalesObject, shadesObject } from "../../../lib/models/editor/gate-decode";
import { disposeEditor } from "../../../lib/models/editor/model";
import { changedPatches, changedPixel, pasteMove, shadeObject } from "../../../lib/models/editor/paste-move";
import { editImages } from "../../../lib/models/editor/pipeline";
import { keepDrawn, moveFills } from "../../../lib/models/editor/move-fills";
import { checkRedrawConfig, cropCorner, erasedSource, initRedraw, redrawImages, redrawInputs, redrawInputSize, type RedrawConfig, type RedrawRequest } from "../../../lib/models/editor/redraw";
import { drawsPixels, erasePlan, keepsPastes, followsCondition, redrawPlan, redrawsObject, redrawTarget, repaintPlan, type Drawer } from "../../../lib/models/editor/redraw-decode";
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
    expect(train.some((x) => maxDiff(x.target, Float32Array.from(x.request.source)) > 0.05)).toBe(true); // some replacement changes pixels
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

describe("object+move+redraw: a still object redrawn as the language condition says (redraw-decode.ts)", () => {
  it("redrawTarget reads 'replaced with a <colour> <shape>'; redrawPlan gives the drawn prediction's changed patches and share", () => {
    expect(redrawTarget("the large green striped cylinder, which is the biggest object, is replaced with a brown cube")).toEqual({ kind: "replace", shape: "cube", colour: "brown" });
    expect(redrawTarget("the cube is replaced with a red sphere, then replaced with a blue cone")).toEqual({ kind: "replace", shape: "cone", colour: "blue" });
    expect(redrawTarget("the small cyan striped cube, which is the smallest cube, is now cyan")).toEqual({ kind: "recolour", colour: "cyan" });
    expect(redrawTarget("the small red cube, which is the leftmost cube, is removed and the ground behind it is visible")).toEqual({ kind: "remove" });
    for (const no of ["the small cube is now big", "is replaced with a large cube", "replaced with a brown", "", "replaced with the red cube", "the cube is now cyan and small"]) expect(redrawTarget(no)).toBeNull();
    const r = toy();
    const p = initRedraw(C, 1);
    try {
      const drawer: Drawer = { params: p, config: C };
      const got = redrawPlan(drawer, r.source, r.mask, r.ground, { shape: "cube", colour: "blue" }, 4);
      const blue = redrawImages(p, C, [{ ...r, shape: "cube", colour: [42 / 127.5 - 1, 75 / 127.5 - 1, 215 / 127.5 - 1] }])[0];
      const want = changedPatches(blue, Uint8Array.from({ length: 64 }, (_, q) => (changedPixel(blue, r.source, q) ? 1 : 0)), 8, 4);
      expect(got.gate).toEqual(want.share);
      expect(got.patches).toEqual(want.patches);
      expect(Array.from(got.colours)).toEqual(Array.from(want.colours));
      expect(got.gate[0]).toBeGreaterThan(0); // the object's patch changes
    } finally {
      disposeParams(p);
    }
    // repaintPlan: a red object (its pixels lit at 0.5 and 0.25 of red) repainted blue keeps its light per channel
    const S = 4;
    const [R, Bl] = [[173, 35, 35], [42, 75, 215]];
    const lit = [0.5, 0.25];
    const src = new Float32Array(S * S * 3).fill(0.6);
    const m = Uint8Array.from({ length: S * S }, (_, q) => (q < 2 ? 1 : 0));
    for (let q = 0; q < 2; q++) for (let k = 0; k < 3; k++) src[q * 3 + k] = ((R[k] / 255) * lit[q]) * 2 - 1;
    const blue = repaintPlan(src, m, "blue", 2);
    for (let q = 0; q < 2; q++) for (let k = 0; k < 3; k++) expect((blue.image[q * 3 + k] + 1) / 2).toBeCloseTo(Math.min(1, (Bl[k] / 255) * lit[q]), 5);
    expect(blue.image[2 * 3]).toBeCloseTo(0.6, 6); // off the object: the source
    expect(blue.gate).toEqual([0.5, 0, 0, 0]); // two changed pixels of patch 0's four
    expect([redrawsObject("object+move+said"), followsCondition("object+move+said"), followsCondition("object+move+redraw"), drawsPixels("object+move+draw"), drawsPixels("object+move+said"), followsCondition("object+move+draw")]).toEqual([true, true, false, true, false, true]);
    expect([redrawsObject("object+move+redraw"), redrawsObject("object+move+paste"), pastesObject("object+move+redraw"), shadesObject("object+move+redraw"), scalesObject("object+move+redraw")]).toEqual([true, false, true, true, true]);
  });

  it("moveFills: an item whose condition redraws gets the drawn plan and gate, the others object+move+paste's; the pipeline needs a drawer and leaks nothing", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e, N } = liveOffsetEditor(c);
    const masks = masksOf(objects, c);
    const grounds = sources.map(() => new Float32Array(c.image * c.image * 3).fill(-0.2));
    const extras = { objects, objectMasks: masks, emptyGrounds: grounds, offsets: [[0, 0], [0, 0]] as [number, number][], scales: [1, 1] };
    const dc = { crop: 8, hidden: 8 };
    const p = initRedraw(dc, 3);
    try {
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+move+redraw" }, extras)).toThrow("editImages: gate decoding 'object+move+redraw' needs an editor with a drawer (Editor.drawer; npm run redraw-fit makes one)");
      const still = [0, 0].map(() => ({ object: 0, dest: null, offset: null }));
      const plan = sources.map(() => Array.from({ length: N }, () => [0.3, 0.3, 0.3]));
      const inputs = { objects, sources, patch: c.dnPatch, N, masks, grounds, plan };
      const target = { kind: "replace", shape: "cone", colour: "red" } as const;
      const n0 = tf.memory().numTensors;
      const fill = (rule: "object+move+redraw" | "object+move+said" | "object+move+draw" | "object+move+paste", more = {}) => {
        const f = moveFills(still, rule, { ...inputs, ...more });
        const out = { gates: f.gates, colours: f.colours.arraySync() };
        tf.dispose([f.patches, f.colours]);
        return out;
      };
      const redrawn = fill("object+move+redraw", { drawer: { params: p, config: dc }, targets: [target, null] });
      // a said recolour: the object repainted red (its pixels times red / the colour they show), not shaded in the plan's colour
      const said = fill("object+move+said", { drawer: { params: p, config: dc }, targets: [{ kind: "recolour", colour: "red" }, null] });
      const red = repaintPlan(sources[0], masks[0][0], "red", c.dnPatch);
      expect(said.gates![0]).toEqual(red.gate);
      expect(Float32Array.from(said.colours[0].flat())).toEqual(red.colours);
      expect(maxDiff(red.colours, shadeObject(sources[0], masks[0][0], grounds[0], plan[0].flat(), c.dnPatch).colours)).toBeGreaterThan(1e-3);
      const pasted = fill("object+move+paste");
      expect(tf.memory().numTensors).toBe(n0);
      const want = redrawPlan({ params: p, config: dc }, sources[0], masks[0][0], grounds[0], target, c.dnPatch);
      expect(redrawn.gates![0]).toEqual(want.gate);
      expect(redrawn.gates![1]).toBeNull(); // no redraw said: the rule's gate
      expect(redrawn.colours[1]).toEqual(pasted.colours[1]); // and object+move+paste's plan
      expect(maxDiff(Float32Array.from(redrawn.colours[0].flat()), Float32Array.from(pasted.colours[0].flat()))).toBeGreaterThan(1e-3);
      // a said object stays where it is even where the move head moves it
      const moved = [{ object: 0, dest: { fills: [], vacates: [], moved: [] } as never, offset: [2, 1] as [number, number] }, { object: 0, dest: null, offset: null }];
      const f = moveFills(moved, "object+move+draw", { ...inputs, drawer: { params: p, config: dc }, targets: [{ kind: "recolour", colour: "red" }, null] });
      tf.dispose([f.patches, f.colours]);
      expect(f.gates![0]).toEqual(red.gate);
      expect(f.pixels![0]).toEqual(red.image);
      expect(f.pixels![1]).toBeNull();
      // a said removal: the object's pixels become the empty ground, kept as they are under object+move+draw
      const gone = moveFills(still, "object+move+draw", { ...inputs, drawer: { params: p, config: dc }, targets: [{ kind: "remove" }, null] });
      tf.dispose([gone.patches, gone.colours]);
      const erased = erasePlan(sources[0], masks[0][0], grounds[0], c.dnPatch);
      expect(gone.pixels![0]).toEqual(erased.image);
      expect(gone.gates![0]).toEqual(erased.gate);
      for (let q = 0; q < masks[0][0].length; q++) expect(erased.image[q * 3]).toBe(masks[0][0][q] === 1 ? grounds[0][q * 3] : sources[0][q * 3]);
      // object+move+pixels also keeps a pasted move's pixels; object+move+draw does not
      const pix = moveFills(moved, "object+move+pixels", { ...inputs, drawer: { params: p, config: dc }, targets: [null, null] });
      const drw = moveFills(moved, "object+move+draw", { ...inputs, drawer: { params: p, config: dc }, targets: [null, null] });
      tf.dispose([pix.patches, pix.colours, drw.patches, drw.colours]);
      expect(pix.pixels![0]).toEqual(pasteMove(sources[0], masks[0][0], grounds[0], 2 * c.dnPatch, c.dnPatch, c.dnPatch, { scale: 1, byChange: true }).image);
      expect([pix.pixels![1], drw.pixels![0]]).toEqual([null, null]);
      expect([keepsPastes("object+move+pixels"), keepsPastes("object+move+draw"), drawsPixels("object+move+pixels")]).toEqual([true, false, true]);
      const g = moveFills(moved, "object+move+paste", inputs);
      tf.dispose([g.patches, g.colours]);
      expect(g.gates![0]).not.toEqual(f.gates![0]); // object+move+paste pastes the move
      expect(g.pixels).toBeUndefined();
      // keepDrawn: the edit takes the drawn pixels where they change the source
      const edited = new Float32Array(sources[0].length).fill(0.9);
      const kept = keepDrawn(Float32Array.from(edited), sources[0], red.image);
      for (let q = 0; q < edited.length / 3; q++) expect(kept[q * 3]).toBe(changedPixel(red.image, sources[0], q) ? red.image[q * 3] : edited[q * 3]);
      expect(keepDrawn(Float32Array.from(edited), sources[0], null)).toEqual(edited);
      expect(() => moveFills(still, "object+move+redraw", inputs)).toThrow("moveFills: 'object+move+redraw' needs the editor's drawer and what each item's condition redraws");
      // the pipeline with a drawer: the untrained editor's conditions name no replacement, so it edits as object+move+paste
      e.drawer = { params: p, config: dc };
      const n1 = tf.memory().numTensors;
      const paste = editImages(e, sources, instructions, { steps: 2, gate: "object+move+paste" }, extras).images[0];
      const redraw = editImages(e, sources, instructions, { steps: 2, gate: "object+move+redraw", writeCondition: true }, extras);
      expect(tf.memory().numTensors).toBe(n1);
      expect(redraw.conditions.map(redrawTarget)).toEqual([null, null]);
      expect(maxDiff(redraw.images[0], paste)).toBe(0);
    } finally {
      disposeEditor(e); // disposes the drawer too
    }
  });
});
