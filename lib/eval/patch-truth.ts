/**
 * What lies in each encoder patch, from a scene's exact ground truth (the ray caster's instance
 * mask, one ray per pixel centre, and the scene's object list): the encoder probe's targets
 * (encoder-probe.ts).
 * - `probeScenes`: fresh scenes from a held-out seed (`BENCHMARK_SEEDS.encoderProbe`, forked under
 *   their own label), sampled and rendered as the base phase's caption data is (captionData in
 *   lib/models/editor/train/data.ts: the world's sampler, rendered straight at the editor's size);
 * - `patchTruth`: per patch of side `patch` (row-major over the patch grid, as the encoder's tokens):
 *   the share of its pixels on any object, and the colour and shape class (indices into the world's
 *   COLOURS and SHAPES) and the id of the object with most pixels there; -1 for patches less than
 *   `minCover` covered by objects (ties between objects: the lower id).
 */
import { Rng } from "../core/rng";
import { BENCHMARK_SEEDS, checkHeldOutSeed } from "../data/seeds";
import { toSigned } from "../models/editor/train/data";
import { worldConfig } from "../world/config";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import { COLOURS, SHAPES, type SceneObject } from "../world/types";

export interface ProbeScene {
  /** Index of the scene under the seed. */
  index: number;
  /** [size * size * 3] in [-1, 1] (what the editor reads). */
  image: Float32Array;
  /** Instance mask [size * size]: object id per pixel, -1 for ground and sky. */
  mask: Int32Array;
  objects: SceneObject[];
}

/** `count` held-out scenes rendered at `size` x `size`. */
export function probeScenes(count: number, size: number, seed: number = BENCHMARK_SEEDS.encoderProbe): ProbeScene[] {
  checkHeldOutSeed(seed);
  if (!Number.isInteger(count) || count < 1) throw new Error(`probeScenes: count must be a positive integer, got ${count}`);
  const world = worldConfig();
  return Array.from({ length: count }, (_, k) => {
    const scene = sampleScene(new Rng(seed).fork(`encoder-probe-scene-${k}`), world);
    const r = renderScene(scene, { width: size, height: size });
    return { index: k, image: toSigned(r.rgb), mask: r.mask, objects: r.objects };
  });
}

export interface PatchTruth {
  /** Share of each patch's pixels on an object [N]. */
  coverage: Float32Array;
  /** Colour class (COLOURS index) of the patch's main object, -1 below `minCover` [N]. */
  colour: Int32Array;
  /** Shape class (SHAPES index) of the patch's main object, -1 below `minCover` [N]. */
  shape: Int32Array;
  /** Id of the patch's main object, -1 below `minCover` [N]. */
  object: Int32Array;
}

/** The targets of every patch of one scene (mask [size * size], patches of side `patch`). */
export function patchTruth(mask: Int32Array, objects: readonly SceneObject[], size: number, patch: number, minCover = 0.5): PatchTruth {
  if (mask.length !== size * size) throw new Error(`patchTruth: the mask has ${mask.length} pixels, expected ${size} x ${size}`);
  if (!Number.isInteger(patch) || patch < 1 || size % patch !== 0) throw new Error(`patchTruth: patch (${patch}) must divide the image side (${size})`);
  if (!(minCover > 0 && minCover <= 1)) throw new Error(`patchTruth: minCover must be in (0, 1], got ${minCover}`);
  const byId = new Map(objects.map((o) => [o.id, o]));
  const g = size / patch;
  const n = g * g;
  const out: PatchTruth = { coverage: new Float32Array(n), colour: new Int32Array(n).fill(-1), shape: new Int32Array(n).fill(-1), object: new Int32Array(n).fill(-1) };
  for (let pr = 0; pr < g; pr++) {
    for (let pc = 0; pc < g; pc++) {
      const counts = new Map<number, number>();
      for (let v = pr * patch; v < (pr + 1) * patch; v++) {
        for (let u = pc * patch; u < (pc + 1) * patch; u++) {
          const id = mask[v * size + u];
          if (id >= 0) counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
      const t = pr * g + pc;
      let covered = 0;
      let main = -1;
      for (const [id, c] of counts) {
        covered += c;
        if (main === -1 || c > counts.get(main)! || (c === counts.get(main)! && id < main)) main = id;
      }
      out.coverage[t] = covered / (patch * patch);
      if (out.coverage[t] >= minCover) {
        const o = byId.get(main);
        if (o === undefined) throw new Error(`patchTruth: the mask shows object id ${main}, which is not in the scene's object list`);
        out.colour[t] = COLOURS.indexOf(o.colour);
        out.shape[t] = SHAPES.indexOf(o.shape);
        out.object[t] = main;
      }
    }
  }
  return out;
}
