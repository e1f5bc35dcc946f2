/**
 * Figures and tables of the data-engine notebook (notebooks/01-data-engine.ipynb), kept here so
 * the notebook stays thin: a scene with its depth and instance mask, the point cloud with the
 * fitted ground plane (interactive 3D), the attribute table, before/after image strips, and
 * count tables from manifests.
 */
import type { Figure } from "../core/plot";
import type { Row } from "../core/table";
import type { ExtractionResult, RgbImage } from "../engine/types";
import { backProject } from "../world/camera";
import type { RenderResult } from "../world/types";
import type { Manifest } from "./writer";

/** 8-bit RGB pixels as plotly's `image` trace wants them: rows of [r, g, b]. */
export function imageRows(img: RgbImage): number[][][] {
  if (img.data.length !== img.width * img.height * 3) throw new Error(`imageRows: ${img.width}x${img.height} RGB needs ${img.width * img.height * 3} bytes, got ${img.data.length}`);
  const out: number[][][] = [];
  for (let v = 0; v < img.height; v++) {
    const row: number[][] = [];
    for (let u = 0; u < img.width; u++) {
      const i = (v * img.width + u) * 3;
      row.push([img.data[i], img.data[i + 1], img.data[i + 2]]);
    }
    out.push(row);
  }
  return out;
}

const rows3 = (r: { width: number; height: number; rgb: Uint8Array }): number[][][] => imageRows({ width: r.width, height: r.height, data: r.rgb });

function grid(values: ArrayLike<number>, W: number, H: number, map: (x: number) => number | null): (number | null)[][] {
  const out: (number | null)[][] = [];
  for (let v = 0; v < H; v++) {
    const row: (number | null)[] = [];
    for (let u = 0; u < W; u++) row.push(map(values[v * W + u]));
    out.push(row);
  }
  return out;
}

/** Image, depth (camera-frame z) and instance mask side by side. */
export function sceneFigure(r: RenderResult, title: string): Figure {
  const dom = (i: number) => [i / 3 + 0.01, (i + 1) / 3 - 0.01];
  return {
    data: [
      { type: "image", z: rows3(r), xaxis: "x", yaxis: "y", name: "rgb" },
      { type: "heatmap", z: grid(r.depth, r.width, r.height, (d) => (Number.isFinite(d) ? d : null)), xaxis: "x2", yaxis: "y2", colorscale: "Viridis", colorbar: { title: { text: "depth" }, x: 0.64, len: 0.8 }, name: "depth" },
      { type: "heatmap", z: grid(r.mask, r.width, r.height, (m) => m), xaxis: "x3", yaxis: "y3", colorscale: "Portland", showscale: false, name: "mask" },
    ],
    layout: {
      title: { text: title },
      xaxis: { domain: dom(0), showticklabels: false },
      yaxis: { autorange: "reversed", scaleanchor: "x", showticklabels: false },
      xaxis2: { domain: dom(1), showticklabels: false },
      yaxis2: { autorange: "reversed", scaleanchor: "x2", showticklabels: false, anchor: "x2" },
      xaxis3: { domain: dom(2), showticklabels: false },
      yaxis3: { autorange: "reversed", scaleanchor: "x3", showticklabels: false, anchor: "x3" },
      annotations: ["RGB", "depth (camera z)", "instance mask<br>(-1 = ground)"].map((t, i) => ({ text: t, x: (i + 0.5) / 3, y: 1.02, xref: "paper", yref: "paper", yanchor: "bottom", showarrow: false })),
    },
  };
}

/**
 * The back-projected point cloud (every `step`-th pixel, coloured by the image) and the RANSAC
 * ground plane of the extraction as a surface, in the camera frame (x right, y down, z forward;
 * plotted with y pointing up for reading).
 */
export function pointCloudFigure(r: RenderResult, ex: ExtractionResult, step = 2): Figure {
  const xs: number[] = [];
  const ys: number[] = [];
  const zs: number[] = [];
  const cs: string[] = [];
  for (let v = 0; v < r.height; v += step) {
    for (let u = 0; u < r.width; u += step) {
      const i = v * r.width + u;
      const d = r.depth[i];
      if (!Number.isFinite(d) || d <= 0) continue;
      const [x, y, z] = backProject(ex.intrinsics, u, v, d);
      xs.push(x);
      ys.push(-y);
      zs.push(z);
      cs.push(`rgb(${r.rgb[i * 3]},${r.rgb[i * 3 + 1]},${r.rgb[i * 3 + 2]})`);
    }
  }
  const data: Record<string, unknown>[] = [{ type: "scatter3d", mode: "markers", x: xs, y: zs, z: ys, marker: { size: 2, color: cs }, name: "points" }];
  if (ex.plane) {
    const [a, b, c] = ex.plane.normal;
    const d = ex.plane.d;
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    const z0 = Math.min(...zs);
    const z1 = Math.max(...zs);
    const gx = [0, 1, 2, 3, 4].map((t) => x0 + ((x1 - x0) * t) / 4);
    const gz = [0, 1, 2, 3, 4].map((t) => z0 + ((z1 - z0) * t) / 4);
    // camera y on the plane: a x + b y + c z + d = 0  ->  y = -(a x + c z + d) / b (plotted as -y)
    const surf = gz.map((z) => gx.map((x) => (a * x + c * z + d) / b));
    data.push({ type: "surface", x: gx, y: gz, z: surf, opacity: 0.35, showscale: false, colorscale: [[0, "gray"], [1, "gray"]], name: "RANSAC ground plane" });
  }
  return {
    data,
    layout: {
      title: { text: `Point cloud (pinhole back-projection) and the RANSAC ground plane (${ex.plane ? `${ex.plane.inliers}/${ex.plane.candidates} inliers` : "no plane"})` },
      scene: { xaxis: { title: { text: "x (right)" } }, yaxis: { title: { text: "z (forward)" } }, zaxis: { title: { text: "-y (up)" } }, aspectmode: "data" },
    },
  };
}

/** One table row per extracted object ([object, description, trend, position, contour, volume, distance]). */
export function attributeRows(ex: ExtractionResult): Row[] {
  return ex.objects.map((o) => ({
    id: o.id,
    object: o.object,
    description: o.description,
    trend: o.trend,
    u: Number(o.centroid2d.u.toFixed(1)),
    v: Number(o.centroid2d.v.toFixed(1)),
    depth: Number(o.depth.toFixed(3)),
    height: Number(o.height.toFixed(3)),
    area_px: o.area,
    perimeter_px: o.perimeter,
    volume_box: Number(o.volumeBox.toFixed(3)),
    volume_hull: Number(o.volumeHull.toFixed(3)),
    volume_shape: o.volumeShape === null ? null : Number(o.volumeShape.toFixed(3)),
    leftmost_rank: o.ranks.horizontal?.asc ?? null,
    nearest_rank: o.ranks.depth?.asc ?? null,
    biggest_rank: o.ranks.volume?.desc ?? null,
  }));
}

/** Images side by side with a `gap`-pixel white gap, each scaled up `scale` times (nearest neighbour). */
export function imageStrip(images: readonly RgbImage[], scale = 4, gap = 4): RgbImage {
  if (images.length === 0) throw new Error("imageStrip: no images");
  const H = Math.max(...images.map((i) => i.height)) * scale;
  const W = images.reduce((s, i) => s + i.width * scale, 0) + gap * (images.length - 1);
  const data = new Uint8Array(W * H * 3).fill(255);
  let x0 = 0;
  for (const img of images) {
    for (let v = 0; v < img.height * scale; v++) {
      for (let u = 0; u < img.width * scale; u++) {
        const s = (Math.floor(v / scale) * img.width + Math.floor(u / scale)) * 3;
        const d = (v * W + x0 + u) * 3;
        data[d] = img.data[s];
        data[d + 1] = img.data[s + 1];
        data[d + 2] = img.data[s + 2];
      }
    }
    x0 += img.width * scale + gap;
  }
  return { width: W, height: H, data };
}

/** Rows "group / key / count" of a manifest's counters (optionally one group). */
export function countRows(m: Manifest, group: string): Row[] {
  const g = m.counts[group] ?? {};
  return Object.keys(g)
    .sort()
    .map((k) => ({ [group]: k, count: g[k] }));
}
