/**
 * The data engine end to end (paper Fig. 2, §5.1): scene -> render -> spatial information ->
 * VQA pairs (§5.1.2) and spatial edit records with exact ground-truth images (§5.1.3), written
 * as two resumable imagefolder datasets `<dir>/vqa` and `<dir>/edit`.
 *
 * Scene k's randomness comes from `new Rng(seed).fork("scene-k")` alone, so any scene can be
 * regenerated on its own: that is what makes the writer's resume exact, and the output a pure
 * function of (seed, config).
 */
import { Rng } from "../core/rng";
import type { ExtractionResult, RgbImage } from "../engine/types";
import { worldConfig } from "../world/config";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import type { RenderResult, Scene, WorldConfig } from "../world/types";
import { DataEngineConfig } from "./config";
import { EDIT_FAMILIES, EDIT_KINDS, EditFamily, EditKind, EditSpec, makeEdit } from "./instructions";
import { paraphrase } from "./paraphrase";
import { perceiveScene } from "./perceive";
import { encodePng } from "./png";
import { Refused } from "./select";
import { makeVqa, VQA_FAMILIES, VqaFamily, VqaPair } from "./vqa";
import { Counts, CrashPoint, DatasetWriter, Manifest, readManifest, WriterUnit } from "./writer";

export interface RefusalNote {
  task: "vqa" | "edit";
  family: string;
  reason: string;
  detail: string;
}

export interface EditRecord extends EditSpec {
  /** Paraphrased instruction (what the model reads). */
  text: string;
  /** The exact ground-truth edited image. */
  target: RgbImage;
  /** The edited image's instance mask [H*W] (object id per pixel, -1 ground and sky); not written to the dataset's files. */
  targetMask: Int32Array;
}

export interface SceneData {
  index: number;
  scene: Scene;
  render: RenderResult;
  extraction: ExtractionResult;
  vqa: (VqaPair & { text: string })[];
  edits: EditRecord[];
  refusals: RefusalNote[];
}

function imageOf(r: RenderResult): RgbImage {
  return { width: r.width, height: r.height, data: r.rgb };
}

/** Everything the data engine makes from scene `index` (deterministic in seed, index, config). */
export function buildScene(index: number, seed: number, cfg: DataEngineConfig, world: WorldConfig = worldConfig(), label = "scene"): SceneData {
  const rng = new Rng(seed).fork(`${label}-${index}`);
  const scene = sampleScene(rng.fork("scene"), world);
  const size = { width: cfg.resolution, height: cfg.resolution };
  const render = renderScene(scene, size);
  const extraction = perceiveScene(cfg.perception, scene, render, rng.fork("perception"));
  const refusals: RefusalNote[] = [];
  const vqa: SceneData["vqa"] = [];
  const vr = rng.fork("vqa");
  for (let i = 0; i < cfg.vqaPerScene; i++) {
    const family: VqaFamily = vr.choice(VQA_FAMILIES);
    for (let attempt = 0; attempt < cfg.attemptsPerRecord; attempt++) {
      try {
        const q = makeVqa(extraction, vr, family);
        const text = cfg.paraphrase ? paraphrase(q.question, rng.fork(`para-vqa-${i}`), { pSwap: cfg.pSwap }) : q.question;
        vqa.push({ ...q, text });
        break;
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        refusals.push({ task: "vqa", family, reason: e.reason, detail: e.message });
      }
    }
  }
  const edits: EditRecord[] = [];
  const er = rng.fork("edit");
  const opts = { moveStep: cfg.moveStep, trendStep: cfg.trendStep, width: cfg.resolution, height: cfg.resolution };
  for (let i = 0; i < cfg.editsPerScene; i++) {
    const family: EditFamily = er.choice(EDIT_FAMILIES);
    const kind: EditKind = family === "movement" ? "move" : er.choice(EDIT_KINDS);
    for (let attempt = 0; attempt < cfg.attemptsPerRecord; attempt++) {
      try {
        const spec = makeEdit(scene, extraction, er, family, kind, opts);
        const text = cfg.paraphrase ? paraphrase(spec.instruction, rng.fork(`para-edit-${i}`), { pSwap: cfg.pSwap }) : spec.instruction;
        const edited = renderScene(spec.edited, size);
        edits.push({ ...spec, text, target: imageOf(edited), targetMask: edited.mask });
        break;
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        refusals.push({ task: "edit", family, reason: e.reason, detail: e.message });
      }
    }
  }
  return { index, scene, render, extraction, vqa, edits, refusals };
}

function inc(c: Counts, group: string, key: string): void {
  const g = (c[group] ??= {});
  g[key] = (g[key] ?? 0) + 1;
}

const pad = (k: number) => String(k).padStart(6, "0");

/** The VQA writer unit of a scene: one image, its question-answer pairs, counts. */
export function vqaUnit(d: SceneData): WriterUnit {
  const file = `images/s${pad(d.index)}.png`;
  const counts: Counts = {};
  const records = d.vqa.map((q) => {
    inc(counts, "family", q.family);
    inc(counts, "family_form", `${q.family}/${q.form}`);
    return { file_name: file, scene: d.index, family: q.family, form: q.form, question: q.text, template_question: q.question, answer: q.answer, objects: q.objects };
  });
  for (const r of d.refusals.filter((x) => x.task === "vqa")) {
    inc(counts, "refusal", r.reason);
    inc(counts, "refusal_by_family", `${r.family}/${r.reason}`);
  }
  inc(counts, "scenes", d.extraction.complete ? "complete" : "incomplete_extraction");
  return { records, files: records.length > 0 ? [{ path: file, bytes: encodePng(imageOf(d.render)) }] : [], counts };
}

/** The edit writer unit of a scene: source image, one target image per edit, records, counts. */
export function editUnit(d: SceneData): WriterUnit {
  const src = `images/s${pad(d.index)}-src.png`;
  const counts: Counts = {};
  const files: WriterUnit["files"] = [];
  const records = d.edits.map((e, i) => {
    const tgt = `images/s${pad(d.index)}-e${i}.png`;
    files.push({ path: tgt, bytes: encodePng(e.target) });
    inc(counts, "family", e.family);
    inc(counts, "kind", e.kind);
    inc(counts, "family_kind", `${e.family}/${e.kind}`);
    inc(counts, "form", `${e.family}/${e.form}`);
    return {
      file_name: src,
      edited_file_name: tgt,
      scene: d.index,
      family: e.family,
      kind: e.kind,
      form: e.form,
      instruction: e.text,
      template_instruction: e.instruction,
      language_condition: e.condition,
      targets: e.targets,
      params: e.params,
    };
  });
  if (records.length > 0) files.unshift({ path: src, bytes: encodePng(imageOf(d.render)) });
  for (const r of d.refusals.filter((x) => x.task === "edit")) {
    inc(counts, "refusal", r.reason);
    inc(counts, "refusal_by_family", `${r.family}/${r.reason}`);
  }
  return { records, files, counts };
}

export interface GenerateOptions {
  /** Called after each committed scene (progress bars). */
  onScene?: (index: number, total: number) => void;
  /** Test hook: simulated crash inside a commit. */
  crash?: { task: "vqa" | "edit"; point: CrashPoint };
}

/**
 * Writes (or resumes) the VQA and edit datasets under `dir` for `cfg` and `seed`; returns the
 * two manifests. Runs with another config or seed in the same folder are refused by the writer.
 */
export function generateDataEngine(dir: string, cfg: DataEngineConfig, seed: number, options: GenerateOptions = {}): { vqa: Manifest; edit: Manifest } {
  const world = worldConfig();
  const config = { dataEngine: cfg, world };
  const vw = DatasetWriter.open(`${dir}/vqa`, { name: "spatialedit-vqa", config, seed });
  const ew = DatasetWriter.open(`${dir}/edit`, { name: "spatialedit-edit", config, seed });
  if (options.crash) (options.crash.task === "vqa" ? vw : ew).crashPoint = options.crash.point;
  for (let k = Math.min(vw.committedUnits, ew.committedUnits); k < cfg.scenes; k++) {
    const d = buildScene(k, seed, cfg, world);
    if (vw.committedUnits === k) vw.commit(vqaUnit(d));
    if (ew.committedUnits === k) ew.commit(editUnit(d));
    options.onScene?.(k + 1, cfg.scenes);
  }
  const extra = { paper: "SpatialEdit §5.1, Appendix K.1/K.2", vqaFamilies: [...VQA_FAMILIES], editFamilies: [...EDIT_FAMILIES], editKinds: [...EDIT_KINDS] };
  return { vqa: vw.finished ? readFinished(vw) : vw.finish(extra), edit: ew.finished ? readFinished(ew) : ew.finish(extra) };
}

function readFinished(w: DatasetWriter): Manifest {
  return readManifest(w.dir);
}
