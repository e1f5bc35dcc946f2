import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { CLASSIFIER_CASES } from "../../lib/data/classifier-cases";
import { classifyInstruction, isSpatialInstruction, normaliseInstruction, spatialShareOf, spatialShareOfJsonl } from "../../lib/data/classifier";

describe("spatial-instruction classifier (Table 3)", () => {
  it("passes every unit trap (one per rule and idiom; in-sample, not an accuracy)", () => {
    const wrong = CLASSIFIER_CASES.filter((c) => isSpatialInstruction(c.text) !== c.spatial).map((c) => `${c.text} -> ${!c.spatial}`);
    expect(wrong).toEqual([]);
    expect(CLASSIFIER_CASES.filter((c) => c.spatial).length).toBeGreaterThanOrEqual(25);
    expect(CLASSIFIER_CASES.filter((c) => !c.spatial).length).toBeGreaterThanOrEqual(25);
  });

  it("says which cue fired", () => {
    expect(classifyInstruction("turn the leftmost cube red").cues[0]).toEqual({ cue: "rank", match: "leftmost" });
    expect(classifyInstruction("remove the cup next to the plate").cues.map((c) => c.cue)).toEqual(["relation"]);
    expect(classifyInstruction("move to Mars")).toEqual({ spatial: false, cues: [] });
  });

  it("normalises case, punctuation and idioms", () => {
    expect(normaliseInstruction("  Give him a TOP HAT!! ")).toBe("give him a");
  });

  it("rejects a non-string", () => {
    expect(() => classifyInstruction(42 as never)).toThrow("classifyInstruction: instruction must be a string, got number");
  });

  it("reports the share over arrays and JSONL files", () => {
    const s = spatialShareOf(["move the cube to the left", "add snow", "make it bigger", "remove the nearest cone"]);
    expect(s.total).toBe(4);
    expect(s.spatial).toBe(2);
    expect(s.share).toBe(0.5);
    expect(s.byCue.rank).toBe(1);
    expect(s.byCue.direction).toBe(1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cls-"));
    const file = path.join(dir, "m.jsonl");
    fs.writeFileSync(file, [{ instruction: "remove the nearest cone" }, { instruction: "add snow" }, { other: 1 }].map((r) => JSON.stringify(r)).join("\n") + "\n");
    expect(spatialShareOfJsonl(file)).toMatchObject({ total: 2, spatial: 1, share: 0.5, field: "instruction" });
    fs.writeFileSync(file, '{"instruction":"x"}\n{oops\n');
    expect(() => spatialShareOfJsonl(file)).toThrow(`spatialShareOfJsonl: ${file} line 2 is not valid JSON`);
    expect(() => spatialShareOfJsonl(path.join(dir, "none.jsonl"))).toThrow("spatialShareOfJsonl: no such file");
  });
});
