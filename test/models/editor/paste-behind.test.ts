import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { decodeVariantsFlag, decodingOptions, decodingText } from "../../../lib/eval/decode-choice";
import { ensureBenchmark } from "../../../lib/eval/benchmark-generate";
import { emptyGround } from "../../../lib/eval/image-perception";
import { judgeConfig } from "../../../lib/eval/judge-config";
import { objectJudge } from "../../../lib/eval/judges";
import { perceivedMaskOf } from "../../../lib/eval/redraw-data";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { groundMove } from "../../../lib/models/editor/ground-move";
import { disposeEditor } from "../../../lib/models/editor/model";
import { moveFills } from "../../../lib/models/editor/move-fills";
import { lowestRow, pasteMove } from "../../../lib/models/editor/paste-move";
import { editImages } from "../../../lib/models/editor/pipeline";
import { toSigned } from "../../../lib/models/editor/train/data";
import { renderScene } from "../../../lib/world/render";
import { liveOffsetEditor, masksOf, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

// an 8 x 8 image, patches of 4: the moved object A is the 2 x 2 block at columns 1-2, rows 2-3 (value 1); object B the
// 2 x 2 block at columns 4-5 (value -1), at rows 3-4 (lower: nearer) or rows 1-2 (higher: farther); the ground 0.5
const S = 8;
const block = (cols: number[], rows: number[]) => Uint8Array.from({ length: S * S }, (_, p) => (cols.includes(p % S) && rows.includes(Math.floor(p / S)) ? 1 : 0));
const A = block([1, 2], [2, 3]);
const image = (b: Uint8Array) => Float32Array.from({ length: S * S * 3 }, (_, i) => (A[Math.floor(i / 3)] === 1 ? 1 : b[Math.floor(i / 3)] === 1 ? -1 : 0.5));
const ground = new Float32Array(S * S * 3).fill(0.5);
const red = (img: Float32Array, x: number, y: number) => img[(y * S + x) * 3];

describe("pasteBehind: a pasted move stays behind the objects nearer on the ground (paste-move.ts PasteOptions.others)", () => {
  it("lowestRow: the largest row of a mask's pixels, -1 for none", () => {
    expect([lowestRow(A, S), lowestRow(block([4], [6, 7]), S), lowestRow(new Uint8Array(S * S), S)]).toEqual([3, 7, -1]);
  });

  it("moved onto a nearer object it is hidden there; onto a farther one it covers it; without others it covers both", () => {
    const nearB = block([4, 5], [3, 4]);
    const src = image(nearB);
    // A moved 3 right lands on columns 4-5, rows 2-3: B (lowest row 4, below A's 3) is nearer, so its pixels stay
    const behind = pasteMove(src, A, ground, 3, 0, 4, { byChange: true, others: [nearB] });
    expect([red(behind.image, 4, 2), red(behind.image, 5, 2), red(behind.image, 4, 3), red(behind.image, 5, 3)]).toEqual([1, 1, -1, -1]);
    expect([red(behind.image, 1, 2), red(behind.image, 2, 3)]).toEqual([0.5, 0.5]); // where A stood: the ground
    const over = pasteMove(src, A, ground, 3, 0, 4, { byChange: true });
    expect([red(over.image, 4, 3), red(over.image, 5, 3)]).toEqual([1, 1]);
    // moved 3 right and 1 down (rows 3-4, lowest row 4 = B's): not below it, so A covers B
    expect(red(pasteMove(src, A, ground, 3, 1, 4, { others: [nearB] }).image, 4, 4)).toBe(1);
    // B higher in the image (rows 1-2, lowest row 2): farther, so A is pasted over it
    const farB = block([4, 5], [1, 2]);
    const far = pasteMove(image(farB), A, ground, 3, 0, 4, { others: [farB] });
    expect(red(far.image, 4, 2)).toBe(1);
    expect(red(far.image, 4, 1)).toBe(-1); // B's pixels A does not reach stay
    // the changed share counts only what changes: behind B the moved object changes fewer pixels
    expect(behind.share.reduce((s, x) => s + x, 0)).toBeLessThan(over.share.reduce((s, x) => s + x, 0));
    expect(() => pasteMove(src, A, ground, 3, 0, 4, { others: [new Uint8Array(10)] })).toThrow("pasteMove: an other object's mask of 10 pixels, expected 64");
  });

  it("the tiny benchmark's moves, told the truth's object and move: behind nearer objects the paste scores at least as well", () => {
    const items = ensureBenchmark("spatialeval", "tiny").items.filter((it) => it.kind === "move" && it.form !== "trend" && it.editedScene !== null);
    expect(items.length).toBeGreaterThan(0);
    const judge = judgeConfig();
    let [over, behind] = [0, 0];
    for (const it of items) {
      const W = it.source.width;
      const cam = it.sourceScene.camera;
      const r = renderScene(it.sourceScene, { width: W, height: W });
      const maskOf = (id: number) => perceivedMaskOf(it.source, cam, Array.from(r.mask, (m) => (m === id ? 1 : 0)));
      const mask = maskOf(it.targets[0])!;
      const others = it.sourceScene.objects.map((o) => o.id).filter((id) => id !== it.targets[0]).map(maskOf).filter((m) => m !== null);
      const p = it.params as { direction: "to the left"; distance: number };
      const g = groundMove(mask, cam, { direction: p.direction, lot: p.distance > 0.6 }, 0.6)!;
      const paste = (o: Uint8Array[] | undefined) => pasteMove(toSigned(it.source.data as Uint8Array), mask, toSigned(emptyGround(cam, W, W).rgb), Math.round(g.offset[0]), Math.round(g.offset[1]), 4, { scale: g.scale, byChange: true, ...(o ? { others: o } : {}) }).image;
      const score = (img: Float32Array) => objectJudge(it, { width: W, height: W, data: Float32Array.from(img, (x) => (x + 1) / 2) }, judge).score;
      over += score(paste(undefined));
      behind += score(paste(others));
    }
    expect(behind).toBeGreaterThanOrEqual(over);
  });

  it("moveFills passes it to the paste; the pipeline and moveFills refuse it without a pasting rule; the flag and the decoding's name", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    try {
      const masks = masksOf(objects, c);
      const grounds = sources.map(() => new Float32Array(sources[0].length).fill(0.25));
      const N = objects[0][0].length;
      const moved = [{ object: 0, dest: { fills: [], vacates: [], moved: [] } as never, offset: [1, 0] as [number, number], scale: 1 }];
      const inputs = { objects: [objects[0]], sources: [sources[0]], patch: c.dnPatch, N, masks: [masks[0]], grounds: [grounds[0]], plan: [Array.from({ length: N }, () => [0, 0, 0])] };
      const n0 = tf.memory().numTensors;
      const f = moveFills(moved, "object+move+paste", { ...inputs, behind: true });
      tf.dispose([f.patches, f.colours]);
      expect(tf.memory().numTensors).toBe(n0);
      const want = pasteMove(sources[0], masks[0][0], grounds[0], c.dnPatch, 0, c.dnPatch, { scale: 1, byChange: true, others: masks[0].slice(1) });
      expect(f.gates![0]).toEqual(want.share);
      expect(() => moveFills(moved, "object+offset", { ...inputs, behind: true })).toThrow("moveFills: pasting behind nearer objects (behind) needs a rule that pastes the object's own pixels (object+offset+paste, object+offset+shade, object+move+paste or a redrawing rule), not 'object+offset'");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object", pasteBehind: true }, { objects })).toThrow("editImages: pasteBehind needs a gate decoding that pastes the object's own pixels (object+offset+paste, object+offset+shade, object+move+paste or a redrawing rule); got 'object'");
    } finally {
      disposeEditor(e);
    }
    expect(decodeVariantsFlag("on", "on", "off", "both")).toEqual([{ keepClosed: true, groundMoves: true }, { keepClosed: true, groundMoves: true, pasteBehind: true }]);
    expect(() => decodeVariantsFlag("off", "off", "off", "under")).toThrow("--paste-behind must be off, on or both, got 'under'");
    const x = { rule: "object+move+pixels" as const, planDecode: "soft" as const, groundMoves: true as const, pasteBehind: true as const };
    expect(decodingText(x)).toBe("object+move+pixels (plan soft) moving on the ground pasting behind nearer objects");
    expect(decodingOptions(x, 10, 2)).toEqual({ steps: 10, seed: 2, gate: "object+move+pixels", planDecode: "soft", groundMoves: true, pasteBehind: true });
  });
});
