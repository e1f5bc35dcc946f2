/**
 * The runs of `npm run shape-fit` (scripts/shape-fit.ts) as one table for notebook 05: per fitted shape reader
 * (lib/models/editor/shape-reader.ts), how many engine scenes it was fitted on, its accuracy on the objects of held-out
 * engine scenes (overall and per shape) and on the objects of the validation and SpatialEval-mini scenes. The files'
 * numbers are shown as the runs wrote them.
 */
import type { ProfileName } from "../core/profile";
import { readResults } from "../core/results";
import { SHAPES } from "../world/types";

interface Measured {
  n: number;
  accuracy: number;
  perShape: { shape: string; n: number; accuracy: number }[];
}

/** The part of a shape-fit results file this summary reads. */
interface ShapeFitFile {
  config: { reader: { cells: number; hidden: number }; scenes: number };
  data: { heldOut: Measured; validation: Measured; spatialEvalMini: Measured };
}

/** A type alias (not an interface), so that rows are table rows (lib/core/table.ts Row). */
export type ShapeReaderRow = {
  run: string;
  scenes: number;
  "held-out objects": number;
  "held-out accuracy": number;
  cube: number;
  sphere: number;
  cylinder: number;
  cone: number;
  "validation objects' accuracy": number;
  "SpatialEval-mini objects' accuracy": number;
};

/** The row of one shape-fit results file. */
export function shapeReaderRow(name: string, file: ShapeFitFile): ShapeReaderRow {
  const per = (shape: string) => {
    const s = file.data.heldOut.perShape.find((x) => x.shape === shape);
    if (s === undefined) throw new Error(`shapeReaderRow: '${name}' has no held-out accuracy for ${shape}`);
    return s.accuracy;
  };
  const [cube, sphere, cylinder, cone] = SHAPES.map(per);
  return { run: name, scenes: file.config.scenes, "held-out objects": file.data.heldOut.n, "held-out accuracy": file.data.heldOut.accuracy, cube, sphere, cylinder, cone, "validation objects' accuracy": file.data.validation.accuracy, "SpatialEval-mini objects' accuracy": file.data.spatialEvalMini.accuracy };
}

/** The rows of every shape-fit results file of `profile` (those whose config names a reader with cells: not a target reader's, target-summary.ts), by file name. */
export function shapeReaderSummary(profile: ProfileName): ShapeReaderRow[] {
  return readResults<ShapeFitFile["data"]>(profile).flatMap(({ name, file }) => {
    const config = file.config as Partial<ShapeFitFile["config"]> | undefined;
    return typeof config?.reader?.cells !== "number" || file.data?.heldOut === undefined ? [] : [shapeReaderRow(name, file as unknown as ShapeFitFile)];
  });
}
