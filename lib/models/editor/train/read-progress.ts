/**
 * The frozen editor's reads of a head fit's edits (train/object-head.ts cacheObjectReads) under a progress bar: the edits
 * at hand, or the training scenes handed over a chunk at a time (finished.ts headFitTrainChunks), so that a fit on many
 * scenes holds only their reads, not their images. Shared by the cached head scripts (object head, move head) and, with
 * its own reads, the target reader's (npm run target-fit).
 */
import { progress } from "../../../core/progress";
import type { Editor } from "../model";
import type { EditExample } from "./data";
import { cacheObjectReads, withChangedObject, type CachedObjectReads } from "./object-head";

/** The editor's reads of `edits` (cacheObjectReads) with a progress bar labelled `label`. */
export function readEdits(e: Editor, edits: readonly EditExample[], label: string): CachedObjectReads[] {
  const bar = progress({ total: withChangedObject(edits).length, label });
  let seen = 0;
  const out = cacheObjectReads(e, edits, 64, (done) => {
    bar.tick(done - seen);
    seen = done;
  });
  bar.done();
  return out;
}

/** The editor's reads of the edits that `chunks` hands over piece by piece (headFitTrainChunks), with a progress bar over its `scenes`. */
export function readChunks(e: Editor, chunks: (each: (edits: EditExample[], done: number) => void) => void, scenes: number): CachedObjectReads[] {
  return readChunksWith(chunks, scenes, "editor reads (training scenes)", (edits) => cacheObjectReads(e, edits));
}

/** What `read` makes of the edits that `chunks` hands over piece by piece (headFitTrainChunks), in order, with a progress bar labelled `label` over its `scenes`. */
export function readChunksWith<T>(chunks: (each: (edits: EditExample[], done: number) => void) => void, scenes: number, label: string, read: (edits: EditExample[]) => readonly T[]): T[] {
  const bar = progress({ total: scenes, label });
  const out: T[] = [];
  let seen = 0;
  chunks((edits, done) => {
    for (const x of read(edits)) out.push(x);
    bar.tick(done - seen);
    seen = done;
  });
  bar.done();
  return out;
}

/** `fit` under a progress bar of `steps` steps labelled `label`, ticked with each step's loss. */
export function withStepBar<T>(steps: number, label: string, fit: (tick: (loss: number) => void) => T): T {
  const bar = progress({ total: steps, label });
  const out = fit((loss) => bar.tick(1, { loss }));
  bar.done();
  return out;
}
