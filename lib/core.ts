/** The foundation every notebook and module uses: seeded generator, profiles, plots, tables, progress, results. */
export * from "./core/env";
export * from "./core/notebook";
export * from "./core/provenance";
export { artefactStamp, readStamp, stampLine } from "./core/artefact";
export type { ArtefactStamp } from "./core/artefact";
export * from "./core/paths";
export * from "./core/plot";
export * from "./core/profile";
export * from "./core/progress";
export * from "./core/results";
export * from "./core/rng";
export * from "./core/table";
export { closeStaticExport, StaticExportUnavailableError } from "./core/static-export";
export type { LayoutProblem } from "./core/static-export";
export { runMain } from "./core/cli";
