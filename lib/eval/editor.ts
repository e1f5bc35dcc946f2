/**
 * The interface every editor under evaluation implements (paper §7: InsPix2Pix, MGIE, the
 * SpatialEdit variants): source image + instruction (+ the benchmark record, which only
 * reference editors may read) -> edited image. Two reference editors bound the judges' scale:
 * `oracle` returns the exact ground truth (every judge scores 1), `identity` returns the
 * source (the object judge scores 0).
 */
import type { RgbImage } from "../engine/types";
import type { BenchmarkItem } from "./benchmark-io";

export interface EditRequest {
  source: RgbImage;
  instruction: string;
  /** The benchmark record (ground truth included). A real editor must not read it; reference editors do. */
  item?: BenchmarkItem;
}

export interface Editor {
  /** The method's name as it appears in the tables (e.g. "SpatialEdit", "w/o S1", "oracle"). */
  readonly name: string;
  /** One edit. May be async (a diffusion sampler). Must return an RGB image (any size; metrics resize to the truth's size). */
  edit(request: EditRequest): RgbImage | Promise<RgbImage>;
  /** Optional batched form (a GPU editor): same results as calling `edit` on each request. */
  editBatch?(requests: EditRequest[]): Promise<RgbImage[]>;
  /** Releases tensors or sessions the editor holds. */
  dispose?(): void;
}

/** The upper reference: returns the exact ground-truth edited image of the benchmark record. */
export function oracleEditor(): Editor {
  return {
    name: "oracle",
    edit(request: EditRequest): RgbImage {
      if (!request.item) throw new Error("oracleEditor: needs the benchmark record (request.item) to read the ground truth");
      return request.item.truth;
    },
  };
}

/** The lower reference: changes nothing (returns the source image). */
export function identityEditor(): Editor {
  return {
    name: "identity",
    edit(request: EditRequest): RgbImage {
      return request.source;
    },
  };
}
