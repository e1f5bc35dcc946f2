import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { BACKEND_NAMES } from "../../lib/backend/select";
import { checkEnvironment, ENV, ENV_NAMES, envTableMarkdown, envValue, environmentProblems } from "../../lib/core/env";
import { PROFILE_NAMES } from "../../lib/core/profile";
import { readmeEnvTable } from "../../scripts/env-table";

const root = path.resolve(__dirname, "../..");

/** Every file under `dir` (skipping build outputs and dependencies). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", "build", ".executed", "executed"].includes(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile() && fs.statSync(p).size < 2 ** 20) out.push(p);
  }
  return out;
}

describe("the SPATIALEDIT_* table", () => {
  it("declares every SPATIALEDIT_* name used in lib/, scripts/, bench/ (TypeScript, shell, Python) and README.md", () => {
    const used = new Map<string, string>();
    const files = [...["lib", "scripts", "bench"].flatMap((d) => filesUnder(path.join(root, d))), path.join(root, "README.md")];
    for (const f of files) {
      for (const m of fs.readFileSync(f, "utf8").matchAll(/SPATIALEDIT_[A-Z0-9_]*[A-Z0-9]/g)) if (!used.has(m[0])) used.set(m[0], path.relative(root, f));
    }
    const undeclared = [...used].filter(([name]) => !(ENV_NAMES as string[]).includes(name)).map(([name, f]) => `${name} (in ${f})`);
    expect(undeclared).toEqual([]);
    // and the scan does see the shell readers
    expect(used.get("SPATIALEDIT_MACHINE_NOTE")).toBeDefined();
  });

  it("TypeScript reads a SPATIALEDIT_* value only through lib/core/env.ts (envValue), never raw", () => {
    // a raw read (`env.SPATIALEDIT_X === "0"`, `process.env[SOME_ENV]`) skips the parse, so a bad value would be a silent default;
    // setting a variable for a child process or saving it to restore it afterwards is not a read
    const RAW = /(?<!delete\s+)(?:process\.env|(?<![\w.])env)\s*(?:\.\s*SPATIALEDIT_\w+|\[\s*(?:"SPATIALEDIT_\w+"|[A-Z_]+_ENV)\s*\])(?!\s*=[^=])/g;
    const restore = /^\s*const before = process\.env\[PROFILE_ENV\];$/;
    const files = ["lib", "scripts", "bench"].flatMap((d) => filesUnder(path.join(root, d))).filter((f) => f.endsWith(".ts") && !f.endsWith(path.join("lib", "core", "env.ts")));
    const raw: string[] = [];
    for (const f of files) {
      fs.readFileSync(f, "utf8").split("\n").forEach((line, i) => {
        if (line.match(RAW) !== null && !restore.test(line)) raw.push(`${path.relative(root, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(raw).toEqual([]);
    // the pattern sees the read this test was written after (lib/backend/select.ts compared the raw text with "0")
    expect('if (env[TUNED_KERNELS_ENV] === "0") {'.match(RAW)).not.toBeNull();
    expect("process.env[PROFILE_ENV] = profile;".match(RAW)).toBeNull();
  });

  it("README.md's table is the one generated from lib/core/env.ts", () => {
    expect(readmeEnvTable(fs.readFileSync(path.join(root, "README.md"), "utf8"))).toBe(envTableMarkdown());
  });

  it("repeats the profile and backend names of lib/core/profile.ts and lib/backend/select.ts exactly", () => {
    expect(ENV.SPATIALEDIT_PROFILE.values).toBe(PROFILE_NAMES.join(", "));
    expect(ENV.SPATIALEDIT_BACKEND.values).toBe(["auto", ...BACKEND_NAMES].join(", "));
  });

  it("returns typed values and defaults", () => {
    expect(envValue("SPATIALEDIT_BLAS_THREADS", {})).toBe(1);
    expect(envValue("SPATIALEDIT_BLAS_THREADS", { SPATIALEDIT_BLAS_THREADS: " 4 " })).toBe(4);
    expect(envValue("SPATIALEDIT_NATIVE_BLAS", {})).toBe(true);
    expect(envValue("SPATIALEDIT_NATIVE_BLAS", { SPATIALEDIT_NATIVE_BLAS: "0" })).toBe(false);
    expect(envValue("SPATIALEDIT_NOTEBOOK", {})).toBeUndefined();
    expect(envValue("SPATIALEDIT_PROFILE", { SPATIALEDIT_PROFILE: "" })).toBe("quick");
    expect(envValue("SPATIALEDIT_FIGURES_DIR", {})).toBeUndefined();
    expect(envValue("SPATIALEDIT_CHROMIUM", {})).toBe("/usr/bin/chromium");
    expect(envValue("SPATIALEDIT_GIT_COMMIT", { SPATIALEDIT_GIT_COMMIT: "0123abc" })).toBe("0123abc");
  });

  it("checkEnvironment lists every problem at once, with a suggestion for a typo", () => {
    expect(environmentProblems({ PATH: "/bin", SPATIALEDIT_PROFILE: "tiny" })).toEqual([]);
    expect(() => checkEnvironment({ SPATIALEDIT_PROFLE: "paper", SPATIALEDIT_WEBGPU: "yes" })).toThrow(
      "SPATIALEDIT_PROFLE is not a declared variable (did you mean SPATIALEDIT_PROFILE?); the variables are listed in README.md; SPATIALEDIT_WEBGPU='yes' is not a switch; use 0 (off) or 1 (on)",
    );
  });
});
