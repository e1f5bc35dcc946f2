/**
 * Notes the grid notebooks (04 Stage I, 07 per-layer attention) add under their conclusions,
 * decided per profile here rather than in the notebooks: whether a profile's training budgets
 * (lib/models/editor/train/recipes.ts) are a smoke test, whose verdicts say what that run
 * measured and not what the paper-scale run would.
 */
import { resolveConfig, type DeepPartial, type Presets } from "../core/profile";

export interface ReportNoteConfig {
  /** The profile's training budgets only show that the code runs end to end. */
  smokeTest: boolean;
}

export const REPORT_NOTE_PRESETS: Presets<ReportNoteConfig> = {
  tiny: { smokeTest: true },
  quick: { smokeTest: true },
  paper: { smokeTest: false },
};

export function reportNoteConfig(profile?: string, overrides?: DeepPartial<ReportNoteConfig>): ReportNoteConfig {
  return resolveConfig(REPORT_NOTE_PRESETS, "report notes", profile, overrides);
}

/** A Markdown list item warning that the budgets are a smoke test, or "" where they are not. */
export function budgetCaveat(config: ReportNoteConfig): string {
  return config.smokeTest ? "- On this profile the budgets are a smoke test: read the verdicts as what this run measured, not as the paper-scale result." : "";
}
