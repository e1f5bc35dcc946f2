/**
 * Pinhole camera maths (conventions.ts): the camera's axes in the world frame, intrinsics for
 * an image size, projection of world points and back-projection of pixels.
 */
import type { Camera, Intrinsics, Vec3 } from "./types";

/** Camera axes in world coordinates: right (camera x), down (camera y), forward (camera z). */
export interface CameraAxes {
  right: Vec3;
  down: Vec3;
  forward: Vec3;
}

export function cameraAxes(camera: Camera): CameraAxes {
  const cy = Math.cos(camera.yaw);
  const sy = Math.sin(camera.yaw);
  const cp = Math.cos(camera.pitch);
  const sp = Math.sin(camera.pitch);
  const forward = { x: sy * cp, y: cy * cp, z: -sp };
  const right = { x: cy, y: -sy, z: 0 };
  // down = forward x right (so that right x down = forward: a right-handed camera frame)
  const down = {
    x: forward.y * right.z - forward.z * right.y,
    y: forward.z * right.x - forward.x * right.z,
    z: forward.x * right.y - forward.y * right.x,
  };
  return { right, down, forward };
}

/** Intrinsics of `camera` at an image size: fx = fy = focalRatio * width, centre principal point. */
export function cameraIntrinsics(camera: Pick<Camera, "focalRatio">, width: number, height: number): Intrinsics {
  return guessIntrinsics(width, height, camera.focalRatio);
}

/** The engine's guess for unknown intrinsics (paper-free choice of the issue): fx = fy = ratio * width. */
export function guessIntrinsics(width: number, height: number, focalRatio = 1.5): Intrinsics {
  const f = focalRatio * width;
  return { fx: f, fy: f, cx: width / 2, cy: height / 2, width, height };
}

/** World point -> camera frame [x, y, z]. */
export function worldToCamera(camera: Camera, p: Vec3, axes: CameraAxes = cameraAxes(camera)): [number, number, number] {
  const dx = p.x - camera.position.x;
  const dy = p.y - camera.position.y;
  const dz = p.z - camera.position.z;
  const a = axes;
  return [
    a.right.x * dx + a.right.y * dy + a.right.z * dz,
    a.down.x * dx + a.down.y * dy + a.down.z * dz,
    a.forward.x * dx + a.forward.y * dy + a.forward.z * dz,
  ];
}

/** Camera-frame point -> world. */
export function cameraToWorld(camera: Camera, pc: readonly [number, number, number], axes: CameraAxes = cameraAxes(camera)): Vec3 {
  const a = axes;
  return {
    x: camera.position.x + a.right.x * pc[0] + a.down.x * pc[1] + a.forward.x * pc[2],
    y: camera.position.y + a.right.y * pc[0] + a.down.y * pc[1] + a.forward.y * pc[2],
    z: camera.position.z + a.right.z * pc[0] + a.down.z * pc[1] + a.forward.z * pc[2],
  };
}

/** Camera-frame point -> continuous pixel coordinates (u, v) (pixel centres at integer + 0.5) and depth z. */
export function projectCamera(k: Intrinsics, pc: readonly [number, number, number]): { u: number; v: number; z: number } {
  return { u: (k.fx * pc[0]) / pc[2] + k.cx, v: (k.fy * pc[1]) / pc[2] + k.cy, z: pc[2] };
}

/** World point -> pixel coordinates and depth. */
export function projectWorld(camera: Camera, k: Intrinsics, p: Vec3): { u: number; v: number; z: number } {
  return projectCamera(k, worldToCamera(camera, p));
}

/** Pixel (integer u, v) with depth z -> camera-frame point (back-projection through the pixel centre). */
export function backProject(k: Intrinsics, u: number, v: number, z: number): [number, number, number] {
  return [((u + 0.5 - k.cx) * z) / k.fx, ((v + 0.5 - k.cy) * z) / k.fy, z];
}

/** Where the ray through continuous pixel position (u, v) meets the ground Z = 0, or null above the horizon. */
export function pixelToGround(camera: Camera, k: Intrinsics, u: number, v: number): Vec3 | null {
  const a = cameraAxes(camera);
  const xn = (u - k.cx) / k.fx;
  const yn = (v - k.cy) / k.fy;
  const dz = a.right.z * xn + a.down.z * yn + a.forward.z;
  if (dz >= -1e-9) return null;
  const t = -camera.position.z / dz;
  return {
    x: camera.position.x + t * (a.right.x * xn + a.down.x * yn + a.forward.x),
    y: camera.position.y + t * (a.right.y * xn + a.down.y * yn + a.forward.y),
    z: 0,
  };
}
