import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/core/rng";
import { classifyInstruction } from "../../lib/data/classifier";
import { dataEngineConfig } from "../../lib/data/config";
import { buildScene } from "../../lib/data/generate";
import { canonicalise, paraphrase, SYNONYM_GROUPS } from "../../lib/data/paraphrase";

describe("paraphrase grammar", () => {
  it("every phrase belongs to exactly one group", () => {
    const all = SYNONYM_GROUPS.flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it("keeps the meaning of every generated question and instruction (canonical forms equal)", () => {
    const cfg = dataEngineConfig("tiny", { perception: "truth", paraphrase: true, vqaPerScene: 12, editsPerScene: 6 });
    let n = 0;
    let changed = 0;
    const vqaFamilies = new Set<string>();
    const editFamilies = new Set<string>();
    for (let k = 0; k < 30; k++) {
      const d = buildScene(k, 7, cfg);
      for (const q of d.vqa) {
        expect(canonicalise(q.text), q.text).toBe(canonicalise(q.question));
        vqaFamilies.add(q.family);
        n++;
        if (q.text.toLowerCase() !== q.question) changed++;
      }
      for (const e of d.edits) {
        expect(canonicalise(e.text), e.text).toBe(canonicalise(e.instruction));
        expect(classifyInstruction(e.text).spatial, e.text).toBe(true);
        editFamilies.add(e.family);
        n++;
        if (e.text.toLowerCase() !== e.instruction) changed++;
      }
    }
    expect(n).toBeGreaterThan(60);
    expect(changed / n).toBeGreaterThan(0.5);
    expect(vqaFamilies.size).toBeGreaterThanOrEqual(6);
    expect(editFamilies.size).toBeGreaterThanOrEqual(5);
  });

  it("is seeded, varies across seeds and keeps the referent", () => {
    const t = "turn the second leftmost cube among the cubes into red";
    expect(paraphrase(t, new Rng(3))).toBe(paraphrase(t, new Rng(3)));
    const forms = new Set<string>();
    for (let s = 0; s < 40; s++) {
      const p = paraphrase(t, new Rng(s));
      forms.add(p);
      expect(canonicalise(p)).toBe(t);
    }
    expect(forms.size).toBeGreaterThan(10);
    expect(canonicalise("Please change the 2nd left-most block out of the cubes into red")).toBe(t);
  });

  it("rejects non-strings", () => {
    expect(() => paraphrase(3 as never, new Rng(1))).toThrow("paraphrase: text must be a string, got number");
  });
});
