/**
 * The runs of `npm run target-fit` (scripts/target-fit.ts) as one table for notebook 05: per fitted target reader
 * (lib/models/editor/target-reader.ts), how many engine scenes it was fitted on, its accuracy on held-out engine edits,
 * and on the benchmarks' replacements and retextures how many new shapes and materials the editor's language condition
 * names right and how many the readTargets option would (the condition's kind with the reader's shape or material).
 * The files' numbers are shown as the runs wrote them; `readerGain` is the conclusion computed from them.
 */
import type { ProfileName } from "../core/profile";
import { readResults } from "../core/results";

interface Counted {
  n: number;
  condition: number;
  read: number;
}

interface OnBenchmark {
  replace: Counted;
  retexture: Counted;
}

/** The part of a target-fit results file this summary reads. */
interface TargetFitFile {
  config: { reader: { width: number; hidden: number }; scenes: number };
  data: { heldOut: { all: { n: number; accuracy: number } }; validation: OnBenchmark; spatialEvalMini: OnBenchmark };
}

/** A type alias (not an interface), so that rows are table rows (lib/core/table.ts Row). */
export type TargetReaderRow = {
  run: string;
  scenes: number;
  "held-out edits": number;
  "held-out accuracy": number;
  benchmark: "validation" | "SpatialEval-mini";
  replacements: number;
  "shape right: condition": number;
  "shape right: reader": number;
  retextures: number;
  "material right: condition": number;
  "material right: reader": number;
};

/** The two rows (validation, SpatialEval-mini) of one target-fit results file. */
export function targetReaderRows(name: string, file: TargetFitFile): TargetReaderRow[] {
  const row = (benchmark: TargetReaderRow["benchmark"], b: OnBenchmark): TargetReaderRow => ({
    run: name,
    scenes: file.config.scenes,
    "held-out edits": file.data.heldOut.all.n,
    "held-out accuracy": file.data.heldOut.all.accuracy,
    benchmark,
    replacements: b.replace.n,
    "shape right: condition": b.replace.condition,
    "shape right: reader": b.replace.read,
    retextures: b.retexture.n,
    "material right: condition": b.retexture.condition,
    "material right: reader": b.retexture.read,
  });
  return [row("validation", file.data.validation), row("SpatialEval-mini", file.data.spatialEvalMini)];
}

/** The rows of every target-fit results file of `profile` (those whose config names a reader with a width), by file name. */
export function targetReaderSummary(profile: ProfileName): TargetReaderRow[] {
  return readResults<TargetFitFile["data"]>(profile).flatMap(({ name, file }) => {
    const config = file.config as Partial<TargetFitFile["config"]> | undefined;
    return typeof config?.reader?.width !== "number" || file.data?.spatialEvalMini === undefined ? [] : targetReaderRows(name, file as unknown as TargetFitFile);
  });
}

/** Over rows: how many more new shapes and materials the reader names right than the condition (negative: fewer), of how many. */
export function readerGain(rows: readonly TargetReaderRow[]): { gain: number; items: number } {
  return rows.reduce((s, r) => ({ gain: s.gain + r["shape right: reader"] + r["material right: reader"] - r["shape right: condition"] - r["material right: condition"], items: s.items + r.replacements + r.retextures }), { gain: 0, items: 0 });
}
