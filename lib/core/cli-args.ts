/**
 * `--key=value` arguments of scripts: parsed against the keys a script knows (anything else is an
 * error that lists them), and read as integers, numbers or on/off switches with errors that name the flag.
 */

/** `--key=value` pairs of `argv` by key; an unknown key or another form is an error listing the known ones. */
export function parseFlags(argv: readonly string[], known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([a-z0-9-]+)=(.*)$/.exec(a);
    if (!m || !known.includes(m[1])) throw new Error(`unknown argument '${a}'; known: ${known.map((k) => `--${k}=...`).join(" ")}`);
    out[m[1]] = m[2];
  }
  return out;
}

/** The integer flag `k` (>= `min`), or `def` when absent. */
export function intFlag(a: Record<string, string>, k: string, def: number, min = 0): number {
  if (a[k] === undefined) return def;
  const v = Number(a[k]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${k} must be ${min === 0 ? "a non-negative integer" : `an integer >= ${min}`}, got '${a[k]}'`);
  return v;
}

/** The on/off flag `k` as a boolean (on: true), or `def` when absent. */
export function onOffFlag(a: Record<string, string>, k: string, def: boolean): boolean {
  const v = a[k];
  if (v === undefined) return def;
  if (v !== "on" && v !== "off") throw new Error(`--${k} must be on or off, got '${v}'`);
  return v === "on";
}

/** The non-negative number flag `k`, or `def` when absent. */
export function numFlag(a: Record<string, string>, k: string, def: number): number {
  if (a[k] === undefined) return def;
  const v = Number(a[k]);
  if (a[k].trim() === "" || !Number.isFinite(v) || v < 0) throw new Error(`--${k} must be a non-negative number, got '${a[k]}'`);
  return v;
}
