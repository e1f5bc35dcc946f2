import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { ensureBenchmark } from "../../../lib/eval/benchmark-generate";
import { benchmarkRedraws, redrawExamples } from "../../../lib/eval/redraw-data";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { drawerFor, keepTarget, moveFills } from "../../../lib/models/editor/move-fills";
import { disposeEditor } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { shadeObject } from "../../../lib/models/editor/paste-move";
import { checkRedrawConfig, initRedraw, redrawImages, redrawInputs, redrawInputSize, type RedrawConfig, type RedrawRequest } from "../../../lib/models/editor/redraw";
import { paletteSigned, redrawPlan, redrawTarget, repaintPlan, retexturePlan, saidPlan, shownColour, type Drawer } from "../../../lib/models/editor/redraw-decode";
import { fitRedraw, loadDrawer, saveDrawer } from "../../../lib/models/editor/train/redraw";
import { disposeParams } from "../../../lib/nn/layers";
import { MATERIALS } from "../../../lib/world/types";
import { liveOffsetEditor, masksOf, maxDiff, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

const REPLACES: RedrawConfig = { crop: 4, hidden: 8 };
const RETEXTURES: RedrawConfig = { crop: 4, hidden: 8, retexture: true };

/** An 8 x 8 source: ground 0.2, one red object (its pixels lit at 0.6 of the palette red) on pixels (2..3, 2..3); the empty ground -0.2. */
function toy(): RedrawRequest {
  const S = 8;
  const source = new Float32Array(S * S * 3).fill(0.2);
  const mask = new Uint8Array(S * S);
  const red = [173, 35, 35];
  for (const [x, y] of [[2, 2], [3, 2], [2, 3], [3, 3]]) {
    mask[y * S + x] = 1;
    for (let k = 0; k < 3; k++) source[(y * S + x) * 3 + k] = (red[k] / 255) * 0.6 * 2 - 1;
  }
  return { source, mask, ground: new Float32Array(S * S * 3).fill(-0.2), shape: null, colour: paletteSigned("red"), material: "striped" };
}

describe("a drawer that retextures (redraw.ts config.retexture): the shape kept, another material", () => {
  it("inputs: four more, the material's one-hot and no shape for 'keep the shape'; a drawer that only replaces refuses both; errors", () => {
    expect(redrawInputSize(RETEXTURES)).toBe(7 * 16 + 11);
    expect(redrawInputSize(REPLACES)).toBe(7 * 16 + 7);
    const r = toy();
    const inp = redrawInputs(RETEXTURES, [r, { ...r, shape: "cube", material: null }]);
    const D = redrawInputSize(RETEXTURES);
    expect(Array.from(inp.rows.subarray(7 * 16, 7 * 16 + 4))).toEqual([0, 0, 0, 0]); // keep the shape
    expect(Array.from(inp.rows.subarray(7 * 16 + 7, D))).toEqual([0, 0, 1, 0]); // striped, the 3rd material
    expect(Array.from(inp.rows.subarray(D + 7 * 16, D + 7 * 16 + 4))).toEqual([1, 0, 0, 0]); // a cube
    expect(Array.from(inp.rows.subarray(D + 7 * 16 + 7, 2 * D))).toEqual([0, 0, 0, 0]); // keep the material
    expect(() => redrawInputs(REPLACES, [r])).toThrow("redrawInputs: keeping the shape (shape null) needs a drawer that retextures (config.retexture); this one only replaces");
    expect(() => redrawInputs(REPLACES, [{ ...r, shape: "cube" }])).toThrow("redrawInputs: a material ('striped') needs a drawer that retextures (config.retexture); this one only replaces");
    expect(() => redrawInputs(RETEXTURES, [{ ...r, material: "wood" as never }])).toThrow("redrawInputs: unknown material 'wood' (matte, metal, striped, checkered)");
    expect(() => checkRedrawConfig({ crop: 4, hidden: 8, retexture: "yes" as never })).toThrow("redraw: retexture must be true or false, got yes");
    expect(redrawInputs(REPLACES, [{ ...r, shape: "cube", material: null }]).rows.length).toBe(7 * 16 + 7); // as before
  });

  it("redrawTarget reads 'now has a <material> surface'; keepTarget follows it only under a rule that follows every said edit, with a drawer that retextures", () => {
    expect(redrawTarget("the small gray matte sphere, which is the smallest object, now has a metal surface")).toEqual({ kind: "retexture", material: "metal" });
    expect(redrawTarget("the large red matte cone, which is the smallest red cone, now has a striped surface")).toEqual({ kind: "retexture", material: "striped" });
    for (const no of ["the cone now has a wooden surface", "the cone now has a metal", "the cone has a metal surface", "now has a surface"]) expect(redrawTarget(no)).toBeNull();
    const t = { kind: "retexture", material: "checkered" } as const;
    const [replaces, retextures] = [{ params: {}, config: REPLACES }, { params: {}, config: RETEXTURES }];
    expect([keepTarget(t, "object+move+said", retextures), keepTarget(t, "object+move+pixels", retextures)]).toEqual([t, t]);
    expect([keepTarget(t, "object+move+said", replaces), keepTarget(t, "object+move+said"), keepTarget(t, "object+move+redraw", retextures)]).toEqual([null, null, null]);
    const recolour = { kind: "recolour", colour: "blue" } as const;
    expect([keepTarget(recolour, "object+move+said", replaces), keepTarget(recolour, "object+move+redraw", retextures)]).toEqual([recolour, null]); // as before
    // drawerFor: the retexturer draws the retextures where there is one, the drawer everything else
    const replace = { kind: "replace", shape: "cone", colour: "red" } as const;
    expect([drawerFor(t, replaces, retextures), drawerFor(t, retextures), drawerFor(t)]).toEqual([retextures, retextures, undefined]);
    expect([drawerFor(replace, replaces, retextures), drawerFor(recolour, replaces, retextures), drawerFor(null, replaces, retextures)]).toEqual([replaces, replaces, replaces]);
  });

  it("retexturePlan redraws the object in the colour its pixels show; saidPlan dispatches every said edit; moveFills shades an object whose colour is not read", () => {
    const r = toy();
    expect(shownColour(r.source, r.mask)).toBe("red");
    const p = initRedraw(RETEXTURES, 4);
    try {
      const drawer: Drawer = { params: p, config: RETEXTURES };
      const got = retexturePlan(drawer, r.source, r.mask, r.ground, "striped", 4)!;
      const want = redrawPlan(drawer, r.source, r.mask, r.ground, { shape: null, colour: "red", material: "striped" }, 4);
      expect(got.image).toEqual(want.image);
      expect(got.image).toEqual(redrawImages(p, RETEXTURES, [r])[0]);
      expect(got.gate[0]).toBeGreaterThan(0);
      expect(saidPlan(drawer, { kind: "retexture", material: "striped" }, r.source, r.mask, r.ground, 4)!.image).toEqual(got.image);
      expect(saidPlan(drawer, { kind: "recolour", colour: "blue" }, r.source, r.mask, r.ground, 4)!.image).toEqual(repaintPlan(r.source, r.mask, "blue", 4).image);
      // a black object shows no colour: no retexture plan
      const dark = Float32Array.from(r.source);
      for (let q = 0; q < 64; q++) if (r.mask[q] === 1) dark.fill(-1, q * 3, q * 3 + 3);
      expect(shownColour(dark, r.mask)).toBeNull();
      expect(retexturePlan(drawer, dark, r.mask, r.ground, "striped", 4)).toBeNull();
      // in moveFills such an item is shaded as object+move+paste shades it
      const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
      const { sources, objects, e, N } = liveOffsetEditor(c);
      try {
        const masks = masksOf(objects, c);
        const grounds = sources.map(() => new Float32Array(c.image * c.image * 3).fill(-0.2));
        const blacked = sources.map((s, b) => Float32Array.from(s, (v, i) => (b === 0 && masks[0][0][Math.floor(i / 3)] === 1 ? -1 : v)));
        const plan = sources.map(() => Array.from({ length: N }, () => [0.3, 0.3, 0.3]));
        const still = [0, 0].map(() => ({ object: 0, dest: null, offset: null }));
        const dc = { crop: 8, hidden: 8, retexture: true };
        const q = initRedraw(dc, 5);
        const n0 = tf.memory().numTensors;
        const f = moveFills(still, "object+move+pixels", { objects, sources: blacked, patch: c.dnPatch, N, masks, grounds, plan, drawer: { params: q, config: dc }, targets: [{ kind: "retexture", material: "metal" }, { kind: "retexture", material: "metal" }] });
        const colours = f.colours.arraySync();
        tf.dispose([f.patches, f.colours]);
        expect(tf.memory().numTensors).toBe(n0);
        expect(Float32Array.from(colours[0].flat())).toEqual(shadeObject(blacked[0], masks[0][0], grounds[0], plan[0].flat(), c.dnPatch).colours);
        const drawn = retexturePlan({ params: q, config: dc }, blacked[1], masks[1][0], grounds[1], "metal", c.dnPatch);
        expect(f.pixels![1]).toEqual(drawn!.image);
        disposeParams(q);
      } finally {
        disposeEditor(e);
      }
    } finally {
      disposeParams(p);
    }
  });

  it("a retexturer beside the drawer: the said retextures drawn by it, the replacements by the drawer; keepTarget follows retextures with it; editImages refuses one that does not retexture", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e, N } = liveOffsetEditor(c);
    const [rc, dc] = [{ crop: 8, hidden: 8, retexture: true }, { crop: 8, hidden: 8 }];
    const [retexturer, drawer]: Drawer[] = [{ params: initRedraw(rc, 5), config: rc }, { params: initRedraw(dc, 6), config: dc }];
    try {
      const masks = masksOf(objects, c);
      const grounds = sources.map(() => new Float32Array(c.image * c.image * 3).fill(-0.2));
      const plan = sources.map(() => Array.from({ length: N }, () => [0.3, 0.3, 0.3]));
      const still = [0, 0].map(() => ({ object: 0, dest: null, offset: null }));
      const targets = [{ kind: "retexture" as const, material: "metal" as const }, { kind: "replace" as const, shape: "cone" as const, colour: "blue" as const }];
      const f = moveFills(still, "object+move+pixels", { objects, sources, patch: c.dnPatch, N, masks, grounds, plan, drawer, retexturer, targets });
      tf.dispose([f.patches, f.colours]);
      expect(f.pixels![0]).toEqual(retexturePlan(retexturer, sources[0], masks[0][0], grounds[0], "metal", c.dnPatch)!.image);
      expect(f.pixels![1]).toEqual(redrawPlan(drawer, sources[1], masks[1][0], grounds[1], { shape: "cone", colour: "blue" }, c.dnPatch).image);
      expect(keepTarget(targets[0], "object+move+pixels", drawer)).toBeNull(); // the drawer alone does not retexture
      e.drawer = drawer;
      e.retexturer = drawer; // not one that retextures
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects })).toThrow("editImages: the editor's retexturer (Editor.retexturer) must be a drawer that retextures (npm run redraw-fit -- --retextures=<share>)");
      e.retexturer = retexturer;
      expect(editImages(e, sources, instructions, { steps: 2, gate: "object" }, { objects }).images.length).toBe(2);
    } finally {
      e.retexturer = undefined;
      disposeParams(retexturer.params);
      disposeEditor(e); // disposes the drawer
    }
  });

  it("engine retextures and the benchmark's: each asked as retexturePlan asks; no share gives the replacements as before; a fit, save and load keep the config", () => {
    const plain = redrawExamples(6, 3, 16);
    const none = redrawExamples(6, 3, 16, 0);
    expect(none.map((x) => Array.from(x.target))).toEqual(plain.map((x) => Array.from(x.target)));
    const all = redrawExamples(6, 3, 16, 1);
    for (const x of all) {
      expect(x.request.shape).toBeNull();
      expect(MATERIALS).toContain(x.request.material);
      expect(x.request.colour).toEqual(paletteSigned(shownColour(x.request.source, x.request.mask)!));
      expect(maxDiff(x.target, Float32Array.from(x.request.source))).toBeGreaterThan(0); // another material changes pixels
    }
    const half = redrawExamples(40, 3, 16, 0.5);
    const retextured = half.filter((x) => x.request.shape === null).length;
    expect(retextured).toBeGreaterThan(5);
    expect(retextured).toBeLessThan(35);
    expect(half.filter((x) => x.request.shape !== null).every((x) => (x.request.material ?? null) === null)).toBe(true); // replacements keep their material
    expect(() => redrawExamples(2, 3, 16, 1.5)).toThrow("redrawExamples: retextures must be a share in [0, 1], got 1.5");
    const items = ensureBenchmark("spatialeval", "tiny").items;
    const bench = benchmarkRedraws(items, 32, true);
    expect(bench.map((b) => b.kind).sort()).toEqual(["recoloured", "recoloured", "recoloured", "replaced", "replaced", "retextured", "retextured"]);
    for (const b of bench.filter((x) => x.kind === "retextured")) {
      const changed = b.item.editedScene!.objects.find((o) => b.item.sourceScene.objects.find((s) => s.id === o.id)!.material !== o.material)!;
      expect([b.example.request.shape, b.example.request.material]).toEqual([null, changed.material]);
    }
    expect(benchmarkRedraws(items, 32).map((b) => b.kind)).not.toContain("retextured");
    const c = { crop: 8, hidden: 16, retexture: true };
    const p = initRedraw(c, 2);
    try {
      const n0 = tf.memory().numTensors;
      const checks = fitRedraw(p, c, half.slice(0, 32), half.slice(32), { steps: 20, batch: 8, lr: 3e-3, checkEvery: 10, seed: 1 });
      expect(tf.memory().numTensors).toBe(n0);
      expect(Math.min(...checks.map((k) => k.heldOut))).toBeLessThan(checks[0].heldOut);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "retexture-"));
      saveDrawer(path.join(dir, "d.safetensors"), p, c);
      const d = loadDrawer(path.join(dir, "d.safetensors"));
      try {
        expect(d.config).toEqual(c);
        expect(redrawImages(d.params, c, [all[0].request])[0]).toEqual(redrawImages(p, c, [all[0].request])[0]);
      } finally {
        disposeParams(d.params);
      }
    } finally {
      disposeParams(p);
    }
  });
});
