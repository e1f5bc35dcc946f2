/**
 * The decoding of a finished editor chosen on the validation benchmark and scored on SpatialEval-mini: every pair of an
 * object-choosing gate rule and a plan decoding is scored on validation, the best (the first of equals) on the benchmark.
 * The scripts that change one part of a finished editor (npm run object-head, plan-head) compare the editor before and
 * after with it, so that each side gets the decoding that suits it, chosen on data neither is reported on. Each pair may
 * also be scored with the source kept in the patches the gate leaves closed (pipeline option keepClosed), as one more choice.
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
  objectJudge: number;
}

/** A decoding's name: the rule, its plan decoding and whether it keeps the closed patches. */
export const decodingText = (x: Omit<DecodeRow, "objectJudge">) => `${x.rule}${x.planDecode ? ` (plan ${x.planDecode})` : ""}${x.keepClosed ? " keeping the closed patches" : ""}`;

/** The plan decodings an editor offers: soft and argmax (palette plan), soft and snap (colour plan), none without a plan. */
export function planDecodings(e: Editor): (PlanDecode | undefined)[] {
  return e.config.alignedPlan === "palette" ? ["soft", "argmax"] : planOn(e.config) ? ["soft", "snap"] : [undefined];
}

/** The edit options of a decoding (a rule, its plan decoding, keepClosed) with `ddim` steps and `seed`. */
export function decodingOptions(x: Omit<DecodeRow, "objectJudge">, ddim: number, seed: number) {
  return { steps: ddim, seed, gate: x.rule, ...(x.planDecode ? { planDecode: x.planDecode } : {}), ...(x.keepClosed ? { keepClosed: true } : {}) };
}

/** `e` decoded by an object-choosing `rule` and `plan` (and keepClosed), as an evaluation editor. */
export function decodedEditor(e: Editor, rule: GateDecode, plan: PlanDecode | undefined, ddim: number, seed: number, keepClosed = false) {
  return objectGateEditor(`gate ${rule}${plan ? `, plan ${plan}` : ""}${keepClosed ? ", closed patches kept" : ""}`, e, decodingOptions({ rule, planDecode: plan, ...(keepClosed ? { keepClosed } : {}) }, ddim, seed));
}

/** Every rule x plan decoding (x `keeps`: without and/or with keepClosed) on `validation`, the best on `bench`; `log` gets one line per score. */
export async function chooseDecoding(e: Editor, rules: readonly GateDecode[], validation: Benchmark, bench: Benchmark, ddim: number, seed: number, log: (line: string) => void, keeps: readonly boolean[] = [false]): Promise<{ validation: DecodeRow[]; chosen: DecodeRow; scores: PointScores }> {
  if (rules.length === 0) throw new Error("chooseDecoding: no gate decodings to choose among");
  if (keeps.length === 0) throw new Error("chooseDecoding: keeps must hold false, true or both");
  const rows: DecodeRow[] = [];
  for (const rule of rules) {
    for (const plan of planDecodings(e)) {
      for (const keep of keeps) {
        const x = { rule, ...(plan ? { planDecode: plan } : {}), ...(keep ? { keepClosed: true as const } : {}) };
        const v = await scoreEditorPoint(decodedEditor(e, rule, plan, ddim, seed, keep), validation, seed);
        rows.push({ ...x, objectJudge: v.objectJudge });
        log(`validation ${decodingText(x)} ${v.objectJudge.toFixed(3)}`);
      }
    }
  }
  const chosen = rows.reduce((b, x) => (x.objectJudge > b.objectJudge ? x : b));
  const scores = await scoreEditorPoint(decodedEditor(e, chosen.rule, chosen.planDecode, ddim, seed, chosen.keepClosed === true), bench, seed);
  log(`chosen on validation ${decodingText(chosen)}; on SpatialEval-mini ${pointText(scores)}`);
  return { validation: rows, chosen, scores };
}

/** The `--keep-closed` flag: off (the default), on, or both (each decoding scored without and with keepClosed). */
export function keepClosedFlag(value: string | undefined): boolean[] {
  const v = value ?? "off";
  if (v === "off") return [false];
  if (v === "on") return [true];
  if (v === "both") return [false, true];
  throw new Error(`--keep-closed must be off, on or both, got '${v}'`);
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
