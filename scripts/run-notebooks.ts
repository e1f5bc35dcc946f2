/**
 * Executes notebooks headless with the tslab kernel (nbclient, as nbconvert does), on a chosen profile.
 * Stops at the first failing cell, keeps the executed copies (with the error, when a cell failed) in notebooks/.executed/ (ignored by git), reports the time per notebook and
 * writes it to results/notebooks-<profile>.json.
 *
 *   npx tsx scripts/run-notebooks.ts [--profile quick] [--timeout 3600] [notebooks/01-x.ipynb ...]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { checkProfileName, DEFAULT_PROFILE, PROFILE_ENV } from "../lib/core/profile";
import { projectRoot } from "../lib/core/paths";
import { writeResult } from "../lib/core/results";

interface Args {
  profile: string;
  timeout: number;
  notebooks: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { profile: process.env[PROFILE_ENV] ?? DEFAULT_PROFILE, timeout: 3600, notebooks: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--profile") args.profile = argv[++i];
    else if (a === "--timeout") args.timeout = Number(argv[++i]);
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}; use --profile NAME, --timeout SECONDS, then notebook paths`);
    else args.notebooks.push(a);
  }
  checkProfileName(args.profile);
  if (!Number.isFinite(args.timeout) || args.timeout <= 0) throw new Error("--timeout must be a positive number of seconds");
  return args;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const root = projectRoot();
  const nbDir = path.join(root, "notebooks");
  const outDir = path.join(nbDir, ".executed");
  fs.mkdirSync(outDir, { recursive: true });
  const notebooks =
    args.notebooks.length > 0
      ? args.notebooks.map((n) => path.resolve(n))
      : fs.readdirSync(nbDir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(nbDir, f));
  if (notebooks.length === 0) throw new Error(`no notebooks in ${nbDir}`);
  const timings: { notebook: string; seconds: number; ok: boolean }[] = [];
  let failed: string | null = null;
  for (const nb of notebooks) {
    if (!fs.existsSync(nb)) throw new Error(`notebook not found: ${nb}`);
    const name = path.basename(nb);
    process.stderr.write(`[notebooks] ${name} on profile '${args.profile}' ...\n`);
    const t0 = Date.now();
    const r = spawnSync(
      "/usr/bin/python3",
      [path.join(root, "scripts", "execute-notebook.py"), nb, path.join(outDir, name), "tslab", String(args.timeout)],
      { cwd: nbDir, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, [PROFILE_ENV]: args.profile } },
    );
    const seconds = (Date.now() - t0) / 1000;
    const ok = r.status === 0;
    timings.push({ notebook: name, seconds, ok });
    process.stderr.write(`[notebooks] ${name}: ${ok ? "ok" : "FAILED"} in ${seconds.toFixed(1)} s\n`);
    if (!ok) {
      failed = name;
      if (r.error) process.stderr.write(`[notebooks] could not start /usr/bin/python3 with nbclient: ${r.error.message} (run 'npm run setup')\n`);
      break;
    }
  }
  writeResult(`notebooks-${args.profile}`, { config: { profile: args.profile, timeout: args.timeout }, seed: null, data: { timings, failed } });
  for (const t of timings) process.stderr.write(`  ${t.ok ? "ok    " : "FAILED"} ${t.seconds.toFixed(1).padStart(7)} s  ${t.notebook}\n`);
  if (failed !== null) {
    process.stderr.write(`[notebooks] stopped at the first failure: ${failed} (executed copy with the error in notebooks/.executed/${failed})\n`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`run-notebooks: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
