import * as childProcess from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";

/** The benchmarks refuse a bad profile or option at once, in one line, without a stack trace. */
const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
function run(script: string, args: string[], env: Record<string, string> = {}): { code: number | null; stderr: string } {
  const r = childProcess.spawnSync(tsx, [script, ...args], { env: { ...process.env, ...env, SPATIALEDIT_DEBUG: "" }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stderr: r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn")).join("\n") };
}

const CASES: [string, string, string[], Record<string, string>, string][] = [
  ["data-engine, unknown profile", "bench/data-engine.ts", [], { SPATIALEDIT_PROFILE: "huge" }, "error: SPATIALEDIT_PROFILE='huge' is not a profile; use one of: tiny, quick, paper"],
  ["data-engine, non-numeric option", "bench/data-engine.ts", ["--scenes32=abc"], {}, "error: bench/data-engine: --scenes32 must be a positive integer, got 'abc'"],
  ["train-memory, unknown profile (was a stack trace after 2,000 steps)", "bench/train-memory.ts", [], { SPATIALEDIT_PROFILE: "huge" }, "error: SPATIALEDIT_PROFILE='huge' is not a profile; use one of: tiny, quick, paper"],
  ["train-memory, negative steps", "bench/train-memory.ts", ["--steps=-5"], {}, "error: bench/train-memory: --steps must be a positive integer, got '-5'"],
  ["recipe-times, no timed steps", "bench/recipe-times.ts", ["--steps=0"], {}, "error: --steps must be an integer >= 1, got '0'"],
  ["recipe-times, negative warm-up", "bench/recipe-times.ts", ["--warmup=-1"], {}, "error: --warmup must be a non-negative integer, got '-1'"],
  ["recipe-times, unknown option", "bench/recipe-times.ts", ["--step=3"], {}, "error: unknown argument '--step=3'; known: --steps=... --warmup=... --only=... --eval-items=... --cache=... --name=..."],
  ["recipe-times, results name not in the naming rule", "bench/recipe-times.ts", ["--name=Times"], {}, 'error: result name "Times" does not follow the naming rule: lower-case letters and digits in words joined by \'-\', no folder or extension (e.g. \'00-quickstart-loss\')'],
  ["recipe-times, missing cache folder", "bench/recipe-times.ts", ["--cache=no-such-cache"], {}, "error: --cache: no folder 'no-such-cache'"],
];

describe("benchmarks on a bad profile or option: one clear line, exit code 1", () => {
  for (const [what, script, args, env, line] of CASES) {
    it(what, () => {
      const r = run(script, args, env);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(line);
    });
  }
});
