/**
 * Figures, tables and the measured-number conclusion for the Theorem 2 section of notebook 03
 * (paper §6, Eq. 9-10; Appendix G). Pure: builds plotly JSON and strings.
 */
import { Figure } from "../../core/plot";
import { Row } from "../../core/table";
import { CovFamily, fitModels, tallyTheorem2, Theorem2Row, Verdict } from "./divergence";
import { covarianceEllipse } from "../../math/gaussian";
import { Mixture } from "../../math/mixture";

const CHECKS: { key: string; what: string }[] = [
  { key: "assumptionAllTheta", what: "assumption as stated: for every c and every θ (θ grid incl. broad covariances)" },
  { key: "assumptionAtThetaN", what: "assumption for every c at θ = θ_n* only" },
  { key: "assumptionEq29", what: "assumption as the proof uses it (Eq. 29, at the optima, averaged over c)" },
  { key: "jensen", what: "proof step Eq. 22 → 23 (min_p D(q||p) ≤ E_c min_p D(q_c||p))" },
  { key: "eq9", what: "Eq. 9: D(q || p_s) < D(q || p_n) (general task)" },
  { key: "eq10Mean", what: "Eq. 10 averaged over c (what Eq. 30 proves)" },
  { key: "eq10PerC", what: "Eq. 10 for every condition c (as stated)" },
];

/** One table row per check with the share of instances where it holds / fails / ties. */
export function verdictTableRows(rows: Theorem2Row[], family: CovFamily): Row[] {
  const t = tallyTheorem2(rows);
  return CHECKS.map((c) => {
    const v = t.counts[c.key];
    const n = rows.length;
    return { family, check: c.what, holds: v.holds, fails: v.fails, ties: v.tie, "fails %": (100 * v.fails) / n };
  });
}

const median = (v: number[]) => {
  if (v.length === 0) return NaN;
  const s = v.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};

/** Instances on (separation, heterogeneity), colour = Eq. 9 verdict, symbol = Eq. 29 assumption verdict. */
export function instanceScatter(rows: Theorem2Row[], family: CovFamily): Figure {
  const colours: Record<Verdict, string> = { holds: "#2ca02c", fails: "#d62728", tie: "#7f7f7f" };
  const symbols: Record<Verdict, string> = { holds: "circle", fails: "x", tie: "diamond" };
  const data: Record<string, unknown>[] = [];
  for (const e9 of ["holds", "fails", "tie"] as Verdict[]) {
    for (const a of ["holds", "fails", "tie"] as Verdict[]) {
      const rr = rows.filter((r) => r.eq9 === e9 && r.assumptionEq29 === a);
      if (rr.length === 0) continue;
      data.push({
        x: rr.map((r) => r.separation),
        y: rr.map((r) => r.heterogeneity),
        mode: "markers",
        marker: { color: colours[e9], symbol: symbols[a], size: 7, opacity: 0.75 },
        name: `Eq. 9 ${e9}, assumption (Eq. 29) ${a} (${rr.length})`,
        text: rr.map((r) => `K=${r.K}, Eq.9 diff=${r.eq9Diff.toExponential(2)}±${r.eq9Se.toExponential(1)}`),
      });
    }
  }
  return {
    data,
    layout: {
      title: { text: `Theorem 2, random instances (${family} family): Eq. 9 and assumption verdicts` },
      xaxis: { title: { text: "separation tr(B)/tr(W) (between / within conditions)" }, type: "log" },
      yaxis: { title: { text: "heterogeneity max_c log det Σ_c − min_c log det Σ_c" } },
      legend: { orientation: "h", y: -0.25 },
    },
  };
}

/** Instances drawn as 2σ ellipses (data, spatial model, non-spatial model), one per slider step. */
export function examplesFigure(examples: { q: Mixture; label: string }[], family: CovFamily): Figure {
  const data: Record<string, unknown>[] = [];
  const owner: number[] = [];
  examples.forEach((ex, ei) => {
    const fit = fitModels(ex.q, family);
    const vis = ei === 0;
    ex.q.comps.forEach((c, k) => {
      const e = covarianceEllipse(c);
      data.push({ ...e, mode: "lines", line: { color: "#1f77b4" }, name: `q(x|c=${k}), π=${ex.q.weights[k].toFixed(2)}`, visible: vis });
      owner.push(ei);
      const s = covarianceEllipse(fit.spatialPerCondition[k]);
      data.push({ ...s, mode: "lines", line: { color: "#ff7f0e", dash: "dash" }, name: `spatial model p(x|c=${k})`, visible: vis });
      owner.push(ei);
    });
    const n = covarianceEllipse(fit.nonSpatial);
    data.push({ ...n, mode: "lines", line: { color: "black", dash: "dot", width: 3 }, name: "non-spatial model p_n(x)", visible: vis });
    owner.push(ei);
  });
  const steps = examples.map((ex, ei) => ({ label: ex.label, method: "restyle", args: ["visible", owner.map((o) => o === ei)] }));
  return {
    data,
    layout: {
      title: { text: "What failing instances look like (2σ ellipses)" },
      xaxis: { title: { text: "x₁" }, scaleanchor: "y" },
      yaxis: { title: { text: "x₂" } },
      sliders: [{ active: 0, currentvalue: { prefix: "instance: " }, steps, pad: { t: 50 } }],
    },
  };
}

/** Picks example instances: worst Eq. 9 failure, worst per-condition Eq. 10 failure, an assumption failure with Eq. 9 holding. */
export function pickExamples(rows: Theorem2Row[], instances: Mixture[]): { q: Mixture; label: string }[] {
  const out: { q: Mixture; label: string }[] = [];
  const byScore = (f: (r: Theorem2Row) => boolean, score: (r: Theorem2Row) => number) => {
    let best = -1;
    rows.forEach((r, i) => {
      if (f(r) && (best < 0 || score(r) > score(rows[best]))) best = i;
    });
    return best;
  };
  const a = byScore((r) => r.eq9 === "fails", (r) => r.eq9Diff / r.eq9Se);
  if (a >= 0) out.push({ q: instances[a], label: `#${a}: Eq. 9 fails` });
  const b = byScore((r) => r.eq10PerC === "fails", (r) => r.eq10PerCFailFraction);
  if (b >= 0) out.push({ q: instances[b], label: `#${b}: Eq. 10 fails for some c` });
  const c = byScore((r) => r.assumptionEq29 === "fails" && r.eq9 === "holds", (r) => r.assumptionEq29Diff);
  if (c >= 0) out.push({ q: instances[c], label: `#${c}: assumption fails, Eq. 9 holds` });
  const d = byScore((r) => r.assumptionEq29 === "holds" && r.eq9 === "holds", (r) => -r.eq9Diff);
  if (d >= 0) out.push({ q: instances[d], label: `#${d}: everything holds` });
  return out;
}

/** A sentence on how failing instances differ from holding ones (from medians). */
function describeFailures(sepFail: number, sepHold: number, hetFail: number, hetHold: number): string {
  const sep = sepFail < sepHold ? "the conditions overlap more (smaller separation)" : "the conditions are not less separated";
  const het = hetFail > hetHold ? "and their spreads differ more, so one pooled covariance fits none of them well." : "while their spreads do not differ more than in instances where Eq. 9 holds: overlap, not heterogeneity, is what marks them.";
  return `${sep}, ${het}`;
}

/** The conclusion of the Theorem 2 section: every sentence follows from the verdict counts (ties are within `z` SE). */
export function theorem2Conclusion(results: { family: CovFamily; rows: Theorem2Row[] }[], z: number): string {
  const parts: string[] = [];
  for (const { family, rows } of results) {
    const t = tallyTheorem2(rows);
    const n = rows.length;
    const c = (k: string, v: Verdict) => t.counts[k][v];
    const pct = (k: string, v: Verdict) => `${((100 * c(k, v)) / n).toFixed(1)}%`;
    const fail9 = rows.filter((r) => r.eq9 === "fails");
    const hold9 = rows.filter((r) => r.eq9 === "holds");
    const aHoldE9Fail = rows.filter((r) => r.assumptionEq29 === "holds" && r.eq9 === "fails").length;
    const aFailE9Hold = rows.filter((r) => r.assumptionEq29 === "fails" && r.eq9 === "holds").length;
    parts.push(
      `**${family} covariance family, ${n} random instances (ties: within ${z} SE).** The assumption as stated ("for any c and θ") failed in ${pct("assumptionAllTheta", "fails")} of instances` +
        (c("assumptionAllTheta", "fails") > 0
          ? `: for a broad enough model (θ = t·S, t large) both divergences are dominated by the same log det term and their difference tends to H(q_c) − H(q), which is ≤ 0 for at least one c because the mixture's entropy is at least the average entropy of its conditions. `
          : `. `) +
        `Read at the optima as the proof uses it (Eq. 29), the assumption held in ${pct("assumptionEq29", "holds")}, failed in ${pct("assumptionEq29", "fails")} (ties ${pct("assumptionEq29", "tie")}). ` +
        `The proof's Jensen step (Eq. 22 → 23) held in ${pct("jensen", "holds")} and failed in ${pct("jensen", "fails")} (ties ${pct("jensen", "tie")})` +
        (family === "full" && c("jensen", "fails") > 0 ? ": in the full family every Gaussian q(x|c) is fitted exactly, so the right side is 0 and the step fails whenever q(x) is not itself Gaussian. " : ". ") +
        `Eq. 10 averaged over c held in ${pct("eq10Mean", "holds")}` +
        (c("eq10Mean", "fails") === 0 ? ` and never failed (the conditional family contains the unconditional model)` : ` but failed in ${pct("eq10Mean", "fails")}, which the nesting of the two families rules out: check the fits`) +
        `; per condition, as Eq. 10 is written, it failed in ${pct("eq10PerC", "fails")}. ` +
        `Eq. 9 held in ${pct("eq9", "holds")}, failed in ${pct("eq9", "fails")} and tied in ${pct("eq9", "tie")}. ` +
        `Instances with the assumption holding but Eq. 9 failing: ${aHoldE9Fail}; assumption failing but Eq. 9 holding: ${aFailE9Hold}. ` +
        (fail9.length > 0 && hold9.length > 0
          ? `Eq. 9 failures look like this: median separation tr(B)/tr(W) ${median(fail9.map((r) => r.separation)).toFixed(3)} (instances where it holds: ${median(hold9.map((r) => r.separation)).toFixed(3)}) and median heterogeneity ${median(fail9.map((r) => r.heterogeneity)).toFixed(2)} (holds: ${median(hold9.map((r) => r.heterogeneity)).toFixed(2)}): ` +
            describeFailures(median(fail9.map((r) => r.separation)), median(hold9.map((r) => r.separation)), median(fail9.map((r) => r.heterogeneity)), median(hold9.map((r) => r.heterogeneity)))
          : fail9.length > 0
            ? "Eq. 9 held in no instance, so there is nothing to compare the failures with."
            : "No instance failed Eq. 9."),
    );
  }
  return parts.join("\n\n");
}
