/**
 * The perception choice of the data engine (paper §5.1.1): which source fills the templates.
 *   oracle: the renderer's masks and depth through the full extraction pipeline (lib/engine);
 *   noisy:  the same with depth noise, eroded/dilated masks and dropped objects (true labels and
 *           attribute hints pass through: only the geometry is noisy);
 *   noisy-labels: noisy, plus wrong class labels and dropped attribute hints (NOISY_LABEL_MODE);
 *   truth:  the scene description itself (lib/data/truth.ts), the exact reference.
 */
import { Rng } from "../core/rng";
import { engineConfig, NOISY_LABEL_MODE, noisyConfig } from "../engine/config";
import { extractSpatialInfo } from "../engine/extract";
import { noisySource, oracleSource } from "../engine/perception";
import type { ExtractionResult } from "../engine/types";
import type { RenderResult, Scene } from "../world/types";
import { truthExtraction } from "./truth";

export type PerceptionChoice = "oracle" | "noisy" | "noisy-labels" | "truth";

/** Extracts the spatial information of a rendered scene with the chosen source. */
export function perceiveScene(choice: string, scene: Scene, render: RenderResult, rng: Rng): ExtractionResult {
  const image = { width: render.width, height: render.height, data: render.rgb };
  switch (choice) {
    case "truth":
      return truthExtraction(scene, render);
    case "oracle":
      return extractSpatialInfo(oracleSource().perceive({ image, render }), engineConfig());
    case "noisy":
      return extractSpatialInfo(noisySource(rng, noisyConfig()).perceive({ image, render }), engineConfig());
    case "noisy-labels":
      return extractSpatialInfo(noisySource(rng, noisyConfig(undefined, NOISY_LABEL_MODE)).perceive({ image, render }), engineConfig());
    default:
      throw new Error(`perceiveScene: unknown perception '${choice}'; use oracle, noisy, noisy-labels or truth`);
  }
}
