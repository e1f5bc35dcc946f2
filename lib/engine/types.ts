/**
 * Public types of the spatial information extraction (paper §5.1.1): an image plus a
 * perception source -> a list [object, description, trend, position, contour, volume,
 * distance] with rank orders and the refusals the engine counted.
 *
 * Pipeline (extract.ts):
 *   1. perception: a `PerceptionSource` turns an input into a `PerceptionFrame`
 *      (rgb + depth + instance mask + detections);
 *   2. semantic parsing -> [object, description, trend] (parse.ts);
 *   3. 3D parsing: depth -> point cloud (pinhole back-projection), RANSAC ground plane,
 *      per-object clouds relative to the plane (cloud.ts, ransac.ts);
 *   4. spatial attributes: position, contour, volume, height, distances (attributes.ts);
 *   5. rank orders with tie detection (ranks.ts).
 * Conventions (axes, units, left/right, depth sign) are in `../world/conventions.ts`.
 */
import type { ColourName, Intrinsics, Material, RenderResult, Shape, SizeName, Trend } from "../world/types";

/** An RGB image, row-major, [H * W * 3] bytes. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Attribute hints a perception source may know (the oracle knows them; a detector may not). */
export interface AttributeHints {
  material?: Material;
  size?: SizeName;
  trend?: Trend;
}

/** One detected object: an instance in the mask plus a category label. */
export interface Detection {
  /** The object's value in `PerceptionFrame.mask` (>= 0); for the oracle, the scene object id. */
  id: number;
  /** Category name (the paper's "object"), e.g. "cube". */
  label: Shape | string;
  /** Detector confidence in [0, 1] (1 for the oracle). */
  score: number;
  hints: AttributeHints;
}

/** What a perception source delivers for one image. */
export interface PerceptionFrame {
  width: number;
  height: number;
  rgb: Uint8Array;
  /** Depth per pixel [H * W] (camera-frame z, world units); non-finite or <= 0 = invalid pixel. */
  depth: Float32Array;
  /** Instance mask [H * W], -1 = no object. */
  mask: Int32Array;
  detections: Detection[];
  /** Known intrinsics, or null: the engine then guesses fx = fy = 1.5 * width, centre principal point. */
  intrinsics: Intrinsics | null;
  /** Which source made the frame ("oracle", "noisy", ...). */
  source: string;
}

/** Input to a perception source: the image, and for simulated sources the renderer's output. */
export interface PerceptionInput {
  image: RgbImage;
  /** Required by `oracle` and `noisy` (they read masks and depth from the renderer). */
  render?: RenderResult;
}

/**
 * A perception source (paper §5.1.1: GroundingDINO + SAM + Depth Anything). Implementations:
 * `oracleSource()` and `noisySource(rng, config)` in perception.ts; a real-image source
 * (detector + segmenter + depth model) implements the same interface, async if it must.
 */
export interface PerceptionSource {
  readonly name: string;
  perceive(input: PerceptionInput): PerceptionFrame;
}
export interface AsyncPerceptionSource {
  readonly name: string;
  perceive(input: PerceptionInput): Promise<PerceptionFrame>;
}

/** A ground plane n . p + d = 0 in the camera frame, n unit length pointing up (towards the camera side). */
export interface GroundPlane {
  normal: [number, number, number];
  d: number;
  /** Inlier count of the RANSAC fit and the number of candidate points. */
  inliers: number;
  candidates: number;
  /** RANSAC inlier threshold used (world units). */
  threshold: number;
}

/** Rank keys: the spatial quantities the engine orders objects by. */
export const RANK_KEYS = ["horizontal", "depth", "volume", "contour", "height"] as const;
export type RankKey = (typeof RANK_KEYS)[number];
/**
 * Meaning of ascending order per key (rank 1 = smallest value):
 *   horizontal: leftmost first (image column of the object's centre; "rightmost" = descending);
 *   depth:      nearest first (camera-frame z of the centre; "deepest/farthest" = descending);
 *   volume:     smallest real volume first ("biggest" = descending);
 *   contour:    smallest mask area first ("biggest contour" = descending);
 *   height:     shortest first (top above the ground; "tallest" = descending).
 */
export type RankDirection = "asc" | "desc";

/** Per-object rank: 1-based position in ascending/descending order, or null when tied with a neighbour. */
export interface ObjectRank {
  asc: number | null;
  desc: number | null;
  /** Ids of objects whose value is within tolerance of this one (empty = no tie). */
  tiedWith: number[];
}

/** One object's extracted spatial information (paper: [Object, Description, Trend, Position, Contour, Volume, Distance]). */
export interface ObjectInfo {
  /** Instance id (the mask value; the scene object id for simulated sources). */
  id: number;
  /** Category ("object" of the triplet), e.g. "cube". */
  object: string;
  /** Free-text description from the object's own pixels and attributes, e.g. "red metal". */
  description: string;
  /** Motion trend (from hints; "none" when unknown). */
  trend: Trend;
  /** Colour name estimated from the object's pixels. */
  colour: ColourName;
  /** Material from hints, or null when the source does not know it. */
  material: Material | null;
  /** Size class from hints, or null. */
  sizeClass: SizeName | null;
  /** 2D: mask centroid (pixels) and bounding box [u0, v0, u1, v1] (inclusive pixel indices). */
  centroid2d: { u: number; v: number };
  bbox2d: [number, number, number, number];
  /** Contour size: mask area (pixels) and perimeter (pixel edges between the mask and the rest). */
  area: number;
  perimeter: number;
  /** Estimated 3D centre of the object's bounding box in the camera frame (world units). */
  centre3d: [number, number, number];
  /** Estimated footprint centre in ground coordinates [lateral, forward] (world units). */
  ground2d: [number, number];
  /** Image column of the projected estimated centre (pixels; the "horizontal" rank value). */
  centreU: number;
  /** Camera-frame z of the estimated centre (the "depth" rank value). */
  depth: number;
  /** Euclidean distance from the camera centre to the estimated centre. */
  distanceToCamera: number;
  /** Top of the object above the ground plane (the "height" rank value). */
  height: number;
  /** Footprint width estimated from the cloud (lateral extent). */
  width: number;
  /** Volume estimates: bounding box, and convex hull of the completed cloud (sliced 2D hulls). */
  volumeBox: number;
  volumeHull: number;
  /**
   * Volume of the detected primitive (cube, sphere, cylinder, cone) from the cloud's width and
   * height, or null for other labels. The "volume" rank value is volumeShape ?? volumeHull.
   */
  volumeShape: number | null;
  /** Euclidean distance between estimated centres, by other object id. */
  distances: Record<number, number>;
  /** Number of 3D points of the object used. */
  pointCount: number;
  /** Object touches the image border (may be cut off). */
  truncated: boolean;
  /** Part of the object's outline borders a nearer object (may be partly hidden). */
  occluded: boolean;
  /** Which sides of the outline border a nearer object (image directions). */
  hiddenSides: { left: boolean; right: boolean; top: boolean; bottom: boolean };
  /** Per-key uncertainty (same units as the value) used by the tie test. */
  uncertainty: Record<RankKey, number>;
  /** Ranks per key among all extracted objects. */
  ranks: Record<RankKey, ObjectRank>;
}

/** Why an object or a whole frame was not used. */
export interface Refusal {
  /** Object id, or null when the whole frame is refused. */
  id: number | null;
  reason: RefusalReason;
  detail: string;
}
export type RefusalReason =
  | "empty-scene"
  | "invalid-depth"
  | "no-ground-plane"
  | "too-few-points"
  | "degenerate-cloud"
  | "no-pixels"
  | "invalid-frame";

/** Tie tolerances per key: values within abs + rel * max(|a|, |b|) + the two uncertainties are a tie. */
export interface Tolerance {
  abs: number;
  rel: number;
}

export interface ExtractionResult {
  width: number;
  height: number;
  /** Intrinsics used, and whether they were guessed (fx = fy = 1.5 * width). */
  intrinsics: Intrinsics;
  intrinsicsGuessed: boolean;
  /** Null when the frame was refused before the plane fit. */
  plane: GroundPlane | null;
  /** Objects that passed (refused ones are only in `refusals`). */
  objects: ObjectInfo[];
  refusals: Refusal[];
  /** Pixels with invalid depth (NaN, Inf, <= 0) that were skipped. */
  invalidDepthPixels: number;
  tolerances: Record<RankKey, Tolerance>;
  source: string;
  /**
   * True when every detected instance became an `ObjectInfo` (no object refusals). Ranks over
   * the whole scene ("the leftmost object") are only defined on complete results.
   */
  complete: boolean;
}

/** Result of picking an object by rank: the object id, or why it is ambiguous. */
export type RankPick = { ok: true; id: number; value: number } | { ok: false; reason: "tie" | "out-of-range" | "unreliable" | "empty"; detail: string };
/** Result of comparing two objects on a key. */
export type Comparison = "less" | "greater" | "tie";
