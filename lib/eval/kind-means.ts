/**
 * Means of per-item numbers per edit kind: the one summary that the oracle-render study, the edit-map
 * and where-head probes, the plan probe and the oracle diagnostics of `npm run stage2-from` all print.
 */

/** One kind's row: the kind, its item count and the mean of each field over its items. */
export type KindMeanRow<K extends string> = { kind: string; n: number } & Record<K, number>;

/**
 * Per kind (sorted; with `all`, a first row "all" over every item): the number of items and the mean
 * of each field. A field that gives undefined or NaN for an item leaves that item out of that field's
 * mean (n still counts it); a field with no value in a kind has mean NaN.
 */
export function meansByKind<T, K extends string>(items: readonly T[], kindOf: (item: T) => string, fields: Record<K, (item: T) => number | undefined>, options: { all?: boolean } = {}): KindMeanRow<K>[] {
  const row = (kind: string, xs: readonly T[]): KindMeanRow<K> => {
    const out = { kind, n: xs.length } as KindMeanRow<K>;
    for (const [name, f] of Object.entries(fields) as [K, (item: T) => number | undefined][]) {
      let sum = 0;
      let count = 0;
      for (const x of xs) {
        const v = f(x);
        if (v === undefined || Number.isNaN(v)) continue;
        sum += v;
        count++;
      }
      (out as Record<string, number>)[name] = count === 0 ? Number.NaN : sum / count;
    }
    return out;
  };
  const kinds = [...new Set(items.map(kindOf))].sort();
  const rows = kinds.map((k) => row(k, items.filter((x) => kindOf(x) === k)));
  return options.all === true ? [row("all", items), ...rows] : rows;
}

/**
 * Per edit kind of a benchmark's items, the mean of each column of per-item scores (each column one score per item, in the
 * benchmark's order; `what` names the caller in the error when a column does not cover every item).
 */
export function benchmarkKindMeans<K extends string>(items: readonly { kind?: string | null }[], columns: Record<K, readonly number[]>, what: string): KindMeanRow<K>[] {
  for (const [name, v] of Object.entries(columns) as [K, readonly number[]][]) if (v.length !== items.length) throw new Error(`${what}: ${v.length} judged items of ${items.length} in '${name}'; the per-kind means need every item judged`);
  const fields = Object.fromEntries((Object.entries(columns) as [K, readonly number[]][]).map(([name, v]) => [name, (i: number) => v[i]])) as Record<K, (i: number) => number>;
  return meansByKind(items.map((_, i) => i), (i) => items[i].kind ?? "none", fields);
}
