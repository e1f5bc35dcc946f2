/**
 * The bad-input matrix of the world, engine and data layers: one row per user mistake or fault,
 * with the error text it must produce. None is silent; none is a raw Node error without a path.
 * Add a row whenever a new way to fail is found.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it, vi } from "vitest";
import { Rng } from "../../lib/core/rng";
import { classifyInstruction } from "../../lib/data/classifier";
import { scoreClassifier, wilsonInterval } from "../../lib/data/classifier-eval";
import { compare2dWithExact } from "../../lib/data/compare2d";
import { dataEngineConfig, genericConfig } from "../../lib/data/config";
import { makeEdit } from "../../lib/data/instructions";
import { perceiveScene } from "../../lib/data/perceive";
import { readBatches } from "../../lib/data/reader";
import { loadRealInstructions } from "../../lib/data/real-instructions";
import { syntheticInstructionTexts } from "../../lib/data/table3-real";
import { trainTextClassifier } from "../../lib/data/text-classifier";
import { truthExtraction } from "../../lib/data/truth";
import { DatasetWriter, readManifest, readMetadata, STATE_FILE } from "../../lib/data/writer";
import { engineConfig, noisyConfig } from "../../lib/engine/config";
import { extractSpatialInfo } from "../../lib/engine/extract";
import { oracleSource } from "../../lib/engine/perception";
import { fitGroundPlane } from "../../lib/engine/ransac";
import { worldConfig } from "../../lib/world/config";
import { renderScene } from "../../lib/world/render";
import { sampleScene } from "../../lib/world/sampler";
import { threeObjects } from "./fixtures";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

/** A finished one-unit dataset folder (records point at images/a.png). */
function dataset(): string {
  const dir = tmp("bad-ds-");
  const w = DatasetWriter.open(dir, { name: "t", config: { a: 1 }, seed: 1 });
  w.commit({ records: [{ file_name: "images/a.png" }], files: [{ path: "images/a.png", bytes: new Uint8Array([1]) }] });
  w.finish();
  return dir;
}

const scene = threeObjects();
const render = renderScene(scene, { width: 32, height: 32 });
const truth = truthExtraction(scene, render);
const frame = oracleSource().perceive({ image: { width: 32, height: 32, data: render.rgb }, render });
const editOpts = { moveStep: 0.6, trendStep: 0.8, width: 32, height: 32 };

/** [what, action, expected error text (substring or pattern)] */
const CASES: [string, () => unknown, string | RegExp][] = [
  // world: the scene sampler's config
  ["negative camera height", () => worldConfig("tiny", { cameraHeight: -1 }), "world: cameraHeight must be a positive height above the ground (world units), got -1"],
  ["zero camera height", () => worldConfig("tiny", { cameraHeight: 0 }), "world: cameraHeight must be a positive height"],
  ["negative camera height given to sampleScene directly", () => sampleScene(new Rng(1), { ...worldConfig("tiny"), cameraHeight: -2 }), "sampleScene: cameraHeight must be a positive height above the ground (world units), got -2"],
  ["trend probability above 1", () => worldConfig("tiny", { trendProbability: 1.5 }), "world: trendProbability must be a probability in [0, 1], got 1.5"],
  ["negative gap", () => worldConfig("tiny", { minGap: -0.1 }), "world: minGap must be a distance >= 0 (world units), got -0.1"],
  ["border margin of more than half the image", () => worldConfig("tiny", { borderMargin: 0.6 }), "world: borderMargin must be a fraction in [0, 0.5), got 0.6"],
  ["camera pitch past vertical", () => worldConfig("tiny", { cameraPitchDeg: 95 }), "world: cameraPitchDeg must be a downward tilt in (0, 90) degrees, got 95"],
  ["negative pitch jitter", () => worldConfig("tiny", { cameraJitterDeg: -1 }), "world: cameraJitterDeg must be an angle in [0, 90) degrees, got -1"],
  ["jitter that tilts the camera above the horizon", () => worldConfig("tiny", { cameraPitchDeg: 10, cameraJitterDeg: 15 }), "world: cameraPitchDeg +/- cameraJitterDeg must stay inside (0, 90) degrees, got 10 +/- 15"],
  ["zero focal ratio", () => worldConfig("tiny", { focalRatio: 0 }), "world: focalRatio must be a positive number"],
  ["fractional placement tries", () => worldConfig("tiny", { maxPlacementTries: 2.5 }), "world: maxPlacementTries must be an integer >= 1, got 2.5"],
  ["fractional object count", () => worldConfig("tiny", { minObjects: 3.5 }), "world: need integers 0 <= minObjects <= maxObjects, got 3.5..6"],
  ["minObjects above maxObjects", () => worldConfig("tiny", { minObjects: 5, maxObjects: 3 }), "world: need integers 0 <= minObjects <= maxObjects, got 5..3"],
  ["too many objects", () => worldConfig("tiny", { maxObjects: 13 }), "world: maxObjects must be <= 12"],
  // engine: extraction config and RANSAC
  ["negative RANSAC iterations", () => engineConfig("tiny", { ransacIterations: -5 }), "engine: ransacIterations must be an integer >= 1 (RANSAC hypotheses), got -5"],
  ["zero RANSAC iterations", () => engineConfig("tiny", { ransacIterations: 0 }), "engine: ransacIterations must be an integer >= 1"],
  ["negative RANSAC iterations in a hand-made config", () => extractSpatialInfo(frame, { ...engineConfig("tiny"), ransacIterations: -1 }), "extractSpatialInfo: ransacIterations must be an integer >= 1 (RANSAC hypotheses), got -1"],
  ["negative iterations given to RANSAC itself", () => fitGroundPlane(new Float32Array(30), { iterations: -3, threshold: 0.03, maxPoints: 100, seed: 1 }), "fitGroundPlane: iterations must be an integer >= 1, got -3"],
  ["zero RANSAC threshold", () => engineConfig("tiny", { ransacThreshold: 0 }), "engine: ransacThreshold must be a positive inlier distance (world units), got 0"],
  ["RANSAC scoring subset below 3 points", () => engineConfig("tiny", { ransacMaxPoints: 2 }), "engine: ransacMaxPoints must be an integer >= 3, got 2"],
  ["zero minimum object points", () => engineConfig("tiny", { minObjectPoints: 0 }), "engine: minObjectPoints must be an integer >= 1, got 0"],
  ["invalid-depth fraction above 1", () => engineConfig("tiny", { maxInvalidDepthFraction: 1.5 }), "engine: maxInvalidDepthFraction must be a fraction in [0, 1], got 1.5"],
  ["zero hull slices", () => engineConfig("tiny", { hullSlices: 0 }), "engine: hullSlices must be an integer >= 1, got 0"],
  ["negative guessed focal ratio", () => engineConfig("tiny", { guessFocalRatio: -1 }), "engine: guessFocalRatio must be a positive number"],
  ["negative tie tolerance", () => engineConfig("tiny", { tolerances: { depth: { abs: -1, rel: 0 } } }), 'engine: tolerances.depth needs abs >= 0 and rel >= 0, got {"abs":-1,"rel":0}'],
  // noisy perception
  ["drop probability above 1", () => noisyConfig("tiny", { dropProbability: 1.5 }), "noisy perception: dropProbability is a probability and must be in [0, 1], got 1.5"],
  ["wrong-label probability above 1", () => noisyConfig("tiny", { wrongLabelProbability: 2 }), "noisy perception: wrongLabelProbability is a probability and must be in [0, 1], got 2"],
  ["erode + dilate above 1", () => noisyConfig("tiny", { erodeProbability: 0.7, dilateProbability: 0.6 }), "noisy perception: erodeProbability + dilateProbability must be <= 1 (one morph per object), got 0.7 + 0.6"],
  ["unknown perception source", () => perceiveScene("lidar", scene, render, new Rng(1)), "perceiveScene: unknown perception 'lidar'; use oracle, noisy, noisy-labels or truth"],
  // data engine config
  ["negative VQA fills per scene", () => dataEngineConfig("tiny", { vqaPerScene: -1 }), "dataEngine: vqaPerScene must be an integer >= 0 (fills per scene), got -1"],
  ["fractional edit fills per scene", () => dataEngineConfig("tiny", { editsPerScene: 2.5 }), "dataEngine: editsPerScene must be an integer >= 0 (fills per scene), got 2.5"],
  ["paraphrase probability above 1", () => dataEngineConfig("tiny", { pSwap: 1.5 }), "dataEngine: pSwap is a probability and must be in [0, 1], got 1.5"],
  ["zero move step", () => dataEngineConfig("tiny", { moveStep: 0 }), "dataEngine: moveStep must be a positive distance in world units (a step <= 0 would move the object against the instruction's direction), got 0"],
  ["negative move step ('left' while moving right)", () => dataEngineConfig("tiny", { moveStep: -0.6 }), "dataEngine: moveStep must be a positive distance in world units"],
  ["negative trend step", () => dataEngineConfig("tiny", { trendStep: -1 }), "dataEngine: trendStep must be a positive distance in world units"],
  ["negative scene count", () => dataEngineConfig("tiny", { scenes: -1 }), "dataEngine: scenes must be an integer >= 0, got -1"],
  ["resolution below 8", () => dataEngineConfig("tiny", { resolution: 4 }), "dataEngine: resolution must be an integer in [8, 1024], got 4"],
  ["zero attempts per record", () => dataEngineConfig("tiny", { attemptsPerRecord: 0 }), "dataEngine: attemptsPerRecord must be an integer >= 1, got 0"],
  ["negative move step given to the templates directly", () => makeEdit(scene, truth, new Rng(1), "direction", "move", { ...editOpts, moveStep: -1 }), "makeEdit: moveStep must be a positive distance in world units"],
  ["zero trend step given to the templates directly", () => makeEdit(scene, truth, new Rng(1), "movement", "move", { ...editOpts, trendStep: 0 }), "makeEdit: trendStep must be a positive distance in world units"],
  // generic data config
  ["generic spatial share above 1", () => genericConfig("tiny", { spatialShare: 1.2 }), "generic: spatialShare must be in [0, 1], got 1.2"],
  ["generic negative edits per scene", () => genericConfig("tiny", { editsPerScene: -1 }), "generic: editsPerScene must be an integer >= 0, got -1"],
  ["generic zero move step", () => genericConfig("tiny", { moveStep: 0 }), "generic: moveStep must be a positive distance in world units"],
  ["generic resolution too large", () => genericConfig("tiny", { resolution: 2000 }), "generic: resolution must be an integer in [8, 1024], got 2000"],
  ["2D comparison with a zero move step", () => compare2dWithExact(new Rng(1), { scenes: 2, resolution: 32, moveStep: 0 }), "compare2dWithExact: moveStep must be a positive distance in world units, got 0"],
  ["2D comparison with zero scenes", () => compare2dWithExact(new Rng(1), { scenes: 0, resolution: 32, moveStep: 0.6 }), "compare2dWithExact: scenes must be an integer >= 1, got 0"],
  // reader
  ["batch size 0", () => readBatches(dataset(), { batchSize: 0 }).next(), "readBatches: batchSize must be an integer >= 1, got 0"],
  ["fractional batch size", () => readBatches(dataset(), { batchSize: 1.5 }).next(), "readBatches: batchSize must be an integer >= 1, got 1.5"],
  ["reading a folder that is not a dataset", () => readMetadata(tmp("bad-empty-")), /readMetadata: .*metadata\.jsonl does not exist; is .* a dataset folder written by DatasetWriter\?/],
  [
    "metadata.jsonl that is a directory",
    () => {
      const d = tmp("bad-dir-");
      fs.mkdirSync(path.join(d, "train", "metadata.jsonl"), { recursive: true });
      return readMetadata(d);
    },
    /readMetadata: .*train\/metadata\.jsonl is a directory, expected a file/,
  ],
  [
    "an image path that is a directory (was EISDIR without the path)",
    () => {
      const d = dataset();
      fs.rmSync(path.join(d, "train", "images", "a.png"));
      fs.mkdirSync(path.join(d, "train", "images", "a.png"));
      return readBatches(d, { batchSize: 1 }).next();
    },
    /readBatches: record 0: image: .*images\/a\.png is a directory, expected a file/,
  ],
  [
    "an unfinished dataset read strictly",
    () => {
      const d = tmp("bad-unf-");
      DatasetWriter.open(d, { name: "t", config: {}, seed: 1 }).commit({ records: [{ n: 1 }], files: [] });
      return readMetadata(d, { unfinished: "error" });
    },
    /readMetadata: .* is an unfinished dataset \(1 committed records in 1 units, no manifest yet\); run the generator again to finish it/,
  ],
  [
    "a corrupt manifest",
    () => {
      const d = dataset();
      fs.writeFileSync(path.join(d, "manifest.json"), "{oops");
      return readManifest(d);
    },
    /readManifest: .*manifest\.json is not valid JSON .*; run the generator again to rewrite it/,
  ],
  // writer
  [
    "a corrupt writer state file (was a JSON error without the file's name)",
    () => {
      const d = dataset();
      fs.writeFileSync(path.join(d, STATE_FILE), '{"units": 1,');
      return DatasetWriter.open(d, { name: "t", config: { a: 1 }, seed: 1 });
    },
    /DatasetWriter: .*\.writer-state\.json is not valid JSON .*; the commit point of the folder is damaged: delete the folder and write the dataset again/,
  ],
  [
    "a corrupt writer state file, seen by the reader",
    () => {
      const d = dataset();
      fs.writeFileSync(path.join(d, STATE_FILE), "not json");
      return readMetadata(d);
    },
    /DatasetWriter: .*\.writer-state\.json is not valid JSON/,
  ],
  [
    "a state file that is JSON but not a writer state",
    () => {
      const d = dataset();
      fs.writeFileSync(path.join(d, STATE_FILE), "{}");
      return DatasetWriter.open(d, { name: "t", config: { a: 1 }, seed: 1 });
    },
    /DatasetWriter: .*\.writer-state\.json is not a writer state \(needs units, metadataBytes, configHash\)/,
  ],
  [
    "a short write that makes no progress (file-size limit)",
    () => {
      const w = DatasetWriter.open(tmp("bad-short-"), { name: "t", config: {}, seed: 1 });
      w.writeSync = () => 0;
      return w.commit({ records: [{ n: 1 }], files: [] });
    },
    /DatasetWriter: short write to .*metadata\.jsonl: 0 of 8 bytes written, then none \(disk full or a file-size limit\?\); nothing was committed/,
  ],
  [
    "a write that fails with EFBIG",
    () => {
      const w = DatasetWriter.open(tmp("bad-efbig-"), { name: "t", config: {}, seed: 1 });
      w.writeSync = () => {
        throw Object.assign(new Error("file too large"), { code: "EFBIG" });
      };
      return w.commit({ records: [{ n: 1 }], files: [] });
    },
    /DatasetWriter: writing .*metadata\.jsonl failed after 0 of 8 bytes \(EFBIG\); nothing was committed/,
  ],
  // real-instruction set, classifiers
  ["an unknown split of the real set", () => loadRealInstructions("train" as never), `loadRealInstructions: split must be 'dev' or 'test', got "train"`],
  ["a non-string instruction", () => classifyInstruction(null as never), "classifyInstruction: instruction must be a string, got null"],
  ["a Wilson interval with k > n", () => wilsonInterval(3, 2), "wilsonInterval: need integers 0 <= k <= n, got k=3, n=2"],
  ["a negative bootstrap count", () => scoreClassifier([true], [true], { bootstrap: -1 }), "scoreClassifier: bootstrap must be a non-negative integer, got -1"],
  ["an unknown learned-classifier key", () => trainTextClassifier([{ text: "a", spatial: true }, { text: "b", spatial: false }], { epochs: 3 } as never), "trainTextClassifier: unknown config key 'epochs'"],
  ["negative scenes of synthetic texts", () => syntheticInstructionTexts(0, -1), "syntheticInstructionTexts: scenes must be an integer >= 0, got -1"],
];

describe("bad input in world, engine and data: every row is a clear error", () => {
  it(`has at least 45 rows (now ${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(45);
  });
  for (const [what, action, text] of CASES) {
    it(what, () => {
      expect(action).toThrow(text);
    });
  }
});

describe("faults that used to be silent", () => {
  it("short writes are completed in a loop: a writer that writes 3 bytes at a time gives the same file", () => {
    const a = tmp("short-a-");
    const b = tmp("short-b-");
    const unit = { records: [{ n: 1, text: "move the cube left" }, { n: 2 }], files: [] };
    DatasetWriter.open(a, { name: "t", config: {}, seed: 1 }).commit(unit);
    const w = DatasetWriter.open(b, { name: "t", config: {}, seed: 1 });
    w.writeSync = ((fd: number, buf: Uint8Array, off: number, len: number, pos: number) => fs.writeSync(fd, buf, off, Math.min(3, len), pos)) as typeof fs.writeSync;
    w.commit(unit);
    expect(fs.readFileSync(path.join(b, "train", "metadata.jsonl"))).toEqual(fs.readFileSync(path.join(a, "train", "metadata.jsonl")));
  });

  it("after a cut-off write the folder reopens at its last commit and resumes to the bytes of an uninterrupted run", () => {
    const units = [{ records: [{ n: 1 }], files: [] }, { records: [{ n: 2, text: "put the cup on the plate" }], files: [] }];
    const ref = tmp("short-ref-");
    const r = DatasetWriter.open(ref, { name: "t", config: {}, seed: 1 });
    for (const u of units) r.commit(u);
    r.finish();
    const dir = tmp("short-res-");
    const w = DatasetWriter.open(dir, { name: "t", config: {}, seed: 1 });
    w.commit(units[0]);
    let calls = 0; // unit 1: 5 bytes reach the file, then the size limit stops the writes
    w.writeSync = ((fd: number, buf: Uint8Array, off: number, len: number, pos: number) => (calls++ === 0 ? fs.writeSync(fd, buf, off, Math.min(5, len), pos) : 0)) as typeof fs.writeSync;
    expect(() => w.commit(units[1])).toThrow("short write");
    expect(w.committedRecords).toBe(1);
    const again = DatasetWriter.open(dir, { name: "t", config: {}, seed: 1 });
    expect(again.committedUnits).toBe(1);
    again.commit(units[1]);
    again.finish();
    expect(fs.readFileSync(path.join(dir, "train", "metadata.jsonl"))).toEqual(fs.readFileSync(path.join(ref, "train", "metadata.jsonl")));
    expect(readMetadata(dir)).toEqual([{ n: 1 }, { n: 2, text: "put the cup on the plate" }]);
  });

  it("an unfinished dataset is read up to its commit point, with a warning", () => {
    const d = tmp("unf-");
    const w = DatasetWriter.open(d, { name: "t", config: {}, seed: 1 });
    w.commit({ records: [{ n: 1 }], files: [] });
    fs.appendFileSync(path.join(d, "train", "metadata.jsonl"), '{"n": 2}\n'); // an uncommitted unit
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(readMetadata(d)).toEqual([{ n: 1 }]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain("is an unfinished dataset (1 committed records in 1 units, no manifest yet); run the generator again to finish it; reading the committed records only");
    } finally {
      warn.mockRestore();
    }
  });
});
