/**
 * Where the finished editor's object-judge score goes (notebook 05; issue goal: >= 0.85 on SpatialEval-mini). Per
 * benchmark item, from two per-item score lists of one `npm run object-head` run (the editor's own decoding and the same
 * decoding told the truth's object choice, a diagnostic), the item's whole point (1) is split into four parts that sum to 1:
 *   judge      = own                       what the editor scores
 *   no image   = 1 - own      (trend items) "where will it be the next moment": no single image says which way an object moves
 *   choice     = oracle - own (other items) what the editor's object choice costs (net: an item its wrong choice happens
 *                                            to pass counts negative)
 *   rendering  = 1 - oracle   (other items) what the decoding misses even with the truth's object (its drawing, pasting and
 *                                            moving; the language condition's words; objects the perception does not see)
 * Means per edit kind and over all items. `goalNeeds` says what a goal over all items asks of the items an image can answer.
 * Nothing here trains or evaluates: the numbers are the run's own, as its results file holds them.
 */
import * as path from "path";
import { groupedBars, type Figure } from "../core/plot";
import type { ProfileName } from "../core/profile";
import { readResult } from "../core/results";
import { ensureBenchmark } from "./benchmark-generate";
import { bestOnValidation, decodingSummary } from "./decoding-summary";
import { meansByKind } from "./kind-means";

/** The four parts of the score, in the order they are stacked. */
export const BUDGET_PARTS = ["judge", "choice", "rendering", "no image"] as const;
export type BudgetPart = (typeof BUDGET_PARTS)[number];
/** A type alias (not an interface), so that rows are table rows (lib/core/table.ts Row). */
export type BudgetRow = { kind: string; n: number } & Record<BudgetPart, number>;

/** What an item needs for the split: its edit kind and its template form ("trend": the next-moment moves). */
export interface BudgetItem {
  kind: string | null;
  form: string | null;
}

/** Whether an item is a trend item ("where will it be the next moment"), which no single image answers. */
const isTrend = (it: BudgetItem) => it.form === "trend";

const checkScore = (v: number, what: string) => {
  if (!(v >= 0 && v <= 1)) throw new Error(`errorBudget: ${what} is ${v}; object-judge scores lie in [0, 1]`);
};

/** The split of every item's point (see the file comment), as means per edit kind, "all" first. */
export function errorBudget(items: readonly BudgetItem[], own: readonly number[], oracle: readonly number[]): BudgetRow[] {
  if (own.length !== items.length || oracle.length !== items.length) throw new Error(`errorBudget: ${items.length} items, ${own.length} own scores and ${oracle.length} scores with the truth's choice`);
  if (items.length === 0) throw new Error("errorBudget: no items");
  const parts = items.map((it, i) => {
    checkScore(own[i], `item ${i}'s own score`);
    checkScore(oracle[i], `item ${i}'s score with the truth's choice`);
    const trend = isTrend(it);
    return { kind: it.kind ?? "none", judge: own[i], choice: trend ? 0 : oracle[i] - own[i], rendering: trend ? 0 : 1 - oracle[i], "no image": trend ? 1 - own[i] : 0 };
  });
  const fields = Object.fromEntries(BUDGET_PARTS.map((k) => [k, (x: (typeof parts)[number]) => x[k]])) as Record<BudgetPart, (x: (typeof parts)[number]) => number>;
  return meansByKind(parts, (x) => x.kind, fields, { all: true }) as BudgetRow[];
}

/** The largest of the three costs on the "all" row (choice, rendering, no image) and its share. */
export function largestCost(rows: readonly BudgetRow[]): { part: Exclude<BudgetPart, "judge">; share: number } {
  const all = rows.find((r) => r.kind === "all");
  if (all === undefined) throw new Error("largestCost: no 'all' row");
  const costs = (["choice", "rendering", "no image"] as const).map((part) => ({ part, share: all[part] }));
  return costs.reduce((a, b) => (b.share > a.share ? b : a));
}

/**
 * What a goal over all items (a mean object judge) asks of the items an image can answer, and what the editor scores on
 * them (`own`, per item): the trend items keep their score (what they lose stays lost), so the others must bring
 * goal x all items minus the trend items' points, over their count. `possible` is false when that asks more than 1.
 */
export function goalNeeds(items: readonly BudgetItem[], own: readonly number[], goal: number): { needed: number; reached: number; answerable: number; possible: boolean } {
  if (own.length !== items.length || items.length === 0) throw new Error(`goalNeeds: ${items.length} items and ${own.length} scores`);
  if (!(goal > 0 && goal <= 1)) throw new Error(`goalNeeds: the goal is a mean object judge in (0, 1], got ${goal}`);
  const answerable = items.map((it) => !isTrend(it));
  const k = answerable.filter(Boolean).length;
  if (k === 0) throw new Error("goalNeeds: every item is a trend item; no image answers any");
  let [onAnswerable, onTrend] = [0, 0];
  own.forEach((v, i) => (answerable[i] ? (onAnswerable += v) : (onTrend += v)));
  const needed = (goal * items.length - onTrend) / k;
  return { needed, reached: onAnswerable / k, answerable: k, possible: needed <= 1 };
}

/** The part of an object-head results file this reads: the per-item scores of the fitted editor's decoding and of the truth's-choice diagnostic. */
interface ItemScoresFile {
  data: { oracle?: { scores: { items: number[] } }; fitted?: { after?: { decoded: { scores: { items: number[] } } } } | null };
}

/**
 * The budget of the run validation prefers among `profile`'s object-head results files (decoding-summary.ts), on
 * SpatialEval-mini, or null when there is none or it did not measure the truth's choice.
 */
export function reportedBudget(profile: ProfileName): { run: string; rows: BudgetRow[]; goal: ReturnType<typeof goalNeeds>; items: BudgetItem[]; own: number[]; oracle: number[] } | null {
  const pick = bestOnValidation(decodingSummary(profile));
  if (pick === null) return null;
  const file = readResult<ItemScoresFile["data"]>(pick.run, profile);
  const own = file?.data.fitted?.after?.decoded.scores.items;
  const oracle = file?.data.oracle?.scores.items;
  if (own === undefined || oracle === undefined) return null;
  const items = ensureBenchmark("spatialeval", profile).items;
  if (items.length !== own.length) throw new Error(`reportedBudget: ${path.basename(pick.run)} scored ${own.length} items; SpatialEval-mini on '${profile}' has ${items.length}`);
  return { run: pick.run, rows: errorBudget(items, own, oracle), goal: goalNeeds(items, own, GOAL), items, own, oracle };
}

/** The goal for the object judge on held-out spatial instructions. */
export const GOAL = 0.85;

const COLOURS: Record<BudgetPart, string> = { judge: "#2ca02c", choice: "#ff7f0e", rendering: "#1f77b4", "no image": "#7f7f7f" };

/** Stacked horizontal bars per edit kind ("all" at the top), each summing to 1, with the goal as a line. */
export function errorBudgetFigure(rows: readonly BudgetRow[], title: string): Figure {
  const shown = [...rows].reverse();
  const labels = shown.map((r) => `${r.kind} (${r.n})`);
  return {
    data: groupedBars(shown, labels, BUDGET_PARTS.map((k) => ({ name: k, color: COLOURS[k], value: (r: BudgetRow) => r[k] })), true),
    layout: {
      title: { text: title },
      barmode: "relative",
      xaxis: { title: { text: "share of the items' points" }, range: [-0.05, 1.02] },
      yaxis: { automargin: true },
      shapes: [{ type: "line", x0: GOAL, x1: GOAL, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#000" } }],
      legend: { orientation: "h", x: 1, y: 1.02, xanchor: "right", yanchor: "bottom" },
    },
  };
}
