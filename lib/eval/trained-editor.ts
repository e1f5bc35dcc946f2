/**
 * A trained MLLM-driven editor (lib/models/editor) behind the evaluation's `Editor` interface:
 * sources are resized to the editor's resolution when they differ (bilinear), edited in batches
 * by the edit pipeline (DDIM + dual guidance), and returned as 8-bit RGB. It never reads the
 * benchmark record (`request.item`): only the source and the instruction.
 */
import type { RgbImage } from "../engine/types";
import type { Editor as ModelEditor } from "../models/editor/model";
import { editImages, type EditPipelineOptions } from "../models/editor/pipeline";
import { toBytes, toSigned } from "../models/editor/train/data";
import type { EditRequest, Editor } from "./editor";
import { resizeBilinear, toRgb } from "./image";

/** Wraps `model` as an evaluation Editor named `name` (the method's row name in the tables). */
export function trainedEditor(name: string, model: ModelEditor, options: Partial<EditPipelineOptions> = {}): Editor {
  const size = model.config.image;
  const signed = (img: RgbImage): Float32Array => {
    const im = img.width === size && img.height === size ? img : toRgb(resizeBilinear(img, size, size));
    return toSigned(im.data);
  };
  const editBatch = async (requests: EditRequest[]): Promise<RgbImage[]> => {
    const out = editImages(model, requests.map((r) => signed(r.source)), requests.map((r) => r.instruction), options);
    return out.images.map((x) => ({ width: size, height: size, data: toBytes(x) }));
  };
  return {
    name,
    edit: async (request: EditRequest) => (await editBatch([request]))[0],
    editBatch,
  };
}
