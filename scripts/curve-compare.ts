/**
 * Paired differences between the final points of curves from separate `npm run curves` runs (the
 * same benchmark items): e.g. an editor with and without a component. Each `--runs` entry is a
 * results name (results/<profile>/<name>.json) and the variant to read; the first is compared with
 * each of the others (lib/eval/learning-curve.ts finalDifference). A `npm run stage2-from` results file
 * names its curves by parent order: `run0`, `run1`, ..., and `run0.decoded`, ... its final editors with the gate decoded
 * by the rule chosen on the validation benchmark (its `gateDecode`), and `run0.truth-gate`, ... the same editors with the truth's
 * where gate (its `oracleWhere` diagnostic: what its own "what" renders where the edit is), and `run0.truth-gate-plan`, ... with the
 * truth's gate and plan (its `oraclePlan` diagnostic: what its denoiser renders when told both); in a `--only=guidance` file
 * (`<name>-guidance`), `run0.guided`, ... the same editors with the guidance scales chosen on the validation benchmark. A `npm run oracle-render` results file
 * is one curve, `oracle` (its points carry per-item scores since they were added). `<variant>@<step>` reads a curve at an earlier scored step
 * (e.g. `run0@1000`: two curves of different lengths compared at the same step). Writes results/<profile>/<name>.json.
 *
 * Usage: npm run curve-compare -- --runs=<name>:<variant>[@<step>],<name>:<variant>[,...] [--labels=a,b,...] --name=<result name>
 */
import { runMain } from "../lib/core/cli";
import { parseFlags } from "../lib/core/cli-args";
import { checkName } from "../lib/core/paths";
import { Rng } from "../lib/core/rng";
import { readResult, writeResult } from "../lib/core/results";
import { curveAtStep, finalDifference, finalDifferenceText, type Curve, type CurvePoint } from "../lib/eval/learning-curve";

/** A stage2-from run's final editor scored another way (its gate decoded, a truth given, guided). */
type Scored = { scores: Omit<CurvePoint, "step" | "trainSeconds"> };

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), ["runs", "labels", "name"]);
  if (a.runs === undefined || a.name === undefined) throw new Error("--runs=<name>:<variant>,<name>:<variant> and --name=<result name> are required");
  const name = checkName(a.name, "result");
  const runs = a.runs.split(",").map((r) => {
    const [file, spec] = r.split(":");
    const [variant, at] = (spec ?? "").split("@");
    if (!file || !variant || (at !== undefined && !/^[1-9][0-9]*$/.test(at))) throw new Error(`--runs: '${r}' is not <results name>:<variant>[@<step>]`);
    return { file, variant, step: at === undefined ? null : Number(at) };
  });
  if (runs.length < 2) throw new Error("--runs needs at least two curves");
  const labels = a.labels?.split(",") ?? runs.map((r) => `${r.file}:${r.variant}${r.step === null ? "" : `@${r.step}`}`);
  if (labels.length !== runs.length) throw new Error(`--labels has ${labels.length} names for ${runs.length} runs`);
  const curves = runs.map((r, i) => {
    const res = readResult<{ curves?: Curve[]; benchmarkHash?: string; points?: (Omit<CurvePoint, "items"> & { items?: number[] })[]; runs?: { curve: Pick<Curve, "points">; gateDecode?: Scored; oracleWhere?: Scored | null; oraclePlan?: Scored | null; guidance?: Scored }[] }>(checkName(r.file, "result"));
    if (res === null) throw new Error(`no results file '${r.file}' for this profile`);
    // a stage2-from file: its runs by parent order, and each run's final editor scored another way (`run<k>.decoded`, ...: see above) as a one-point curve at its last step; its benchmark in the config
    const fromRuns = res.data.runs?.flatMap((x, k) => {
      const last = x.curve.points[x.curve.points.length - 1];
      const finals = ([["decoded", x.gateDecode], ["truth-gate", x.oracleWhere], ["truth-gate-plan", x.oraclePlan], ["guided", x.guidance]] as const).flatMap(([tag, o]) => (o !== undefined && o !== null && last !== undefined ? [{ variant: `run${k}.${tag}`, points: [{ ...last, ...o.scores }] }] : []));
      return [{ ...x.curve, variant: `run${k}` }, ...finals];
    });
    // an oracle-render file: its points are one curve, `oracle`
    const fromOracle = res.data.points === undefined ? undefined : [{ variant: "oracle", points: res.data.points.map((p) => {
      if (p.items === undefined) throw new Error(`'${r.file}' was written before oracle-render kept per-item scores; a paired difference needs them`);
      return { ...p, items: p.items };
    }) }];
    const whole = (res.data.curves ?? fromRuns ?? fromOracle ?? []).find((x) => x.variant === r.variant);
    if (whole === undefined) throw new Error(`'${r.file}' has no curve of variant '${r.variant}'${fromRuns ? ` (its runs: ${fromRuns.map((x) => x.variant).join(", ")})` : fromOracle ? " (an oracle-render file has one: oracle)" : ""}`);
    const c = r.step === null ? whole : curveAtStep({ ...whole, row: `${r.file}:${r.variant}` }, r.step);
    const benchmarkHash = res.data.benchmarkHash ?? (res.config as { benchmarkHash?: string }).benchmarkHash;
    return { curve: { ...c, row: labels[i] }, benchmarkHash, final: c.points[c.points.length - 1] };
  });
  if (new Set(curves.map((c) => c.benchmarkHash)).size !== 1) throw new Error("the curves were scored on different benchmarks; a paired difference needs the same items");
  const rng = new Rng(0).fork("curve-compare");
  const differences = curves.slice(1).map((c, i) => finalDifference(curves[0].curve, c.curve, rng.fork(i)));
  for (const c of curves) console.log(`${c.curve.row}: object judge ${c.final.objectJudge.toFixed(3)} at step ${c.final.step}`);
  for (const d of differences) console.log(finalDifferenceText(d));
  const file = writeResult(name, { config: { runs, labels }, seed: 0, data: { finals: curves.map((c) => ({ label: c.curve.row, step: c.final.step, objectJudge: c.final.objectJudge, l1Region: c.final.l1Region, l1Background: c.final.l1Background })), differences, benchmarkHash: curves[0].benchmarkHash } });
  console.log(`wrote ${file}`);
}

runMain(main);
