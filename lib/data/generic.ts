/**
 * Generic editing data standing in for IPr2Pr (docs/architecture.md §4: base pre-training on mostly
 * non-spatial edits). The paper measured 7.3% spatial instructions in IPr2Pr (Table 3); here the
 * share is a parameter (`GenericConfig.spatialShare`). Non-spatial instructions are
 *   attribute edits of an object named by its attributes alone ("turn the red cube into blue",
 *   "remove the cone", "resize the green sphere to large", "replace the cylinder with a gray cube"),
 *   and global edits ("turn every object into metal", "remove every cone", "make the picture
 *   darker / brighter", "make it black and white");
 * spatial ones come from the spatial templates (instructions.ts). Ground truth is exact: a
 * re-render of the edited scene, or the pixel operation itself for photometric edits. Referents
 * come from the scene truth (`truth.ts`): this data only needs names, not measured ranks.
 */
import { Rng } from "../core/rng";
import type { ExtractionResult, RgbImage } from "../engine/types";
import { worldConfig } from "../world/config";
import { recolourObject, removeObject, replaceObject, resizeObject, retextureObject, sceneProblems } from "../world/edit";
import { renderScene } from "../world/render";
import { objectsOutOfView, sampleScene } from "../world/sampler";
import { COLOURS, MATERIALS, SHAPES, SIZES } from "../world/types";
import type { Scene, WorldConfig } from "../world/types";
import { GenericConfig } from "./config";
import { EDIT_FAMILIES, EDIT_KINDS, makeEdit } from "./instructions";
import { paraphrase } from "./paraphrase";
import { encodePng } from "./png";
import { fullSpec, itemPhrase, Refused, uniqueSpec } from "./select";
import { truthExtraction } from "./truth";
import { Counts, DatasetWriter, Manifest, readManifest, WriterUnit } from "./writer";

export interface GenericEdit {
  /** "attribute" | "global" | "photometric" | the spatial family. */
  type: string;
  instruction: string;
  /** What the generator meant: true for the spatial-template share. */
  spatialIntended: boolean;
  condition: string;
  /** Either an edited scene (re-rendered) or a pixel operation on the source. */
  edited?: Scene;
  pixelOp?: "darker" | "brighter" | "grayscale";
}

/** Applies a photometric edit to an image (exact ground truth of "make it darker", ...). */
export function applyPixelOp(img: RgbImage, op: "darker" | "brighter" | "grayscale"): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < img.width * img.height; i++) {
    const r = img.data[i * 3];
    const g = img.data[i * 3 + 1];
    const b = img.data[i * 3 + 2];
    if (op === "grayscale") {
      const y = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      out[i * 3] = y;
      out[i * 3 + 1] = y;
      out[i * 3 + 2] = y;
    } else {
      for (let c = 0; c < 3; c++) {
        const x = img.data[i * 3 + c];
        out[i * 3 + c] = op === "darker" ? Math.round(x * 0.6) : Math.round(x + (255 - x) * 0.4);
      }
    }
  }
  return { width: img.width, height: img.height, data: out };
}

function valid(scene: Scene, w: number, h: number): boolean {
  return sceneProblems(scene).length === 0 && objectsOutOfView(scene, w, h).length === 0;
}

/** One non-spatial edit: an attribute edit of a uniquely named object, or a global edit. */
export function makeGenericEdit(scene: Scene, ex: ExtractionResult, rng: Rng, width: number, height: number): GenericEdit {
  if (ex.objects.length === 0 || rng.bool(0.35)) {
    const g = rng.int(0, 5);
    if (g === 0 && ex.objects.length > 0) {
      const colour = rng.choice(COLOURS);
      let s = scene;
      for (const o of scene.objects) s = recolourObject(s, o.id, colour);
      return { type: "global", instruction: `make every object ${colour}`, spatialIntended: false, condition: `all objects are now ${colour}`, edited: s };
    }
    if (g === 1 && ex.objects.length > 0) {
      const material = rng.choice(MATERIALS);
      let s = scene;
      for (const o of scene.objects) s = retextureObject(s, o.id, material);
      return { type: "global", instruction: `turn every object into ${material}`, spatialIntended: false, condition: `all objects now have a ${material} surface`, edited: s };
    }
    if (g === 2 && ex.objects.length > 0) {
      const shape = rng.choice(ex.objects).object;
      let s = scene;
      for (const o of scene.objects) if (o.shape === shape) s = removeObject(s, o.id);
      return { type: "global", instruction: `remove every ${shape}`, spatialIntended: false, condition: `there is no ${shape} any more`, edited: s };
    }
    const op = rng.choice(["darker", "brighter", "grayscale"] as const);
    const text = op === "grayscale" ? "make it black and white" : `make the picture ${op}`;
    return { type: "photometric", instruction: text, spatialIntended: false, condition: op === "grayscale" ? "the picture is black and white" : `the picture is ${op}`, pixelOp: op };
  }
  const o = rng.choice(ex.objects);
  const spec = uniqueSpec(o, ex.objects);
  if (spec === null) throw new Refused("unnamed", `object ${o.id} has an identical twin`);
  const name = `the ${itemPhrase(spec)}`;
  const full = `the ${itemPhrase(fullSpec(o))}`;
  const so = scene.objects.find((x) => x.id === o.id)!;
  const k = rng.int(0, 4);
  if (k === 0) {
    const colour = rng.choice(COLOURS.filter((c) => c !== so.colour));
    return { type: "attribute", instruction: `turn ${name} into ${colour}`, spatialIntended: false, condition: `${full} is now ${colour}`, edited: recolourObject(scene, o.id, colour) };
  }
  if (k === 1) return { type: "attribute", instruction: `remove ${name}`, spatialIntended: false, condition: `${full} is removed`, edited: removeObject(scene, o.id) };
  if (k === 2) {
    const size = rng.choice(SIZES.filter((s) => s !== so.size));
    const edited = resizeObject(scene, o.id, size);
    if (!valid(edited, width, height)) throw new Refused("edit_blocked", `resizing object ${o.id} breaks the scene`);
    return { type: "attribute", instruction: `resize ${name} to ${size}`, spatialIntended: false, condition: `${full} is now ${size}`, edited };
  }
  const shape = rng.choice(SHAPES.filter((s) => s !== so.shape));
  const colour = rng.choice(COLOURS);
  const edited = replaceObject(scene, o.id, { shape, colour });
  if (!valid(edited, width, height)) throw new Refused("edit_blocked", `replacing object ${o.id} breaks the scene`);
  return { type: "attribute", instruction: `replace ${name} with a ${colour} ${shape}`, spatialIntended: false, condition: `${full} is replaced with a ${colour} ${shape}`, edited };
}

const pad = (k: number) => String(k).padStart(6, "0");

/** Fills tried per record before giving up on it (counted as `gave_up`). */
const MAX_ATTEMPTS = 12;

/** The generic writer unit of scene `index` (deterministic in seed, index, config). */
export function genericUnit(index: number, seed: number, cfg: GenericConfig, world: WorldConfig = worldConfig()): WriterUnit {
  const rng = new Rng(seed).fork(`generic-${index}`);
  const scene = sampleScene(rng.fork("scene"), world);
  const size = { width: cfg.resolution, height: cfg.resolution };
  const render = renderScene(scene, size);
  const src: RgbImage = { width: render.width, height: render.height, data: render.rgb };
  const ex = truthExtraction(scene, render);
  const counts: Counts = {};
  const inc = (g: string, k: string) => {
    const m = (counts[g] ??= {});
    m[k] = (m[k] ?? 0) + 1;
  };
  const srcName = `images/g${pad(index)}-src.png`;
  const files: WriterUnit["files"] = [];
  const records: Record<string, unknown>[] = [];
  const er = rng.fork("edit");
  for (let i = 0; i < cfg.editsPerScene; i++) {
    // decide spatial or not first, then retry refused fills of that type, so that the share of
    // WRITTEN records follows `spatialShare` (spatial fills are refused far more often)
    const spatial = er.bool(cfg.spatialShare);
    let g: GenericEdit | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && g === null; attempt++) {
      try {
        if (spatial) {
          const family = er.choice(EDIT_FAMILIES);
          const spec = makeEdit(scene, ex, er, family, family === "movement" ? "move" : er.choice(EDIT_KINDS), { moveStep: cfg.moveStep, trendStep: cfg.trendStep, ...size });
          g = { type: `spatial/${spec.family}`, instruction: spec.instruction, spatialIntended: true, condition: spec.condition, edited: spec.edited };
        } else g = makeGenericEdit(scene, ex, er, size.width, size.height);
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        inc("refusal", e.reason);
      }
    }
    if (g === null) {
      inc("gave_up", spatial ? "spatial" : "non_spatial");
      continue;
    }
    const edit = g;
    const target = edit.pixelOp ? applyPixelOp(src, edit.pixelOp) : (() => {
      const r = renderScene(edit.edited!, size);
      return { width: r.width, height: r.height, data: r.rgb };
    })();
    const tgt = `images/g${pad(index)}-e${i}.png`;
    files.push({ path: tgt, bytes: encodePng(target) });
    const text = cfg.paraphrase ? paraphrase(g.instruction, rng.fork(`para-${i}`)) : g.instruction;
    inc("type", g.type.startsWith("spatial/") ? "spatial" : g.type);
    inc("spatial_intended", String(g.spatialIntended));
    records.push({ file_name: srcName, edited_file_name: tgt, scene: index, type: g.type, instruction: text, template_instruction: g.instruction, language_condition: g.condition, spatial_intended: g.spatialIntended });
  }
  if (records.length > 0) files.unshift({ path: srcName, bytes: encodePng(src) });
  return { records, files, counts };
}

/** Writes (or resumes) the generic dataset under `dir`. */
export function generateGeneric(dir: string, cfg: GenericConfig, seed: number, onScene?: (i: number, n: number) => void): Manifest {
  const world = worldConfig();
  const w = DatasetWriter.open(dir, { name: "spatialedit-generic", config: { generic: cfg, world }, seed });
  if (w.finished) return readManifest(dir);
  for (let k = w.committedUnits; k < cfg.scenes; k++) {
    w.commit(genericUnit(k, seed, cfg, world));
    onScene?.(k + 1, cfg.scenes);
  }
  return w.finish({ paper: "IPr2Pr stand-in; Table 3 measured 7.3% spatial", spatialShare: cfg.spatialShare });
}
