/**
 * An evaluation's edited images, kept beside its scores: `edits.json` (the item ids and each image's
 * size) and `edits.rgb` (the RGB bytes of every image, in that order). An evaluation node of the
 * editor grid writes them, so that a metric added later, or a row recomputed in a notebook, scores
 * the stored edits again (`storedEditor`) instead of running the trained editor again.
 */
import * as fs from "fs";
import * as path from "path";
import type { RgbImage } from "../engine/types";
import type { Editor, EditRequest } from "./editor";

export const EDITS_INDEX = "edits.json";
export const EDITS_DATA = "edits.rgb";

interface EditsIndex {
  format: "rgb8";
  items: { id: string; width: number; height: number }[];
}

/** Writes `edits` (item id -> image, in insertion order) to `dir`; returns the index file's path. */
export function writeEdits(dir: string, edits: ReadonlyMap<string, RgbImage>): string {
  if (edits.size === 0) throw new Error("writeEdits: no edits to write");
  const items: EditsIndex["items"] = [];
  const parts: Uint8Array[] = [];
  for (const [id, im] of edits) {
    if (im.data.length !== im.width * im.height * 3) throw new Error(`writeEdits: edit of '${id}' has ${im.data.length} bytes, expected ${im.width}x${im.height}x3 (RGB)`);
    items.push({ id, width: im.width, height: im.height });
    parts.push(im.data);
  }
  fs.mkdirSync(dir, { recursive: true });
  // the data first, the index last: an index on disk always has its data
  fs.writeFileSync(path.join(dir, EDITS_DATA), Buffer.concat(parts));
  const index = path.join(dir, EDITS_INDEX);
  fs.writeFileSync(index, JSON.stringify({ format: "rgb8", items } satisfies EditsIndex));
  return index;
}

/** True when `dir` holds stored edits. */
export function hasEdits(dir: string): boolean {
  return fs.existsSync(path.join(dir, EDITS_INDEX));
}

/** Reads the edits `writeEdits` wrote to `dir` (item id -> image). */
export function readEdits(dir: string): Map<string, RgbImage> {
  const indexFile = path.join(dir, EDITS_INDEX);
  if (!fs.existsSync(indexFile)) throw new Error(`readEdits: ${indexFile} does not exist (evaluations made before the edits were stored have none; run the evaluation again)`);
  const index = JSON.parse(fs.readFileSync(indexFile, "utf8")) as EditsIndex;
  if (index.format !== "rgb8" || !Array.isArray(index.items)) throw new Error(`readEdits: ${indexFile} is not an index of RGB edits`);
  const bytes = fs.readFileSync(path.join(dir, EDITS_DATA));
  const expected = index.items.reduce((s, it) => s + it.width * it.height * 3, 0);
  if (bytes.length !== expected) throw new Error(`readEdits: ${path.join(dir, EDITS_DATA)} has ${bytes.length} bytes, its index describes ${expected}`);
  const out = new Map<string, RgbImage>();
  let at = 0;
  for (const it of index.items) {
    const n = it.width * it.height * 3;
    out.set(it.id, { width: it.width, height: it.height, data: new Uint8Array(bytes.subarray(at, at + n)) });
    at += n;
  }
  return out;
}

/** An editor that returns the stored edit of each benchmark item (the request must carry its item). */
export function storedEditor(name: string, edits: ReadonlyMap<string, RgbImage>): Editor {
  return {
    name,
    edit(request: EditRequest): RgbImage {
      if (!request.item) throw new Error(`storedEditor '${name}': needs the benchmark record (request.item) to find the stored edit`);
      const im = edits.get(request.item.id);
      if (im === undefined) throw new Error(`storedEditor '${name}': no stored edit for item '${request.item.id}'`);
      return im;
    },
  };
}
