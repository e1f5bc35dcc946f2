/**
 * The node runner's registry: a recipe trains one kind of grid node. The editor's recipes (base,
 * Stage I, Stage II, ...) register themselves from the models layer; this layer ships only the toy
 * recipes (toy.ts). A recipe reads its parent's final checkpoint from `parentDir` (null for a root),
 * trains into `outDir` resumably (trainResumable), shows progress through `progress(total)`, and
 * returns a summary (plain JSON) that goes into the node's done.json.
 */
import type { Progress } from "../../core/progress";
import type { KeyedNode } from "./node";

/** Makes the progress display of a node's training loop (per job, shown by the scheduler). */
export type ProgressFactory = (total: number, label?: string) => Progress;

export type Recipe = (node: KeyedNode, parentDir: string | null, outDir: string, progress: ProgressFactory) => Promise<Record<string, unknown> | void>;

const recipes = new Map<string, Recipe>();

/** Registers the recipe of a node kind (registering a kind twice replaces it). */
export function registerRecipe(kind: string, recipe: Recipe): void {
  if (typeof kind !== "string" || kind === "") throw new Error("registerRecipe: kind must be a non-empty string");
  recipes.set(kind, recipe);
}

/** The recipe of `kind`, or an error listing the registered kinds. */
export function getRecipe(kind: string): Recipe {
  const r = recipes.get(kind);
  if (r === undefined) throw new Error(`grid: no recipe registered for kind '${kind}'; registered: ${[...recipes.keys()].join(", ") || "none"} (call registerRecipe first)`);
  return r;
}

/** Kinds with a recipe. */
export function recipeKinds(): string[] {
  return [...recipes.keys()];
}
