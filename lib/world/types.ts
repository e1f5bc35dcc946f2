/**
 * Public types of SpatialWorld: the procedural 3D scene source with exact ground truth
 * (docs/architecture.md §1; the stand-in for the paper's IPr2Pr images in §5.1).
 *
 * Conventions (axes, units, depth, left/right) are written down once in `conventions.ts`.
 *
 * How to edit a scene (exact ground-truth edits, paper §5.1.3 / Appendix M): scenes are
 * plain immutable data; the pure functions of `edit.ts` return a NEW scene and never touch
 * their input:
 *   recolourObject(scene, id, colour)    // "change the colour"   (recolour)
 *   retextureObject(scene, id, material) // "change the texture"  (retexture)
 *   removeObject(scene, id)              // "remove"
 *   resizeObject(scene, id, size)        // "make it bigger/smaller" (size class; keeps the footprint centre)
 *   moveObject(scene, id, {x, y})        // "move" to a ground position (world units)
 *   moveObjectBy(scene, id, {dx, dy})    // "move by" an offset, e.g. along the object's trend
 *   advanceAlongTrend(scene, id, dist)   // "where it will be next": move along its trend
 *   replaceObject(scene, id, {shape?, colour?, material?, size?}) // "replace with another object"
 * then `renderScene(edited, {width, height})` gives the exact ground-truth edited image.
 * `sceneProblems(scene)` lists what makes an edited scene invalid (overlaps, duplicate ids),
 * `objectsOutOfView(scene, w, h)` (sampler.ts) which objects leave the picture;
 * the edit functions themselves never refuse on geometry, so the caller decides.
 */

/** Shapes of SpatialWorld objects (all stand on the ground, symmetric about a vertical axis). */
export const SHAPES = ["cube", "sphere", "cylinder", "cone"] as const;
export type Shape = (typeof SHAPES)[number];

/** The 8 CLEVR colours; RGB values in `COLOUR_RGB`. */
export const COLOURS = ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"] as const;
export type ColourName = (typeof COLOURS)[number];

/** Surface materials/textures. */
export const MATERIALS = ["matte", "metal", "striped", "checkered"] as const;
export type Material = (typeof MATERIALS)[number];

/** Size classes; the radius of each is `SIZE_RADIUS[size]` (world units). */
export const SIZES = ["small", "medium", "large"] as const;
export type SizeName = (typeof SIZES)[number];

/** Motion trends (paper §5.1.1 "trend"), in the world frame; "none" = not moving. */
export const TRENDS = ["none", "left", "right", "forward", "backward"] as const;
export type Trend = (typeof TRENDS)[number];

/** A point or vector in the world frame (see conventions.ts: X right, Y forward, Z up; units). */
export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** One object of a scene. Immutable by convention: edit with the functions of `edit.ts`. */
export interface SceneObject {
  /** Unique non-negative integer within the scene; it is also the object's value in the instance mask. */
  id: number;
  shape: Shape;
  colour: ColourName;
  material: Material;
  size: SizeName;
  /**
   * Footprint centre on the ground (world units). `z` is always 0 (objects stand on the
   * ground); the 3D centre of the object's bounding box is at height `objectHeight(o) / 2`.
   */
  position: Vec3;
  /** Rotation about the vertical (Z) axis in radians (only visible on cubes and textures). */
  rotation: number;
  /** Motion direction for "move it to where it will be next" edits; "none" for static objects. */
  trend: Trend;
}

/** Pinhole camera with no roll, looking down at the ground (conventions.ts). */
export interface Camera {
  /** Camera centre in the world frame. */
  position: Vec3;
  /** Heading about Z in radians: 0 looks along +Y (forward). */
  yaw: number;
  /** Downward tilt in radians: 0 looks horizontally, pi/2 straight down. */
  pitch: number;
  /**
   * Focal length as a multiple of the image width: fx = fy = focalRatio * width pixels,
   * principal point at the image centre. Default 1.5 (the engine's guess for unknown intrinsics).
   */
  focalRatio: number;
}

export interface Scene {
  objects: SceneObject[];
  camera: Camera;
  /** The seed that sampled this scene (null for scenes built by hand). */
  seed: number | null;
}

/** Pinhole intrinsics in pixels for a given image size (pixel centres at u + 0.5, v + 0.5). */
export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

export interface RenderOptions {
  /** Image width in pixels, an integer in [MIN_RESOLUTION, MAX_RESOLUTION]. */
  width: number;
  /** Image height in pixels, an integer in [MIN_RESOLUTION, MAX_RESOLUTION]. */
  height: number;
}

export const MIN_RESOLUTION = 8;
export const MAX_RESOLUTION = 1024;

/** What the ray caster returns: pixels, exact depth, instance mask and the object list. */
export interface RenderResult {
  width: number;
  height: number;
  /** RGB bytes, row-major, [H * W * 3]; pixel (u, v) at index (v * W + u) * 3. */
  rgb: Uint8Array;
  /**
   * Exact depth per pixel [H * W]: camera-frame z (distance along the optical axis, not along
   * the ray), world units, > 0. Pixels that hit nothing are +Infinity.
   */
  depth: Float32Array;
  /** Instance mask [H * W]: the `SceneObject.id` seen at the pixel, -1 for ground/background. */
  mask: Int32Array;
  /** The scene's objects (the same objects as `scene.objects`, in scene order). */
  objects: SceneObject[];
  /** Visible pixel count per object id (0 = fully occluded or out of view). */
  visiblePixels: Record<number, number>;
  /** The intrinsics used for this resolution. */
  intrinsics: Intrinsics;
  /** The camera used. */
  camera: Camera;
}

/** Config of the scene sampler (presets in `world/config.ts`). */
export interface WorldConfig {
  /** Fewest objects per scene (>= 1). */
  minObjects: number;
  /** Most objects per scene (<= 6 recommended). */
  maxObjects: number;
  /** Probability that an object has a trend other than "none". */
  trendProbability: number;
  /** Smallest gap between two objects' footprint circles (world units). */
  minGap: number;
  /** Fraction of the image width/height kept free at each border when placing object centres. */
  borderMargin: number;
  /** Require every object's bounding box to project fully inside the image. */
  requireInView: boolean;
  /** Camera height above the ground (world units). */
  cameraHeight: number;
  /** Camera pitch (downward tilt) in degrees. */
  cameraPitchDeg: number;
  /** Random jitter of the camera pitch in degrees (+/-). */
  cameraJitterDeg: number;
  /** fx = fy = focalRatio * width. */
  focalRatio: number;
  /** Tries per object placement before the sampler gives up on that object. */
  maxPlacementTries: number;
}

/**
 * Signatures of the world's entry points (implemented in `sampler.ts` and `render.ts`):
 *   sampleScene(rng: Rng, config?: WorldConfig): Scene   // config from worldConfig(profile)
 *   renderScene(scene: Scene, options: RenderOptions): RenderResult
 */
export type SampleSceneFn = (rng: import("../core/rng").Rng, config?: WorldConfig) => Scene;
export type RenderSceneFn = (scene: Scene, options: RenderOptions) => RenderResult;
