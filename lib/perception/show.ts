/**
 * Figures and tables of the real-photo notebook (notebooks/08-real-photos.ipynb), kept here so
 * the notebook stays thin: the photo with its boxes, the instance mask and the depth map side by
 * side; detection rows (with the overlap to hand-drawn boxes where there are any); a frame seen
 * as a render (so lib/data's point-cloud figure draws it).
 */
import type { Figure } from "../core/plot";
import type { Row } from "../core/table";
import type { PerceptionFrame } from "../engine/types";
import type { RenderResult } from "../world/types";
import { boxIoU } from "./boxes";
import type { Box } from "./boxes";
import type { PhotoPerception } from "./source";

function pixelRows(frame: Pick<PerceptionFrame, "width" | "height" | "rgb">): number[][][] {
  const out: number[][][] = [];
  for (let v = 0; v < frame.height; v++) {
    const row: number[][] = [];
    for (let u = 0; u < frame.width; u++) {
      const i = (v * frame.width + u) * 3;
      row.push([frame.rgb[i], frame.rgb[i + 1], frame.rgb[i + 2]]);
    }
    out.push(row);
  }
  return out;
}

function valueRows(values: ArrayLike<number>, W: number, H: number, map: (x: number) => number | null): (number | null)[][] {
  const out: (number | null)[][] = [];
  for (let v = 0; v < H; v++) {
    const row: (number | null)[] = [];
    for (let u = 0; u < W; u++) row.push(map(values[v * W + u]));
    out.push(row);
  }
  return out;
}

/** The photo with its boxes and labels, the instance mask and the depth map, side by side. */
export function photoFigure(p: PhotoPerception, title: string): Figure {
  const f = p.frame;
  const dom = (i: number) => [i / 3 + 0.01, (i + 1) / 3 - 0.01];
  // colour scale up to the 95th percentile: the ground near the horizon is far away and would wash out the rest
  const finite = Array.from(f.depth).filter((d) => Number.isFinite(d) && d > 0).sort((a, b) => a - b);
  const zmax = finite.length > 0 ? finite[Math.floor(0.95 * (finite.length - 1))] : 1;
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
  const labels = p.boxes.map((b, i) => ({ x: b.box[0], y: b.box[1], xref: "x", yref: "y", text: `${i}: ${b.label} ${b.score.toFixed(2)}`, showarrow: false, font: { color: "yellow", size: 10 }, xanchor: "left", yanchor: "bottom" }));
  return {
    data: [
      { type: "image", z: pixelRows(f), xaxis: "x", yaxis: "y", name: "photo" },
      { type: "heatmap", z: valueRows(f.mask, f.width, f.height, (m) => (m >= 0 ? m : null)), xaxis: "x2", yaxis: "y2", colorscale: "Portland", showscale: false, name: "mask" },
      { type: "heatmap", z: valueRows(f.depth, f.width, f.height, (d) => (Number.isFinite(d) && d > 0 ? d : null)), xaxis: "x3", yaxis: "y3", colorscale: "Viridis", zmin: 0, zmax, colorbar: { title: { text: "depth" }, len: 0.8 }, name: "depth" },
    ],
    layout: {
      title: { text: title },
      shapes,
      xaxis: { domain: dom(0), showticklabels: false },
      yaxis: { autorange: "reversed", scaleanchor: "x", showticklabels: false },
      xaxis2: { domain: dom(1), showticklabels: false },
      yaxis2: { autorange: "reversed", scaleanchor: "x2", showticklabels: false, anchor: "x2" },
      xaxis3: { domain: dom(2), showticklabels: false },
      yaxis3: { autorange: "reversed", scaleanchor: "x3", showticklabels: false, anchor: "x3" },
      annotations: [
        ...labels,
        ...["boxes", "instance masks", `depth (${p.depth.method})`].map((t, i) => ({ text: t, x: (i + 0.5) / 3, y: 1.02, xref: "paper", yref: "paper", showarrow: false })),
      ],
    },
  };
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
 * the ground-plane fallback assumed (height, pitch, focal ratio), for lib/data's figures.
 */
export function frameAsRender(p: PhotoPerception, cameraHeight: number): RenderResult {
  const f = p.frame;
  const k = f.intrinsics ?? { fx: 1.5 * f.width, fy: 1.5 * f.width, cx: f.width / 2, cy: f.height / 2, width: f.width, height: f.height };
  return {
    width: f.width,
    height: f.height,
    rgb: f.rgb,
    depth: f.depth,
    mask: f.mask,
    objects: [],
    visiblePixels: {},
    intrinsics: k,
    camera: { position: { x: 0, y: 0, z: cameraHeight }, yaw: 0, pitch: (p.depth.pitchDeg * Math.PI) / 180, focalRatio: k.fx / f.width },
  };
}
