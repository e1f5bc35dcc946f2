/**
 * The decoding of a finished editor chosen on the validation benchmark and scored on SpatialEval-mini: every pair of an
 * object-choosing gate rule and a plan decoding is scored on validation, the best (the first of equals) on the benchmark.
 * The scripts that change one part of a finished editor (npm run object-head, plan-head) compare the editor before and
 * after with it, so that each side gets the decoding that suits it, chosen on data neither is reported on. Each pair may
 * also be scored with the pipeline options keepClosed (the source kept where the decoding changes nothing) and groundMoves
 * (a said move done on the ground plane), shapeCheck (the choice weighed by the said shape), pasteBehind (a pasted move kept
 * behind nearer objects), readTargets (a said new shape or material read by the target reader) and saidExtremes (a plain
 * extreme the condition says chosen on the objects' pixels), each off, on or both ways: more choices for validation.
 */
import { MOVING_RULES_TEXT, needsObjects, parseGateDecode, type GateDecode } from "../models/editor/gate-decode";
import type { Editor } from "../models/editor/model";
import type { PlanDecode } from "../models/editor/pipeline";
import { planOn } from "../models/editor/config";
import type { Benchmark } from "./benchmark-io";
import { pointText, scoreEditorPoint, type PointScores } from "./learning-curve";
import { objectGateEditor } from "./trained-editor";

export interface DecodeRow {
  rule: GateDecode;
  planDecode?: PlanDecode;
  /** The source kept in the patches the gate leaves closed (absent: not). */
  keepClosed?: true;
  /** A said move done on the ground plane (absent: by the move head). */
  groundMoves?: true;
  /** The object choice weighed by the said shape (absent: the object head's alone). */
  shapeCheck?: true;
  /** A pasted move kept behind the objects nearer on the ground (absent: pasted over everything). */
  pasteBehind?: true;
  /** A said new shape or material as the target reader reads it (absent: as the condition says). */
  readTargets?: true;
  /** A plain extreme the condition says chosen on the objects' pixels (absent: the object head's choice). */
  saidExtremes?: true;
  objectJudge: number;
}

/** The pipeline options a decoding may add to its rule and plan decoding. */
export type DecodeExtras = Pick<DecodeRow, "keepClosed" | "groundMoves" | "shapeCheck" | "pasteBehind" | "readTargets" | "saidExtremes">;

/** Each pipeline option a decoding may add: its key, its off|on|both flag and the words a decoding's name gives it, in the order names and flags list them. */
const OPTIONS: readonly { key: keyof DecodeExtras; flag: string; text: string }[] = [
  { key: "keepClosed", flag: "keep-closed", text: "keeping the closed patches" },
  { key: "groundMoves", flag: "ground-moves", text: "moving on the ground" },
  { key: "shapeCheck", flag: "shape-check", text: "checking the said shape" },
  { key: "pasteBehind", flag: "paste-behind", text: "pasting behind nearer objects" },
  { key: "readTargets", flag: "read-targets", text: "reading the targets" },
  { key: "saidExtremes", flag: "said-extremes", text: "choosing said extremes" },
];

/** The options a decoding sets, as edit options ({ keepClosed: true, ... }). */
const setOptions = (x: DecodeExtras): DecodeExtras => Object.fromEntries(OPTIONS.filter((o) => x[o.key] === true).map((o) => [o.key, true]));

/** A decoding's name: the rule, its plan decoding and its options. */
export const decodingText = (x: Omit<DecodeRow, "objectJudge">) => `${x.rule}${x.planDecode ? ` (plan ${x.planDecode})` : ""}${OPTIONS.filter((o) => x[o.key] === true).map((o) => ` ${o.text}`).join("")}`;

/** The plan decodings an editor offers: soft and argmax (palette plan), soft and snap (colour plan), none without a plan. */
export function planDecodings(e: Editor): (PlanDecode | undefined)[] {
  return e.config.alignedPlan === "palette" ? ["soft", "argmax"] : planOn(e.config) ? ["soft", "snap"] : [undefined];
}

/** The edit options of a decoding (a rule, its plan decoding, its options) with `ddim` steps and `seed`. */
export function decodingOptions(x: Omit<DecodeRow, "objectJudge">, ddim: number, seed: number) {
  return { steps: ddim, seed, gate: x.rule, ...(x.planDecode ? { planDecode: x.planDecode } : {}), ...setOptions(x) };
}

/** `e` decoded by a decoding (an object-choosing rule, its plan decoding, its options), as an evaluation editor. */
export function decodedEditor(e: Editor, x: Omit<DecodeRow, "objectJudge">, ddim: number, seed: number) {
  return objectGateEditor(`gate ${decodingText(x)}`, e, decodingOptions(x, ddim, seed));
}

/** Every rule x plan decoding (x each of `variants`: the options it adds; default none) on `validation`, the best on `bench`; `log` gets one line per score. */
export async function chooseDecoding(e: Editor, rules: readonly GateDecode[], validation: Benchmark, bench: Benchmark, ddim: number, seed: number, log: (line: string) => void, variants: readonly DecodeExtras[] = [{}]): Promise<{ validation: DecodeRow[]; chosen: DecodeRow; scores: PointScores }> {
  if (rules.length === 0) throw new Error("chooseDecoding: no gate decodings to choose among");
  if (variants.length === 0) throw new Error("chooseDecoding: no option variants (give [{}] for none)");
  const rows: DecodeRow[] = [];
  for (const rule of rules) {
    for (const plan of planDecodings(e)) {
      for (const extras of variants) {
        const x = { rule, ...(plan ? { planDecode: plan } : {}), ...extras };
        const v = await scoreEditorPoint(decodedEditor(e, x, ddim, seed), validation, seed);
        rows.push({ ...x, objectJudge: v.objectJudge });
        log(`validation ${decodingText(x)} ${v.objectJudge.toFixed(3)}`);
      }
    }
  }
  const chosen = rows.reduce((b, x) => (x.objectJudge > b.objectJudge ? x : b));
  const scores = await scoreEditorPoint(decodedEditor(e, chosen, ddim, seed), bench, seed);
  log(`chosen on validation ${decodingText(chosen)}; on SpatialEval-mini ${pointText(scores)}`);
  return { validation: rows, chosen, scores };
}

/** An off|on|both flag (absent: off) as the values it asks for. */
function offOnBoth(flag: string, value: string | undefined): boolean[] {
  const v = value ?? "off";
  if (v === "off") return [false];
  if (v === "on") return [true];
  if (v === "both") return [false, true];
  throw new Error(`--${flag} must be off, on or both, got '${v}'`);
}

/** The `--keep-closed` flag: off (the default), on, or both (each decoding scored without and with keepClosed). */
export const keepClosedFlag = (value: string | undefined) => offOnBoth("keep-closed", value);

/** The option variants the `--keep-closed`, `--ground-moves`, `--shape-check`, `--paste-behind`, `--read-targets` and `--said-extremes` flags ask for (each off, on or both; in that order): their cross product. */
export function decodeVariantsFlag(...values: (string | undefined)[]): DecodeExtras[] {
  if (values.length > OPTIONS.length) throw new Error(`decodeVariantsFlag: ${values.length - 1} option flags after --keep-closed, at most ${OPTIONS.length - 1}`);
  let out: DecodeExtras[] = [{}];
  OPTIONS.forEach(({ flag, key }, i) => {
    const ways = offOnBoth(flag, values[i]);
    out = out.flatMap((x) => ways.map((on) => (on ? { ...x, [key]: true as const } : x)));
  });
  return out;
}

/** The `--rules` flag's object-choosing gate decodings (comma-separated; `def` when absent): at least one, each one that chooses among objects. */
export function objectRulesFlag(value: string | undefined, def: string): GateDecode[] {
  const rules = (value ?? def).split(",").filter((x) => x !== "").map((x) => {
    const r = parseGateDecode(x);
    if (!needsObjects(r)) throw new Error(`--rules takes the object-choosing gate decodings (object, object+free, ${MOVING_RULES_TEXT}), got '${x}'`);
    return r;
  });
  if (rules.length === 0) throw new Error("--rules needs at least one gate decoding");
  return rules;
}
