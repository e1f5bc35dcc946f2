/**
 * Are the data engine's answers exact? Every rank or order fact behind a written VQA answer or an
 * edit referent, and the object names in rank answers, are checked against the scene's truth
 * (`truth.ts`: analytic geometry, exact masks). With the oracle source every decided fact must
 * hold (test/data/exactness.test.ts); with the noisy source the share that holds is measured.
 */
import type { DataEngineConfig } from "./config";
import { buildScene, SceneData } from "./generate";
import { compareOn, pickByRank, Refused, uniqueName } from "./select";
import { truthExtraction } from "./truth";

export interface FactCheck {
  /** Facts checked (rank picks, orders, names, edit referents). */
  facts: number;
  /** Descriptions of the facts that do not hold on the truth. */
  wrong: string[];
}

/** Checks the facts of one scene's records against its truth. */
export function checkSceneFacts(d: SceneData): FactCheck {
  const truth = truthExtraction(d.scene, d.render);
  const byId = (id: number) => truth.objects.find((o) => o.id === id);
  let facts = 0;
  const wrong: string[] = [];
  const fail = (what: string) => wrong.push(`scene ${d.index}: ${what}`);
  const tryPick = (group: number[], key: Parameters<typeof pickByRank>[2], dir: "asc" | "desc", k: number) => {
    const objs = group.map(byId);
    if (objs.some((o) => o === undefined)) return null; // an object the truth cannot see
    try {
      return pickByRank(truth, objs as NonNullable<ReturnType<typeof byId>>[], key, dir, k);
    } catch (e) {
      if (e instanceof Refused) return null;
      throw e;
    }
  };
  for (const q of d.vqa) {
    for (const f of q.fact ?? []) {
      facts++;
      if (f.order) {
        const a = byId(q.objects[0]);
        const b = byId(q.objects[1]);
        const c = a && b ? compareOn(truth, a, b, f.key) : "missing";
        if (c !== f.order) fail(`${q.question} -> ${q.answer} (truth ${f.key} order: ${c})`);
      } else {
        const t = tryPick(truth.objects.map((o) => o.id), f.key, f.dir!, f.k!);
        if (t === null || t.id !== q.objects[0]) fail(`${q.question} -> ${q.answer} (truth picks ${t === null ? "none" : t.id})`);
        else {
          facts++;
          let name: string;
          try {
            name = uniqueName(t, truth.objects);
          } catch {
            name = "(no unique name)";
          }
          if (name !== q.answer) fail(`${q.question} -> ${q.answer} (truth name: ${name})`);
        }
      }
    }
  }
  for (const e of d.edits) {
    if (!e.referent) continue;
    facts++;
    const t = tryPick(e.referent.group, e.referent.key, e.referent.dir, e.referent.k);
    if (t === null || t.id !== e.targets[0]) fail(`${e.instruction} -> object ${e.targets[0]} (truth picks ${t === null ? "none" : t.id})`);
  }
  return { facts, wrong };
}

/** Fact agreement over `scenes` scenes of a config (e.g. perception "noisy"). */
export function factAgreement(cfg: DataEngineConfig, seed: number, scenes: number): { facts: number; agreed: number; agreement: number; records: number; refusals: number; examples: string[] } {
  let facts = 0;
  let bad = 0;
  let records = 0;
  let refusals = 0;
  const examples: string[] = [];
  for (let k = 0; k < scenes; k++) {
    const d = buildScene(k, seed, cfg);
    const c = checkSceneFacts(d);
    facts += c.facts;
    bad += c.wrong.length;
    records += d.vqa.length + d.edits.length;
    refusals += d.refusals.length;
    for (const w of c.wrong) if (examples.length < 5) examples.push(w);
  }
  return { facts, agreed: facts - bad, agreement: facts ? (facts - bad) / facts : NaN, records, refusals, examples };
}
