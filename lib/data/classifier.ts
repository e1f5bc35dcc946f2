/**
 * Spatial-instruction classifier (paper Table 3, Appendix H).
 *
 * The paper's annotators labelled an editing instruction "spatial" when following it needs
 * spatial information about the image: a position ("on the left", "in the background"), a
 * rank ("the leftmost", "the second biggest"), depth ("the nearest"), a size comparison
 * ("the bigger dog", "taller than the cup") or a relation between objects ("left of the
 * tree", "behind the car"), or a motion in a direction ("move it to the left", "where it will
 * be at the next moment"). A size change of one named object ("make it bigger") or a move to
 * a place that is not in the image ("move it to Mars") does not need spatial reasoning.
 *
 * Placing a thing on/in/into a named object or region of the image ("put a cat on the seat",
 * "birds in the sky") also counts (docs/spatial-rubric.md, the rubric of the real-instruction set).
 *
 * Rule-based, explainable: `classifyInstruction` returns the rules that fired. Idioms that use
 * spatial words in other senses ("all right", "top hat", "left-handed", "under water", "the lower
 * lip", "near-black", "with the right hand") are removed first. The rules were improved on the dev
 * split of data/real-instructions only; their accuracy is measured on its frozen test split
 * (classifier-eval.ts, table3-real.ts), never on the unit traps of classifier-cases.ts.
 */
import * as fs from "fs";

export type SpatialCue = "rank" | "comparison" | "relation" | "position" | "depth" | "direction" | "trend" | "placement";

export interface SpatialVerdict {
  spatial: boolean;
  /** Which cues fired, with the matched text. */
  cues: { cue: SpatialCue; match: string }[];
}

/** Phrases whose spatial-looking words mean something else; removed before matching. */
const IDIOMS: RegExp[] = [
  /\ball right\b/g,
  /\bright (now|away|here|there|colou?r|size|way|answer|time|shade|moment|tone|mood)\b/g,
  /\b(the|a) right (one|thing|kind|style)\b/g,
  /\bleft[- ]handed\b/g,
  /\bright[- ]handed\b/g,
  /\bleft ?overs?\b/g,
  /\btop[- ]hats?\b/g,
  /\b(tank|crop) tops?\b/g,
  /\bunder ?water\b/g,
  /\bunder the sea\b/g,
  /\b(?:it|image|photo|picture|everything|world) upside[- ]down\b/g,
  // body parts and fixed parts named with a spatial word ("the lower lip", "with the left hand")
  /\b(?:left|right) (?:hand|hands|arm|arms|leg|legs|foot|feet|eye|eyes|ear|ears|shoulder|shoulders|knee|knees|cheek|wrist|elbow|thumb|brain)\b/g,
  /\b(?:upper|lower) (?:lip|lips|body|back|arm|arms|teeth|jaw|case|eyelid|eyelids|leg|legs)\b/g,
  /\bnear[- ](?:black|white|perfect|total|death|field|sighted|sightedness|infrared)\b/g,
  /\b(?:the )?top down\b/g,
  /\bon the other hand\b/g,
  /\bbehind the scenes\b/g,
  /\b(far|long) away (planet|galaxy|land|place|country)\b/g,
  /\bin front of (a|an) (crowd|audience|camera)\b/g,
  /\b(high|low)[- ](resolution|contrast|quality|key|res)\b/g,
  /\b(deep|dark) (blue|red|green|purple|black|sea|space|forest|colou?rs?)\b/g,
  /\b(big|small|tall|short)(ger|ler|er)? (smile|hair|story)\b/g,
  /\bbackground (music|noise)\b/g,
];

const ORDINAL = "(?:first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th|last|next[- ]to[- ]last|penultimate)";
const SUPERLATIVE =
  "(?:leftmost|rightmost|left-most|right-most|topmost|bottommost|uppermost|lowermost|frontmost|rearmost|backmost|nearest|closest|farthest|furthest|deepest|shallowest|biggest|largest|smallest|tiniest|tallest|shortest|highest|lowest|widest|narrowest)";
const COMPARATIVE = "(?:bigger|larger|smaller|tinier|taller|shorter|higher|lower|closer|nearer|farther|further|deeper|wider|narrower|heavier)";
const NOT_NOUN_AFTER_LEFT_RIGHT = "(?:colou?r|size|way|answer|time|shade|tone|thing|kind|style|moment|mood|amount|to)";

/** Words after "in/on the" that are not a place in the image: the picture itself, a style, a person or clothing (wearing), a time. */
const NOT_A_PLACE =
  "photo|photograph|picture|image|scene|frame|shot|style|form|shape|colou?r|colou?rs|shade|tone|mood|way|manner|room|man|woman|men|women|boy|girl|person|people|child|children|kid|kids|lady|guy|baby|morning|evening|night|afternoon|summer|winter|autumn|fall|spring|day|daytime|sunset|sunrise|rain|snow|fog|dark|light|sun|era|world|future|past|air|end|meantime|process|place|case|same|middle ages|(?:[a-z]+ )?(?:shirt|t-shirt|dress|hat|cap|jacket|coat|suit|uniform|costume|glasses|sunglasses|mask|helmet|scarf|skirt|pants|jeans|shoes|boots|outfit|clothes|sweater|hoodie)";

interface Rule {
  cue: SpatialCue;
  re: RegExp;
}

const RULES: Rule[] = [
  // ranks: superlatives and "the second from the left"
  { cue: "rank", re: new RegExp(`\\b${SUPERLATIVE}\\b`) },
  { cue: "rank", re: new RegExp(`\\b${ORDINAL}\\b[\\w\\s-]{0,24}?\\b(?:from the (?:left|right|top|bottom|front|back|camera|viewer)|${SUPERLATIVE})`) },
  { cue: "rank", re: /\bfurthest to the (left|right)\b|\bfarthest to the (left|right)\b|\bmost to the (left|right)\b|\bmost (?:distant|remote)\b/ },
  // size / distance comparison between objects
  { cue: "comparison", re: new RegExp(`\\b${COMPARATIVE} than\\b|\\bmore (?:distant|far|near) than\\b|\\bas (?:big|large|small|tall) as\\b|\\bthe same (?:size|height|depth) as\\b|\\bless voluminous than\\b|\\b(?:closer to|farther from|further from) the camera than\\b`) },
  { cue: "comparison", re: new RegExp(`\\b(?:the|that) ${COMPARATIVE} (?:of the |one\\b|[a-z]+)`) },
  // relations between objects
  {
    cue: "relation",
    re: /\b(?:left|right) of\b|\b(?:to|on) the (?:left|right) of\b|\bin front of\b|\bbehind\b|\bbeside\b|\bnext to\b|\bbetween\b|\babove\b|\bbelow\b|\bbeneath\b|\bunderneath\b|\bunder the\b|\bon top of\b|\bnear(?:by)?\b|\bclose to\b|\bfar from\b|\badjacent to\b|\bopposite\b|\bsurrounding\b|\bsurrounded by\b/,
  },
  // absolute positions in the picture
  {
    cue: "position",
    re: new RegExp(
      `\\bon the (?:left|right)(?: side)?\\b|\\bat the (?:top|bottom|left|right|edge|centre|center)\\b|\\bin the (?:middle|center|centre|corner|top|bottom|upper|lower)\\b|\\b(?:top|bottom|upper|lower)[- ](?:left|right)\\b|\\bthe (?:left|right|middle|central|top|bottom|upper|lower) (?!${NOT_NOUN_AFTER_LEFT_RIGHT}\\b)[a-z]+`,
    ),
  },
  // depth
  { cue: "depth", re: /\bin the (?:foreground|background|distance)\b|\bdepth\b|\bdistance (?:from|to)\b|\baway from the camera\b|\btowards? the camera\b/ },
  // motion in a direction (a move with a destination inside the image)
  {
    cue: "direction",
    re: /\b(?:move|moves|moving|shift|slide|drag|nudge|relocate|displace)\b[\w\s-]{0,40}?\b(?:to the (?:left|right|top|bottom|front|back)|(?:left|right|up|down|upwards|downwards|forwards?|backwards?|closer|further away|farther away|away)\b)(?! ?-? ?handed)/,
  },
  // orientation of an object ("flip the cup upside down", "lie horizontally", "rotate it 90 degrees")
  {
    cue: "direction",
    re: /\b(?:flip|flips|flipped|flipping|turn|turns|turned|turning|rotate|rotates|rotated|rotating|put|puts|putting|place|places|placing|lay|lays|laying|lie|lies|lying|land|lands|landing|tilt|tilts|tilted|tilting|hang|hangs|hanging)\b[\w\s-]{0,30}?\b(?:upside[- ]down|horizontally|vertically|upright|sideways|\d+ degrees|on (?:its|their) side)\b/,
  },
  // motion with a direction that the move rule above does not name: towards X, away from X, lean
  // back, walk down the stairs, closer, to both sides, swap positions
  {
    cue: "direction",
    re: /\btowards? (?:the|a|an|his|her|their|its|each other|one)\b|\baway from\b|\b(?:step|steps|stepping|lean|leans|leaning|bend|bends|tilt|walk|walks|walking|run|runs|running|go|goes|going|turn|turns|turning|face|faces|facing|look|looks|looking|move|moves|moving|push|pushes|pushing|pull|pulls|pulling|slide|slides|roll|rolls)\s+(?:[a-z]+\s+)?(?:forwards?|backwards?|back(?! (?:into|to|in)\b)|sideways|around)\b|\b(?:walk|walks|walking|climb|climbs|climbing|run|runs|running|go|goes|going|come|comes|coming)\s+(?:up|down)\s+the\b|\b(?:closer|nearer)\b(?! look)|\b(?:farther|further) (?:away|apart|from)\b|\bto (?:both|either|one) sides?\b|\b(?:swap|swaps|swapped|swapping|switch|switches|exchange|trade)\s+(?:the\s+|their\s+|its\s+)?(?:positions?|places|sides|spots)\b|\bchange places\b/,
  },
  // a thing put on/in/into a named object or region of the image ("put a cat on the seat", "birds
  // in the sky"); definite article only: "in a cafe" is a new setting, "on the man" is wearing
  { cue: "placement", re: new RegExp(`(?<!\\b(?:turn|turns|turned|turning|switch|switched|put|puts|try|tries|focus|based|depending|click|tap|dressed|take|took)\\s)\\b(?:on|onto|into|inside|atop|in|upon)\\s+(?:the|this|that|its|each)\\s+(?!(?:${NOT_A_PLACE})\\b)[a-z]`) },
  // a thing moved into/onto something, written without an article (Something-Something style: "put keys into bowl")
  { cue: "placement", re: new RegExp(`\\b(?:put|puts|putting|drop|drops|dropping|place|places|placing|pour|pours|pouring|stuff|stuffs|stuffing|insert|inserts|inserting|plug|plugs|plugging|throw|throws|throwing|move|moves|moving|push|pushes|pushing|slide|slides|sliding|fall|falls|falling)\\s+[\\w'-]+(?:\\s+[\\w'-]+){0,6}?\\s+(?:into|onto|inside|atop)\\s+(?!(?:a|an|the)?\\s*(?:${NOT_A_PLACE})\\b)[a-z]`) },
  // a thing added or fixed to a named object ("add a math formula to the white board")
  { cue: "placement", re: new RegExp(`\\b(?:add|adds|adding|put|puts|putting|place|places|placing|attach|attached|stick|glue|glued|pin|pinned|tie|tied|leash|leashed|hang|hung)\\b[\\w\\s'-]{0,40}?\\bto the (?!(?:${NOT_A_PLACE}|left|right)\\b)[a-z]`) },
  // a source place that the edit changes, or a relation the move rule does not name
  {
    cue: "relation",
    re: new RegExp(`\\bout of (?:the|a|an|its|their|this|that)\\b|\\b(?:from|off) the (?!(?:${NOT_A_PLACE}|movie|film|show|series|game|book|story|past|future|era|period|internet)\\b)[a-z]|\\bover (?:the|a|an|his|her|their|its)\\b`),
  },
  // places in the frame the position rule does not name
  { cue: "position", re: /\bon the (?:top|bottom)\b|\bin the back\b/ },
  // the object's motion trend (K.1 "movement")
  { cue: "trend", re: /\bnext moment\b|\bwhere (?:it|they|the [a-z ]+) will be\b|\bin the direction (?:it|they) (?:is|are) moving\b|\b(?:is|are) moving\b/ },
];

/** Lower-cases, unifies punctuation/whitespace and removes idioms (exported for tests). */
export function normaliseInstruction(text: string): string {
  let t = ` ${text.toLowerCase().replace(/[’']/g, "'").replace(/[^a-z0-9'\- ]+/g, " ").replace(/\s+/g, " ").trim()} `;
  for (const re of IDIOMS) t = t.replace(re, " ");
  return t.replace(/\s+/g, " ").trim();
}

/**
 * Does this editing instruction need spatial information (Table 3's question)?
 * Throws on a non-string; the empty string is non-spatial.
 */
export function classifyInstruction(text: string): SpatialVerdict {
  if (typeof text !== "string") throw new Error(`classifyInstruction: instruction must be a string, got ${text === null ? "null" : typeof text}`);
  const t = normaliseInstruction(text);
  const cues: { cue: SpatialCue; match: string }[] = [];
  for (const rule of RULES) {
    const m = rule.re.exec(t);
    if (m) cues.push({ cue: rule.cue, match: m[0].trim() });
  }
  return { spatial: cues.length > 0, cues };
}

/** True when the instruction needs spatial information. */
export function isSpatialInstruction(text: string): boolean {
  return classifyInstruction(text).spatial;
}

export interface SpatialShare {
  file: string;
  field: string;
  total: number;
  spatial: number;
  /** spatial / total (0 when the file has no instructions). */
  share: number;
  /** Count per cue (an instruction may fire several). */
  byCue: Record<SpatialCue, number>;
}

/** Share of spatial instructions over an array of instructions (Table 3 for our own data). */
export function spatialShareOf(instructions: readonly string[]): Omit<SpatialShare, "file" | "field"> {
  const byCue: Record<SpatialCue, number> = { rank: 0, comparison: 0, relation: 0, position: 0, depth: 0, direction: 0, trend: 0, placement: 0 };
  let spatial = 0;
  for (const s of instructions) {
    const v = classifyInstruction(s);
    if (v.spatial) spatial++;
    for (const c of new Set(v.cues.map((x) => x.cue))) byCue[c]++;
  }
  return { total: instructions.length, spatial, share: instructions.length === 0 ? 0 : spatial / instructions.length, byCue };
}

/**
 * Share of spatial instructions over any JSONL file whose records carry an instruction in
 * `field` (default "instruction"; records without it are skipped and not counted).
 * A line that is not JSON is an error naming the line.
 */
export function spatialShareOfJsonl(file: string, field = "instruction"): SpatialShare {
  if (!fs.existsSync(file)) throw new Error(`spatialShareOfJsonl: no such file ${file}`);
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const instructions: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new Error(`spatialShareOfJsonl: ${file} line ${i + 1} is not valid JSON`);
    }
    const v = (rec as Record<string, unknown>)[field];
    if (typeof v === "string") instructions.push(v);
  });
  return { file, field, ...spatialShareOf(instructions) };
}

/** The shares the paper reports in Table 3 (human annotation of 100 samples per dataset). */
export const PAPER_TABLE3: { dataset: string; spatial: number }[] = [
  { dataset: "IPr2Pr", spatial: 0.073 },
  { dataset: "MagicBrush", spatial: 0.033 },
  { dataset: "MA5K", spatial: 0.083 },
  { dataset: "Seed-X", spatial: 0.067 },
  { dataset: "SpatialEdit", spatial: 0.443 },
];
