import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { ensureBenchmark } from "../../../lib/eval/benchmark-generate";
import { judgeConfig } from "../../../lib/eval/judge-config";
import { objectJudge } from "../../../lib/eval/judges";
import { emptyGround } from "../../../lib/eval/image-perception";
import { perceivedMaskOf } from "../../../lib/eval/redraw-data";
import { decodeVariantsFlag } from "../../../lib/eval/decode-choice";
import { groundMove, saidGroundMoves, saidMove } from "../../../lib/models/editor/ground-move";
import { pasteMove } from "../../../lib/models/editor/paste-move";
import { toSigned } from "../../../lib/models/editor/train/data";
import { renderScene } from "../../../lib/world/render";
import { checkEditorConfig } from "../../../lib/models/editor/config";
import { disposeEditor } from "../../../lib/models/editor/model";
import { editImages } from "../../../lib/models/editor/pipeline";
import { liveOffsetEditor, masksOf, withOffset } from "./offset-helpers";

beforeAll(async () => {
  await initBackend();
});

describe("groundMoves: a said move done on the ground plane (ground-move.ts)", () => {
  it("saidMove reads the condition's last words; anything else is null", () => {
    expect(saidMove("the small brown matte cone, which is the smallest brown cone, has moved a little closer to the camera")).toEqual({ direction: "closer to the camera", lot: false });
    expect(saidMove("the large cyan metal cube has moved a lot to the left.")).toEqual({ direction: "to the left", lot: true });
    expect(saidMove("The cube has moved a lot farther from the camera")).toEqual({ direction: "farther from the camera", lot: true });
    for (const no of ["the cube has moved a lot", "the cube has moved to the left", "the cube is now red", "", "the cube has moved a little to the left and is red"]) expect(saidMove(no)).toBeNull();
  });

  it("the tiny benchmark's moves: a move to the right goes right, closer goes down and grows, farther up and shrinks; pasted, it passes the judge; errors", () => {
    const items = ensureBenchmark("spatialeval", "tiny").items.filter((it) => it.kind === "move" && it.form !== "trend" && it.editedScene !== null);
    expect(items.length).toBeGreaterThan(0);
    const judge = judgeConfig();
    let passed = 0;
    for (const it of items) {
      const S = it.source.width;
      const cam = it.sourceScene.camera;
      const r = renderScene(it.sourceScene, { width: S, height: S });
      const mask = perceivedMaskOf(it.source, cam, Array.from(r.mask, (m) => (m === it.targets[0] ? 1 : 0)))!;
      const p = it.params as { direction: string; distance: number };
      const move = { direction: p.direction as "to the left", lot: p.distance > 0.6 };
      const g = groundMove(mask, cam, move, 0.6)!;
      const [right, closer, farther] = [groundMove(mask, cam, { direction: "to the right", lot: false }, 0.6)!, groundMove(mask, cam, { direction: "closer to the camera", lot: false }, 0.6)!, groundMove(mask, cam, { direction: "farther from the camera", lot: false }, 0.6)!];
      expect(right.offset[0]).toBeGreaterThan(0);
      expect(groundMove(mask, cam, { direction: "to the left", lot: true }, 0.6)!.offset[0]).toBeLessThan(0);
      expect([closer.offset[1] > 0, closer.scale > 1, farther.offset[1] < 0, farther.scale < 1]).toEqual([true, true, true, true]);
      const img = pasteMove(toSigned(it.source.data as Uint8Array), mask, toSigned(emptyGround(cam, S, S).rgb), Math.round(g.offset[0]), Math.round(g.offset[1]), 4, { scale: g.scale, byChange: true }).image;
      passed += objectJudge(it, { width: S, height: S, data: Float32Array.from(img, (x) => (x + 1) / 2) }, judge).done;
    }
    expect(passed / items.length).toBeGreaterThanOrEqual(0.5); // told the truth's object and move, the geometry mostly lands
    const cam = items[0].sourceScene.camera;
    expect(() => groundMove(new Uint8Array(16), cam, { direction: "to the left", lot: false }, 0.6)).toThrow("groundMove: the object's mask is empty");
    expect(() => groundMove(new Uint8Array(15), cam, { direction: "to the left", lot: false }, 0.6)).toThrow("groundMove: a mask of 15 pixels is not a square image");
    expect(() => groundMove(new Uint8Array(16), cam, { direction: "to the left", lot: false }, 0)).toThrow("groundMove: the step must be a positive distance in world units, got 0");
  });

  it("saidGroundMoves: the ground move in patches where the condition says a move and an object is chosen, else null; errors", () => {
    const it0 = ensureBenchmark("spatialeval", "tiny").items.find((it) => it.kind === "move" && it.form !== "trend" && it.editedScene !== null)!;
    const S = it0.source.width;
    const cam = it0.sourceScene.camera;
    const r = renderScene(it0.sourceScene, { width: S, height: S });
    const mask = perceivedMaskOf(it0.source, cam, Array.from(r.mask, (m) => (m === it0.targets[0] ? 1 : 0)))!;
    const want = groundMove(mask, cam, saidMove(it0.condition)!, 0.6)!;
    const got = saidGroundMoves([it0.condition, "the cube is now red", it0.condition], [0, 0, -1], [[mask], [mask], [mask]], [cam, cam, cam], 0.6, 4);
    expect(got[0]).toEqual({ offset: [want.offset[0] / 4, want.offset[1] / 4], scale: want.scale });
    expect(got.slice(1)).toEqual([null, null]);
    expect(() => saidGroundMoves([it0.condition], [0, 0], [[mask]], [cam], 0.6, 4)).toThrow("saidGroundMoves: 1 conditions, 2 choices, 1 mask lists and 1 cameras");
  });

  it("editImages refuses groundMoves without an object-moving decoding, the cameras and an object head", () => {
    const c = checkEditorConfig({ ...withOffset(), alignedPlan: true, alignedScale: true });
    const { sources, instructions, objects, e } = liveOffsetEditor(c);
    try {
      const want = "editImages: groundMoves needs an object-moving and scaling gate decoding (object+move...), each source's camera and object masks (extras.cameras, extras.objectMasks) and the editor's own choice and moves (an object head; no given gates or offsets); got ";
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object", groundMoves: true }, { objects })).toThrow(want + "'object'");
      expect(() => editImages(e, sources, instructions, { steps: 2, gate: "object+move+paste", groundMoves: true }, { objects, objectMasks: masksOf(objects, c), emptyGrounds: sources.map(() => new Float32Array(sources[0].length)) })).toThrow(want + "'object+move+paste'");
    } finally {
      disposeEditor(e);
    }
  });

  it("decodeVariantsFlag: the cross product of --keep-closed and --ground-moves", () => {
    expect(decodeVariantsFlag(undefined, undefined)).toEqual([{}]);
    expect(decodeVariantsFlag("on", "both")).toEqual([{ keepClosed: true }, { keepClosed: true, groundMoves: true }]);
    expect(decodeVariantsFlag("both", "on")).toEqual([{ groundMoves: true }, { keepClosed: true, groundMoves: true }]);
    expect(() => decodeVariantsFlag("off", "maybe")).toThrow("--ground-moves must be off, on or both, got 'maybe'");
  });
});
