/**
 * Bad input to lib/core and scripts/, one row per case: what was given and the exact error text.
 * Each row runs in isolation; async functions are awaited.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPngText, stampSvg } from "../../lib/core/artefact";
import { checkEnvironment, envValue } from "../../lib/core/env";
import { saveFigure } from "../../lib/core/plot";
import { readResult, writeResult } from "../../lib/core/results";
import { Rng } from "../../lib/core/rng";
import { showTable } from "../../lib/core/table";
import { checkNotebookFile, checkTreeForProfile, parseArgs } from "../../scripts/run-notebooks";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));
beforeAll(() => {
  process.env.SPATIALEDIT_RESULTS_DIR = path.join(tmp, "results");
  process.env.SPATIALEDIT_FIGURES_DIR = path.join(tmp, "figures");
  fs.mkdirSync(path.join(tmp, "results"), { recursive: true });
  const put = (name: string, text: string) => fs.writeFileSync(path.join(tmp, "results", `${name}.json`), text);
  put("corrupt", '{"name": "corrupt", "data": [1, 2');
  put("array", "[1, 2, 3]\n");
  put("partial", '{"name": "partial", "config": {}, "seed": 1}\n');
  put("bad-pointer", '{"name": "x", "config": {}, "seed": 1, "provenance": {}, "data": {"a": 1}, "nonFinite": ["/data/a"]}\n');
  fs.writeFileSync(path.join(tmp, "notes.txt"), "not a notebook\n");
  fs.writeFileSync(path.join(tmp, "cells.ipynb"), '{"nbformat": 4, "cells": 3}\n');
  // a git repository with an uncommitted change
  const repo = path.join(tmp, "repo");
  fs.mkdirSync(path.join(repo, "lib"), { recursive: true });
  fs.writeFileSync(path.join(repo, "lib", "a.ts"), "1\n");
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo });
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c");
  fs.writeFileSync(path.join(repo, "lib", "a.ts"), "2\n");
});
afterAll(() => {
  delete process.env.SPATIALEDIT_RESULTS_DIR;
  delete process.env.SPATIALEDIT_FIGURES_DIR;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const res = (name: string) => path.join(tmp, "results", `${name}.json`);
const cycle: Record<string, unknown> = {};
cycle.self = cycle;
const FIG = { data: [{ type: "scatter", x: [1], y: [1] }] };
const NAME_RULE = "does not follow the naming rule: lower-case letters and digits in words joined by '-', no folder or extension (e.g. '00-quickstart-loss')";
const SEED = "Rng: seed must be an integer from 0 to 4294967295 (2^32 - 1), got";
const RUNNER_USAGE = "use --profile NAME, --timeout SECONDS, --grace SECONDS, --allow-dirty, --out DIR, then notebook paths";

/** [what is wrong, the call, the exact error text] */
const CASES: [string, () => unknown, string][] = [
  // environment variables
  ["threads that are not a number", () => envValue("SPATIALEDIT_BLAS_THREADS", { SPATIALEDIT_BLAS_THREADS: "abc" }), "SPATIALEDIT_BLAS_THREADS='abc' is not a whole number; use an integer from 1 to 256"],
  ["a fractional thread count", () => envValue("SPATIALEDIT_BLAS_THREADS", { SPATIALEDIT_BLAS_THREADS: "2.5" }), "SPATIALEDIT_BLAS_THREADS='2.5' is not a whole number; use an integer from 1 to 256"],
  ["zero threads", () => envValue("SPATIALEDIT_BLAS_THREADS", { SPATIALEDIT_BLAS_THREADS: "0" }), "SPATIALEDIT_BLAS_THREADS='0' is not in range; use an integer from 1 to 256"],
  ["a switch spelled 'yes'", () => envValue("SPATIALEDIT_NATIVE_BLAS", { SPATIALEDIT_NATIVE_BLAS: "yes" }), "SPATIALEDIT_NATIVE_BLAS='yes' is not a switch; use 0 (off) or 1 (on)"],
  ["an unknown backend", () => envValue("SPATIALEDIT_BACKEND", { SPATIALEDIT_BACKEND: "cuda" }), "SPATIALEDIT_BACKEND='cuda' is not a backend; use one of: auto, tensorflow, webgpu, wasm, cpu"],
  ["an unknown profile", () => envValue("SPATIALEDIT_PROFILE", { SPATIALEDIT_PROFILE: "huge" }), "SPATIALEDIT_PROFILE='huge' is not a profile; use one of: tiny, quick, paper"],
  ["an unknown figure check mode", () => envValue("SPATIALEDIT_FIGURE_CHECK", { SPATIALEDIT_FIGURE_CHECK: "strict" }), "SPATIALEDIT_FIGURE_CHECK='strict' is not a check mode; use one of: warn, error, off"],
  ["a commit that is not a hash", () => envValue("SPATIALEDIT_GIT_COMMIT", { SPATIALEDIT_GIT_COMMIT: "HEAD" }), "SPATIALEDIT_GIT_COMMIT='HEAD' is not a commit hash; use 7 to 40 lowercase hexadecimal digits, as printed by 'git rev-parse HEAD'"],
  ["a misspelt variable", () => checkEnvironment({ SPATIALEDIT_BLAS_THREAD: "2" }), "SPATIALEDIT_BLAS_THREAD is not a declared variable (did you mean SPATIALEDIT_BLAS_THREADS?); the variables are listed in README.md"],
  ["a name that is not declared", () => envValue("SPATIALEDIT_FOO" as never, {}), "SPATIALEDIT_FOO is not a declared variable; declared: SPATIALEDIT_PROFILE, SPATIALEDIT_BACKEND"],
  // seeds
  ["a fractional seed", () => new Rng(1.5), `${SEED} 1.5`],
  ["a seed of 2^32", () => new Rng(2 ** 32), `${SEED} 4294967296`],
  ["a negative seed", () => new Rng(-3), `${SEED} -3`],
  ["a NaN seed", () => new Rng(Number.NaN), `${SEED} NaN`],
  // result files
  ["a result file cut short", () => readResult("corrupt"), `result file ${res("corrupt")} is not valid JSON (Expected ',' or ']' after array element in JSON at position 33); rerun the code that writes it, or delete the file`],
  ["a result file that is an array", () => readResult("array"), `result file ${res("array")} is not a result file (not a JSON object)`],
  ["a result file without provenance and data", () => readResult("partial"), `result file ${res("partial")} is not a result file (missing provenance, data)`],
  ["a nonFinite entry that points at a number", () => readResult("bad-pointer"), `result file ${res("bad-pointer")}: nonFinite entry "/data/a" does not point at "NaN", "Infinity" or "-Infinity"`],
  ["reading a result of an unknown profile", () => readResult("corrupt", "huge"), "unknown profile 'huge'; known profiles: tiny, quick, paper (set SPATIALEDIT_PROFILE to one of them)"],
  ["a Map in a result", () => writeResult("map-result", { config: {}, seed: 1, data: { m: new Map() } }), "writeResult('map-result'): /data/m is a Map, which JSON writes as {}; convert it to an object or array"],
  ["a cycle in a result", () => writeResult("cycle-result", { config: cycle, seed: 1, data: {} }), "writeResult('cycle-result'): /config/self refers back to an enclosing object (a cycle)"],
  ["a BigInt in a result", () => writeResult("big-result", { config: {}, seed: 1, data: [1n] }), "writeResult('big-result'): /data/0 is a bigint, which JSON cannot hold"],
  ["a result name with capitals and '_'", () => writeResult("Eq7_Table", { config: {}, seed: 1, data: {} }), `result name "Eq7_Table" ${NAME_RULE}`],
  // figure and table names, figures, stamps
  ["a figure name with a folder", () => saveFigure(FIG, "../escape"), `figure name "../escape" ${NAME_RULE}`],
  ["a figure name with an extension", () => saveFigure(FIG, "loss.png"), `figure name "loss.png" ${NAME_RULE}`],
  ["a table name with a space", () => showTable([{ a: 1 }], "t 1"), `table name "t 1" ${NAME_RULE}`],
  ["a figure without traces", () => saveFigure({ data: "nope" } as never, "x"), "showFigure: figure must be { data: [...traces], layout?: {...} }"],
  ["stamping text that is not SVG", () => stampSvg("<html></html>", {} as never), "stampSvg: not an SVG document (no <svg> element)"],
  ["stamping bytes that are not PNG", () => addPngText(Buffer.from("GIF89a"), "k", "v"), "addPngText: not a PNG file (no PNG signature and IHDR chunk)"],
  // notebook runner
  ["an unknown profile for the runner", () => parseArgs(["--profile", "huge"], {}), "unknown profile 'huge'; known profiles: tiny, quick, paper (set SPATIALEDIT_PROFILE to one of them)"],
  ["a bad profile in the environment of the runner", () => parseArgs([], { SPATIALEDIT_PROFILE: "Quick" }), "SPATIALEDIT_PROFILE='Quick' is not a profile; use one of: tiny, quick, paper"],
  ["a timeout that is not a number", () => parseArgs(["--timeout", "abc"], {}), "--timeout must be a number of seconds > 0, got 'abc'"],
  ["a negative grace period", () => parseArgs(["--grace", "-1"], {}), "--grace must be a number of seconds >= 0, got '-1'"],
  ["an option without its value", () => parseArgs(["--out"], {}), `--out needs a value; ${RUNNER_USAGE}`],
  ["an unknown option", () => parseArgs(["--fast"], {}), `unknown option --fast; ${RUNNER_USAGE}`],
  ["a notebook that does not exist", () => checkNotebookFile(path.join(tmp, "missing.ipynb")), `notebook not found: ${path.join(tmp, "missing.ipynb")}`],
  ["a folder as notebook", () => checkNotebookFile(tmp), `${tmp} is not a file`],
  ["a file that is not .ipynb", () => checkNotebookFile(path.join(tmp, "notes.txt")), `${path.join(tmp, "notes.txt")} is not a notebook (the name must end in .ipynb)`],
  ["JSON that is not a notebook", () => checkNotebookFile(path.join(tmp, "cells.ipynb")), `${path.join(tmp, "cells.ipynb")} is not a notebook: expected nbformat 4 JSON with a 'cells' array`],
  ["a paper run on a dirty tree", () => checkTreeForProfile("paper", false, path.join(tmp, "repo")), "the tree has uncommitted changes outside figures/, results/, data/ (lib/a.ts); paper results must be reproducible: commit first, or pass --allow-dirty (every result then records the stored diff)"],
];

describe("bad input is refused with a message that says what is wrong", () => {
  it.each(CASES)("%s", async (_what, call, message) => {
    let error: unknown = null;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const text = (error as Error).message;
    // the long declared-variable list is checked by its start only
    if (message.startsWith("SPATIALEDIT_FOO")) expect(text.startsWith(message)).toBe(true);
    else expect(text).toBe(message);
  });

  it("the same dirty tree is accepted for a paper run with --allow-dirty and for other profiles", () => {
    expect(checkTreeForProfile("paper", true, path.join(tmp, "repo"))).toBeUndefined();
    expect(checkTreeForProfile("quick", false, path.join(tmp, "repo"))).toBeUndefined();
  });
});
