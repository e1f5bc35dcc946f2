/**
 * The data engine's spatial information extraction (paper §5.1.1): perception, parsing, point
 * clouds, RANSAC, attributes, ranks. Typical use:
 *
 *   const render = renderScene(sampleScene(rng, worldConfig()), { width: 64, height: 64 });
 *   const frame = oracleSource().perceive({ image: { width: 64, height: 64, data: render.rgb }, render });
 *   const info = extractSpatialInfo(frame, engineConfig());      // ExtractionResult (refusals counted)
 *   pickRank(info, "horizontal", 1, "asc");                       // leftmost, or { ok: false, reason: "tie" }
 *   pickRank(info, "horizontal", 2, "desc", cubeIds);             // 2nd from the right among cubes
 *   compareObjects(info, "depth", a, b);                          // "less" = a nearer; "tie" = refuse
 *   renderTruth(render);                                          // the renderer's truth for the same keys
 *   writeRankAgreementReport();                                   // results/<profile>/engine-rank-agreement.json
 *   timeExtraction(512);                                          // extraction alone at 512x512
 */
export * from "./engine/types";
export * from "./engine/config";
export * from "./engine/perception";
export * from "./engine/geometry";
export * from "./engine/ransac";
export * from "./engine/parse";
export * from "./engine/ranks";
export * from "./engine/attributes";
export * from "./engine/extract";
export * from "./engine/cloud";
export * from "./engine/truth";
export * from "./engine/agreement";
export * from "./engine/image-io";
export * from "./engine/report";
export * from "./engine/contour";
export * from "./engine/resize";
