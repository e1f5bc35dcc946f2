import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { progress, progressLine } from "../../lib/core/progress";
import { readStamp } from "../../lib/core/artefact";
import { gitCommit, readResult, readResults, writeResult } from "../../lib/core/results";
import { showTable, toCsv, toMarkdown } from "../../lib/core/table";

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "res-"));
  process.env.SPATIALEDIT_FIGURES_DIR = dir;
  process.env.SPATIALEDIT_RESULTS_DIR = dir;
});
afterAll(() => {
  delete process.env.SPATIALEDIT_FIGURES_DIR;
  delete process.env.SPATIALEDIT_RESULTS_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("tables", () => {
  const rows = [
    { method: "full", acc: 0.849, note: 'a "quoted", text' },
    { method: "prefix", acc: 0, note: null },
  ];
  it("CSV and Markdown text", () => {
    expect(toCsv(rows)).toBe('method,acc,note\nfull,0.849000,"a ""quoted"", text"\nprefix,0,\n');
    expect(toMarkdown(rows)).toBe("| method | acc | note |\n| --- | ---: | --- |\n| full | 0.849 | a \"quoted\", text |\n| prefix | 0 |  |\n");
  });
  it("showTable writes CSV + Markdown, each starting with its provenance, and returns a DataFrame", () => {
    const df = showTable(rows, "t1", { seed: 3 });
    expect(df.shape).toEqual([2, 3]);
    expect(df.columns).toEqual(["method", "acc", "note"]);
    const csv = fs.readFileSync(path.join(dir, "t1.csv"), "utf8").split("\n");
    expect(csv[0]).toMatch(/^# provenance: \{"profile":"quick","seed":3,"seedFrom":"caller","gitCommit":"([0-9a-f]{40}|unknown)",/);
    expect(`${csv.slice(1).join("\n")}`).toBe(toCsv(rows));
    const md = fs.readFileSync(path.join(dir, "t1.md"), "utf8").split("\n");
    expect(md[0]).toMatch(/^<!-- provenance: \{"profile":"quick",.* -->$/);
    expect(md[1]).toMatch(/^_profile quick, seed 3, (commit [0-9a-f]{12}|unknown commit)/);
    expect(readStamp(path.join(dir, "t1.md"))).toMatchObject({ profile: "quick", seed: 3 });
  });

  it("without a seed the table records the profile's base seed and says so", () => {
    showTable(rows, "t2");
    expect(readStamp(path.join(dir, "t2.csv"))).toMatchObject({ profile: "quick", seed: 1234, seedFrom: "profile" });
  });
  it("rejects empty tables", () => {
    expect(() => toCsv([])).toThrow("table: rows must be a non-empty array of objects");
  });
});

describe("progress", () => {
  it("formats a line with count, percentage, rate and metrics", () => {
    expect(progressLine("train", 50, 200, 10_000, { loss: 0.5 })).toBe("train [#####...............] 50/200 25% 10s<30s 5.00/s loss=0.5000");
    expect(progressLine("scan", 7, 0, 2000)).toBe("scan 7 2s 3.50/s");
    // 250 of the 300 steps came from a resumed checkpoint: the rate and the time left count this run's 50
    expect(progressLine("train", 300, 2000, 10_000, undefined, 250)).toBe("train [###.................] 300/2000 15% 10s<5m40s 5.00/s");
  });
  it("counts resumed units in the bar but not in the rate, and refuses a bad skip", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(0);
      const lines: string[] = [];
      const bar = progress({ total: 100, label: "resume", write: (l) => lines.push(l), intervalMs: 0 });
      bar.skip(60);
      expect(lines).toEqual([]);
      vi.setSystemTime(10_000);
      bar.tick(1);
      expect(bar.count).toBe(61);
      // one unit in 10 s: 0.1 per second, 39 units left take 6m30s (with the 60 resumed ones counted: 6.1/s and 6 s)
      expect(lines).toEqual(["resume [############........] 61/100 61% 10s<6m30s 0.10/s"]);
    } finally {
      vi.useRealTimers();
    }
    const bar = progress({ total: 10, silent: true });
    expect(() => bar.skip(-1)).toThrow("progress: skip takes a whole number of units >= 0, got -1");
    expect(() => bar.skip(1.5)).toThrow("progress: skip takes a whole number of units >= 0, got 1.5");
  });
  it("writes throttled lines to a sink and a final line", () => {
    const lines: string[] = [];
    const bar = progress({ total: 1000, label: "loop", write: (l) => lines.push(l), intervalMs: 1e9 });
    for (let i = 0; i < 1000; i++) bar.tick();
    bar.done();
    bar.done();
    expect(bar.count).toBe(1000);
    // the first tick draws, then nothing until done (interval is huge), done draws once
    expect(lines.length).toBe(2);
    expect(lines[1]).toMatch(/^loop \[#{20}\] 1000\/1000 100% .* done$/);
  });
});

describe("results files", () => {
  it("write and read with provenance", () => {
    const file = writeResult("unit-test", { config: { a: 1 }, seed: 7, data: { acc: 0.5 } });
    expect(file).toBe(path.join(dir, "unit-test.json"));
    const r = readResult<{ acc: number }>("unit-test");
    expect(r?.data.acc).toBe(0.5);
    expect(r?.seed).toBe(7);
    expect(r?.config).toEqual({ a: 1 });
    expect(r?.provenance.gitCommit).toBe(gitCommit());
    expect(r?.provenance.gitCommit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(r?.provenance.profile).toBe("quick");
    expect(r?.provenance.machine.cpus).toBeGreaterThan(0);
    expect(typeof r?.provenance.backend).toBe("string");
    expect(readResult("does-not-exist")).toBeNull();
  });

  it("readResults: every file of a profile whose name starts with the prefix, read, by name", () => {
    for (const n of ["list-b", "list-a", "other-list"]) writeResult(n, { config: { n }, seed: 1, data: { n } });
    expect(readResults<{ n: string }>("quick", "list-").map((x) => [x.name, x.file.data.n])).toEqual([["list-a", "list-a"], ["list-b", "list-b"]]);
    expect(readResults("quick").map((x) => x.name)).toEqual(expect.arrayContaining(["list-a", "list-b", "other-list"]));
  });
});
