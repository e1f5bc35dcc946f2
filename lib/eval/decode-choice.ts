/**
 * The decoding of a finished editor chosen on the validation benchmark and scored on SpatialEval-mini: every pair of an
 * object-choosing gate rule and a plan decoding is scored on validation, the best (the first of equals) on the benchmark.
 * The scripts that change one part of a finished editor (npm run object-head, plan-head) compare the editor before and
 * after with it, so that each side gets the decoding that suits it, chosen on data neither is reported on.
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
  objectJudge: number;
}

/** The plan decodings an editor offers: soft and argmax (palette plan), soft and snap (colour plan), none without a plan. */
export function planDecodings(e: Editor): (PlanDecode | undefined)[] {
  return e.config.alignedPlan === "palette" ? ["soft", "argmax"] : planOn(e.config) ? ["soft", "snap"] : [undefined];
}

/** `e` decoded by an object-choosing `rule` and `plan`, as an evaluation editor. */
export function decodedEditor(e: Editor, rule: GateDecode, plan: PlanDecode | undefined, ddim: number, seed: number) {
  return objectGateEditor(`gate ${rule}${plan ? `, plan ${plan}` : ""}`, e, { steps: ddim, seed, gate: rule, ...(plan ? { planDecode: plan } : {}) });
}

/** Every rule x plan decoding on `validation`, the best on `bench`; `log` gets one line per score. */
export async function chooseDecoding(e: Editor, rules: readonly GateDecode[], validation: Benchmark, bench: Benchmark, ddim: number, seed: number, log: (line: string) => void): Promise<{ validation: DecodeRow[]; chosen: DecodeRow; scores: PointScores }> {
  if (rules.length === 0) throw new Error("chooseDecoding: no gate decodings to choose among");
  const rows: DecodeRow[] = [];
  for (const rule of rules) {
    for (const plan of planDecodings(e)) {
      const v = await scoreEditorPoint(decodedEditor(e, rule, plan, ddim, seed), validation, seed);
      rows.push({ rule, ...(plan ? { planDecode: plan } : {}), objectJudge: v.objectJudge });
      log(`validation ${rule}${plan ? ` (plan ${plan})` : ""} ${v.objectJudge.toFixed(3)}`);
    }
  }
  const chosen = rows.reduce((b, x) => (x.objectJudge > b.objectJudge ? x : b));
  const scores = await scoreEditorPoint(decodedEditor(e, chosen.rule, chosen.planDecode, ddim, seed), bench, seed);
  log(`chosen on validation ${chosen.rule}${chosen.planDecode ? ` (plan ${chosen.planDecode})` : ""}; on SpatialEval-mini ${pointText(scores)}`);
  return { validation: rows, chosen, scores };
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
