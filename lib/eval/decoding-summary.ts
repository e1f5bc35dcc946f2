/**
 * The runs of `npm run object-head` (scripts/object-head.ts) as one table and one figure, read from their results files, for
 * notebook 05: per run, the editor it scored, the drawer it carried (and its retexturer), the decoding validation chose among its rules and
 * options (decode-choice.ts), that decoding's object judge on validation and on SpatialEval-mini, the same decoding with the
 * truth's object choice (a diagnostic that reads the truth) and the object head's choice on SpatialEval-mini. `bestOnValidation`
 * picks the run a reader would report: the highest validation score, never SpatialEval-mini's.
 * Nothing here trains or evaluates: a file's numbers are shown as the run wrote them.
 */
import * as path from "path";
import { groupedBars, type Figure } from "../core/plot";
import type { ProfileName } from "../core/profile";
import { readResults } from "../core/results";
import { decodingText, type DecodeRow } from "./decode-choice";

/** The part of an object-head results file this summary reads. */
interface DecodingFile {
  config: { from: string; drawer?: string | null; retexturer?: string | null; rules: string[] };
  data: {
    oracle?: { scores: { objectJudge: number } };
    fitted?: {
      after?: {
        choice?: { bench?: ChoiceSummary; shapeChecked?: { bench?: ChoiceSummary } | null };
        decoded: { chosen: DecodeRow; scores: { objectJudge: number } };
      };
    } | null;
  };
}

type ChoiceSummary = { summary?: { kind: string; correct: number }[] };

/** A type alias (not an interface), so that rows are table rows (lib/core/table.ts Row). */
export type DecodingRow = {
  run: string;
  editor: string;
  drawer: string;
  decoding: string;
  validation: number;
  "SpatialEval-mini": number;
  /** The same decoding with the truth's object choice (a diagnostic), null when the run did not measure it. */
  "truth's choice": number | null;
  /** The object choice on SpatialEval-mini (share right; weighed by the said shape where the decoding checks it), null when not recorded or when the decoding chooses said extremes on the pixels (the probe measures the head's choice only). */
  "object choice": number | null;
};

/** A cache folder's name ("final-<64 hex>") cut to its first 8 hex digits; other names as they are. */
const shortName = (n: string) => (/^final-[0-9a-f]{64}$/.test(n) ? `${n.slice(0, 14)}…` : n);

/** A drawer file's name without ".safetensors", or its folder's where npm run redraw-fit wrote it (<name>/redraw.safetensors). */
const drawerName = (file: string) => (path.basename(file) === "redraw.safetensors" ? path.basename(path.dirname(file)) : path.basename(file, ".safetensors"));

/** The row of one object-head results file, or null when it holds no scored decoding (a run without --fit). */
export function decodingRow(name: string, file: DecodingFile): DecodingRow | null {
  const after = file.data.fitted?.after;
  if (after === undefined || after === null) return null;
  const chosen = after.decoded.chosen;
  if (!(typeof chosen.objectJudge === "number")) throw new Error(`decodingRow: '${name}' names a chosen decoding without its validation score`);
  return {
    run: name,
    editor: shortName(path.basename(file.config.from)),
    drawer: file.config.drawer ? `${drawerName(file.config.drawer)}${file.config.retexturer ? ` + ${drawerName(file.config.retexturer)}` : ""}` : "none",
    decoding: decodingText(chosen),
    validation: chosen.objectJudge,
    "SpatialEval-mini": after.decoded.scores.objectJudge,
    "truth's choice": file.data.oracle?.scores.objectJudge ?? null,
    // the choice probe measures the head's choice, shape-checked or not; a saidExtremes decoding chooses otherwise, unmeasured
    "object choice": chosen.saidExtremes ? null : ((chosen.shapeCheck ? after.choice?.shapeChecked?.bench : after.choice?.bench)?.summary?.find((k) => k.kind === "all")?.correct ?? null),
  };
}

/**
 * The rows of every object-head results file of `profile` (those whose config names `rules` and that scored a decoding), in
 * the order the runs were written (provenance.writtenAt; then by file name): so that among runs validation scores equally,
 * bestOnValidation keeps the earlier one, and a later run that adds a part without raising validation is not taken.
 */
export function decodingSummary(profile: ProfileName): DecodingRow[] {
  return readResults<DecodingFile["data"]>(profile)
    .flatMap(({ name, file }) => {
      const config = file.config as Partial<DecodingFile["config"]> | undefined;
      if (!Array.isArray(config?.rules) || typeof config?.from !== "string") return [];
      const row = decodingRow(name, file as unknown as DecodingFile);
      return row === null ? [] : [{ row, written: String(file.provenance?.writtenAt ?? "") }];
    })
    .sort((a, b) => (a.written < b.written ? -1 : a.written > b.written ? 1 : 0))
    .map((x) => x.row);
}

/** The row with the highest validation score (the first of equals: decodingSummary's rows, the earliest run), or null for none: what validation would report. */
export function bestOnValidation(rows: readonly DecodingRow[]): DecodingRow | null {
  return rows.reduce<DecodingRow | null>((b, r) => (b === null || r.validation > b.validation ? r : b), null);
}

const SERIES: { key: keyof DecodingRow; name: string; color: string }[] = [
  { key: "validation", name: "validation (chooses the decoding)", color: "#7f7f7f" },
  { key: "SpatialEval-mini", name: "SpatialEval-mini", color: "#2ca02c" },
  { key: "truth's choice", name: "SpatialEval-mini with the truth's object choice (diagnostic)", color: "#d62728" },
];

/** A decoding's name for an axis label: the rule without "object+" and its plan decoding, the options as "+keep", "+ground", "+shape". */
const shortDecoding = (d: string) => d.replace(/^object\+/, "").replace(/ \(plan \w+\)/, "").replace(" keeping the closed patches", " +keep").replace(" moving on the ground", " +ground").replace(" checking the said shape", " +shape");

/** Grouped horizontal bars per run (long names on the y axis), the best on validation at the top: validation, SpatialEval-mini and the truth's-choice diagnostic. */
export function decodingFigure(rows: readonly DecodingRow[]): Figure {
  const shown = [...rows].sort((a, b) => a.validation - b.validation);
  const y = shown.map((r) => `${r.run} · ${shortDecoding(r.decoding)}`);
  return {
    data: groupedBars(shown, y, SERIES.map((s) => ({ ...s, value: (r: DecodingRow) => r[s.key] as number | null })), true),
    layout: {
      title: { text: "Decodings of the finished editor (npm run object-head): object judge" },
      barmode: "group",
      xaxis: { rangemode: "tozero" },
      yaxis: { automargin: true, tickfont: { size: 9 } },
      legend: { orientation: "h", x: 0, y: -0.04, xanchor: "left", yanchor: "top" },
    },
  };
}
