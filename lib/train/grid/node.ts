/**
 * The experiment grid as a dependency graph (base -> Stage I -> Stage II, one node per variant and
 * seed). A node's key is the SHA-256 of the canonical JSON of its kind, config, seed, data-manifest
 * hash, its code version (when it has one) and its parent's key, so it changes when anything upstream changes (a parent's config change
 * invalidates every descendant) and not when object keys are merely reordered. Two nodes with the
 * same key are one job: shared parents are trained once.
 */
import { canonicalJson, hashJson } from "../checkpoint-config";

/** One training job of the grid. */
export interface GridNode {
  /** Readable, unique name, e.g. `stage1-attention@seed1` (letters, digits, `._@=+-`). */
  id: string;
  /** Which registered recipe trains it, e.g. "base" | "stage1" | "stage2" | "toy-base". */
  kind: string;
  /** The recipe's config (plain JSON; the recipe validates it). */
  config: unknown;
  seed: number;
  /** Hash of the data it trains on (a dataset's manifest hash). */
  dataManifestHash: string;
  /** id of the node whose final checkpoint it starts from. */
  parent?: string;
  /**
   * Version of the code that trains it (bumped when a recipe's code changes what it produces),
   * so that a cached node made by older code is not served as a current one. Part of the key
   * when present.
   */
  version?: number;
}

/** A node with its cache key and its parent's key. */
export interface KeyedNode extends GridNode {
  key: string;
  parentKey: string | null;
}

/** Hex digits of the SHA-256 used as the key (64 bits: also the cache folder name). */
export const KEY_LENGTH = 16;

/** The key of a node given its parent's key (see the module comment). */
export function nodeKey(node: GridNode, parentKey: string | null): string {
  canonicalJson(node.config, `grid node '${node.id}' config`); // plain JSON or a clear error
  const fields = { kind: node.kind, config: node.config, seed: node.seed, dataManifestHash: node.dataManifestHash, parentKey };
  return hashJson(node.version === undefined ? fields : { ...fields, version: node.version }).slice(0, KEY_LENGTH);
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._@=+-]*$/;

/**
 * Checks the grid (ids well-formed and unique, parents present, no cycle) and returns every node
 * with its key, parents before children (stable: input order otherwise).
 */
export function keyGrid(nodes: readonly GridNode[]): KeyedNode[] {
  const byId = new Map<string, GridNode>();
  for (const n of nodes) {
    if (!ID_RE.test(n.id)) throw new Error(`grid: node id '${n.id}' must be letters, digits and ._@=+- (it names folders and command lines)`);
    if (byId.has(n.id)) throw new Error(`grid: two nodes have the id '${n.id}'`);
    if (typeof n.kind !== "string" || n.kind === "") throw new Error(`grid: node '${n.id}' has no kind`);
    if (!Number.isInteger(n.seed)) throw new Error(`grid: node '${n.id}' seed must be an integer, got ${n.seed}`);
    if (typeof n.dataManifestHash !== "string") throw new Error(`grid: node '${n.id}' needs a dataManifestHash string`);
    if (n.version !== undefined && !(Number.isInteger(n.version) && n.version >= 1)) throw new Error(`grid: node '${n.id}' version must be an integer >= 1, got ${n.version}`);
    byId.set(n.id, n);
  }
  const out: KeyedNode[] = [];
  const keyed = new Map<string, KeyedNode>();
  const visiting = new Set<string>();
  const visit = (n: GridNode, chain: string[]): KeyedNode => {
    const done = keyed.get(n.id);
    if (done !== undefined) return done;
    if (visiting.has(n.id)) throw new Error(`grid: dependency cycle ${[...chain, n.id].join(" -> ")}`);
    visiting.add(n.id);
    let parentKey: string | null = null;
    if (n.parent !== undefined) {
      const p = byId.get(n.parent);
      if (p === undefined) throw new Error(`grid: node '${n.id}' has parent '${n.parent}', which is not in the grid`);
      parentKey = visit(p, [...chain, n.id]).key;
    }
    const k: KeyedNode = { ...n, key: nodeKey(n, parentKey), parentKey };
    visiting.delete(n.id);
    keyed.set(n.id, k);
    out.push(k);
    return k;
  };
  for (const n of nodes) visit(n, []);
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const esc = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${esc}$`);
}

/**
 * The nodes whose id matches one of `patterns` (globs: `*` any text, `?` one character), plus all
 * their ancestors, in dependency order. A pattern that matches nothing is an error listing the ids.
 */
export function selectWithAncestors(nodes: readonly KeyedNode[], patterns: readonly string[]): KeyedNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const keep = new Set<string>();
  for (const pat of patterns) {
    const re = globToRegExp(pat);
    const hits = nodes.filter((n) => re.test(n.id));
    if (hits.length === 0) throw new Error(`grid: --only '${pat}' matches no node; ids: ${nodes.map((n) => n.id).join(", ")}`);
    for (const h of hits) {
      for (let n: KeyedNode | undefined = h; n !== undefined; n = n.parent === undefined ? undefined : byId.get(n.parent)) keep.add(n.id);
    }
  }
  return nodes.filter((n) => keep.has(n.id));
}

/** One job per distinct key (the first node of each key names it), in dependency order. */
export function uniqueJobs(nodes: readonly KeyedNode[]): KeyedNode[] {
  const seen = new Set<string>();
  return nodes.filter((n) => (seen.has(n.key) ? false : (seen.add(n.key), true)));
}
