/**
 * Spatial information extraction (paper §5.1.1), numbered steps:
 *   1. check the frame (sizes, ids), intrinsics (known or guessed: fx = fy = 1.5 W);
 *   2. depth -> point cloud by pinhole back-projection; invalid depth (NaN, Inf, <= 0) skipped and counted;
 *   3. RANSAC ground plane on the background points; a ground frame (lateral, forward, up);
 *   4. per detection: semantic parsing [object, description, trend] from its pixels and hints;
 *   5. per detection: contour (area, perimeter), cloud relative to the plane, centre, height,
 *      width, volume (box and sliced convex hull of the cloud completed by symmetry);
 *   6. distances and rank orders with tie detection.
 * Bad frames throw (mismatched sizes) or come back with counted refusals; nothing half-done.
 */
import { performance } from "perf_hooks";
import { guessIntrinsics } from "../world/camera";
import type { Intrinsics } from "../world/types";
import { checkEngineConfig, engineConfig } from "./config";
import type { EngineConfig } from "./config";
import { estimateUncertainty, footprintHullArea, groundToCamera, shapeVolume, slicedHullVolume, groundAxes } from "./attributes";
import type { GroundAxes } from "./attributes";
import { contourStats } from "./contour";
import { isDegenerateCloud } from "./geometry";
import { colourName, parseObject } from "./parse";
import { fitGroundPlane } from "./ransac";
import { computeRanks } from "./ranks";
import { RANK_KEYS } from "./types";
import type { Detection, ExtractionResult, GroundPlane, ObjectInfo, ObjectRank, PerceptionFrame, RankKey, Refusal } from "./types";

/** Throws a clear error when the frame's buffers do not fit its size or its ids are bad. */
export function checkFrame(frame: PerceptionFrame): void {
  const W = frame?.width;
  const H = frame?.height;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) {
    throw new Error(`extractSpatialInfo: width and height must be positive integers, got ${W}x${H}`);
  }
  const n = W * H;
  if (!(frame.rgb instanceof Uint8Array) || frame.rgb.length !== n * 3) {
    throw new Error(`extractSpatialInfo: rgb has ${frame.rgb?.length} values, expected ${W}x${H}x3 = ${n * 3} (a Uint8Array RGB image of the frame's size)`);
  }
  if (!(frame.depth instanceof Float32Array) || frame.depth.length !== n) {
    throw new Error(`extractSpatialInfo: depth has ${frame.depth?.length} values, expected ${W}x${H} = ${n} (a Float32Array of the frame's size)`);
  }
  if (!(frame.mask instanceof Int32Array) || frame.mask.length !== n) {
    throw new Error(`extractSpatialInfo: mask has ${frame.mask?.length} values, expected ${W}x${H} = ${n} (an Int32Array of the frame's size)`);
  }
  const ids = new Set<number>();
  for (const d of frame.detections) {
    if (!Number.isInteger(d.id) || d.id < 0) throw new Error(`extractSpatialInfo: detection ids must be non-negative integers, got ${d.id}`);
    if (ids.has(d.id)) throw new Error(`extractSpatialInfo: duplicate detection id ${d.id}`);
    ids.add(d.id);
  }
  if (frame.intrinsics) {
    const k = frame.intrinsics;
    if (k.width !== W || k.height !== H) {
      throw new Error(`extractSpatialInfo: intrinsics are for ${k.width}x${k.height} but the frame is ${W}x${H}`);
    }
    if (!(k.fx > 0 && k.fy > 0 && Number.isFinite(k.cx) && Number.isFinite(k.cy))) {
      throw new Error(`extractSpatialInfo: intrinsics need fx, fy > 0 and finite cx, cy`);
    }
  }
}

function emptyRanks(): Record<RankKey, ObjectRank> {
  const r = {} as Record<RankKey, ObjectRank>;
  for (const k of RANK_KEYS) r[k] = { asc: null, desc: null, tiedWith: [] };
  return r;
}

/** The extraction's steps as a benchmark sees them: back-projection (1-2), RANSAC (3), per-object attributes, distances and ranks (4-6). */
export const EXTRACT_STEPS = ["pointCloud", "groundPlane", "attributes"] as const;
export type ExtractStep = (typeof EXTRACT_STEPS)[number];

/** Milliseconds per extraction step: wall clock and this process's CPU time (user + system). */
export interface ExtractTimings {
  wall: Record<ExtractStep, number>;
  cpu: Record<ExtractStep, number>;
}

/** Zeroed timings to pass to `extractSpatialInfo` (steps an early return skips stay 0). */
export function newExtractTimings(): ExtractTimings {
  const zero = () => ({ pointCloud: 0, groundPlane: 0, attributes: 0 });
  return { wall: zero(), cpu: zero() };
}

/** Adds the time since the last lap to `step` of `t`; does nothing (and reads no clock) without `t`. */
function lapTimer(t: ExtractTimings | undefined): (step: ExtractStep) => void {
  if (t === undefined) return () => {};
  let wall = performance.now();
  let cpu = process.cpuUsage();
  return (step) => {
    const w = performance.now();
    const c = process.cpuUsage();
    t.wall[step] += w - wall;
    t.cpu[step] += (c.user - cpu.user + c.system - cpu.system) / 1000;
    wall = w;
    cpu = c;
  };
}

/**
 * Runs the whole extraction on a perception frame. `timings` (optional, e.g. from
 * `newExtractTimings()`) receives the milliseconds of each step, for benchmarks.
 */
export function extractSpatialInfo(frame: PerceptionFrame, config: EngineConfig = engineConfig(), timings?: ExtractTimings): ExtractionResult {
  const lap = lapTimer(timings);
  checkEngineConfig(config, "extractSpatialInfo");
  // 1. frame and intrinsics
  checkFrame(frame);
  const W = frame.width;
  const H = frame.height;
  const N = W * H;
  const guessed = frame.intrinsics === null;
  const k: Intrinsics = frame.intrinsics ?? guessIntrinsics(W, H, config.guessFocalRatio);
  const refusals: Refusal[] = [];
  const base = {
    width: W,
    height: H,
    intrinsics: k,
    intrinsicsGuessed: guessed,
    tolerances: config.tolerances,
    source: frame.source,
  };

  // 2. point cloud: xyz per pixel (NaN for invalid depth)
  const xyz = new Float32Array(N * 3);
  let invalid = 0;
  let groundCount = 0;
  const { mask, depth } = frame;
  for (let v = 0; v < H; v++) {
    const yn = (v + 0.5 - k.cy) / k.fy;
    for (let u = 0; u < W; u++) {
      const i = v * W + u;
      const z = depth[i];
      if (!(z > 0) || z === Infinity) {
        invalid++;
        xyz[3 * i] = NaN;
        continue;
      }
      xyz[3 * i] = ((u + 0.5 - k.cx) / k.fx) * z;
      xyz[3 * i + 1] = yn * z;
      xyz[3 * i + 2] = z;
      if (mask[i] < 0) groundCount++;
    }
  }
  lap("pointCloud");
  if (frame.detections.length === 0) {
    refusals.push({ id: null, reason: "empty-scene", detail: "no objects detected" });
    return { ...base, plane: null, objects: [], refusals, invalidDepthPixels: invalid, complete: false };
  }
  if (invalid > config.maxInvalidDepthFraction * N) {
    refusals.push({ id: null, reason: "invalid-depth", detail: `${invalid} of ${N} pixels have NaN, infinite or non-positive depth (more than ${config.maxInvalidDepthFraction * 100}%)` });
    return { ...base, plane: null, objects: [], refusals, invalidDepthPixels: invalid, complete: false };
  }

  // 3. RANSAC ground plane on the background points
  const ground = new Float32Array(groundCount * 3);
  for (let i = 0, g = 0; i < N; i++) {
    if (mask[i] >= 0 || Number.isNaN(xyz[3 * i])) continue;
    ground[g++] = xyz[3 * i];
    ground[g++] = xyz[3 * i + 1];
    ground[g++] = xyz[3 * i + 2];
  }
  const plane = fitGroundPlane(ground, { iterations: config.ransacIterations, threshold: config.ransacThreshold, maxPoints: config.ransacMaxPoints, seed: config.ransacSeed });
  lap("groundPlane");
  if (plane === null) {
    refusals.push({ id: null, reason: "no-ground-plane", detail: `no plane through ${groundCount} background points (fewer than 3, or all collinear)` });
    return { ...base, plane: null, objects: [], refusals, invalidDepthPixels: invalid, complete: false };
  }
  const frameAxes = groundAxes(plane);

  // 4-5. per detection
  const pixelsOf = new Map<number, number[]>();
  for (const d of frame.detections) pixelsOf.set(d.id, []);
  for (let i = 0; i < N; i++) {
    const list = pixelsOf.get(mask[i]);
    if (list !== undefined) list.push(i);
  }
  const objects: ObjectInfo[] = [];
  for (const det of frame.detections) {
    const pixels = pixelsOf.get(det.id)!;
    const info = measureObject(det, pixels, frame, xyz, plane, frameAxes, k, config, refusals);
    if (info !== null) objects.push(info);
  }

  // 6. distances and ranks
  for (const a of objects) {
    for (const b of objects) {
      if (a.id === b.id) continue;
      a.distances[b.id] = Math.hypot(a.centre3d[0] - b.centre3d[0], a.centre3d[1] - b.centre3d[1], a.centre3d[2] - b.centre3d[2]);
    }
  }
  const complete = objects.length === frame.detections.length;
  computeRanks(objects, config.tolerances, complete);
  lap("attributes");
  return { ...base, plane, objects, refusals, invalidDepthPixels: invalid, complete };
}

function measureObject(
  det: Detection,
  pixels: number[],
  frame: PerceptionFrame,
  xyz: Float32Array,
  plane: GroundPlane,
  ax: GroundAxes,
  k: Intrinsics,
  config: EngineConfig,
  refusals: Refusal[],
): ObjectInfo | null {
  const W = frame.width;
  const H = frame.height;
  const mask = frame.mask;
  if (pixels.length === 0) {
    refusals.push({ id: det.id, reason: "no-pixels", detail: `detection ${det.id} (${det.label}) has no pixels in the mask` });
    return null;
  }
  // contour: area, perimeter, centroid, bbox, occluded sides (one definition: ./contour.ts)
  const contour = contourStats(pixels, mask, W, H, det.id, frame.depth);
  const { area, perimeter, truncated, occluded, hiddenSide } = contour;
  const colour = colourName(frame.rgb, pixels);
  if (colour === null) {
    refusals.push({ id: det.id, reason: "no-pixels", detail: `detection ${det.id} has no pixel bright enough to name its colour` });
    return null;
  }
  const parsed = parseObject(det, colour);

  // cloud relative to the plane: object points above the ground
  const pts: number[] = []; // [lateral, forward, height] triples
  const cam: number[] = [];
  for (const i of pixels) {
    const x = xyz[3 * i];
    if (Number.isNaN(x)) continue;
    const y = xyz[3 * i + 1];
    const z = xyz[3 * i + 2];
    const h = ax.n[0] * x + ax.n[1] * y + ax.n[2] * z + ax.d;
    if (h <= config.groundEpsilon) continue;
    pts.push(ax.e1[0] * x + ax.e1[1] * y + ax.e1[2] * z, ax.e2[0] * x + ax.e2[1] * y + ax.e2[2] * z, h);
    cam.push(x, y, z);
  }
  const np = pts.length / 3;
  if (np < config.minObjectPoints || np < 3) {
    refusals.push({ id: det.id, reason: "too-few-points", detail: `detection ${det.id} (${det.label}) has ${np} point(s) above the ground, need ${Math.max(3, config.minObjectPoints)}` });
    return null;
  }
  if (isDegenerateCloud(Float64Array.from(cam), null)) {
    refusals.push({ id: det.id, reason: "degenerate-cloud", detail: `detection ${det.id} (${det.label}): its ${np} points are collinear or coincident` });
    return null;
  }
  let lmin = Infinity;
  let lmax = -Infinity;
  let fmin = Infinity;
  let top = 0;
  for (let p = 0; p < np; p++) {
    const l = pts[3 * p];
    const f = pts[3 * p + 1];
    const h = pts[3 * p + 2];
    if (l < lmin) lmin = l;
    if (l > lmax) lmax = l;
    if (f < fmin) fmin = f;
    if (h > top) top = h;
  }
  // footprints of SpatialWorld shapes are as deep as they are wide (circles, squares at any
  // rotation): the footprint centre lies half a width behind the front-most point
  // pixel centres sample the silhouette half a pixel inside each edge: add one pixel's footprint
  let zsum = 0;
  for (let p = 0; p < np; p++) zsum += cam[3 * p + 2];
  const pixelSize = zsum / np / k.fx;
  const width = lmax - lmin + pixelSize;
  const cl = (lmin + lmax) / 2;
  const cf = fmin + width / 2;
  const centre3d = groundToCamera(ax, cl, cf, top / 2);
  const centreU = (k.fx * centre3d[0]) / centre3d[2] + k.cx;
  const volumeBox = width * width * top;
  const volumeHull = slicedHullVolume(pts, cl, cf, top, config.hullSlices);
  const volumeShape = shapeVolume(String(det.label), width, top, footprintHullArea(pts, cl, cf));
  // uncertainty: `pixelUncertainty` pixels at the object's depth (plus a fraction of the image
  // width for the horizontal position); unknown (infinite) where a nearer object or the image
  // border may hide the part of the object that the estimate needs
  const px = (config.pixelUncertainty * centre3d[2]) / k.fx;
  const uncertainty = estimateUncertainty(config, {
    px,
    pixelUncertainty: config.pixelUncertainty,
    horizontalPx: config.pixelUncertainty + config.horizontalUncertainty * W,
    pxPerUnit: k.fx / centre3d[2],
    width,
    top,
    volume: volumeShape ?? volumeHull,
    widthPx: width / pixelSize,
    truncated,
    occluded,
    hidden: hiddenSide,
  });
  return {
    id: det.id,
    ...parsed,
    centroid2d: contour.centroid,
    bbox2d: contour.bbox,
    area,
    perimeter,
    centre3d,
    ground2d: [cl, cf],
    centreU,
    depth: centre3d[2],
    distanceToCamera: Math.hypot(centre3d[0], centre3d[1], centre3d[2]),
    height: top,
    width,
    volumeBox,
    volumeHull,
    volumeShape,
    distances: {},
    pointCount: np,
    truncated,
    occluded,
    hiddenSides: { left: hiddenSide[0], right: hiddenSide[1], top: hiddenSide[2], bottom: hiddenSide[3] },
    uncertainty,
    ranks: emptyRanks(),
  };
}
