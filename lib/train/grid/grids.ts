/**
 * Named grids: a grid is a function of the profile (tiny / quick / paper) that returns its nodes.
 * `npm run grid -- --grid <name> --profile <p>` and every `--run` child rebuild the same nodes from
 * these two names, so a command line is enough to run any node anywhere.
 */
import type { GridNode } from "./node";

export type GridFactory = (profile: string) => GridNode[];

const grids = new Map<string, GridFactory>();

/** Registers a grid under `name` (registering a name twice replaces it). */
export function registerGrid(name: string, factory: GridFactory): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`registerGrid: name '${name}' must be letters, digits, '.', '_' or '-'`);
  grids.set(name, factory);
}

/** The nodes of grid `name` on `profile`, or an error listing the registered grids. */
export function gridNodes(name: string, profile: string): GridNode[] {
  const f = grids.get(name);
  if (f === undefined) throw new Error(`grid: no grid named '${name}'; registered: ${[...grids.keys()].join(", ") || "none"}`);
  return f(profile);
}

export function gridNames(): string[] {
  return [...grids.keys()];
}
