/**
 * What each of the paper's method tables compares and which of our measures stands beside
 * which of its columns (paper §7.2-7.3, Appendix Q; docs/architecture.md §5). Our names say what was
 * measured; the paper's column is shown beside it, never renamed.
 *   Table 1 (SpatialEval-mini):  object judge ~ GPT4V, perception judge ~ GPT3.5,
 *                                pixel agreement (masked) ~ Human.
 *   Table 2 (general editing):   L1 ~ MagicBrush L1 (same definition), SSIM ~ GIER SSIM,
 *                                feature sim (ours) ~ MagicBrush DINO, feature sim (MobileNetV2)
 *                                ~ MagicBrush CVS (a CLIP visual similarity).
 *   Table 5 (SpatialBench-like): pixel metrics against the exact ground truth of SpatialEval-mini:
 *                                L1 ~ L1, feature sim (MobileNetV2) ~ CLIP-I, SSIM (the paper
 *                                reports LPIPS there: shown as a paper-only column).
 * Ordering claims are the comparisons the paper's text draws from each table.
 */
import type { BenchmarkKind } from "./benchmark-io";
import type { PaperTable } from "./paper-numbers";

export interface MetricSpec {
  /** Our measure (the name measurements use). */
  ours: string;
  better: "higher" | "lower";
  /** The paper's column shown beside it. */
  paper?: { column: string; dataset?: string };
}

export interface OrderingClaim {
  /** Our metric the claim is checked on. */
  metric: string;
  /** Method names, best first: each must beat the next. */
  chain: string[];
  /** The claim in words. */
  text: string;
}

export interface TableSpec {
  table: PaperTable;
  /** File stem of the CSV/Markdown/figure under figures/. */
  name: string;
  title: string;
  benchmark: BenchmarkKind;
  metrics: MetricSpec[];
  /** The paper's rows in its order (our method names are the same). */
  rows: string[];
  /** Paper columns with no measure of ours, shown as paper-only columns. */
  extraPaperColumns: { column: string; dataset?: string }[];
  claims: OrderingClaim[];
}

/** Methods every table also accepts: the reference editors (sanity rows). */
export const REFERENCE_METHODS = ["oracle", "identity"] as const;

const T1_METRICS = ["object judge", "perception judge", "pixel agreement (masked)"];
const chainClaims = (metrics: string[], chain: string[], text: string): OrderingClaim[] => metrics.map((metric) => ({ metric, chain, text }));

export const TABLE1_SPEC: TableSpec = {
  table: "1",
  name: "table1-spatialeval",
  title: "Table 1: spatial editing on SpatialEval-mini (judges in [0, 1], higher is better)",
  benchmark: "spatialeval",
  metrics: [
    { ours: "object judge", better: "higher", paper: { column: "GPT4V" } },
    { ours: "perception judge", better: "higher", paper: { column: "GPT3.5" } },
    { ours: "pixel agreement (masked)", better: "higher", paper: { column: "Human" } },
  ],
  rows: ["InsPix2Pix", "MGIE", "Dalle3", "Seed-X", "SpatialEdit_Finetune", "SpatialEdit w/o DE", "SpatialEdit w/o S1", "SpatialEdit w/o S2", "SpatialEdit"],
  extraPaperColumns: [],
  claims: [
    ...chainClaims(T1_METRICS, ["SpatialEdit", "SpatialEdit w/o S1", "SpatialEdit w/o S2"], "both stages help: SpatialEdit > w/o S1 > w/o S2"),
    ...chainClaims(T1_METRICS, ["SpatialEdit", "MGIE"], "attention tuning beats embedding tuning: SpatialEdit > MGIE"),
    ...chainClaims(T1_METRICS, ["SpatialEdit", "SpatialEdit w/o DE"], "the data engine helps: SpatialEdit > w/o DE"),
    ...chainClaims(T1_METRICS, ["SpatialEdit", "SpatialEdit_Finetune"], "more generic data is not enough: SpatialEdit > Finetune"),
    ...chainClaims(T1_METRICS, ["SpatialEdit", "InsPix2Pix"], "an MLLM-driven editor beats a text-encoder editor: SpatialEdit > InsPix2Pix"),
  ],
};

export const TABLE2_SPEC: TableSpec = {
  table: "2",
  name: "table2-general-editing",
  title: "Table 2: general (non-spatial) editing against the exact ground truth",
  benchmark: "general",
  metrics: [
    { ours: "L1", better: "lower", paper: { column: "L1", dataset: "MagicBrush" } },
    { ours: "SSIM", better: "higher", paper: { column: "SSIM", dataset: "GIER" } },
    { ours: "feature sim (ours)", better: "higher", paper: { column: "DINO", dataset: "MagicBrush" } },
    { ours: "feature sim (MobileNetV2)", better: "higher", paper: { column: "CVS", dataset: "MagicBrush" } },
  ],
  rows: ["InsPix2Pix", "LGIE", "MGIE", "SpatialEdit_Finetune", "SpatialEdit w/o DE", "SpatialEdit w/o S1", "SpatialEdit w/o S2", "SpatialEdit"],
  extraPaperColumns: [{ column: "CTS", dataset: "MagicBrush" }],
  claims: [
    ...chainClaims(["L1", "SSIM", "feature sim (ours)", "feature sim (MobileNetV2)"], ["SpatialEdit", "MGIE"], "SpatialEdit mostly beats MGIE on general editing"),
    ...chainClaims(["L1", "SSIM"], ["SpatialEdit", "SpatialEdit w/o S2"], "Stage II matters for general editing: SpatialEdit > w/o S2"),
  ],
};

export const TABLE5_SPEC: TableSpec = {
  table: "5",
  name: "table5-spatialbench",
  title: "Table 5: SpatialBench-like pixel metrics against the exact ground truth of SpatialEval-mini",
  benchmark: "spatialeval",
  metrics: [
    { ours: "L1", better: "lower", paper: { column: "L1" } },
    { ours: "feature sim (MobileNetV2)", better: "higher", paper: { column: "CLIP-I" } },
    { ours: "feature sim (ours)", better: "higher" },
    { ours: "SSIM", better: "higher" },
  ],
  rows: ["MGIE", "SmartEdit", "InstructDiffusion", "SpatialEdit-LoRA", "SpatialEdit"],
  extraPaperColumns: [{ column: "LPIPS" }],
  claims: [
    ...chainClaims(["L1", "feature sim (MobileNetV2)", "SSIM"], ["SpatialEdit", "SpatialEdit-LoRA"], "attention tuning beats LoRA: SpatialEdit > SpatialEdit-LoRA"),
    ...chainClaims(["L1", "feature sim (MobileNetV2)", "SSIM"], ["SpatialEdit", "MGIE"], "SpatialEdit > MGIE on SpatialBench"),
  ],
};

export const TABLE_SPECS = { "1": TABLE1_SPEC, "2": TABLE2_SPEC, "5": TABLE5_SPEC } as const;
