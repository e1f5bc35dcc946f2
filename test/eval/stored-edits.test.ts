import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend";
import { ensureBenchmark } from "../../lib/eval/benchmark-generate";
import { identityEditor, oracleEditor } from "../../lib/eval/editor";
import { evaluate } from "../../lib/eval/evaluate";
import { EDITS_DATA, EDITS_INDEX, hasEdits, readEdits, storedEditor, writeEdits } from "../../lib/eval/stored-edits";
import type { RgbImage } from "../../lib/engine/types";

beforeAll(async () => {
  await initBackend();
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "stored-edits-"));

describe("stored edits", () => {
  it("round-trips images of any size, in order, byte for byte", () => {
    const dir = tmp();
    const a: RgbImage = { width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const b: RgbImage = { width: 1, height: 2, data: Uint8Array.from([250, 0, 7, 8, 9, 255]) };
    expect(hasEdits(dir)).toBe(false);
    writeEdits(dir, new Map([["b", b], ["a", a]]));
    expect(hasEdits(dir)).toBe(true);
    const back = readEdits(dir);
    expect([...back.keys()]).toEqual(["b", "a"]);
    expect(back.get("a")).toEqual(a);
    expect(back.get("b")).toEqual(b);
    expect(fs.statSync(path.join(dir, EDITS_DATA)).size).toBe(12);
  });

  it("refuses bad input and damaged files with clear errors", () => {
    const dir = tmp();
    expect(() => writeEdits(dir, new Map())).toThrow("writeEdits: no edits to write");
    expect(() => writeEdits(dir, new Map([["x", { width: 2, height: 2, data: new Uint8Array(4) }]]))).toThrow("writeEdits: edit of 'x' has 4 bytes, expected 2x2x3 (RGB)");
    expect(() => readEdits(dir)).toThrow(`readEdits: ${path.join(dir, EDITS_INDEX)} does not exist (evaluations made before the edits were stored have none; run the evaluation again)`);
    writeEdits(dir, new Map([["x", { width: 1, height: 1, data: Uint8Array.from([1, 2, 3]) }]]));
    fs.writeFileSync(path.join(dir, EDITS_DATA), Buffer.from([1, 2]));
    expect(() => readEdits(dir)).toThrow(`readEdits: ${path.join(dir, EDITS_DATA)} has 2 bytes, its index describes 3`);
    const editor = storedEditor("stored", new Map());
    expect(() => editor.edit({ source: { width: 1, height: 1, data: new Uint8Array(3) }, instruction: "x" })).toThrow("storedEditor 'stored': needs the benchmark record (request.item) to find the stored edit");
  });

  it("re-scores an evaluation's stored edits to the same per-item scores, and a missing item is an error", async () => {
    const bench = ensureBenchmark("spatialeval", "tiny");
    for (const ref of [oracleEditor(), identityEditor()]) {
      const edits = new Map<string, RgbImage>();
      const run = await evaluate(ref, bench, { seed: 0, onResults: (items, results) => items.forEach((it, i) => edits.set(it.id, results[i])) });
      expect(edits.size).toBe(bench.items.length);
      const dir = tmp();
      writeEdits(dir, edits);
      const again = await evaluate(storedEditor(ref.name, readEdits(dir)), bench, { seed: 0 });
      expect(again.items).toEqual(run.items);
      expect(again.summary["object judge"].mean).toBe(ref.name === "oracle" ? 1 : 0);
    }
    const one = new Map([[bench.items[0].id, bench.items[0].truth]]);
    await expect(evaluate(storedEditor("partial", one), bench, { seed: 0 })).rejects.toThrow(`storedEditor 'partial': no stored edit for item '${bench.items[1].id}'`);
  });
});
