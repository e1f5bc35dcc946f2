/**
 * Figures and tables of the real-photo notebook (notebooks/08-real-photos.ipynb), kept here so
 * the notebook stays thin: boxes drawn onto a figure; detection rows (with the overlap to
 * hand-drawn boxes where there are any); a frame seen as a render (so lib/data's scene and
 * point-cloud figures draw it).
 */
import type { Figure } from "../core/plot";
import type { Row } from "../core/table";
import type { RenderResult } from "../world/types";
import { boxIoU } from "./boxes";
import type { Box } from "./boxes";
import type { PhotoPerception } from "./source";

/**
 * Adds the boxes of a perception result (rectangles, numbered; hover gives "id: label score") to the first
 * panel (axes x, y) of a figure, e.g. lib/data's `sceneFigure(frameAsRender(...))`. Kept boxes
 * are green, boxes left out orange. Returns a new figure.
 */
export function withBoxes(fig: Figure, p: PhotoPerception): Figure {
  const layout = fig.layout as { shapes?: unknown[]; annotations?: unknown[] };
  const shapes = p.boxes.map((b, i) => ({
    type: "rect",
    xref: "x",
    yref: "y",
    x0: b.box[0] - 0.5,
    y0: b.box[1] - 0.5,
    x1: b.box[2] - 0.5,
    y1: b.box[3] - 0.5,
    line: { color: p.descriptions[i] ? "lime" : "orange", width: 2 },
  }));
  // a label is the box's number (hover: label and score); a label that would sit on an earlier
  // one is left out (its box is still drawn, and the detection table lists every box)
  const minDx = 0.08 * p.frame.width;
  const minDy = 0.06 * p.frame.height;
  const kept: { x: number; y: number }[] = [];
  const labels: Record<string, unknown>[] = [];
  p.boxes.forEach((b, i) => {
    const at = { x: b.box[0], y: b.box[1] };
    if (kept.some((k) => Math.abs(k.x - at.x) < minDx && Math.abs(k.y - at.y) < minDy)) return;
    kept.push(at);
    labels.push({ x: at.x, y: at.y, xref: "x", yref: "y", text: String(i), hovertext: `${i}: ${b.label} ${b.score.toFixed(2)}`, showarrow: false, font: { color: "yellow", size: 10 }, xanchor: "left", yanchor: "bottom" });
  });
  return { ...fig, layout: { ...fig.layout, shapes: [...(layout.shapes ?? []), ...shapes], annotations: [...(layout.annotations ?? []), ...labels] } };
}

/** One row per box: label, score, box, description or why it was left out, best IoU with `truth` boxes. */
export function detectionRows(p: PhotoPerception, truth: readonly Box[] = []): Row[] {
  return p.boxes.map((b, i) => ({
    id: i,
    label: b.label,
    score: Number(b.score.toFixed(3)),
    box: b.box.map((x) => x.toFixed(0)).join(", "),
    description: p.descriptions[i]?.text ?? "",
    left_out: p.leftOut.find((l) => l.id === i)?.reason ?? "",
    ...(truth.length > 0 ? { best_iou_with_hand_boxes: Number(Math.max(...truth.map((t) => boxIoU(t, b.box))).toFixed(3)) } : {}),
  }));
}

/**
 * The frame as a RenderResult (rgb, depth, mask, intrinsics; no scene objects) with the camera
 * the ground-plane fallback assumed (height, pitch, focal ratio), for lib/data's figures. Depth
 * beyond `maxDepth` is left out (NaN), so the far ground near the horizon does not dominate a
 * colour scale or a point cloud.
 */
export function frameAsRender(p: PhotoPerception, cameraHeight: number, maxDepth = Infinity): RenderResult {
  const f = p.frame;
  const depth = Float32Array.from(f.depth, (d) => (d > maxDepth ? NaN : d));
  const k = f.intrinsics ?? { fx: 1.5 * f.width, fy: 1.5 * f.width, cx: f.width / 2, cy: f.height / 2, width: f.width, height: f.height };
  return {
    width: f.width,
    height: f.height,
    rgb: f.rgb,
    depth,
    mask: f.mask,
    objects: [],
    visiblePixels: {},
    intrinsics: k,
    camera: { position: { x: 0, y: 0, z: cameraHeight }, yaw: 0, pitch: (p.depth.pitchDeg * Math.PI) / 180, focalRatio: k.fx / f.width },
  };
}
