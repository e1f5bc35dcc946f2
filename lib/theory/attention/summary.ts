/**
 * The closing summary of notebook 02: one line per question, each from the measured results and
 * the same tests the section conclusions use (report.ts, sort/report.ts).
 */
import type { Eq7Sweep } from "./prefix";
import { eq7Holds, type AttentionReportConfig } from "./report";
import type { AttentionTuningResult } from "./tuning";
import { summariseSort, type SortExperimentResult } from "../sort/experiment";
import { PETROV_PUBLISHED } from "../sort/methods";
import { sortVerdict } from "../sort/report";

export interface Notebook02Run {
  eq7: { name: string; sweep: Eq7Sweep }[];
  att: AttentionTuningResult;
  sort: SortExperimentResult;
  /** Wall time of the notebook so far, and where it ran. */
  seconds: number;
  profile: string;
  backend: string;
  machine: string;
}

export function notebook02Summary(r: Notebook02Run, t: AttentionReportConfig): string {
  const worst = Math.max(...r.eq7.map((e) => e.sweep.maxRelError));
  const soft = r.att.methods.filter((m) => m.method === "prompt" || m.method === "prefix");
  const sum = summariseSort(r.sort);
  const v = sortVerdict(sum, r.sort.config.verdict);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `1. Eq. 7 in one layer: ${eq7Holds(r.eq7, t.eq7Tol) ? "holds to float32 precision" : "did **not** hold to float32 precision"} (worst relative error ${worst.toExponential(2)}, tolerance ${t.eq7Tol.toExponential(0)} or the float32 rounding bound).`,
    `2. Many layers (target in layer ${r.att.base.perLayer.length}): target mass base ${r.att.base.targetMass.toFixed(3)}; ${r.att.methods.map((m) => `${m.method} ${m.targetMass.toFixed(3)}`).join(", ")}. Layer-1 rankings under prompt/prefix tuning kept exactly: ${soft.length > 0 && soft.every((m) => m.perLayer[0].orderKept === 1) ? "yes" : "no"}.`,
    `3. Sort (descending after ascending, ${r.sort.seeds.length} seed(s), ${r.sort.config.adaptSteps} steps and ${r.sort.config.lrs.soft.length} learning rates per method): ${sum.map((x) => `${x.method} ${pct(x.mean)} (${x.convergedSeeds}/${x.seeds} converged)`).join(", ")}; published: full ${pct(PETROV_PUBLISHED.full!)}, prefix ${pct(PETROV_PUBLISHED.prefix!)}. Verdict: **${v.kind}**.`,
    `Run time: ${r.seconds.toFixed(0)} s on profile ${r.profile}, backend ${r.backend}, ${r.machine}; shared machine, timings are noisy.`,
  ].join("\n\n");
}
