/**
 * Run profiles: one environment variable, `SPATIALEDIT_PROFILE`, picks the scale of every
 * experiment in the project.
 *
 * - `tiny`: unit tests; seconds.
 * - `quick`: CI and the default notebook run; minutes on 2 CPU cores.
 * - `paper`: the full results of our miniature (hours on CPU, minutes on a GPU).
 *
 * Each module keeps its own typed presets (`Presets<T>`: one config per profile) beside its
 * code and resolves them with `resolveConfig`, which rejects unknown profiles, unknown keys
 * and values of the wrong type with a message that says what is allowed.
 */

import { envValue, EnvSource } from "./env";

export const PROFILE_NAMES = ["tiny", "quick", "paper"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Environment variable that selects the profile. */
export const PROFILE_ENV = "SPATIALEDIT_PROFILE";
export const DEFAULT_PROFILE: ProfileName = "quick";

/** One config per profile. */
export type Presets<T> = { readonly [P in ProfileName]: T };

/** Recursive partial, for overrides of nested configs. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function isProfileName(name: unknown): name is ProfileName {
  return typeof name === "string" && (PROFILE_NAMES as readonly string[]).includes(name);
}

/** Validates a profile name; the error lists the known ones. */
export function checkProfileName(name: string): ProfileName {
  if (!isProfileName(name)) {
    throw new ConfigError(
      `unknown profile '${name}'; known profiles: ${PROFILE_NAMES.join(", ")} (set ${PROFILE_ENV} to one of them)`,
    );
  }
  return name;
}

/** The profile chosen by `SPATIALEDIT_PROFILE` (default `quick`); a bad value is an `EnvError`. */
export function currentProfile(env: EnvSource = process.env): ProfileName {
  return envValue("SPATIALEDIT_PROFILE", env);
}

/** Profiles ordered by scale: a file of a larger profile is never overwritten by a smaller one. */
export function profileRank(name: ProfileName): number {
  return PROFILE_NAMES.indexOf(name);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function kindOf(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  return typeof x;
}

/**
 * Deep-merges `overrides` into `base`, throwing on any key that `base` does not have and on
 * values whose type differs from the default's (`what` names the config in messages).
 */
export function mergeConfig<T extends object>(base: T, overrides: DeepPartial<T> | undefined, what: string): T {
  if (overrides === undefined) return structuredClone(base);
  if (!isPlainObject(overrides)) {
    throw new ConfigError(`${what}: overrides must be an object, got ${kindOf(overrides)}`);
  }
  const out = structuredClone(base) as Record<string, unknown>;
  const known = Object.keys(base);
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in (base as object))) {
      throw new ConfigError(`${what}: unknown config key '${key}'; known keys: ${known.join(", ")}`);
    }
    if (value === undefined) continue;
    const def = (base as Record<string, unknown>)[key];
    if (isPlainObject(def)) {
      out[key] = mergeConfig(def, value as DeepPartial<typeof def>, `${what}.${key}`);
      continue;
    }
    if (def !== null && kindOf(def) !== kindOf(value)) {
      throw new ConfigError(`${what}: config key '${key}' must be ${kindOf(def)}, got ${kindOf(value)} (${JSON.stringify(value)})`);
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new ConfigError(`${what}: config key '${key}' must be a finite number, got ${value}`);
    }
    out[key] = structuredClone(value);
  }
  return out as T;
}

/**
 * The config of `profile` (default: the current profile) from a module's presets, with
 * optional overrides. Unknown profile or key: a `ConfigError` that says what is allowed.
 */
export function resolveConfig<T extends object>(
  presets: Presets<T>,
  what: string,
  profile: string = currentProfile(),
  overrides?: DeepPartial<T>,
): T {
  const name = checkProfileName(profile);
  return mergeConfig(presets[name], overrides, `${what} (profile '${name}')`);
}

/** The project-wide part of a profile: seed and a one-line description. */
export interface CoreConfig {
  /** Base seed; modules fork their own streams from it. */
  seed: number;
  /** What the profile is for, shown in setup cells. */
  description: string;
  /** Multiplies iteration counts of long loops in notebooks (1 = as written in each preset). */
  scale: number;
}

export const CORE_PRESETS: Presets<CoreConfig> = {
  tiny: { seed: 1234, description: "unit tests: seconds", scale: 0.1 },
  quick: { seed: 1234, description: "CI and the default notebook run: minutes on 2 CPU cores", scale: 1 },
  paper: { seed: 1234, description: "full miniature results: hours on CPU, minutes on a GPU", scale: 10 },
};
