/**
 * The 80 COCO object classes in the order of the detector's class index, with what the engine
 * needs from a class: whether its things can move (the "trend" rule of the description step)
 * and, for things that stand on the ground, a typical real height (metres) that lets the
 * ground-plane fallback place the horizon (Hoiem et al.'s "objects in perspective" idea).
 */

export const COCO_CLASSES = [
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
  "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
  "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
  "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
  "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
  "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
  "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
  "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
] as const;
export type CocoClass = (typeof COCO_CLASSES)[number];

/** Classes whose things move by themselves or are driven (people, animals, vehicles). */
const MOBILE = new Set<string>([
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
  "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe",
]);

/** Typical heights (metres) of classes that stand on the ground, for the horizon estimate. */
export const GROUND_CLASS_HEIGHT: Readonly<Record<string, number>> = {
  person: 1.7, bicycle: 1.1, car: 1.5, motorcycle: 1.2, bus: 3.2, truck: 3.0, "fire hydrant": 0.8,
  "parking meter": 1.3, bench: 0.9, dog: 0.6, horse: 1.6, sheep: 0.9, cow: 1.4, elephant: 3.0,
  zebra: 1.4, giraffe: 5.0, chair: 0.9, couch: 0.85, "dining table": 0.75, refrigerator: 1.8, toilet: 0.75,
};

/**
 * The class rule of the description step (a stand-in for the paper's LLaVA "trend"): things of
 * a mobile class "can move", everything else is "static". The direction of motion is not in the
 * class, so the engine's trend (a direction) stays "none" for both.
 */
export function motionOfClass(label: string): "mobile" | "static" {
  return MOBILE.has(label) ? "mobile" : "static";
}

/** The class name of a detector class index; throws for an index outside 0..79. */
export function cocoName(index: number): CocoClass {
  if (!Number.isInteger(index) || index < 0 || index >= COCO_CLASSES.length) {
    throw new Error(`cocoName: class index must be an integer in 0..${COCO_CLASSES.length - 1}, got ${index}`);
  }
  return COCO_CLASSES[index];
}
