/**
 * The real-photo perception source (paper §5.1.1 on real images), a drop-in beside `oracle` and
 * `noisy`: it implements the engine's `AsyncPerceptionSource`, so point clouds, RANSAC,
 * attributes, templates and edits run unchanged on its frames. Numbered steps of `perceive`:
 *   1. boxes: the CenterNet detector (or any box provider, e.g. truth boxes of a render);
 *   2. masks: a user's SAM-style ONNX pair, else the weight-free box segmentation;
 *   3. depth: the ground-plane fallback (always, cheap; it is also the scale reference), then a
 *      user's ONNX depth model when given;
 *   4. descriptions (colour words, size, static / can move) and the engine's hints;
 *   5. the PerceptionFrame: detections whose mask came out empty, or (ground-plane depth) whose
 *      contact point has no ground under it, are left out, with the reason.
 */
import { performance } from "perf_hooks";
import type { AsyncPerceptionSource, Detection, PerceptionFrame, PerceptionInput, ExtractionResult } from "../engine/types";
import { checkRgb } from "../engine/image-io";
import type { RenderResult } from "../world/types";
import type { PerceptionConfig } from "./config";
import type { Box, BoxDetection } from "./boxes";
import { paintInstances, segmentBox } from "./box-segment";
import type { BoxMask } from "./box-segment";
import type { CenterNetDetector } from "./detector";
import { describeObject } from "./describe";
import type { PhotoDescription } from "./describe";
import { groundPlaneDepth } from "./ground-depth";
import type { OnnxDepthModel } from "./onnx-depth";
import type { OnnxSegmenter } from "./onnx-segmenter";

/** Where the boxes come from: a function of the input (the detector, or a render's truth). */
export type BoxProvider = (input: PerceptionInput) => Promise<BoxDetection[]>;

/** Boxes from the CenterNet detector. */
export function detectorBoxes(detector: CenterNetDetector, config: PerceptionConfig): BoxProvider {
  return (input) => detector.detect(input.image, config.detector);
}

/**
 * Truth boxes of a SpatialWorld render (each visible object's mask bounding box, its shape as
 * the label): "detector excluded" for measuring the rest of the path, since COCO has no cubes.
 */
export function renderBoxes(): BoxProvider {
  return async (input) => {
    if (!input.render) throw new Error("renderBoxes: the input has no render; call perceive({ image, render })");
    return truthBoxes(input.render);
  };
}

/** Mask bounding boxes [u0, v0, u1 + 1, v1 + 1] of the visible objects of a render, in scene order. */
export function truthBoxes(render: RenderResult): BoxDetection[] {
  const W = render.width;
  const ext = new Map<number, Box>();
  for (let i = 0; i < render.mask.length; i++) {
    const id = render.mask[i];
    if (id < 0) continue;
    const u = i % W;
    const v = (i - u) / W;
    const b = ext.get(id);
    if (b === undefined) ext.set(id, [u, v, u + 1, v + 1]);
    else {
      b[0] = Math.min(b[0], u);
      b[1] = Math.min(b[1], v);
      b[2] = Math.max(b[2], u + 1);
      b[3] = Math.max(b[3], v + 1);
    }
  }
  return render.objects.filter((o) => ext.has(o.id)).map((o) => ({ box: ext.get(o.id)!, score: 1, classId: -1, label: o.shape, sourceId: o.id }));
}

export interface PhotoSourceOptions {
  config: PerceptionConfig;
  boxes: BoxProvider;
  /** A SAM-style ONNX pair; null = the weight-free box segmentation. */
  segmenter?: OnnxSegmenter | null;
  /** An ONNX depth model; null = the ground-plane fallback. */
  depthModel?: OnnxDepthModel | null;
}

/** Everything the photo source computed for one image, beside the frame itself. */
export interface PhotoPerception {
  frame: PerceptionFrame;
  /** All boxes (index = instance id in the mask), including those left out. */
  boxes: BoxDetection[];
  /** Per box: its description, or null when its mask was empty. */
  descriptions: (PhotoDescription | null)[];
  /** Boxes left out of the frame and why. */
  leftOut: { id: number; label: string; reason: string }[];
  depth: { method: "ground-plane" | "onnx"; horizonRow: number; horizonSource: string; pitchDeg: number; scaling?: string };
  /** Wall-clock milliseconds per step (detect, segment, depth, describe). */
  timings: Record<"detect" | "segment" | "depth" | "describe", number>;
  /** CPU milliseconds of this process per step (user + system; on a shared machine closer to one core's time). */
  cpuTimings: Record<"detect" | "segment" | "depth" | "describe", number>;
  /** Why there is nothing to extract, or null. */
  emptyReason: string | null;
}

/** The photo perception source with the detailed result (`perceiveDetailed`). */
export interface PhotoSource extends AsyncPerceptionSource {
  perceiveDetailed(input: PerceptionInput): Promise<PhotoPerception>;
}

function cpuMs(a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number {
  return (b.user - a.user + b.system - a.system) / 1000;
}

/** Builds the real-photo perception source (paper §5.1.1). */
export function photoSource(options: PhotoSourceOptions): PhotoSource {
  const { config } = options;
  const detailed = async (input: PerceptionInput): Promise<PhotoPerception> => {
    if (!input || !input.image) throw new Error("photo perception needs an image: call perceive({ image }) with an RgbImage (loadPhoto(...).image)");
    const image = input.image;
    checkRgb(image, "photo perception");
    const W = image.width;
    const H = image.height;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    // 1. boxes
    const boxes = await options.boxes(input);
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    // 2. masks
    const boxList = boxes.map((b) => b.box);
    const perBox: BoxMask[] = options.segmenter ? await options.segmenter.segment(image, boxList) : boxList.map((b) => segmentBox(image, b, config.boxSeg));
    const { mask, emptyReasons } = paintInstances(W, H, boxList, perBox);
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    // 3. depth
    const ground = groundPlaneDepth(W, H, mask, boxes, config.groundDepth);
    let depth = ground.depth;
    let scaling: string | undefined;
    if (options.depthModel) {
      const est = await options.depthModel.estimate(image, { depth: ground.depth, mask });
      depth = est.depth;
      scaling = est.scaling.method;
    }
    const t3 = performance.now();
    const c3 = process.cpuUsage();
    // 4. descriptions and hints
    const pixelsOf: number[][] = boxes.map(() => []);
    for (let i = 0; i < mask.length; i++) if (mask[i] >= 0) pixelsOf[mask[i]].push(i);
    const descriptions: (PhotoDescription | null)[] = [];
    const detections: Detection[] = [];
    const leftOut: PhotoPerception["leftOut"] = [];
    boxes.forEach((b, id) => {
      const contact = ground.contacts[id];
      // without a depth model, an object with no ground under it has no depth: leave it out, with the reason
      const noGround = !options.depthModel && contact !== undefined && "reason" in contact ? `no depth: ${contact.reason}` : null;
      const reason = emptyReasons[id] ?? noGround;
      if (reason !== null) {
        descriptions.push(null);
        leftOut.push({ id, label: b.label, reason });
        return;
      }
      const d = describeObject(image.data, pixelsOf[id], W * H, b.label, config.describe);
      descriptions.push(d);
      detections.push({ id, label: b.label, score: b.score, hints: { size: d.size, trend: "none" } });
    });
    const t4 = performance.now();
    const c4 = process.cpuUsage();
    // 5. the frame
    const frame: PerceptionFrame = { width: W, height: H, rgb: image.data, depth, mask, detections, intrinsics: ground.intrinsics, source: "photo" };
    const emptyReason = boxes.length === 0 ? "the detector found no object above its score threshold" : detections.length === 0 ? "every detected box came out with an empty mask" : null;
    return {
      frame,
      boxes,
      descriptions,
      leftOut,
      depth: {
        method: options.depthModel ? "onnx" : "ground-plane",
        horizonRow: ground.horizonRow,
        horizonSource: ground.horizonSource,
        pitchDeg: (ground.pitch * 180) / Math.PI,
        ...(scaling ? { scaling } : {}),
      },
      timings: { detect: t1 - t0, segment: t2 - t1, depth: t3 - t2, describe: t4 - t3 },
      cpuTimings: { detect: cpuMs(c0, c1), segment: cpuMs(c1, c2), depth: cpuMs(c2, c3), describe: cpuMs(c3, c4) },
      emptyReason,
    };
  };
  return {
    name: "photo",
    perceive: async (input) => (await detailed(input)).frame,
    perceiveDetailed: detailed,
  };
}

/**
 * The extraction with each object's `description` replaced by the photo description (colour
 * words, size, "can move"); the engine's palette `colour` is left as it is. Returns a copy.
 */
export function withPhotoDescriptions(result: ExtractionResult, perception: Pick<PhotoPerception, "descriptions">): ExtractionResult {
  return {
    ...result,
    objects: result.objects.map((o) => {
      const d = perception.descriptions[o.id];
      return d ? { ...o, description: d.text } : o;
    }),
  };
}
