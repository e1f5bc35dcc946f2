/**
 * Point clouds for inspection and plots (the notebook's 3D view of a scene with its fitted
 * plane): depth -> camera-frame points by pinhole back-projection, and the same points in the
 * ground frame of a fitted plane (lateral, forward, height above the plane).
 * The extraction itself (extract.ts) does the same back-projection inline.
 */
import { guessIntrinsics } from "../world/camera";
import { groundAxes } from "./attributes";
import type { GroundPlane, PerceptionFrame } from "./types";

export interface PointCloud {
  /** Points, 3 numbers each: camera frame [x, y, z] or ground frame [lateral, forward, height]. */
  xyz: Float32Array;
  /** Instance id of each point (-1 = background/ground). */
  ids: Int32Array;
  /** RGB bytes of each point. */
  rgb: Uint8Array;
  count: number;
}

/**
 * Back-projects every `stride`-th pixel (in both directions) with valid depth into the camera
 * frame. Intrinsics: the frame's, else the guess fx = fy = focalRatio * width.
 */
export function framePointCloud(frame: PerceptionFrame, stride = 1, focalRatio = 1.5): PointCloud {
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`framePointCloud: stride must be a positive integer, got ${stride}`);
  const W = frame.width;
  const H = frame.height;
  if (frame.depth.length !== W * H || frame.mask.length !== W * H || frame.rgb.length !== W * H * 3) {
    throw new Error(`framePointCloud: depth, mask and rgb must have ${W}x${H} pixels`);
  }
  const k = frame.intrinsics ?? guessIntrinsics(W, H, focalRatio);
  const xyz: number[] = [];
  const ids: number[] = [];
  const rgb: number[] = [];
  for (let v = 0; v < H; v += stride) {
    for (let u = 0; u < W; u += stride) {
      const i = v * W + u;
      const z = frame.depth[i];
      if (!(z > 0) || z === Infinity) continue;
      xyz.push(((u + 0.5 - k.cx) * z) / k.fx, ((v + 0.5 - k.cy) * z) / k.fy, z);
      ids.push(frame.mask[i]);
      rgb.push(frame.rgb[3 * i], frame.rgb[3 * i + 1], frame.rgb[3 * i + 2]);
    }
  }
  return { xyz: Float32Array.from(xyz), ids: Int32Array.from(ids), rgb: Uint8Array.from(rgb), count: ids.length };
}

/** The cloud in the ground frame of `plane`: [lateral, forward, height above the plane] per point. */
export function toGroundFrame(cloud: PointCloud, plane: GroundPlane): PointCloud {
  const ax = groundAxes(plane);
  const out = new Float32Array(cloud.xyz.length);
  for (let p = 0; p < cloud.count; p++) {
    const x = cloud.xyz[3 * p];
    const y = cloud.xyz[3 * p + 1];
    const z = cloud.xyz[3 * p + 2];
    out[3 * p] = ax.e1[0] * x + ax.e1[1] * y + ax.e1[2] * z;
    out[3 * p + 1] = ax.e2[0] * x + ax.e2[1] * y + ax.e2[2] * z;
    out[3 * p + 2] = ax.n[0] * x + ax.n[1] * y + ax.n[2] * z + ax.d;
  }
  return { ...cloud, xyz: out };
}
