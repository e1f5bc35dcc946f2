/** The theory lab (paper §4, §6, Appendix E, F, G, P): attention under embedding vs attention tuning, the sort experiment, Rademacher complexity, divergence, classifier guidance. */
export * from "./theory/attention/prefix";
export * from "./theory/attention/ranking";
export * from "./theory/attention/scenes";
export * from "./theory/attention/tuning";
export * from "./theory/attention/report";
export * from "./theory/attention/plots";
export * from "./theory/sort/task";
export * from "./theory/sort/experiment";
export * from "./theory/divergence/divergence";
export * from "./theory/divergence/report";
export * from "./theory/guidance/guidance";
export * from "./theory/guidance/learned";
export * from "./theory/guidance/report";
export * from "./theory/rademacher/lipschitz";
export * from "./theory/rademacher/rademacher";
export * from "./theory/rademacher/report";
export * from "./theory/rademacher/theorem";
