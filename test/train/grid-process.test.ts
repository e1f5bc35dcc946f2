import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { describe, expect, it } from "vitest";
import { GridCache } from "../../lib/train/grid/cache";
import { runArgs } from "../../lib/train/grid/list";
import { keyGrid, selectWithAncestors } from "../../lib/train/grid/node";
import { processRunner } from "../../lib/train/grid/runners";
import { runGrid } from "../../lib/train/grid/scheduler";
import { toyGrid } from "../../lib/train/grid/toy";

describe("grid over child processes", () => {
  it("--jobs 2 runs two nodes in two single-threaded processes, with per-job and overall progress and logs", async () => {
    const root = path.resolve(__dirname, "../..");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gridp-"));
    const cache = new GridCache(dir);
    const nodes = selectWithAncestors(keyGrid(toyGrid("tiny")), ["base@*"]);
    const at = { grid: "toy", profile: "tiny", cache: dir };
    const runner = processRunner(cache, (n) => ({
      command: process.execPath,
      args: ["--import", "tsx", path.join(root, "scripts", "grid.ts"), ...runArgs(at, n), "--child"],
      cwd: root,
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
    }));
    let shown = "";
    const report = await runGrid(nodes, { cache, runner, jobs: 2, tty: false, write: (t) => (shown += t) });
    expect(report.jobs.map((j) => [j.id, j.status, j.error])).toEqual([["base@s0", "ran", undefined], ["base@s1", "ran", undefined]]);
    for (const n of nodes) {
      expect(cache.done(n.key)?.summary).toMatchObject({ steps: 4, resumedFrom: null });
      const log = fs.readFileSync(cache.logFile(n.key), "utf8");
      expect(log).toContain(`--run ${n.key} --child`);
      expect(log).toContain(`${n.id} (${n.key}) finished on`);
      expect(shown).toMatch(new RegExp(`${n.id.replace(/[@]/g, "\\$&")} \\[#+\\] 4/4 100% .* done`));
    }
    expect(shown).toMatch(/grid \(0 cached\) \[#+\] 2\/2 100% .* done/);
    // a failing node is reported with the tail of its log, and nothing is marked done
    const bad = processRunner(cache, () => ({ command: process.execPath, args: ["-e", "console.error('boom'); process.exit(3)"] }));
    const other = selectWithAncestors(keyGrid(toyGrid("tiny")), ["stage1-full@s0"]);
    const failed = await runGrid(other, { cache, runner: bad, silent: true });
    expect(failed.jobs[1].status).toBe("failed");
    expect(failed.jobs[1].error).toContain("exited with code 3: boom");
    expect(cache.isDone(other[1].key)).toBe(false);
  });

  it("the runner script with --record writes the run's wall time and each job's to a results file", () => {
    const root = path.resolve(__dirname, "../..");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gridr-"));
    const results = fs.mkdtempSync(path.join(os.tmpdir(), "gridr-results-"));
    const out = execFileSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "grid.ts"), "--grid", "toy", "--profile", "tiny", "--only", "base@s0", "--inline", "--cache", dir, "--record", "grid-run-test"], { cwd: root, env: { ...process.env, SPATIALEDIT_RESULTS_DIR: results }, encoding: "utf8" });
    expect(out).toContain("wrote ");
    const rec = JSON.parse(fs.readFileSync(path.join(results, "grid-run-test.json"), "utf8")) as { config: { jobs: number; only: string[] }; data: { wallSeconds: number; failed: number; jobs: { id: string; status: string; wallSeconds: number | null }[] } };
    expect(rec.config.jobs).toBe(1);
    expect(rec.config.only).toEqual(["base@s0"]);
    expect(rec.data.failed).toBe(0);
    expect(rec.data.jobs.map((j) => [j.id, j.status])).toEqual([["base@s0", "ran"]]);
    expect(rec.data.wallSeconds).toBeGreaterThan(0);
    expect(rec.data.jobs[0].wallSeconds).toBeGreaterThan(0);
    expect(() => execFileSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "grid.ts"), "--grid", "toy", "--record", "../x"], { cwd: root, stdio: "pipe" })).toThrow();
  }, 120_000);
});
