/**
 * Objects with known shapes for fitting and measuring the shape reader (lib/models/editor/shape-reader.ts): engine scenes
 * rendered at the editor's size, their objects found as the editor's decodings find them (object-regions.ts
 * perceiveObjects: from the picture and the camera), and each perceived object labelled with the shape of the scene object
 * that owns most of its pixels (the renderer's instance mask), kept only where that object owns at least `purity` of them
 * (two touching objects of one colour merge into one perceived object, which has no one shape).
 */
import { Rng } from "../core/rng";
import { shapeFeatures } from "../models/editor/shape-reader";
import { toSigned } from "../models/editor/train/data";
import type { ShapeExample } from "../models/editor/train/shape-reader";
import { worldConfig } from "../world/config";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import { SHAPES, type Scene } from "../world/types";
import { perceiveObjects } from "./object-regions";

export interface ShapeExampleOptions {
  /** Side of the square render (the editor's image size). */
  size: number;
  /** Side of the reader's resampled box (ShapeReaderConfig.cells). */
  cells: number;
  /** Least share of a perceived object's pixels its labelling scene object must own. */
  purity: number;
}

/** The labelled objects of one scene, rendered at `o.size` (see the file comment). */
export function sceneShapeExamples(scene: Scene, o: ShapeExampleOptions): ShapeExample[] {
  const r = renderScene(scene, { width: o.size, height: o.size });
  const seen = perceiveObjects({ width: o.size, height: o.size, data: r.rgb }, scene.camera, 1);
  const image = toSigned(r.rgb);
  const out: ShapeExample[] = [];
  for (const m of seen.masks) {
    const owners = new Map<number, number>();
    let n = 0;
    m.forEach((v, p) => {
      if (v !== 1) return;
      n++;
      if (r.mask[p] >= 0) owners.set(r.mask[p], (owners.get(r.mask[p]) ?? 0) + 1);
    });
    const [id, owned] = [...owners.entries()].reduce((a, b) => (b[1] > a[1] ? b : a), [-1, 0]);
    const obj = scene.objects.find((x) => x.id === id);
    if (obj === undefined || owned < o.purity * n) continue;
    out.push({ features: shapeFeatures(image, m, o.cells), shape: SHAPES.indexOf(obj.shape) });
  }
  return out;
}

/** The labelled objects of `count` engine scenes numbered from `first` (scene k drawn from fork `shape-<k>` of `seed`). */
export function shapeExamples(first: number, count: number, seed: number, o: ShapeExampleOptions): ShapeExample[] {
  if (!Number.isInteger(first) || first < 0 || !Number.isInteger(count) || count < 1) throw new Error(`shapeExamples: scenes must be a count >= 1 from an index >= 0, got ${count} from ${first}`);
  if (!(o.purity > 0.5 && o.purity <= 1)) throw new Error(`shapeExamples: purity must be in (0.5, 1], got ${o.purity}`);
  const world = worldConfig();
  const out: ShapeExample[] = [];
  for (let k = first; k < first + count; k++) out.push(...sceneShapeExamples(sampleScene(new Rng(seed).fork(`shape-${k}`), world), o));
  return out;
}
