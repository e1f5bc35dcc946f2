/**
 * Every `SPATIALEDIT_*` environment variable of the project, declared once: name, allowed values,
 * default and meaning. Code reads them only through `envValue(name)`, which returns the parsed,
 * typed value; a bad value is an `EnvError` that names the variable, the value and what is
 * allowed (never a silent default). README.md's table is generated from `ENV`
 * (`npx tsx scripts/env-table.ts --write`) and a test keeps the two equal.
 *
 *   const threads = envValue("SPATIALEDIT_BLAS_THREADS"); // number, 1 when unset
 *
 * Shell and Python helpers (scripts/*.sh, bench/*.sh) may read a variable directly, but it must
 * be declared here too (test/core/env.test.ts checks every name used in lib/, scripts/, bench/).
 */

/** One declared variable: how to parse it and what to say about it. */
export interface EnvSpec<T> {
  /** The allowed values, as shown in README.md and in errors. */
  readonly values: string;
  /** The value when unset or empty, as shown in README.md. */
  readonly defaultText: string;
  /** What it does (one sentence, shown in README.md). */
  readonly meaning: string;
  /** The value when the variable is unset or empty. */
  readonly fallback: T;
  /** Parses a non-empty, trimmed value; throws `EnvError` when it is not allowed. */
  parse(raw: string, name: string): T;
}

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvError";
    // a configuration error needs no stack trace (notebooks print the stack)
    this.stack = `${this.name}: ${message}`;
  }
}

function bad(name: string, raw: string, noun: string, allowed: string): EnvError {
  return new EnvError(`${name}='${raw}' is not ${noun}; use ${allowed}`);
}

/** One of a fixed list of words. */
function choice<V extends string>(values: readonly V[], fallback: V, noun: string, meaning: string): EnvSpec<V> {
  return {
    values: values.join(", "),
    defaultText: fallback,
    meaning,
    fallback,
    parse(raw, name) {
      if (!(values as readonly string[]).includes(raw)) throw bad(name, raw, noun, `one of: ${values.join(", ")}`);
      return raw as V;
    },
  };
}

/** `0` (off) or `1` (on); unset gives `fallback` (undefined = decided at run time, see `defaultText`). */
function onOff<F extends boolean | undefined>(fallback: F, meaning: string, defaultText?: string): EnvSpec<boolean | F> {
  return {
    values: "0, 1",
    defaultText: defaultText ?? (fallback ? "1" : "0"),
    meaning,
    fallback,
    parse(raw, name) {
      if (raw === "0") return false;
      if (raw === "1") return true;
      throw bad(name, raw, "a switch", "0 (off) or 1 (on)");
    },
  };
}

/** A whole number in [min, max]. */
function integer(fallback: number, min: number, max: number, meaning: string): EnvSpec<number> {
  const allowed = `an integer from ${min} to ${max}`;
  return {
    values: `${min}..${max}`,
    defaultText: String(fallback),
    meaning,
    fallback,
    parse(raw, name) {
      if (!/^[+-]?\d+$/.test(raw)) throw bad(name, raw, "a whole number", allowed);
      const n = Number(raw);
      if (n < min || n > max) throw bad(name, raw, "in range", allowed);
      return n;
    },
  };
}

/** Free text or a path (any non-empty value). */
function text<F extends string | undefined>(fallback: F, values: string, meaning: string, defaultText?: string): EnvSpec<string | F> {
  return {
    values,
    defaultText: defaultText ?? (fallback === undefined ? "unset" : fallback === "" ? "empty" : String(fallback)),
    meaning,
    fallback,
    parse: (raw) => raw,
  };
}

/** A git commit hash (7 to 40 hexadecimal digits). */
function commitHash(meaning: string, defaultText: string): EnvSpec<string | undefined> {
  return {
    values: "7-40 hex digits",
    defaultText,
    meaning,
    fallback: undefined,
    parse(raw, name) {
      if (!/^[0-9a-f]{7,40}$/.test(raw)) throw bad(name, raw, "a commit hash", "7 to 40 lowercase hexadecimal digits, as printed by 'git rev-parse HEAD'");
      return raw;
    },
  };
}

/**
 * The table. Lists of names (profiles, backends) are repeated here because lib/core imports
 * nothing else; test/core/env.test.ts checks them against PROFILE_NAMES and BACKEND_NAMES.
 */
export const ENV = {
  SPATIALEDIT_PROFILE: choice(["tiny", "quick", "paper"] as const, "quick", "a profile", "Scale of every experiment: tiny (unit tests), quick (CI, minutes), paper (the full miniature)."),
  SPATIALEDIT_BACKEND: choice(["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const, "auto", "a backend", "Forces a TF.js backend; auto tries tensorflow, (webgpu,) wasm, cpu in that order."),
  SPATIALEDIT_WEBGPU: onOff(false, "1 lets auto backend selection try WebGPU before wasm."),
  SPATIALEDIT_TUNED_KERNELS: onOff(true, "0 keeps tfjs-wasm's stock kernels instead of the project's tuned ones."),
  SPATIALEDIT_NATIVE_BLAS: onOff(true, "0 turns the native OpenBLAS route of the tuned kernels off (pure wasm); setup.sh then skips building it."),
  SPATIALEDIT_BLAS_CORETYPE: choice(["Haswell", "auto"] as const, "Haswell", "an OpenBLAS core type", "OpenBLAS kernels of the native route: Haswell (AVX2 + FMA) on every CPU that has them, so a seeded run gives the same bits on Intel and AMD machines; auto lets OpenBLAS pick per CPU (e.g. SkylakeX's AVX-512 kernels, which round differently). An OPENBLAS_CORETYPE set by the caller wins."),
  SPATIALEDIT_BLAS_THREADS: integer(1, 1, 256, "Threads OpenBLAS may use in the native route (1 = one per worker, like PyTorch with one thread)."),
  SPATIALEDIT_STATIC_FIGURES: onOff(true, "0 skips the PNG/SVG files of figures (the notebook still shows them)."),
  SPATIALEDIT_FIGURE_CHECK: choice(["warn", "error", "off"] as const, "warn", "a check mode", "What a static figure with overlapping titles, tick labels or menus does: warn, fail (error), or nothing (off)."),
  SPATIALEDIT_CHROMIUM: text("/usr/bin/chromium", "a path", "The Chromium binary that renders static figures."),
  SPATIALEDIT_FIGURES_DIR: text(undefined, "a folder", "Folder for figure and table files instead of figures/<profile>/ (tests).", "figures/<profile>"),
  SPATIALEDIT_RESULTS_DIR: text(undefined, "a folder", "Folder for result files instead of results/<profile>/ (tests).", "results/<profile>"),
  SPATIALEDIT_ROOT: text(undefined, "a folder", "The project root, instead of searching upwards for this package.json.", "searched"),
  SPATIALEDIT_NOTEBOOK: onOff(undefined, "Forces notebook output on (1) or off (0).", "detected (tslab kernel)"),
  SPATIALEDIT_DEBUG: onOff(false, "1 prints the full stack of a script's error instead of one line."),
  SPATIALEDIT_GIT_COMMIT: commitHash("The commit of a tree without .git (a copied tree), recorded in provenance.", "asked from git"),
  SPATIALEDIT_PYTHON: text("/usr/bin/python3", "a path", "The Python with PyTorch that bench/train-step.ts compares against."),
  SPATIALEDIT_TRAIN_MISSING: onOff(true, "0 makes notebook 07 read the grid cache only (the seeds at which every per-layer variant is evaluated) instead of training what it lacks."),
  SPATIALEDIT_MACHINE_NOTE: text("", "text", "A note about the machine recorded in benchmark results (e.g. the GPU)."),
} as const;

export type EnvName = keyof typeof ENV;
export type EnvValue<N extends EnvName> = (typeof ENV)[N] extends EnvSpec<infer T> ? T : never;
export type EnvSource = Record<string, string | undefined>;

export const ENV_NAMES = Object.keys(ENV) as EnvName[];

export function isEnvName(name: string): name is EnvName {
  return Object.prototype.hasOwnProperty.call(ENV, name);
}

/**
 * The parsed value of a declared variable (from `env`, default `process.env`); its default when
 * unset or empty. Throws `EnvError` for a value that is not allowed or a name not declared.
 */
export function envValue<N extends EnvName>(name: N, env: EnvSource = process.env): EnvValue<N> {
  if (!isEnvName(name)) throw new EnvError(`${String(name)} is not a declared variable; declared: ${ENV_NAMES.join(", ")} (lib/core/env.ts)`);
  const spec = ENV[name] as unknown as EnvSpec<EnvValue<N>>;
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return spec.fallback;
  return spec.parse(raw, name);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/**
 * Problems with the `SPATIALEDIT_*` variables of `env`: undeclared names (a typo would otherwise
 * be ignored) and values that are not allowed. Empty when all is well.
 */
export function environmentProblems(env: EnvSource = process.env): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(env).filter((k) => k.startsWith("SPATIALEDIT_")).sort()) {
    if (!isEnvName(key)) {
      const near = ENV_NAMES.map((n) => ({ n, d: editDistance(key, n) })).sort((a, b) => a.d - b.d)[0];
      problems.push(`${key} is not a declared variable${near.d <= 3 ? ` (did you mean ${near.n}?)` : ""}; the variables are listed in README.md`);
      continue;
    }
    try {
      envValue(key, env);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}

/** Throws one `EnvError` listing every problem of `environmentProblems(env)`. */
export function checkEnvironment(env: EnvSource = process.env): void {
  const problems = environmentProblems(env);
  if (problems.length > 0) throw new EnvError(problems.join("; "));
}

/** README.md's table of variables, generated from `ENV`. */
export function envTableMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const lines = ["| variable | values | default | meaning |", "| --- | --- | --- | --- |"];
  for (const name of ENV_NAMES) {
    const spec = ENV[name] as EnvSpec<unknown>;
    lines.push(`| \`${name}\` | ${esc(spec.values)} | ${esc(spec.defaultText)} | ${esc(spec.meaning)} |`);
  }
  return `${lines.join("\n")}\n`;
}
