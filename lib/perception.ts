/**
 * The data engine on real photographs (paper §5.1.1 with what runs offline): photo input, the
 * CenterNet COCO detector from `@vladmandic/human`, box-prompted masks (weight-free or a user's
 * SAM-style ONNX pair), depth (a user's ONNX model or the ground-plane fallback), descriptions,
 * and the perception source that feeds the unchanged engine. Typical use:
 *
 *   const cfg = perceptionConfig();
 *   const photo = await loadPhoto("photo.jpg", cfg.photo);             // EXIF applied, working size
 *   const detector = await loadCenterNet();                            // needs initBackend() first
 *   const source = photoSource({ config: cfg, boxes: detectorBoxes(detector, cfg) });
 *   const p = await source.perceiveDetailed({ image: photo.image });   // frame + boxes + descriptions
 *   const info = withPhotoDescriptions(extractSpatialInfo(p.frame, engineConfig()), p);
 */
export * from "./perception/config";
export * from "./perception/boxes";
export * from "./perception/coco";
export * from "./perception/photo";
export * from "./perception/detector";
export * from "./perception/box-segment";
export * from "./perception/ground-depth";
export * from "./perception/describe";
export * from "./perception/onnx-model";
export * from "./perception/onnx-depth";
export * from "./perception/onnx-segmenter";
export * from "./perception/source";
export * from "./perception/render-check";
export * from "./perception/samples";
export * from "./perception/show";
