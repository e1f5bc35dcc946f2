/**
 * The editor grid's nodes grouped by what they cost (bench/recipe-times.ts times one node per
 * group and projects every node from it). A training node's cost is set by its phase (the data it
 * builds, the loss), tuning mode and layer group (what the backward pass and Adam touch) and
 * whether the MLLM reads image tokens: nodes that agree on these four have the same config (checked)
 * and so do the same work per step; only their seed and parent's weights differ, which do not change
 * the time. Evaluation nodes group by kind and benchmark. The one-core sum and the schedules of
 * the projected times are lib/train/grid/projection.ts.
 */
import { canonicalJson } from "../train/checkpoint-config";
import type { GridNode } from "../train/grid/node";
import type { TimedJob } from "../train/grid/projection";
import { phaseSteps, RECIPES, type EditorNodeConfig, type RecipeName } from "../models/editor/train/node";

/** One training recipe of the grid: the nodes of one seed that do the same work. */
export interface GridRecipe {
  /** `<phase> <mode> <layers>`, with ` no-image` when the MLLM reads no image tokens, e.g. `stage2 attention all`. */
  name: string;
  phase: RecipeName;
  mode: string;
  layers: string;
  imageTokens: boolean;
  /** The phase's configured steps (node.ts phaseSteps). */
  steps: number;
  /** ids of the nodes it covers, in the grid's order. */
  nodes: string[];
  /** The config they share (what the bench builds) and their seed. */
  config: EditorNodeConfig;
  seed: number;
}

/** A group of evaluation nodes: the same kind and benchmark. */
export interface EvalGroup {
  /** `eval <benchmark>` or `vqa`. */
  name: string;
  kind: string;
  nodes: string[];
  /** The first node of the group (the bench evaluates an editor built like its parent). */
  first: GridNode;
}

/** True for a node that trains an editor phase (kind `editor-<phase>`), false for evaluation nodes. */
export function isTrainingNode(n: GridNode): boolean {
  return n.kind.startsWith("editor-") && (RECIPES as readonly string[]).includes(n.kind.slice("editor-".length));
}

/** The recipe name of a training node's config (see GridRecipe.name). */
export function recipeName(c: EditorNodeConfig): string {
  return `${c.phase} ${c.mode} ${c.layers}${c.imageTokens ? "" : " no-image"}`;
}

/** The group name of an evaluation node: `eval <benchmark>` (editor-eval) or `vqa` (editor-vqa). */
export function evalGroupName(n: GridNode): string {
  if (n.kind === "editor-vqa") return "vqa";
  if (n.kind === "editor-eval") return `eval ${String((n.config as { benchmark?: string }).benchmark ?? "spatialeval")}`;
  throw new Error(`grid recipes: '${n.id}' (kind ${n.kind}) is not an evaluation node`);
}

/** The group (recipe or evaluation group) a node's time is projected from. */
export function nodeGroupName(n: GridNode): string {
  return isTrainingNode(n) ? recipeName(n.config as EditorNodeConfig) : evalGroupName(n);
}

/** The seed whose nodes are grouped when none is given: the smallest in the grid. */
function firstSeed(nodes: readonly GridNode[]): number {
  if (nodes.length === 0) throw new Error("grid recipes: the grid has no nodes");
  return Math.min(...nodes.map((n) => n.seed));
}

/**
 * The training recipes of `seed`'s nodes (default: the smallest seed), in the order of their first
 * node. Two nodes of one recipe with different configs are an error: the grouping would hide a
 * difference in cost.
 */
export function gridRecipes(nodes: readonly GridNode[], seed = firstSeed(nodes)): GridRecipe[] {
  const out = new Map<string, GridRecipe & { json: string }>();
  for (const n of nodes.filter((x) => x.seed === seed && isTrainingNode(x))) {
    const c = n.config as EditorNodeConfig;
    const name = recipeName(c);
    const json = canonicalJson(c);
    const r = out.get(name);
    if (r === undefined) out.set(name, { name, phase: c.phase, mode: c.mode, layers: c.layers, imageTokens: c.imageTokens, steps: phaseSteps(c), nodes: [n.id], config: c, seed, json });
    else if (r.json !== json) throw new Error(`grid recipes: '${n.id}' and '${r.nodes[0]}' are both '${name}' but their configs differ; they may not cost the same`);
    else r.nodes.push(n.id);
  }
  if (out.size === 0) throw new Error(`grid recipes: seed ${seed} has no training node`);
  return [...out.values()].map(({ json: _json, ...r }) => r);
}

/** The evaluation groups of `seed`'s nodes (default: the smallest seed), in the order of their first node. */
export function evalGroups(nodes: readonly GridNode[], seed = firstSeed(nodes)): EvalGroup[] {
  const out = new Map<string, EvalGroup>();
  for (const n of nodes.filter((x) => x.seed === seed && !isTrainingNode(x))) {
    const name = evalGroupName(n);
    const g = out.get(name);
    if (g === undefined) out.set(name, { name, kind: n.kind, nodes: [n.id], first: n });
    else g.nodes.push(n.id);
  }
  return [...out.values()];
}

/**
 * The groups `only` asks for: each entry is a group's name (spaces may be written as `-`:
 * `stage2-attention-all`) or the id of a node it covers (the `@s<seed>` may be left out). An entry
 * that matches nothing is an error listing the names.
 */
export function selectGroups<T extends { name: string; nodes: string[] }>(groups: readonly T[], only: readonly string[]): T[] {
  const dashed = (s: string) => s.replace(/ /g, "-");
  const bare = (id: string) => id.replace(/@s\d+$/, "");
  const matches = (g: T, want: string) => g.name === want || dashed(g.name) === want || g.nodes.some((id) => id === want || bare(id) === want);
  for (const want of only) {
    if (!groups.some((g) => matches(g, want))) throw new Error(`--only: '${want}' is neither a group nor a node of one; groups: ${groups.map((g) => `${dashed(g.name)} (${g.nodes.map(bare).join(", ")})`).join("; ")}`);
  }
  return groups.filter((g) => only.some((want) => matches(g, want)));
}

/** A node's projected seconds: a one-off setup, then `units` (steps, items) at `msPerUnit` each, plus `extraSeconds` (checkpoints). */
export function projectedSeconds(setupSeconds: number, units: number, msPerUnit: number, extraSeconds = 0): number {
  return setupSeconds + (units * msPerUnit) / 1000 + extraSeconds;
}

/**
 * Every node as a job of the dependency graph with its group's projected seconds; a node whose
 * group has no time counts 0 and is listed in `untimed` (a projection without it is too short by its time).
 */
export function projectGrid(nodes: readonly GridNode[], secondsByGroup: ReadonlyMap<string, number>): { jobs: TimedJob[]; untimed: string[] } {
  const untimed: string[] = [];
  const jobs = nodes.map((n): TimedJob => {
    const s = secondsByGroup.get(nodeGroupName(n));
    if (s === undefined) untimed.push(n.id);
    return { id: n.id, ...(n.parent !== undefined ? { parent: n.parent } : {}), seconds: s ?? 0 };
  });
  return { jobs, untimed };
}
