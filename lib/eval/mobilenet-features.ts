/**
 * "feature sim (MobileNetV2)": the 1280-d global-average-pooled features of the MobileNetV2 that
 * ships inside the `nsfwjs` npm package (MIT; a Keras MobileNetV2 fine-tuned by its authors as
 * a 5-class image classifier). It is an ImageNet-style CNN independent of our editor, so it
 * gives a second opinion beside our own encoder's features; it is not DINO, CLIP or LPIPS.
 * Loaded from the package's files with `tf.io.fromMemory` (no network), preprocessed as
 * nsfwjs does: values / 255, bilinear resize (align corners) to `inputSize` (224 as trained;
 * a smaller multiple of 32 is allowed for speed: the network is convolutional up to its last
 * ReLU, whose spatial mean is the feature, exactly the pooled output at 224).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { FeatureExtractor, tfFeatureExtractor } from "./features";

/** The last convolutional activation; its spatial mean is the feature (the model's own pooling at 224). */
export const MOBILENET_FEATURE_LAYER = "out_relu";

interface KerasTopology {
  model_config: { config: { layers: { name: string; config: { batch_input_shape?: unknown } }[]; output_layers: unknown } };
}

/** The topology cut after `out_relu`, with a square input of `size` pixels. */
function truncatedTopology(topology: KerasTopology, size: number): KerasTopology {
  const t = structuredClone(topology);
  const cfg = t.model_config.config;
  const last = cfg.layers.findIndex((l) => l.name === MOBILENET_FEATURE_LAYER);
  if (last < 0) throw new Error(`loadMobileNetV2Features: the model has no layer '${MOBILENET_FEATURE_LAYER}'`);
  cfg.layers = cfg.layers.slice(0, last + 1);
  cfg.layers[0].config.batch_input_shape = [null, size, size, 3];
  cfg.output_layers = [[MOBILENET_FEATURE_LAYER, 0, 0]];
  return t;
}

/** Folder of the model inside the installed nsfwjs package. */
export function mobileNetModelDir(): string {
  let entry: string;
  try {
    entry = require.resolve("nsfwjs");
  } catch {
    throw new Error("loadMobileNetV2Features: the npm package 'nsfwjs' is not installed (npm ci installs it: it is in package.json)");
  }
  return path.join(path.dirname(entry), "..", "models", "mobilenet_v2");
}

/** Loads the network (a few seconds) and returns it as a FeatureExtractor; `dispose()` frees its weights. */
export async function loadMobileNetV2Features(options: { batchSize?: number; inputSize?: number } = {}): Promise<FeatureExtractor> {
  const size = options.inputSize ?? 224;
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) throw new Error(`loadMobileNetV2Features: inputSize must be a multiple of 32 (224 as trained), got ${size}`);
  const dir = mobileNetModelDir();
  const topologyFile = path.join(dir, "model.min.js");
  const weightsFile = path.join(dir, "group1-shard1of1.min.js");
  for (const f of [topologyFile, weightsFile]) if (!fs.existsSync(f)) throw new Error(`loadMobileNetV2Features: ${f} is missing from the nsfwjs package`);
  // the package stores the model.json and the weights (base64) as CommonJS modules
  const json = require(topologyFile) as { modelTopology: KerasTopology; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const b64 = require(weightsFile) as string;
  const bytes = Buffer.from(b64, "base64");
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  // strict: false, because the weights of the classifier head (not in the cut topology) are skipped
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: truncatedTopology(json.modelTopology, size), weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }), { strict: false });
  const dim = (model.outputs[0].shape as number[])[3];
  return tfFeatureExtractor(
    (x) => (model.predict(tf.image.resizeBilinear(x, [size, size], true)) as tf.Tensor4D).mean([1, 2]) as tf.Tensor2D, // [B, S, S, 3] -> [B, S/32, S/32, 1280] -> [B, 1280]
    { name: "feature sim (MobileNetV2)", dim, batchSize: options.batchSize ?? 16, release: () => model.dispose() },
  );
}
