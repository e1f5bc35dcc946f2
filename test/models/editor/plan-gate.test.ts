import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { gatedSpatial } from "../../../lib/models/editor/aligned";
import { checkEditorConfig, editorConfig, keyedEditorConfig } from "../../../lib/models/editor/config";
import { createEditor, disposeEditor, editorCondition, editorLayout, editorParams } from "../../../lib/models/editor/model";
import { engineData } from "../../../lib/models/editor/train/data";
import { imageBatch } from "../../../lib/models/editor/train/steps";
import { recipeConfig } from "../../../lib/models/editor/train/recipes";

beforeAll(async () => {
  await initBackend();
});

const bil = checkEditorConfig({ ...editorConfig("tiny"), aligned: true, alignedWhere: "bilinear" });
const plan = checkEditorConfig({ ...bil, alignedPlan: true });
const open = checkEditorConfig({ ...plan, alignedPlanGate: "open" });
const edits = engineData(recipeConfig("tiny").dataSeed, 3, bil.image).edits.slice(0, 2);

describe("the open plan gate (alignedPlanGate: 'open')", () => {
  it("lets the plan in at min(1, P^2 gate), the gated vector still at the gate; the share form scales both by the gate; no leaks", () => {
    const eShare = createEditor(plan, new Rng(2));
    const eOpen = createEditor(open, new Rng(2));
    try {
      const P2 = bil.dnPatch * bil.dnPatch;
      const N = (bil.image / bil.dnPatch) ** 2;
      for (const e of [eShare, eOpen]) {
        // Lin_pi and g start at zero: give them seeded values (the same in both editors) so that the plan shows
        const p = editorParams(e);
        tf.tidy(() => {
          p["edit.loc.plan.i.w"].assign(tf.randomNormal(p["edit.loc.plan.i.w"].shape, 0, 1, "float32", 3));
          p["edit.loc.gate"].assign(tf.randomNormal(p["edit.loc.gate"].shape, 0, 1, "float32", 4));
        });
      }
      const texts = edits.map((x) => x.instruction);
      const n0 = tf.memory().numTensors;
      const images = imageBatch(edits.map((x) => x.source), bil.image);
      // per patch gates: closed, a quarter of one pixel's share, one pixel's share, a half, all
      const levels = [0, 0.25 / P2, 1 / P2, 0.5, 1];
      const gateValues = Array.from({ length: 2 * N }, (_, i) => levels[i % levels.length]);
      const r = tf.tidy(() => {
        const gate = tf.tensor2d(gateValues, [2, N]);
        const errs = (e: typeof eOpen, scale: (g: tf.Tensor) => tf.Tensor) => {
          const p = editorParams(e);
          const a = editorCondition(e, images, editorLayout(e, texts)).aligned!;
          const planned = tf.add(tf.matMul(a.planCode!.reshape([2 * N, 3]), p["edit.loc.plan.i.w"]), p["edit.loc.plan.i.b"]).reshape([2, N, bil.dnD]);
          const g3 = tf.expandDims(gate, 2);
          const want = tf.add(tf.add(a.ungated!, tf.mul(g3, a.gated!)), tf.mul(scale(g3), planned));
          const sig3 = tf.expandDims(tf.sigmoid(a.where), 2);
          const ownWant = tf.add(tf.add(a.ungated!, tf.mul(sig3, a.gated!)), tf.mul(scale(sig3), planned));
          return {
            given: tf.max(tf.abs(tf.sub(gatedSpatial(a, gate, undefined, { p }), want))).dataSync()[0],
            own: tf.max(tf.abs(tf.sub(a.spatial, ownWant))).dataSync()[0],
            openVsShare: tf.max(tf.abs(tf.sub(scale(g3), g3))).dataSync()[0],
          };
        };
        return { open: errs(eOpen, (g) => tf.minimum(tf.mul(g, P2), 1)), share: errs(eShare, (g) => g) };
      });
      images.dispose();
      expect(tf.memory().numTensors).toBe(n0);
      expect(r.open.given).toBeLessThan(1e-5);
      expect(r.open.own).toBeLessThan(1e-5);
      expect(r.share.given).toBeLessThan(1e-5);
      expect(r.share.own).toBeLessThan(1e-5);
      // the two forms differ where one pixel's share opens the plan fully (levels 1/P^2 and 0.5): a quarter pixel gets a quarter
      expect(r.open.openVsShare).toBeCloseTo(1 - 1 / P2, 5);
    } finally {
      disposeEditor(eShare);
      disposeEditor(eOpen);
    }
  });

  it("config: keyed only when on with a plan; exact errors", () => {
    expect(keyedEditorConfig(open, false).alignedPlanGate).toBe("open");
    expect(keyedEditorConfig(plan, false)).not.toHaveProperty("alignedPlanGate");
    expect(keyedEditorConfig(open, true)).not.toHaveProperty("alignedPlanGate");
    expect(() => checkEditorConfig({ ...bil, alignedPlanGate: "open" })).toThrow('editor: alignedPlanGate needs an edit plan (alignedPlan true, "attend" or "palette")');
    expect(() => checkEditorConfig({ ...plan, alignedPlanGate: "shut" as never })).toThrow('editor: alignedPlanGate must be "open" (or absent), got "shut"');
  });
});
