/**
 * The runs of `npm run stage2-from` (scripts/stage2-from.ts) as one table and one figure, read from their results files
 * (results/<profile>/stage2-from*.json), for notebook 05: per run and parent, its Stage II budget and data, the editor's own
 * object judge, with its gate decoded by the rule chosen on the validation benchmark, and the diagnostics that read the truth
 * (the truth's where gate; the truth's gate and plan), which split what is missing between "where", "what" and the rendering.
 * Nothing here trains or evaluates: a file's numbers are shown as the run wrote them.
 */
import { groupedBars, type Figure } from "../core/plot";
import type { ProfileName } from "../core/profile";
import { readResults } from "../core/results";

/** The part of a stage2-from results file this summary reads (older files lack some of it). */
interface Stage2FromFile {
  config: { parents: string[]; curve: { recipe: { stage2Steps: number; engineScenes: number; whereObjectLossWeight?: number }; editor?: { alignedPlan?: boolean | string } } };
  data: {
    runs?: {
      parent: string;
      curve: { points: { step: number; objectJudge: number }[] };
      oracleWhere?: { scores: { objectJudge: number } } | null;
      oraclePlan?: { scores: { objectJudge: number } } | null;
      gateDecode?: { chosen: string; chosenPlan?: string; scores: { objectJudge: number } };
      objectChoice?: { kinds: { kind: string; correct: number }[] };
    }[];
  };
}

/** A type alias (not an interface), so that rows are table rows (lib/core/table.ts Row). */
export type Stage2FromRow = {
  run: string;
  parent: string;
  "Stage II steps": number;
  "engine scenes": number;
  "object loss": number;
  /** The edit plan: "colour" (alignedPlan true), "attend", "palette", or "none". */
  plan: string;
  /** The editor's own object judge (its sigmoid gate) at the last step. */
  own: number;
  /** The rule chosen on the validation benchmark (with a palette plan's decoding) and its object judge on SpatialEval-mini (null when the run decoded none). */
  "decoded rule": string | null;
  decoded: number | null;
  "object choice": number | null;
  "truth's gate": number | null;
  "truth's gate and plan": number | null;
};

function planName(p: boolean | string | undefined): string {
  return p === true ? "colour" : p === undefined || p === false ? "none" : p;
}

/** One row per run (parent) of one stage2-from results file. */
export function stage2FromRows(name: string, file: Stage2FromFile): Stage2FromRow[] {
  const r = file.config.curve.recipe;
  return (file.data.runs ?? []).map((x) => {
    const last = x.curve.points[x.curve.points.length - 1];
    if (last === undefined) throw new Error(`stage2FromRows: '${name}' has a run from '${x.parent}' with no scored point`);
    return {
      run: name,
      parent: x.parent,
      "Stage II steps": last.step,
      "engine scenes": r.engineScenes,
      "object loss": r.whereObjectLossWeight ?? 0,
      plan: planName(file.config.curve.editor?.alignedPlan),
      own: last.objectJudge,
      "decoded rule": x.gateDecode === undefined ? null : `${x.gateDecode.chosen}${x.gateDecode.chosenPlan !== undefined ? ` (plan ${x.gateDecode.chosenPlan})` : ""}`,
      decoded: x.gateDecode?.scores.objectJudge ?? null,
      "object choice": x.objectChoice?.kinds.find((k) => k.kind === "all")?.correct ?? null,
      "truth's gate": x.oracleWhere?.scores.objectJudge ?? null,
      "truth's gate and plan": x.oraclePlan?.scores.objectJudge ?? null,
    };
  });
}

/** The rows of every stage2-from results file of `profile` (file names starting `stage2-from-` that hold runs), by file name. */
export function stage2FromSummary(profile: ProfileName): Stage2FromRow[] {
  return readResults<Stage2FromFile["data"]>(profile, "stage2-from-").flatMap(({ name, file }) => (file.data.runs === undefined ? [] : stage2FromRows(name, file as unknown as Stage2FromFile)));
}

const SERIES: { key: keyof Stage2FromRow; name: string; color: string }[] = [
  { key: "own", name: "own gate", color: "#1f77b4" },
  { key: "decoded", name: "own, gate decoded (rule chosen on validation)", color: "#2ca02c" },
  { key: "truth's gate", name: "the truth's gate (diagnostic)", color: "#ff7f0e" },
  { key: "truth's gate and plan", name: "the truth's gate and plan (diagnostic)", color: "#d62728" },
];

/** Grouped bars per run: the editor's own object judge, decoded, and with the truth's gate and plan (runs with the diagnostics only). */
export function stage2FromFigure(rows: readonly Stage2FromRow[]): Figure {
  const shown = rows.filter((r) => r["truth's gate"] !== null);
  const x = shown.map((r) => `${r.run.replace(/^stage2-from-/, "")} (${r["Stage II steps"]} steps, ${r["engine scenes"]} scenes)`);
  return {
    data: groupedBars(shown, x, SERIES.map((s) => ({ ...s, value: (r: Stage2FromRow) => r[s.key] as number | null }))),
    layout: {
      title: { text: "Our aligned editor on SpatialEval-mini: its own object judge and the truth's diagnostics" },
      barmode: "group",
      yaxis: { title: { text: "object judge" }, rangemode: "tozero" },
      xaxis: { tickangle: 30 },
      legend: { orientation: "v", x: 1.02, y: 1, xanchor: "left", yanchor: "top" },
    },
  };
}
