import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cachedComputation, describeCached, sourcesHash, tableCacheKey } from "../../lib/eval/table-cache";

describe("table cache (lib/eval/table-cache.ts)", () => {
  let dir: string;
  let root: string;
  let src: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "table-cache-"));
    root = path.join(dir, "cache");
    src = path.join(dir, "src");
    fs.mkdirSync(path.join(src, "sub"), { recursive: true });
    fs.writeFileSync(path.join(src, "a.ts"), "export const a = 1;\n");
    fs.writeFileSync(path.join(src, "sub", "b.ts"), "export const b = 2;\n");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const opts = (inputs: unknown, extra: object = {}) => ({ profile: "tiny", name: "t-entry", inputs, sources: ["src"], sourceRoot: dir, root, ...extra });

  it("computes once, then reads the stored value (with when and in how long it was computed)", async () => {
    let calls = 0;
    const compute = () => {
      calls++;
      return { rows: [{ n: 3, share: 0.25, label: "x" }], note: null };
    };
    const first = await cachedComputation(opts({ seed: 1 }), compute);
    const second = await cachedComputation(opts({ seed: 1 }), compute);
    expect(calls).toBe(1);
    expect(first.hit).toBe(false);
    expect(second.hit).toBe(true);
    expect(second.value).toEqual(first.value);
    expect(second.file).toBe(first.file);
    expect(second.computedAt).toBe(first.computedAt);
    expect(path.dirname(first.file)).toBe(path.join(root, "tiny"));
    expect(path.basename(first.file)).toMatch(/^t-entry-[0-9a-f]{16}\.json$/);
  });

  it("computes again when the inputs, a source file, or a new source file change the key; recompute forces it", async () => {
    let calls = 0;
    const compute = () => ++calls;
    await cachedComputation(opts({ seed: 1 }), compute);
    await cachedComputation(opts({ seed: 2 }), compute);
    expect(calls).toBe(2);
    const k0 = tableCacheKey(opts({ seed: 1 }));
    fs.writeFileSync(path.join(src, "sub", "b.ts"), "export const b = 3;\n");
    expect(tableCacheKey(opts({ seed: 1 }))).not.toBe(k0);
    expect((await cachedComputation(opts({ seed: 1 }), compute)).hit).toBe(false);
    fs.writeFileSync(path.join(src, "c.ts"), "\n");
    expect((await cachedComputation(opts({ seed: 1 }), compute)).hit).toBe(false);
    expect((await cachedComputation(opts({ seed: 1 }), compute)).hit).toBe(true);
    expect((await cachedComputation(opts({ seed: 1 }, { recompute: true }), compute)).hit).toBe(false);
    expect(calls).toBe(5);
  });

  it("keys ignore the order of object keys, not the order of source folders' files", () => {
    expect(tableCacheKey(opts({ a: 1, b: 2 }))).toBe(tableCacheKey(opts({ b: 2, a: 1 })));
    const h = sourcesHash(["src"], dir);
    fs.renameSync(path.join(src, "a.ts"), path.join(src, "z.ts"));
    expect(sourcesHash(["src"], dir)).not.toBe(h);
  });

  it("recomputes an unreadable entry, with a warning, and overwrites it", async () => {
    const first = await cachedComputation(opts({ seed: 1 }), () => 7);
    fs.writeFileSync(first.file, "{ not json");
    const again = await cachedComputation(opts({ seed: 1 }), () => 8);
    expect(again.hit).toBe(false);
    expect(again.value).toBe(8);
    expect((await cachedComputation(opts({ seed: 1 }), () => 9)).value).toBe(8);
  });

  it("refuses values that would not come back from JSON, and stores nothing for them", async () => {
    await expect(cachedComputation(opts({ seed: 1 }), () => ({ x: [1, NaN] }))).rejects.toThrow("table cache 't-entry' value.x[1]: NaN cannot be stored in JSON; use a finite number");
    await expect(cachedComputation(opts({ seed: 1 }), () => ({ when: new Date(0) }))).rejects.toThrow("table cache 't-entry' value.when: a object");
    await expect(cachedComputation(opts({ seed: 1 }), () => [undefined])).rejects.toThrow("table cache 't-entry' value[0]: a undefined (undefined) is not plain JSON data");
    expect(fs.existsSync(path.join(root, "tiny"))).toBe(false);
    const kept = await cachedComputation(opts({ seed: 1 }), () => ({ a: undefined, b: [null, "s", true, { c: 1 }] }));
    expect((await cachedComputation(opts({ seed: 1 }), () => 0)).value).toEqual({ b: [null, "s", true, { c: 1 }] });
    expect(kept.hit).toBe(false);
  });

  it("gives clear errors for a bad name, a missing source folder and inputs that are not JSON", async () => {
    await expect(cachedComputation(opts({}, { name: "Bad Name" }), () => 1)).rejects.toThrow('table cache entry name "Bad Name" does not follow the naming rule');
    expect(() => sourcesHash(["nowhere"], dir)).toThrow(`sourcesHash: nowhere does not exist under ${dir}`);
    expect(() => sourcesHash([], dir)).toThrow("sourcesHash: no source folders given");
    expect(() => tableCacheKey(opts({ f: Infinity }))).toThrow("table cache 't-entry' inputs.inputs.f: Infinity cannot be stored in JSON; use a finite number");
  });
});

describe("describeCached", () => {
  it("says whether the value was read or computed, and when", () => {
    const base = { value: 1, file: "/elsewhere/x-0123456789abcdef.json", computedAt: "2026-12-03T17:00:00.000Z", commit: "8a0d26dee6b1050c", dirty: false, seconds: 12.34 };
    expect(describeCached({ ...base, hit: true }, "Table 4's measures")).toBe("Table 4's measures: read from the table cache (computed 2026-12-03T17:00:00.000Z at commit 8a0d26dee6b1 in 12.3 s): /elsewhere/x-0123456789abcdef.json");
    expect(describeCached({ ...base, dirty: true, hit: true }, "x")).toBe("x: read from the table cache (computed 2026-12-03T17:00:00.000Z at commit 8a0d26dee6b1 with uncommitted changes in 12.3 s): /elsewhere/x-0123456789abcdef.json");
    expect(describeCached({ ...base, hit: false }, "Table 4's measures")).toBe("Table 4's measures: computed in 12.3 s and stored in /elsewhere/x-0123456789abcdef.json");
  });
});
