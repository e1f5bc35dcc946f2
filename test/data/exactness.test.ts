import { describe, expect, it } from "vitest";
import { dataEngineConfig } from "../../lib/data/config";
import { buildScene } from "../../lib/data/generate";
import { compareOn, pickByRank, uniqueName } from "../../lib/data/select";
import { truthExtraction } from "../../lib/data/truth";

/**
 * "Exact answers": every rank or order fact behind a written VQA answer or an edit referent,
 * decided on the oracle extraction, must hold on the scene's truth (analytic geometry).
 */
describe("answers and referents from the oracle extraction hold on the truth", () => {
  for (const resolution of [32, 64]) {
    it(`${resolution}x${resolution}, 40 random scenes`, () => {
      const cfg = dataEngineConfig("tiny", { perception: "oracle", resolution, vqaPerScene: 10, editsPerScene: 6, paraphrase: false });
      let facts = 0;
      const wrong: string[] = [];
      for (let k = 0; k < 40; k++) {
        const d = buildScene(k, 77, cfg);
        const truth = truthExtraction(d.scene, d.render);
        const byId = (id: number) => truth.objects.find((o) => o.id === id)!;
        for (const q of d.vqa) {
          for (const f of q.fact ?? []) {
            facts++;
            if (f.order) {
              const c = compareOn(truth, byId(q.objects[0]), byId(q.objects[1]), f.key);
              if (c !== f.order) wrong.push(`scene ${k}: ${q.question} -> ${q.answer} (truth ${f.key} order ${c})`);
            } else {
              const t = pickByRank(truth, truth.objects, f.key, f.dir!, f.k!);
              if (t.id !== q.objects[0]) wrong.push(`scene ${k}: ${q.question} -> ${q.answer} (truth picks ${t.id})`);
              const name = uniqueName(t, truth.objects);
              if (name !== q.answer) wrong.push(`scene ${k}: ${q.question} -> ${q.answer} (truth name ${name})`);
            }
          }
        }
        for (const e of d.edits) {
          if (!e.referent) continue;
          facts++;
          const t = pickByRank(truth, e.referent.group.map(byId), e.referent.key, e.referent.dir, e.referent.k);
          if (t.id !== e.targets[0]) wrong.push(`scene ${k}: ${e.instruction} -> ${e.targets[0]} (truth picks ${t.id})`);
        }
      }
      expect(wrong).toEqual([]);
      expect(facts).toBeGreaterThan(100);
    });
  }
});
