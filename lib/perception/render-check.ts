/**
 * The photo path measured where the truth is known: SpatialWorld renders go through the
 * real-image path with the detector excluded (COCO has no cubes: the boxes are the render's
 * truth boxes), the weight-free box segmentation, and the ground-plane depth fallback with the
 * world's nominal camera height and pitch (the true pitch is jittered by up to +/-4 degrees, so
 * the horizon is slightly wrong, as it would be for a photo). Each step's error against the
 * truth, and the agreement with the oracle path on left/right and depth order of object pairs.
 */
import { Rng } from "../core/rng";
import { engineConfig } from "../engine/config";
import type { EngineConfig } from "../engine/config";
import { extractSpatialInfo } from "../engine/extract";
import { oracleSource } from "../engine/perception";
import { compareObjects } from "../engine/ranks";
import type { ExtractionResult } from "../engine/types";
import { renderScene } from "../world/render";
import { sampleScene } from "../world/sampler";
import type { RenderResult, Scene, WorldConfig } from "../world/types";
import type { PerceptionConfig } from "./config";
import { horizonRowOfPitch } from "./ground-depth";
import { photoSource, renderBoxes } from "./source";

/** Per-scene errors of each step of the photo path. */
export interface RenderCheck {
  objects: number;
  /** Intersection over union of each visible object's mask with the truth. */
  maskIoU: number[];
  /** Mean |z - z_true| / z_true over ground pixels and over object pixels (both finite). */
  depthAbsRelGround: number;
  depthAbsRelObjects: number;
  /** Horizon row used minus the true one (pixels). */
  horizonErrorPx: number;
  /** Objects the photo path's extraction refused (the oracle kept them). */
  refused: number;
  /** Per extracted object present in both: |depth - oracle depth| / oracle depth of the centre. */
  centreDepthAbsRel: number[];
  /** Object pairs in both extractions; sign agreement on left/right and depth order. */
  pairs: number;
  leftRightAgree: number;
  depthAgree: number;
  /** Pairs both paths decide (no tie) on each key, and how many of those agree. */
  leftRightDecided: number;
  leftRightDecidedAgree: number;
  depthDecided: number;
  depthDecidedAgree: number;
}

/** The perception config for renders of `world`: horizon given from the nominal pitch, the world's camera height. */
export function renderPerceptionConfig(cfg: PerceptionConfig, world: WorldConfig, size: number): PerceptionConfig {
  return {
    ...cfg,
    groundDepth: {
      ...cfg.groundDepth,
      horizon: "given",
      horizonRow: horizonRowOfPitch(world.cameraPitchDeg, size, size, world.focalRatio) / size,
      cameraHeight: world.cameraHeight,
      focalRatio: world.focalRatio,
    },
  };
}

function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

/** Runs both paths on one render and measures every step (paper §5.1.1, checked against the truth). */
export async function checkRender(scene: Scene, render: RenderResult, cfg: PerceptionConfig, engine: EngineConfig = engineConfig()): Promise<RenderCheck & { oracle: ExtractionResult; photo: ExtractionResult }> {
  const image = { width: render.width, height: render.height, data: render.rgb };
  const oracle = extractSpatialInfo(oracleSource().perceive({ image, render }), engine);
  const p = await photoSource({ config: cfg, boxes: renderBoxes() }).perceiveDetailed({ image, render });
  const photo = extractSpatialInfo(p.frame, engine);
  const sceneId = (boxId: number) => p.boxes[boxId].sourceId!;
  // masks
  const inter = new Map<number, number>();
  const union = new Map<number, number>();
  const N = render.mask.length;
  for (let i = 0; i < N; i++) {
    const t = render.mask[i];
    const m = p.frame.mask[i] >= 0 ? sceneId(p.frame.mask[i]) : -1;
    if (t >= 0) union.set(t, (union.get(t) ?? 0) + 1);
    if (m >= 0 && m !== t) union.set(m, (union.get(m) ?? 0) + 1);
    if (t >= 0 && t === m) inter.set(t, (inter.get(t) ?? 0) + 1);
  }
  const maskIoU = p.boxes.map((b) => (inter.get(b.sourceId!) ?? 0) / (union.get(b.sourceId!) ?? 1));
  // depth
  let eg = 0;
  let ng = 0;
  let eo = 0;
  let no = 0;
  for (let i = 0; i < N; i++) {
    const zt = render.depth[i];
    const z = p.frame.depth[i];
    if (!(Number.isFinite(zt) && Number.isFinite(z) && zt > 0)) continue;
    const e = Math.abs(z - zt) / zt;
    if (render.mask[i] < 0) {
      eg += e;
      ng++;
    } else {
      eo += e;
      no++;
    }
  }
  const trueHorizon = horizonRowOfPitch((render.camera.pitch * 180) / Math.PI, render.width, render.height, render.camera.focalRatio);
  // objects and pairs in both extractions, by scene id
  const photoBySceneId = new Map(photo.objects.map((o) => [sceneId(o.id), o]));
  const both = oracle.objects.filter((o) => photoBySceneId.has(o.id));
  const out: RenderCheck = {
    objects: p.boxes.length,
    maskIoU,
    depthAbsRelGround: ng > 0 ? eg / ng : NaN,
    depthAbsRelObjects: no > 0 ? eo / no : NaN,
    horizonErrorPx: p.depth.horizonRow - trueHorizon,
    refused: oracle.objects.filter((o) => !photoBySceneId.has(o.id)).length,
    centreDepthAbsRel: both.map((o) => Math.abs(photoBySceneId.get(o.id)!.depth - o.depth) / o.depth),
    pairs: 0,
    leftRightAgree: 0,
    depthAgree: 0,
    leftRightDecided: 0,
    leftRightDecidedAgree: 0,
    depthDecided: 0,
    depthDecidedAgree: 0,
  };
  for (let a = 0; a < both.length; a++) {
    for (let b = a + 1; b < both.length; b++) {
      const oa = both[a];
      const ob = both[b];
      const pa = photoBySceneId.get(oa.id)!;
      const pb = photoBySceneId.get(ob.id)!;
      out.pairs++;
      if (sign(oa.centreU - ob.centreU) === sign(pa.centreU - pb.centreU)) out.leftRightAgree++;
      if (sign(oa.depth - ob.depth) === sign(pa.depth - pb.depth)) out.depthAgree++;
      for (const key of ["horizontal", "depth"] as const) {
        const co = compareObjects(oracle, key, oa.id, ob.id);
        const cp = compareObjects(photo, key, pa.id, pb.id);
        if (co === "tie" || cp === "tie") continue;
        if (key === "horizontal") {
          out.leftRightDecided++;
          if (co === cp) out.leftRightDecidedAgree++;
        } else {
          out.depthDecided++;
          if (co === cp) out.depthDecidedAgree++;
        }
      }
    }
  }
  return { ...out, oracle, photo };
}

/** Totals over scenes: shares and means of the per-scene checks. */
export interface RenderAgreement {
  scenes: number;
  objects: number;
  pairs: number;
  /** Shares of object pairs (present in both paths) whose order agrees with the oracle path. */
  leftRightAgreement: number;
  depthAgreement: number;
  /** The same over pairs both paths decide (no tie), and the share of pairs decided. */
  leftRightDecidedAgreement: number;
  depthDecidedAgreement: number;
  leftRightDecidedShare: number;
  depthDecidedShare: number;
  meanMaskIoU: number;
  depthAbsRelGround: number;
  depthAbsRelObjects: number;
  meanAbsHorizonErrorPx: number;
  centreDepthAbsRel: number;
  /** Objects the oracle kept and the photo path refused. */
  refused: number;
}

const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The render check over `cfg.renderCheck.scenes` seeded SpatialWorld scenes. */
export async function renderAgreement(cfg: PerceptionConfig, world: WorldConfig, engine: EngineConfig = engineConfig(), onScene?: (i: number, n: number) => void): Promise<RenderAgreement> {
  const { scenes, size, seed } = cfg.renderCheck;
  const rcfg = renderPerceptionConfig(cfg, world, size);
  const rng = new Rng(seed);
  const checks: RenderCheck[] = [];
  for (let s = 0; s < scenes; s++) {
    const scene = sampleScene(rng, world);
    const render = renderScene(scene, { width: size, height: size });
    checks.push(await checkRender(scene, render, rcfg, engine));
    onScene?.(s + 1, scenes);
  }
  const sum = (f: (c: RenderCheck) => number) => checks.reduce((a, c) => a + f(c), 0);
  const pairs = sum((c) => c.pairs);
  return {
    scenes,
    objects: sum((c) => c.objects),
    pairs,
    leftRightAgreement: sum((c) => c.leftRightAgree) / pairs,
    depthAgreement: sum((c) => c.depthAgree) / pairs,
    leftRightDecidedAgreement: sum((c) => c.leftRightDecidedAgree) / sum((c) => c.leftRightDecided),
    depthDecidedAgreement: sum((c) => c.depthDecidedAgree) / sum((c) => c.depthDecided),
    leftRightDecidedShare: sum((c) => c.leftRightDecided) / pairs,
    depthDecidedShare: sum((c) => c.depthDecided) / pairs,
    meanMaskIoU: mean(checks.flatMap((c) => c.maskIoU)),
    depthAbsRelGround: mean(checks.map((c) => c.depthAbsRelGround).filter(Number.isFinite)),
    depthAbsRelObjects: mean(checks.map((c) => c.depthAbsRelObjects).filter(Number.isFinite)),
    meanAbsHorizonErrorPx: mean(checks.map((c) => Math.abs(c.horizonErrorPx))),
    centreDepthAbsRel: mean(checks.flatMap((c) => c.centreDepthAbsRel)),
    refused: sum((c) => c.refused),
  };
}
