import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editorGrid, editorGridReport } from "../../lib/eval/editor-grid";
import { cachedGridNodes, loadGridEditor, seedsInCache } from "../../lib/eval/grid-models";
import { doneFrom, exportGridRecords, GridRecords, type GridRecordFile } from "../../lib/eval/grid-records";
import { GridCache, type DoneRecord } from "../../lib/train/grid/cache";
import { keyGrid, type KeyedNode } from "../../lib/train/grid/node";

const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `grid-records-${tag}-`));

// provenance of a dirty tree writes its diff beside the results: keep it out of the repository
beforeAll(() => {
  process.env.SPATIALEDIT_RESULTS_DIR = tmp("results");
});
afterAll(() => {
  delete process.env.SPATIALEDIT_RESULTS_DIR;
});

/** A done record as a finished node writes it (the summaries carry what the report reads). */
function finish(cache: GridCache, n: KeyedNode, finishedAt = "2026-12-02T12:00:00.000Z"): DoneRecord {
  const summary =
    n.kind === "editor-eval"
      ? { row: "SpatialEdit", seed: n.seed, benchmark: "spatialeval", summary: { "object judge": { mean: 0.5, n: 2 } }, items: [{ id: "a", metrics: { "object judge": 1 } }, { id: "b", metrics: { "object judge": 0 } }], benchmarkHash: "h", seconds: 1 }
      : { steps: 3, finalLoss: 0.25, losses: [0.5, 0.3, 0.25], memory: null };
  const rec: DoneRecord = { key: n.key, id: n.id, kind: n.kind, parentKey: n.parentKey, finishedAt, wallMs: 1000, backend: "wasm", gitCommit: "abc", summary };
  cache.markDone(rec);
  return rec;
}

describe("committed records of the grid's finished nodes", () => {
  const nodes = keyGrid(editorGrid("tiny"));
  const byId = (id: string) => nodes.find((n) => n.id === id)!;

  it("exports finished nodes once, and readers fall back to them when the cache lacks a node", () => {
    const cacheDir = tmp("cache");
    const recordsDir = tmp("records");
    const cache = new GridCache(cacheDir);
    const evalRec = finish(cache, byId("eval-spatialedit@s0"));
    const trainRec = finish(cache, byId("spatialedit@s0"));
    const first = exportGridRecords("tiny", nodes, cache, { dir: recordsDir });
    expect(first.written.sort()).toEqual(["eval-spatialedit@s0", "spatialedit@s0"]);
    expect(first.notFinished.length).toBe(nodes.length - 2);
    const file = path.join(recordsDir, `eval-spatialedit@s0-${evalRec.key}.json`);
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as GridRecordFile;
    expect(saved.done).toEqual(evalRec);
    expect(saved.node).toMatchObject({ id: "eval-spatialedit@s0", kind: "editor-eval", key: evalRec.key, parent: "spatialedit@s0", seed: 0 });
    expect(saved.provenance.profile).toBe("tiny");
    // exporting again changes no file; a node finished again is written again
    const before = fs.readFileSync(file, "utf8");
    const second = exportGridRecords("tiny", nodes, cache, { dir: recordsDir });
    expect(second.written).toEqual([]);
    expect(second.unchanged.sort()).toEqual(["eval-spatialedit@s0", "spatialedit@s0"]);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
    finish(cache, byId("spatialedit@s0"), "2026-12-03T00:00:00.000Z");
    expect(exportGridRecords("tiny", nodes, cache, { dir: recordsDir }).written).toEqual(["spatialedit@s0"]);

    // a clone without the cache: records only
    const empty = new GridCache(tmp("empty"));
    const records = new GridRecords(recordsDir);
    expect(doneFrom(empty, records, evalRec.key)).toEqual({ record: evalRec, source: "record" });
    expect(doneFrom(cache, records, evalRec.key)!.source).toBe("cache");
    expect(doneFrom(empty, null, evalRec.key)).toBeNull();
    const report = editorGridReport(nodes, empty, records);
    expect(report.evaluations.map((e) => [e.id, e.row, e.items.length])).toEqual([["eval-spatialedit@s0", "SpatialEdit", 2]]);
    expect(report.fromRecords.sort()).toEqual(["eval-spatialedit@s0", "spatialedit@s0"]);
    expect(report.missing.length).toBe(nodes.length - 2);
    expect(editorGridReport(nodes, empty).fromRecords).toEqual([]);
    const peek = cachedGridNodes("tiny", ["eval-spatialedit@s0", "spatialedit@s0", "mgie@s0"], { cacheDir: empty.root, recordsDir });
    expect(peek["eval-spatialedit@s0"]).toMatchObject({ status: "record", dir: null, record: evalRec });
    expect(peek["spatialedit@s0"]!.record.finishedAt).toBe("2026-12-03T00:00:00.000Z");
    expect(peek["mgie@s0"]).toBeNull();
    // what needs checkpoints reads the cache only
    expect(cachedGridNodes("tiny", ["spatialedit@s0"], { cacheDir: empty.root, recordsDir: null })["spatialedit@s0"]).toBeNull();
    expect(seedsInCache("tiny", [0], (s) => [`spatialedit@s${s}`], { cacheDir: empty.root, recordsDir })).toEqual([0]);
    expect(seedsInCache("tiny", [0], (s) => [`spatialedit@s${s}`], { cacheDir: empty.root, recordsDir: null })).toEqual([]);
    expect(() => loadGridEditor(peek["spatialedit@s0"]!.dir)).toThrow(
      "loadGridEditor: this node is only a committed record (results/<profile>/grid-records), which has no checkpoint; train it into the cache first (npm run grid -- --only <id>)",
    );
    expect(trainRec.key).toBe(byId("spatialedit@s0").key);
  });

  it("says when a record file is damaged or names another node", () => {
    const recordsDir = tmp("bad");
    const key = byId("eval-mgie@s0").key;
    const other = byId("eval-wo-s1@s0").key;
    const file = path.join(recordsDir, `eval-mgie@s0-${key}.json`);
    fs.writeFileSync(file, "{ not json");
    expect(() => new GridRecords(recordsDir).get(key)).toThrow(new RegExp(`^grid record '.*eval-mgie@s0-${key}\\.json' is not valid JSON \\(`));
    fs.writeFileSync(file, JSON.stringify({ node: { key: other }, done: { key: other } }));
    expect(() => new GridRecords(recordsDir).get(key)).toThrow(`grid record '${file}' names key ${other}, not ${key} (its file name); export it again (npm run grid -- --export-records)`);
    expect(new GridRecords(path.join(recordsDir, "none")).get(key)).toBeNull();
    expect(() => exportGridRecords("huge", nodes, new GridCache(tmp("x")), { dir: recordsDir })).toThrow("unknown profile 'huge'");
  });
});
