/**
 * Presets of the real-photo perception path (paper §5.1.1 on real images: detector, box-prompted
 * masks, depth, descriptions), per profile. Every stage has its own section; unknown keys throw.
 */
import { resolveConfig } from "../core/profile";
import type { DeepPartial, Presets } from "../core/profile";

export interface PhotoInputConfig {
  /** Longer side of the working image; larger photos are shrunk inside the decoder (pixels). */
  workingSize: number;
  /** Largest accepted side of an input photo (pixels); guards against decompression bombs. */
  maxSide: number;
}

export interface DetectorConfig {
  /** Square input of the CenterNet graph (its signature says 512). */
  inputSize: number;
  /** Heat-map peaks below this score are dropped (the detector's score threshold). */
  minScore: number;
  /** Non-maximum suppression: boxes of one class overlapping more than this IoU are merged away. */
  iouThreshold: number;
  /** Peaks kept before NMS (the graph's own top-k is 100). */
  topK: number;
  /** Detections kept after NMS. */
  maxDetections: number;
}

export interface BoxSegConfig {
  /** The box (plus its ring) is segmented at most this many pixels on its longer side, then upsampled. */
  workSide: number;
  /** Width of the background ring around the box, as a fraction of the box's longer side. */
  ring: number;
  /** Colour histogram bins per channel (bins^3 cells). */
  bins: number;
  /** Rounds of re-estimating the object's colour model from the current mask (GrabCut-style). */
  rounds: number;
  /** Weight of agreeing with the 4 neighbours (Potts smoothing, in log-odds units per neighbour). */
  smoothness: number;
  /** Sweeps of iterated conditional modes per round. */
  sweeps: number;
  /** Weight of the box-shape prior (log-odds at the box centre minus at its edge). */
  shapePrior: number;
}

export interface GroundDepthConfig {
  /** Camera height above the ground (world units; 1.6 = a standing photographer, metres). */
  cameraHeight: number;
  /**
   * Where the horizon is: "given" (horizonRow), "objects" (from detected objects of known real
   * height standing on the ground, else "level"), "level" (the camera looks horizontally:
   * the horizon is the principal point's row).
   */
  horizon: string;
  /** The horizon's row as a fraction of the image height (0 = top), used when horizon = "given". */
  horizonRow: number;
  /** fx = fy = focalRatio * width (the engine's guess). */
  focalRatio: number;
  /** Depth given to background pixels above the horizon (no ground there): 0 = invalid (skipped). */
  skyDepth: number;
}

export interface DescribeConfig {
  /** Mask share of the image (area fraction) below which an object is "small", above which "large". */
  smallArea: number;
  largeArea: number;
  /** A second colour name is added when it covers at least this share of the mask's pixels. */
  secondColourShare: number;
}

export interface RenderCheckConfig {
  /** SpatialWorld scenes on which the photo path (truth boxes) is compared with the oracle path. */
  scenes: number;
  /** Render size (pixels, square). */
  size: number;
  /** Seed of the scene stream. */
  seed: number;
}

export interface PerceptionConfig {
  photo: PhotoInputConfig;
  renderCheck: RenderCheckConfig;
  detector: DetectorConfig;
  boxSeg: BoxSegConfig;
  groundDepth: GroundDepthConfig;
  describe: DescribeConfig;
}

const BASE: PerceptionConfig = {
  photo: { workingSize: 512, maxSide: 16384 },
  renderCheck: { scenes: 30, size: 128, seed: 808 },
  detector: { inputSize: 512, minScore: 0.2, iouThreshold: 0.5, topK: 100, maxDetections: 20 },
  boxSeg: { workSide: 64, ring: 0.15, bins: 8, rounds: 3, smoothness: 0.6, sweeps: 3, shapePrior: 2 },
  groundDepth: { cameraHeight: 1.6, horizon: "objects", horizonRow: 0.5, focalRatio: 1.5, skyDepth: 0 },
  describe: { smallArea: 0.01, largeArea: 0.1, secondColourShare: 0.25 },
};

export const PERCEPTION_PRESETS: Presets<PerceptionConfig> = {
  tiny: { ...BASE, photo: { ...BASE.photo, workingSize: 256 }, renderCheck: { scenes: 4, size: 64, seed: 808 } },
  quick: BASE,
  paper: { ...BASE, boxSeg: { ...BASE.boxSeg, workSide: 128 }, renderCheck: { scenes: 200, size: 256, seed: 808 } },
};

/** The perception config of a profile (default: the current one), with optional overrides. */
export function perceptionConfig(profile?: string, overrides?: DeepPartial<PerceptionConfig>): PerceptionConfig {
  const c = resolveConfig(PERCEPTION_PRESETS, "perception", profile, overrides);
  checkPerceptionConfig(c);
  return c;
}

/** Range checks that the type system cannot make; each failure says what is allowed. */
export function checkPerceptionConfig(c: PerceptionConfig): void {
  const bad = (what: string, v: unknown, want: string) => {
    throw new Error(`perception config: ${what} must be ${want}, got ${JSON.stringify(v)}`);
  };
  if (!(Number.isInteger(c.photo.workingSize) && c.photo.workingSize >= 8)) bad("photo.workingSize", c.photo.workingSize, "an integer >= 8");
  if (!(Number.isInteger(c.photo.maxSide) && c.photo.maxSide >= c.photo.workingSize)) bad("photo.maxSide", c.photo.maxSide, "an integer >= photo.workingSize");
  if (!(c.detector.minScore >= 0 && c.detector.minScore <= 1)) bad("detector.minScore", c.detector.minScore, "in [0, 1]");
  if (!(c.detector.iouThreshold > 0 && c.detector.iouThreshold <= 1)) bad("detector.iouThreshold", c.detector.iouThreshold, "in (0, 1]");
  if (!(Number.isInteger(c.boxSeg.bins) && c.boxSeg.bins >= 2 && c.boxSeg.bins <= 32)) bad("boxSeg.bins", c.boxSeg.bins, "an integer in [2, 32]");
  if (!(Number.isInteger(c.boxSeg.workSide) && c.boxSeg.workSide >= 8)) bad("boxSeg.workSide", c.boxSeg.workSide, "an integer >= 8");
  if (!["given", "objects", "level"].includes(c.groundDepth.horizon)) bad("groundDepth.horizon", c.groundDepth.horizon, '"given", "objects" or "level"');
  if (!(c.groundDepth.cameraHeight > 0)) bad("groundDepth.cameraHeight", c.groundDepth.cameraHeight, "> 0");
  if (!(c.groundDepth.focalRatio > 0)) bad("groundDepth.focalRatio", c.groundDepth.focalRatio, "> 0");
}
