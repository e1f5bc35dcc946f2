import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend";
import { Rng } from "../../../lib/core/rng";
import { createEditor, disposeEditor, editorParams, fitsEditor } from "../../../lib/models/editor/model";
import { editorConfig } from "../../../lib/models/editor/config";
import { answerQuestions, editImages } from "../../../lib/models/editor/pipeline";
import { captionData, engineData, genericEditData, toBytes, toSigned } from "../../../lib/models/editor/train/data";
import { headFitEdits, headFitHeldOut, headFitTrainChunks } from "../../../lib/models/editor/train/finished";
import { editorPhaseTask, fittingExamples, type EditorNodeConfig } from "../../../lib/models/editor/train/node";
import { cloneEditor, keyedRecipe, recipeConfig, runRecipe, textPhaseRecipe, trainPhaseSteps } from "../../../lib/models/editor/train/recipes";
import { STATE_FILE } from "../../../lib/train/checkpoint";
import { trainResumable } from "../../../lib/train/checkpoint-resume";
import { editorScheduler, schedulerPrediction } from "../../../lib/models/editor/train/steps";

beforeAll(async () => {
  await initBackend();
});

const cfg = editorConfig("tiny");
const rc = recipeConfig("tiny");

describe("editor training data", () => {
  it("captions are non-spatial and use the tokenizer's words only", () => {
    const e = createEditor(cfg, new Rng(1));
    const caps = captionData(rc.dataSeed, 6, cfg.image);
    expect(caps.length).toBeGreaterThan(6);
    expect(caps[0].image.length).toBe(cfg.image * cfg.image * 3);
    for (const c of caps) expect(e.tokenizer.unknownWords(`${c.prompt} ${c.answer}`)).toEqual([]);
    expect(caps[0].answer).toMatch(/^there are \d objects : /);
    disposeEditor(e);
  });

  it("engine and generic data: images in [-1, 1], every spatial edit changes pixels", () => {
    const { vqa, edits } = engineData(rc.dataSeed, 2, cfg.image);
    expect(vqa.length).toBeGreaterThan(0);
    expect(edits.length).toBeGreaterThan(0);
    for (const x of edits) {
      expect(Math.max(...x.source)).toBeLessThanOrEqual(1);
      expect(Math.min(...x.source)).toBeGreaterThanOrEqual(-1);
      expect(x.source.some((v, i) => v !== x.target[i])).toBe(true);
    }
    const gen = genericEditData(rc.dataSeed, 3, cfg.image, "tiny");
    expect(gen.length).toBeGreaterThan(0);
    expect(Array.from(toBytes(toSigned(Uint8Array.from([0, 127, 255]))))).toEqual([0, 127, 255]);
  });

  it("engine data from a first scene: the same scenes as the same numbers of a run from scene 0", () => {
    const all = engineData(rc.dataSeed, 3, cfg.image).edits;
    const later = engineData(rc.dataSeed, 2, cfg.image, undefined, 1).edits;
    const firstCount = engineData(rc.dataSeed, 1, cfg.image).edits.length;
    expect(later.length).toBe(all.length - firstCount);
    later.forEach((x, i) => {
      expect(x.instruction).toBe(all[firstCount + i].instruction);
      expect(Array.from(x.target)).toEqual(Array.from(all[firstCount + i].target));
    });
    const recipe = { ...rc, engineScenes: 1 };
    const fit = { scenes: 1, heldOut: 1, checkEvery: 1, ddim: 1 };
    expect(headFitEdits(recipe, { ...fit, fresh: true }, cfg.image).map((x) => x.instruction)).toEqual(later.map((x) => x.instruction));
    expect(headFitEdits(recipe, { ...fit, fresh: false }, cfg.image).map((x) => x.instruction)).toEqual(all.slice(0, all.length - later.length + engineData(rc.dataSeed, 1, cfg.image, undefined, 1).edits.length).map((x) => x.instruction));
    expect(() => engineData(rc.dataSeed, 1, cfg.image, undefined, -1)).toThrow("engineData: first scene must be an integer >= 0, got -1");
    // in pieces: the training scenes chunk by chunk, then the held-out scenes, the same edits as headFitEdits in one go
    const whole = { scenes: 3, heldOut: 2, checkEvery: 1, ddim: 1, fresh: true };
    const pieces: string[] = [];
    const dones: number[] = [];
    headFitTrainChunks(recipe, whole, cfg.image, 2, (edits, done) => {
      pieces.push(...edits.map((x) => x.instruction));
      dones.push(done);
    });
    expect(dones).toEqual([2, 3]);
    const held = headFitHeldOut(recipe, whole, cfg.image);
    expect([...pieces, ...held.check.map((x) => x.instruction), ...held.test.map((x) => x.instruction)]).toEqual(headFitEdits(recipe, whole, cfg.image).map((x) => x.instruction));
    expect(held.check.length).toBeGreaterThan(0);
    expect(() => headFitTrainChunks(recipe, whole, cfg.image, 0, () => undefined)).toThrow("headFitTrainChunks: chunk must be a positive integer, got 0");
  });

  it("refuses held-out seeds and bad counts", () => {
    expect(() => engineData(2_000_000_001, 2, 16)).toThrow("checkTrainingSeed: training data seed 2000000001 is outside 0..999999");
    expect(() => captionData(1, 0, 16)).toThrow("captionData: scenes must be a positive integer, got 0");
  });
});

describe("editor recipes on tiny", () => {
  it("base -> stage1 -> stage2 trains, keeps each parent unchanged, and leaks no tensors", async () => {
    const n0 = tf.memory().numTensors;
    const base = createEditor(cfg, new Rng(2));
    const b = await runRecipe("base", rc, base, 1, { silent: true });
    expect(b.losses.length).toBe(rc.baseSteps);
    const before = editorParams(b.editor)["mllm.blocks.0.attn.q.w"].dataSync().slice();
    const s1 = await runRecipe("stage1", rc, b.editor, 1, { silent: true });
    const s2 = await runRecipe("stage2", rc, s1.editor, 1, { silent: true });
    expect(s2.losses.length).toBe(rc.stage2Steps);
    for (const l of [...s1.losses, ...s2.losses]) expect(Number.isFinite(l)).toBe(true);
    // the parent is cloned: stage1's attention tuning changed its copy, not the base
    expect(Array.from(editorParams(b.editor)["mllm.blocks.0.attn.q.w"].dataSync())).toEqual(Array.from(before));
    expect(Array.from(editorParams(s1.editor)["mllm.blocks.0.attn.q.w"].dataSync())).not.toEqual(Array.from(before));
    // the encoder is frozen after base pre-training
    expect(Array.from(editorParams(s2.editor)["enc.patch.w"]?.dataSync() ?? [])).toEqual(Array.from(editorParams(b.editor)["enc.patch.w"]?.dataSync() ?? []));
    // every recipe returns a new editor; the caller owns them all (and the first parent)
    for (const e of [s2.editor, s1.editor, b.editor, base]) disposeEditor(e);
    expect(tf.memory().numTensors).toBe(n0);
  }, 120_000);

  it("a few steps lower the caption loss (the objective can learn)", async () => {
    const e = createEditor(cfg, new Rng(3));
    const r = await runRecipe("base", { ...rc, baseSteps: 25, baseLr: 3e-3, batch: 8 }, e, 2, { silent: true });
    const head = r.losses.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const tail = r.losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(tail).toBeLessThan(head * 0.8);
    disposeEditor(r.editor);
    disposeEditor(e);
  }, 120_000);

  it("every profile's recipe takes the overrides npm run curves passes (tiny lacked editMapLossWeight, so the script stopped at once)", () => {
    for (const p of ["tiny", "quick", "paper"]) {
      const preset = recipeConfig(p);
      const r = recipeConfig(p, { editMapLossWeight: preset.editMapLossWeight ?? 0, groundLossWeight: preset.groundLossWeight ?? 0 });
      expect(keyedRecipe(r)).toEqual(keyedRecipe(preset)); // zero optional weights leave an edit phase's key as it was
    }
  });

  it("recipe configs refuse a negative or non-finite edit-region weight and an EMA decay outside [0, 1)", () => {
    expect(recipeConfig("tiny").editRegionWeight).toBe(0);
    expect(() => recipeConfig("tiny", { editRegionWeight: -1 })).toThrow("editor recipes: editRegionWeight must be a finite number >= 0, got -1");
    expect(recipeConfig("tiny").emaDecay).toBe(0);
    expect(() => recipeConfig("tiny", { emaDecay: 1 })).toThrow("editor recipes: emaDecay must be in [0, 1) (0: no averaging), got 1");
    // text phases see neither the Stage II budget nor the averaging
    expect(textPhaseRecipe(recipeConfig("tiny", { stage2Steps: 9, emaDecay: 0.9, editRegionWeight: 2 }))).toEqual(textPhaseRecipe(rc));
    expect(Object.keys(textPhaseRecipe(rc))).not.toContain("emaDecay");
  });

  it("Stage II with EMA ends with the averaged weights, scores the averages mid-run, and a killed run resumes to the same weights; no leaks", async () => {
    const n0 = tf.memory().numTensors;
    const parentEditor = createEditor(cfg, new Rng(7));
    const parent = editorParams(parentEditor);
    const node = (emaDecay: number): EditorNodeConfig => ({ editor: cfg, recipe: { ...rc, stage2Steps: 4, emaDecay }, phase: "stage2", mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 2 });
    const key = "dn.final.out.w";
    // in process: `after` sees the averages; the editor ends with them
    const seen: number[][] = [];
    const live = editorPhaseTask(node(0.5), 1, parent, null);
    const rawSeen: number[][] = [];
    const read = () => Array.from(editorParams(live.editor)[key].dataSync());
    await trainPhaseSteps(live, 4, { label: "ema", silent: true, after: async (_step, _s, averaged) => {
      rawSeen.push(read());
      seen.push(await averaged(async () => read()));
    } });
    const averaged = read();
    expect(seen[3]).toEqual(averaged);
    expect(rawSeen[3]).not.toEqual(averaged);
    disposeEditor(live.editor);
    const plain = editorPhaseTask(node(0), 1, parent, null);
    await trainPhaseSteps(plain, 4, { label: "plain", silent: true });
    expect(Array.from(editorParams(plain.editor)[key].dataSync())).not.toEqual(averaged);
    disposeEditor(plain.editor);
    // checkpointed: straight vs. killed after 3 steps (checkpoint at 2) and resumed
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "editor-ema-"));
    const run = (dir: string, stopAfter?: number) =>
      trainResumable({ dir: path.join(root, dir), config: node(0.5), seed: 1, steps: 4, checkpointEvery: 2, silent: true, stopAfter, init: ({ rng }) => editorPhaseTask(node(0.5), 1, parent, rng) });
    const straight = await run("a");
    const values = (t: { params: Record<string, tf.Variable> }) => Object.values(t.params).map((v) => Array.from(v.dataSync()));
    const want = values(straight.task);
    expect(want[Object.keys(straight.task.params).indexOf(key)]).toEqual(averaged);
    straight.task.dispose();
    (await run("b", 3)).task.dispose();
    const resumed = await run("b");
    expect(resumed.resumedFrom).toBe(2);
    expect(values(resumed.task)).toEqual(want);
    resumed.task.dispose();
    // a checkpoint without the EMA state cannot resume a run that averages
    (await run("c", 3)).task.dispose();
    fs.rmSync(path.join(root, "c", "step-000002", STATE_FILE));
    await expect(run("c")).rejects.toThrow(`has no trainer state (${STATE_FILE}) but the task keeps some (e.g. EMA weights)`);
    fs.rmSync(root, { recursive: true, force: true });
    disposeEditor(parentEditor);
    expect(tf.memory().numTensors).toBe(n0);
  }, 120_000);

  it("training examples longer than the layout takes are left out and counted, not a crash mid-run", () => {
    const e = createEditor(cfg, new Rng(8));
    const long = (n: number) => Array.from({ length: n }, () => "red").join(" ");
    expect(fitsEditor(e, "make the cube red", "the cube is red")).toBe(true);
    expect(fitsEditor(e, long(cfg.maxInstruction + 1), null)).toBe(false);
    expect(fitsEditor(e, "make the cube red", long(cfg.maxCondition + 1))).toBe(false);
    expect(fitsEditor(e, "make the cube red", long(cfg.maxCondition))).toBe(true);
    const items = [{ i: "make the cube red", c: long(cfg.maxCondition + 1) }, { i: "make the cube red", c: "the cube is red" }];
    expect(fittingExamples(e, items, (x) => [x.i, x.c], "edits")).toEqual([items[1]]);
    expect(() => fittingExamples(e, [items[0]], (x) => [x.i, x.c], "edits")).toThrow(`editor node: none of the 1 edits fits the editor (maxInstruction ${cfg.maxInstruction}, maxCondition ${cfg.maxCondition} tokens)`);
    const task = editorPhaseTask({ editor: cfg, recipe: rc, phase: "stage1", mode: "attention", layers: "all", imageTokens: true, checkpointEvery: 1 }, 1, editorParams(e), null);
    expect([task.skipped, task.kept > 0]).toEqual([0, true]);
    task.dispose();
    disposeEditor(e);
  });

  it("unknown recipe is an error", async () => {
    const e = createEditor(cfg, new Rng(4));
    await expect(runRecipe("bogus" as never, rc, e, 1, { silent: true })).rejects.toThrow("runRecipe: unknown recipe 'bogus'; known: base, mgie, stage1, stage2, wo-de, finetune");
    disposeEditor(e);
  });
});

describe("edit and VQA pipelines", () => {
  it("an untrained editor (zero-initialised denoiser) returns the source; outputs have the source's shape; no leaks", () => {
    const e = createEditor(cfg, new Rng(5));
    const { edits } = engineData(rc.dataSeed, 3, cfg.image);
    const n0 = tf.memory().numTensors;
    const out = editImages(e, [edits[0].source], [edits[0].instruction], { steps: 3 });
    expect(out.images[0].length).toBe(edits[0].source.length);
    // the zero-initialised residual prediction is x0 = 0, so DDIM ends at r = 0 and the edit is the source
    const maxDiff = Math.max(...Array.from(out.images[0], (v, i) => Math.abs(v - edits[0].source[i])));
    expect(maxDiff).toBeLessThan(1e-5);
    const guided = editImages(e, [edits[0].source], [edits[0].instruction], { steps: 2, textScale: 3, imageScale: 1.5 });
    expect(guided.images.length).toBe(1);
    const answers = answerQuestions(e, [edits[0].source], ["describe the image ."], 4);
    expect(answers.length).toBe(1);
    expect(tf.memory().numTensors).toBe(n0);
    expect(() => editImages(e, [edits[0].source], ["  "])).toThrow("editImages: instruction 0 is empty; say what to change");
    expect(() => editImages(e, [new Float32Array(5)], ["make it red"])).toThrow("imageBatch: image 0 has 5 values, expected 16x16x3 = 768");
    disposeEditor(e);
  });

  it("the scheduler follows the config's prediction type", () => {
    expect(schedulerPrediction({ prediction: "x0" })).toBe("sample");
    expect(schedulerPrediction({ prediction: "eps" })).toBe("epsilon");
    expect(() => schedulerPrediction({ prediction: "score" })).toThrow("editor: prediction must be one of x0, eps, v, got 'score'");
    expect(editorScheduler(cfg).numTrainTimesteps).toBe(cfg.timesteps);
  });

  it("cloneEditor copies every weight", () => {
    const e = createEditor(cfg, new Rng(6));
    const c = cloneEditor(e);
    const a = editorParams(e);
    const b = editorParams(c);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(b[k]).not.toBe(a[k]);
    disposeEditor(c);
    disposeEditor(e);
  });
});
