/**
 * THE conventions of SpatialWorld and the data engine, written down once. Everything else
 * refers here; test/world/conventions.test.ts checks each statement with scenes built for it.
 *
 * Units: one "world unit" (call it a metre) for every length: positions, depth, heights,
 * distances; volumes in cubic units; areas of contours in pixels.
 *
 * World frame (right-handed): X points right as the default camera sees it, Y points forward
 * (away from the default camera), Z points up. The ground is the plane Z = 0. Objects stand on
 * it: `SceneObject.position` is the footprint centre (z = 0), the 3D centre of the object's
 * bounding box is at height `objectHeight(o) / 2`.
 *
 * Camera frame (OpenCV style): x right, y down, z forward along the optical axis. The camera
 * has no roll. Depth = camera-frame z of the point, in world units, always > 0 for visible
 * points (it is NOT the Euclidean distance along the ray; that is `distanceToCamera`).
 *
 * Image: pixel (u, v) = (column, row), u from the left edge, v from the top edge; pixel
 * centres at (u + 0.5, v + 0.5); buffers are row-major, index v * W + u (times 3 for RGB).
 * Pinhole projection: u = fx * x / z + cx, v = fy * y / z + cy with fx = fy = focalRatio * W
 * (default 1.5 * W, the engine's guess when intrinsics are unknown) and (cx, cy) = (W/2, H/2).
 * Back-projection of pixel (u, v) with depth z: x = (u + 0.5 - cx) * z / fx, y = (v + 0.5 - cy) * z / fy.
 *
 * Left/right: as the viewer sees the picture. "A is left of B" means A's centre projects to a
 * smaller image column u than B's centre. Because the camera has no roll this is the same as a
 * smaller x / z in the camera frame; it is NOT the world X order for objects at different
 * depths. "Leftmost" = smallest u; "2nd from the right" = 2nd largest u.
 * Near/deep: "nearest" = smallest depth (camera-frame z) of the object's 3D centre;
 * "deepest/farthest" = largest.
 * Height: the top of the object above the ground plane. Volume: the object's real 3D volume.
 * Contour: the visible mask area in pixels (what the image shows, occlusion included).
 *
 * Trends (motion directions) are in the world frame: left = -X, right = +X, forward = +Y
 * (away from the camera), backward = -Y (towards the camera); with the default camera
 * (yaw 0) left/right agree with the image's left/right.
 */
import type { ColourName, SceneObject, Shape, SizeName, Trend, Vec3 } from "./types";

/** Footprint radius per size class (world units): sphere/cylinder/cone radius, cube half side. */
export const SIZE_RADIUS: Readonly<Record<SizeName, number>> = { small: 0.3, medium: 0.45, large: 0.65 };

/** Object height = HEIGHT_FACTOR[shape] * radius. */
export const HEIGHT_FACTOR: Readonly<Record<Shape, number>> = { cube: 2, sphere: 2, cylinder: 2.4, cone: 2.6 };

/** CLEVR palette (sRGB bytes). */
export const COLOUR_RGB: Readonly<Record<ColourName, [number, number, number]>> = {
  gray: [87, 87, 87],
  red: [173, 35, 35],
  blue: [42, 75, 215],
  green: [29, 105, 20],
  brown: [129, 74, 25],
  purple: [129, 38, 192],
  cyan: [41, 208, 208],
  yellow: [255, 238, 51],
};

/** Unit world-frame direction of each trend (zero for "none"). */
export const TREND_VECTOR: Readonly<Record<Trend, Vec3>> = {
  none: { x: 0, y: 0, z: 0 },
  left: { x: -1, y: 0, z: 0 },
  right: { x: 1, y: 0, z: 0 },
  forward: { x: 0, y: 1, z: 0 },
  backward: { x: 0, y: -1, z: 0 },
};

export function objectRadius(o: Pick<SceneObject, "size">): number {
  return SIZE_RADIUS[o.size];
}

export function objectHeight(o: Pick<SceneObject, "size" | "shape">): number {
  return HEIGHT_FACTOR[o.shape] * SIZE_RADIUS[o.size];
}

/** Radius of the circle that contains the footprint (cubes: half diagonal). */
export function footprintRadius(o: Pick<SceneObject, "size" | "shape">): number {
  const r = SIZE_RADIUS[o.size];
  return o.shape === "cube" ? r * Math.SQRT2 : r;
}

/** The real (analytic) volume of an object, cubic world units. */
export function objectVolume(o: Pick<SceneObject, "size" | "shape">): number {
  return primitiveVolume(o.shape, SIZE_RADIUS[o.size], objectHeight(o));
}

/**
 * Volume of a primitive from its radius r (cube: half side) and height h; a cube's footprint
 * area defaults to its axis-aligned square (2r)^2 (the engine passes a measured hull area).
 */
export function primitiveVolume(shape: Shape, r: number, h: number, cubeFootprintArea = 4 * r * r): number {
  switch (shape) {
    case "cube":
      return cubeFootprintArea * h;
    case "sphere":
      return (4 / 3) * Math.PI * r * r * r;
    case "cylinder":
      return Math.PI * r * r * h;
    case "cone":
      return (Math.PI * r * r * h) / 3;
  }
}

/** World-frame centre of the object's bounding box. */
export function objectCentre(o: Pick<SceneObject, "size" | "shape" | "position">): Vec3 {
  return { x: o.position.x, y: o.position.y, z: objectHeight(o) / 2 };
}
