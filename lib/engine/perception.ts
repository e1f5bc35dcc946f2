/**
 * Perception sources (paper §5.1.1: detector + segmenter + depth model). `oracleSource` reads
 * the renderer's exact masks and depth; `noisySource` corrupts them (depth noise, eroded or
 * dilated masks, missed objects) to measure robustness. With its default config the noisy
 * source passes the TRUE class label (shape), material, size class and trend through: only the
 * geometry is noisy. `wrongLabelProbability` and `dropAttributeProbability` (NOISY_LABEL_MODE)
 * also corrupt the semantic step. A real-image source implements the same `PerceptionSource`
 * interface (or `AsyncPerceptionSource`) from the image alone.
 */
import type { Rng } from "../core/rng";
import { SHAPES } from "../world/types";
import type { RenderResult } from "../world/types";
import { checkNoisyConfig } from "./config";
import type { NoisyConfig } from "./config";
import type { Detection, PerceptionFrame, PerceptionInput, PerceptionSource } from "./types";

function needRender(input: PerceptionInput, who: string): RenderResult {
  if (!input || !input.render) {
    throw new Error(`${who} perception needs the renderer's output: call perceive({ image, render }) with render = renderScene(...)`);
  }
  const r = input.render;
  if (input.image && (input.image.width !== r.width || input.image.height !== r.height)) {
    throw new Error(`${who} perception: image is ${input.image.width}x${input.image.height} but the render is ${r.width}x${r.height}`);
  }
  return r;
}

function detectionsOf(render: RenderResult): Detection[] {
  const out: Detection[] = [];
  for (const o of render.objects) {
    if ((render.visiblePixels[o.id] ?? 0) === 0) continue; // fully occluded or out of view: nothing to detect
    out.push({ id: o.id, label: o.shape, score: 1, hints: { material: o.material, size: o.size, trend: o.trend } });
  }
  return out;
}

/** The oracle: exact masks, depth and labels from the renderer; intrinsics known. */
export function oracleSource(): PerceptionSource {
  return {
    name: "oracle",
    perceive(input: PerceptionInput): PerceptionFrame {
      const r = needRender(input, "oracle");
      return {
        width: r.width,
        height: r.height,
        rgb: input.image ? input.image.data : r.rgb,
        depth: r.depth,
        mask: r.mask,
        detections: detectionsOf(r),
        intrinsics: r.intrinsics,
        source: "oracle",
      };
    },
  };
}

/** One-pixel erosion (remove) or dilation (grow into background/other objects) of instance `id`. */
function morph(mask: Int32Array, W: number, H: number, id: number, grow: boolean): void {
  const change: number[] = [];
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const i = v * W + u;
      const inside = mask[i] === id;
      if (inside === grow) continue;
      // a pixel on the instance's outline has a 4-neighbour on the other side
      if (
        (u > 0 && (mask[i - 1] === id) !== inside) ||
        (u < W - 1 && (mask[i + 1] === id) !== inside) ||
        (v > 0 && (mask[i - W] === id) !== inside) ||
        (v < H - 1 && (mask[i + W] === id) !== inside)
      ) {
        change.push(i);
      }
    }
  }
  for (const i of change) mask[i] = grow ? id : -1;
}

/**
 * A noisy perception source: multiplicative Gaussian depth noise, each object's mask eroded or
 * dilated by one pixel with the given probabilities, and objects missed with `dropProbability`.
 * Labels: a kept detection gets another shape's label with `wrongLabelProbability`, and each of
 * its hints (material, size class, trend) is dropped with `dropAttributeProbability`; at 0 (the
 * default) the true label and hints pass through. A probability of 0 draws nothing from the rng,
 * so geometric-only streams are unchanged by the label options.
 * Seeded: the rng advances with every frame (fork it per experiment for repeatable streams).
 * Intrinsics are not passed on (the engine guesses them, as for a real image).
 */
export function noisySource(rng: Rng, config: NoisyConfig): PerceptionSource {
  checkNoisyConfig(config, "noisySource");
  return {
    name: "noisy",
    perceive(input: PerceptionInput): PerceptionFrame {
      const r = needRender(input, "noisy");
      const W = r.width;
      const H = r.height;
      const depth = new Float32Array(r.depth.length);
      for (let i = 0; i < depth.length; i++) {
        const d = r.depth[i];
        depth[i] = Number.isFinite(d) && config.depthNoise > 0 ? d * (1 + rng.normal(0, config.depthNoise)) : d;
      }
      const mask = Int32Array.from(r.mask);
      const kept: Detection[] = [];
      for (const det of detectionsOf(r)) {
        if (rng.bool(config.dropProbability)) {
          for (let i = 0; i < mask.length; i++) if (mask[i] === det.id) mask[i] = -1;
          continue;
        }
        const x = rng.uniform();
        if (x < config.erodeProbability) morph(mask, W, H, det.id, false);
        else if (x < config.erodeProbability + config.dilateProbability) morph(mask, W, H, det.id, true);
        let label = det.label;
        if (config.wrongLabelProbability > 0 && rng.bool(config.wrongLabelProbability)) label = rng.choice(SHAPES.filter((s) => s !== det.label));
        const hints = { ...det.hints };
        if (config.dropAttributeProbability > 0) {
          for (const key of ["material", "size", "trend"] as const) if (rng.bool(config.dropAttributeProbability)) delete hints[key];
        }
        kept.push({ ...det, label, hints, score: 0.9 });
      }
      return { width: W, height: H, rgb: input.image ? input.image.data : r.rgb, depth, mask, detections: kept, intrinsics: null, source: "noisy" };
    },
  };
}
