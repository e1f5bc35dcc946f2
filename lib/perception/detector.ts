/**
 * Object detection on real photos (paper §5.1.1 uses GroundingDINO; offline we use the
 * CenterNet COCO-80 detector whose TF.js graph and weights ship inside the npm package
 * `@vladmandic/human`, MIT). Numbered steps of `detect`:
 *   1. resize the RGB image to the graph's square input (512 x 512, values 0..255);
 *   2. run the graph to its two heads: `keypoints` [1, 128, 128, 80] (per-class centre heat
 *      map after a sigmoid) and `wh` [1, 128, 128, 4] (distances from the centre to the box's
 *      left, top, right and bottom edges, input pixels); the output stride is 4;
 *   3. decode (ours, `decodeCenterNet`): a heat-map cell is a peak when it is the largest of its
 *      3x3 neighbourhood in its class; peaks at or above `minScore`, best `topK` first; box =
 *      (4x - l, 4y - t, 4x + r, 4y + b);
 *   4. per-class non-maximum suppression, scale the boxes back to the image, class names.
 * The graph also has a `detections` output (its own top-100 decode); a test checks that our
 * decoding gives the same boxes.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import type { RgbImage } from "../engine/types";
import { checkRgb } from "../engine/image-io";
import type { DetectorConfig } from "./config";
import { clipBox, nonMaxSuppression, scaleBox } from "./boxes";
import type { BoxDetection } from "./boxes";
import { cocoName, COCO_CLASSES } from "./coco";

/** Stride of the CenterNet heads: one heat-map cell per 4 x 4 input pixels. */
export const CENTERNET_STRIDE = 4;
const HEAT = "tower_0/keypoints";
const WH = "tower_0/wh";
const INPUT = "tower_0/images";

/** The root folder of the installed `@vladmandic/human` package (its models/ and assets/ are read from there). */
export function humanPackageDir(): string {
  let entry: string;
  try {
    entry = require.resolve("@vladmandic/human");
  } catch {
    throw new Error("humanPackageDir: the npm package @vladmandic/human is not installed (npm ci installs it; it carries the CenterNet weights)");
  }
  return path.join(path.dirname(entry), "..");
}

/** The folder of model files inside the installed `@vladmandic/human` package. */
export function humanModelsDir(): string {
  return path.join(humanPackageDir(), "models");
}

/**
 * Decodes CenterNet heads (step 3) into boxes in input pixels. `heat` is [G, G, C] row-major
 * (y, x, class), `wh` is [G, G, 4]. Pure; no tensors.
 */
export function decodeCenterNet(heat: Float32Array, wh: Float32Array, grid: number, classes: number, config: Pick<DetectorConfig, "minScore" | "topK">): BoxDetection[] {
  if (heat.length !== grid * grid * classes) throw new Error(`decodeCenterNet: heat map has ${heat.length} values, expected ${grid}x${grid}x${classes}`);
  if (wh.length !== grid * grid * 4) throw new Error(`decodeCenterNet: wh has ${wh.length} values, expected ${grid}x${grid}x4`);
  const peaks: { score: number; y: number; x: number; c: number }[] = [];
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const base = (y * grid + x) * classes;
      for (let c = 0; c < classes; c++) {
        const s = heat[base + c];
        if (!(s >= config.minScore)) continue;
        let isPeak = true;
        for (let dy = -1; dy <= 1 && isPeak; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= grid) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= grid || (dx === 0 && dy === 0)) continue;
            if (heat[(yy * grid + xx) * classes + c] > s) {
              isPeak = false;
              break;
            }
          }
        }
        if (isPeak) peaks.push({ score: s, y, x, c });
      }
    }
  }
  peaks.sort((a, b) => b.score - a.score || a.y - b.y || a.x - b.x || a.c - b.c);
  return peaks.slice(0, config.topK).map((p) => {
    const k = (p.y * grid + p.x) * 4;
    const cx = p.x * CENTERNET_STRIDE;
    const cy = p.y * CENTERNET_STRIDE;
    return {
      box: [cx - wh[k], cy - wh[k + 1], cx + wh[k + 2], cy + wh[k + 3]],
      score: p.score,
      classId: p.c,
      label: p.c < COCO_CLASSES.length ? cocoName(p.c) : `class ${p.c}`,
    };
  });
}

/** A loaded CenterNet graph. `detect` is async (it reads the heads back from the backend). */
export interface CenterNetDetector {
  readonly name: "centernet";
  readonly inputSize: number;
  detect(image: RgbImage, config: DetectorConfig): Promise<BoxDetection[]>;
  /** The graph's own `detections` output [100, 6] (x0, y0, x1, y1, score, class; input pixels), for checks. */
  graphDetections(image: RgbImage): Promise<number[][]>;
  dispose(): void;
}

/** Step 1: the image as a [1, S, S, 3] float tensor of 0..255 values (caller disposes). */
function toInput(image: RgbImage, size: number): tf.Tensor4D {
  checkRgb(image, "detect");
  return tf.tidy(() => {
    const x = tf.tensor3d(image.data, [image.height, image.width, 3], "int32").toFloat(); // [H, W, 3]
    return tf.image.resizeBilinear(x, [size, size]).expandDims(0) as tf.Tensor4D; // [1, S, S, 3]
  });
}

/**
 * Loads the CenterNet COCO-80 graph from its files (default: the `@vladmandic/human` package)
 * with `tf.io.fromMemory`, so no file or network loader is involved. A TF.js backend must be
 * active (`initBackend` from lib/backend).
 */
export async function loadCenterNet(modelDir: string = humanModelsDir()): Promise<CenterNetDetector> {
  const jsonFile = path.join(modelDir, "centernet.json");
  if (!fs.existsSync(jsonFile)) throw new Error(`loadCenterNet: no centernet.json in ${modelDir}`);
  let json: {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    signature?: { inputs?: Record<string, { tensorShape?: { dim?: { size: string }[] } }> };
  };
  try {
    json = JSON.parse(fs.readFileSync(jsonFile, "utf8"));
  } catch (e) {
    throw new Error(`loadCenterNet: ${jsonFile} is not valid JSON (a damaged or partial install? npm ci restores it): ${(e as Error).message}`);
  }
  if (!json || typeof json.modelTopology !== "object" || !Array.isArray(json.weightsManifest)) {
    throw new Error(`loadCenterNet: ${jsonFile} is not a TF.js graph model (it needs modelTopology and weightsManifest)`);
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts = json.weightsManifest.flatMap((g) => g.paths).map((p) => {
    const file = path.join(modelDir, p);
    if (!fs.existsSync(file)) throw new Error(`loadCenterNet: ${jsonFile} names the weights file ${p}, which is missing from ${modelDir}`);
    return fs.readFileSync(file);
  });
  const bin = Buffer.concat(parts);
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer;
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
  } catch (e) {
    throw new Error(`loadCenterNet: the graph in ${modelDir} does not load (weights of the wrong size for their manifest?): ${(e as Error).message.split("\n")[0]}`);
  }
  const dims = json.signature?.inputs?.[INPUT]?.tensorShape?.dim;
  const inputSize = dims && dims.length === 4 ? Number(dims[1].size) : 512;
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error("CenterNetDetector: used after dispose()");
  };
  return {
    name: "centernet",
    inputSize,
    async detect(image: RgbImage, config: DetectorConfig): Promise<BoxDetection[]> {
      live();
      if (config.inputSize !== inputSize) throw new Error(`detect: config.inputSize is ${config.inputSize} but the graph takes ${inputSize}x${inputSize}`);
      const x = toInput(image, inputSize);
      const [heatT, whT] = model.execute(x, [HEAT, WH]) as tf.Tensor[];
      x.dispose();
      const grid = heatT.shape[1]!; // heat: [1, G, G, C]
      const classes = heatT.shape[3]!;
      const [heat, wh] = (await Promise.all([heatT.data(), whT.data()])) as Float32Array[];
      heatT.dispose();
      whT.dispose();
      const raw = decodeCenterNet(heat, wh, grid, classes, config);
      const sx = image.width / inputSize;
      const sy = image.height / inputSize;
      const out: BoxDetection[] = [];
      for (const d of nonMaxSuppression(raw, config.iouThreshold, config.maxDetections)) {
        const b = clipBox(scaleBox(d.box, sx, sy), image.width, image.height);
        if (b !== null) out.push({ ...d, box: b });
      }
      return out;
    },
    async graphDetections(image: RgbImage): Promise<number[][]> {
      live();
      const x = toInput(image, inputSize);
      const det = model.execute(x, "tower_0/detections") as tf.Tensor; // [1, 100, 6]
      x.dispose();
      const arr = ((await det.array()) as number[][][])[0];
      det.dispose();
      return arr;
    },
    dispose() {
      if (!disposed) model.dispose();
      disposed = true;
    },
  };
}
