/**
 * Seeded paraphrase of template text (stands in for the paper's LLaVA refinement, §5.1.2 and
 * §5.1.3 "refining with llava-1.6"): a grammar of synonym groups and sentence frames.
 *
 * Every group has one canonical phrase (the one the templates write) and alternatives that mean
 * the same thing. `paraphrase` replaces each canonical phrase by a random member of its group and
 * may add a polite prefix or capitalise; `canonicalise` maps every alternative back. Because the
 * groups are disjoint and matched longest-first, `canonicalise(paraphrase(t)) === canonicalise(t)`
 * for every template text `t`: the paraphrase changes wording, never the referent or the answer
 * (tested on every template family).
 */
import { Rng } from "../core/rng";

/** A synonym group: [canonical, ...alternatives]. Matched as whole words, case-insensitive. */
export const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  // instruction verbs / frames
  ["turn the", "change the", "transform the", "convert the"],
  ["remove the", "delete the", "erase the", "take away the", "get rid of the"],
  ["move the", "shift the", "displace the"],
  ["replace the", "swap the", "substitute the"],
  ["recolour the", "repaint the", "recolor the"],
  // ranks and directions
  ["leftmost", "left-most", "furthest-left"],
  ["rightmost", "right-most", "furthest-right"],
  ["nearest", "closest"],
  ["farthest", "furthest", "most distant"],
  ["biggest", "largest"],
  ["smallest", "tiniest"],
  ["tallest", "highest"],
  ["shortest", "lowest"],
  ["second", "2nd"],
  ["third", "3rd"],
  ["fourth", "4th"],
  ["fifth", "5th"],
  ["left of", "to the left of", "on the left side of"],
  ["right of", "to the right of", "on the right side of"],
  ["in front of", "closer to the camera than"],
  ["behind", "farther from the camera than"],
  ["among the", "out of the"],
  ["in the whole image", "in the entire image", "of all objects"],
  // comparison frames
  ["taller than", "higher than"],
  ["bigger than", "larger than"],
  ["smaller than", "less voluminous than"],
  ["nearer than", "closer than"],
  ["farther than", "more distant than"],
  ["shorter than", "lower than"],
  ["resize the", "rescale the", "change the size of the"],
  ["for their real volume,", "judging by real volume,", "in terms of actual volume,", "considering their 3d volume,"],
  ["for the size of their contour,", "judging by the area they cover in the image,", "in terms of outline size,"],
  // question frames
  ["what is the", "which object is the", "which one is the", "tell me which object is the"],
  ["describe the direction between", "describe the spatial relation between", "explain where things are between"],
  ["locate the", "find the", "point out the"],
  ["in the image", "in the picture", "in the scene"],
  ["which way is", "in which direction is"],
  // magnitudes and sizes
  ["a little", "slightly", "a bit"],
  ["a lot", "considerably", "by a large amount"],
  ["twice its size", "double its size", "two times as big"],
  ["half its size", "half as big"],
  // object words
  ["cube", "block"],
  ["sphere", "ball"],
  ["metal", "metallic"],
  ["matte", "rubber"],
];

const POLITE_PREFIXES = ["please ", "could you ", "kindly "];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function wordRe(phrases: string[]): RegExp {
  const sorted = phrases.slice().sort((a, b) => b.length - a.length || a.localeCompare(b));
  return new RegExp(`(?<![a-z0-9-])(?:${sorted.map(escapeRe).join("|")})(?![a-z0-9-])`, "g");
}

const CANON_OF = new Map<string, string>();
const GROUP_OF = new Map<string, readonly string[]>();
for (const g of SYNONYM_GROUPS) {
  for (const p of g) {
    if (CANON_OF.has(p)) throw new Error(`paraphrase grammar: phrase '${p}' is in two synonym groups`);
    CANON_OF.set(p, g[0]);
  }
  GROUP_OF.set(g[0], g);
}
const ANY_RE = wordRe([...CANON_OF.keys()]);
const CANONICAL_RE = wordRe(SYNONYM_GROUPS.map((g) => g[0]));

/** Lower-cases and collapses whitespace. */
function normalise(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/**
 * The canonical form of a text of the grammar: lower case, polite prefixes removed, every
 * alternative mapped to its group's canonical phrase.
 */
export function canonicalise(text: string): string {
  let t = normalise(text);
  for (const p of POLITE_PREFIXES) if (t.startsWith(p)) t = t.slice(p.length);
  return t.replace(ANY_RE, (m) => CANON_OF.get(m) ?? m);
}

export interface ParaphraseOptions {
  /** Probability of replacing each canonical phrase by a random member of its group (default 0.7). */
  pSwap?: number;
  /** Probability of a polite prefix on an imperative (not on questions; default 0.25). */
  pPolite?: number;
}

/**
 * A seeded paraphrase of template text: same meaning, other words. The input should be in
 * canonical form (what the templates write); other words pass through unchanged.
 */
export function paraphrase(text: string, rng: Rng, options: ParaphraseOptions = {}): string {
  if (typeof text !== "string") throw new Error(`paraphrase: text must be a string, got ${typeof text}`);
  const pSwap = options.pSwap ?? 0.7;
  const pPolite = options.pPolite ?? 0.25;
  let t = normalise(text).replace(CANONICAL_RE, (m) => {
    const g = GROUP_OF.get(m);
    if (!g || !rng.bool(pSwap)) return m;
    return rng.choice(g);
  });
  const imperative = /^(turn|change|transform|convert|remove|delete|erase|take|get|move|shift|displace|replace|swap|substitute|recolou?r|repaint|make|is the objects?)\b/.test(t);
  if (imperative && !t.endsWith("?") && rng.bool(pPolite)) t = rng.choice(POLITE_PREFIXES) + t;
  return t.charAt(0).toUpperCase() + t.slice(1);
}
