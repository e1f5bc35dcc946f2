/**
 * The identity of a config: canonical JSON (object keys sorted at every depth, so key order never
 * matters), its SHA-256, and the list of differences between two configs (what a checkpoint's
 * mismatch error shows). Configs are plain JSON data: numbers, strings, booleans, null, arrays and
 * objects; anything else (undefined, functions, NaN) is refused, since it cannot be stored.
 */
import { createHash } from "crypto";

/**
 * JSON with object keys sorted at every depth; throws on values JSON cannot hold faithfully. With
 * `omitUndefined`, an object's undefined fields are left out (as JSON.stringify leaves them); an array's never are.
 */
export function canonicalJson(value: unknown, where = "config", opts: { omitUndefined?: boolean } = {}): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`${where}: ${value} cannot be stored in JSON; use a finite number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${where}[${i}]`, opts)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => opts.omitUndefined !== true || obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k], `${where}.${k}`, opts)}`).join(",")}}`;
  }
  throw new Error(`${where}: a ${typeof value} (${String(value)}) is not plain JSON data; configs hold numbers, strings, booleans, null, arrays and plain objects`);
}

/** SHA-256 (hex) of the canonical JSON of `value`. */
export function hashJson(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** One difference between two configs: its path (`a.b[2]`) and both values (undefined = absent). */
export interface ConfigDifference {
  path: string;
  actual: unknown;
  expected: unknown;
}

/** Every leaf where `actual` and `expected` differ (missing keys count), in path order. */
export function diffConfig(actual: unknown, expected: unknown, path = ""): ConfigDifference[] {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  if (isObj(actual) && isObj(expected)) {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
    return keys.flatMap((k) => diffConfig(actual[k], expected[k], path === "" ? k : `${path}.${k}`));
  }
  if (Array.isArray(actual) && Array.isArray(expected) && actual.length === expected.length) {
    return actual.flatMap((v, i) => diffConfig(v, expected[i], `${path}[${i}]`));
  }
  const same = actual === expected || (actual !== undefined && expected !== undefined && JSON.stringify(actual) === JSON.stringify(expected));
  return same ? [] : [{ path: path === "" ? "(the whole config)" : path, actual, expected }];
}

/** The differences as lines `path: checkpoint X, expected Y`. */
export function formatDifferences(diffs: readonly ConfigDifference[], actualName = "checkpoint", expectedName = "expected"): string {
  const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v));
  return diffs.map((d) => `  ${d.path}: ${actualName} ${show(d.actual)}, ${expectedName} ${show(d.expected)}`).join("\n");
}
