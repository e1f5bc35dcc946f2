import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { dataEngineConfig } from "../../lib/data/config";
import { generateDataEngine } from "../../lib/data/generate";
import { DatasetWriter, readManifest, readMetadata, STATE_FILE } from "../../lib/data/writer";

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file under dir (relative path -> bytes as hex hash-free buffer). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function expectSameFiles(a: string, b: string): void {
  const sa = snapshot(a);
  const sb = snapshot(b);
  expect([...sa.keys()].sort()).toEqual([...sb.keys()].sort());
  for (const [k, v] of sa) expect(v.equals(sb.get(k)!), k).toBe(true);
}

const CFG = dataEngineConfig("tiny", { scenes: 5, perception: "truth" });

describe("dataset writer", () => {
  it("writes the imagefolder layout with a manifest of counts and refusals, deterministically", () => {
    const a = tmp("dw-a-");
    const b = tmp("dw-b-");
    const m = generateDataEngine(a, CFG, 11);
    generateDataEngine(b, CFG, 11);
    expectSameFiles(a, b);
    const recs = readMetadata(path.join(a, "edit"));
    expect(recs.length).toBe(m.edit.records);
    for (const r of recs) {
      expect(fs.existsSync(path.join(a, "edit", "train", r.file_name as string))).toBe(true);
      expect(fs.existsSync(path.join(a, "edit", "train", r.edited_file_name as string))).toBe(true);
      expect(typeof r.instruction).toBe("string");
      expect(typeof r.language_condition).toBe("string");
    }
    const man = readManifest(path.join(a, "vqa"));
    expect(man.format).toBe("imagefolder");
    expect(man.seed).toBe(11);
    expect(man.units).toBe(5);
    const famTotal = Object.values(man.counts.family ?? {}).reduce((x, y) => x + y, 0);
    const refTotal = Object.values(man.counts.refusal ?? {}).reduce((x, y) => x + y, 0);
    expect(famTotal).toBe(man.records);
    expect(famTotal).toBeLessThanOrEqual(5 * CFG.vqaPerScene);
    expect(refTotal).toBeGreaterThan(0);
    expect((man.config as { dataEngine: { scenes: number } }).dataEngine.scenes).toBe(5);
  });

  it("resumes after a crash at each commit step with nothing lost or duplicated", () => {
    const ref = tmp("dw-ref-");
    generateDataEngine(ref, CFG, 11);
    for (const crash of [
      { task: "vqa" as const, point: { unit: 2, after: "files" as const } },
      { task: "edit" as const, point: { unit: 3, after: "metadata" as const } },
    ]) {
      const dir = tmp("dw-crash-");
      expect(() => generateDataEngine(dir, CFG, 11, { crash })).toThrow(`DatasetWriter: simulated crash after ${crash.point.after} of unit ${crash.point.unit}`);
      generateDataEngine(dir, CFG, 11);
      expectSameFiles(ref, dir);
    }
  });

  it("refuses to mix runs and rolls back uncommitted lines", () => {
    const dir = tmp("dw-mix-");
    generateDataEngine(dir, dataEngineConfig("tiny", { scenes: 2, perception: "truth" }), 11);
    expect(() => generateDataEngine(dir, dataEngineConfig("tiny", { scenes: 3, perception: "truth" }), 11)).toThrow(/holds dataset 'spatialedit-vqa' written with another config or seed/);
    const d2 = tmp("dw-roll-");
    const w = DatasetWriter.open(d2, { name: "t", config: { a: 1 }, seed: 1 });
    w.commit({ records: [{ file_name: "images/x.png", n: 1 }], files: [{ path: "images/x.png", bytes: new Uint8Array([1, 2]) }] });
    fs.appendFileSync(path.join(d2, "train", "metadata.jsonl"), '{"half":');
    // the reader serves committed records only, and says the dataset is unfinished
    expect(readMetadata(d2, { unfinished: "quiet" })).toEqual([{ file_name: "images/x.png", n: 1 }]);
    expect(() => readMetadata(d2, { unfinished: "error" })).toThrow(`readMetadata: ${d2} is an unfinished dataset (1 committed records in 1 units, no manifest yet)`);
    const w2 = DatasetWriter.open(d2, { name: "t", config: { a: 1 }, seed: 1 });
    expect(w2.committedRecords).toBe(1);
    expect(readMetadata(d2)).toEqual([{ file_name: "images/x.png", n: 1 }]);
    expect(() => w2.commit({ records: [], files: [{ path: "../evil", bytes: new Uint8Array(1) }] })).toThrow("DatasetWriter: file path '../evil' must be relative to the split folder");
    w2.finish();
    expect(() => w2.commit({ records: [], files: [] })).toThrow("is finished; open a new folder to write more");
    const d3 = tmp("dw-foreign-");
    fs.mkdirSync(path.join(d3, "train"));
    fs.writeFileSync(path.join(d3, "train", "metadata.jsonl"), "");
    expect(() => DatasetWriter.open(d3, { name: "t", config: {}, seed: 1 })).toThrow(`has a train/metadata.jsonl but no ${STATE_FILE}`);
    expect(() => readManifest(d3)).toThrow("the dataset is not finished");
    fs.appendFileSync(path.join(d3, "train", "metadata.jsonl"), '{"half":');
    expect(() => readMetadata(d3)).toThrow(/line 1 is not valid JSON/); // no writer state: read as it is
  });

  it("a SIGKILLed child process resumes to the same bytes as an uninterrupted run", async () => {
    const scenes = 30;
    const ref = tmp("dw-kref-");
    generateDataEngine(ref, dataEngineConfig("tiny", { scenes, perception: "truth" }), 99);
    const dir = tmp("dw-kill-");
    const script = path.join(__dirname, "fixtures", "write-dataset.ts");
    const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
    const killedAt = await new Promise<number>((resolve, reject) => {
      const child = childProcess.spawn(tsx, [script, dir, String(scenes)], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      child.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/scene (\d+)\n/g);
        if (m && m.length >= 5 && !child.killed) child.kill("SIGKILL");
      });
      child.on("exit", (code, signal) => {
        if (signal === "SIGKILL") resolve((out.match(/scene (\d+)\n/g) ?? []).length);
        else reject(new Error(`child exited ${code} before the kill: ${err}`));
      });
    });
    expect(killedAt).toBeGreaterThanOrEqual(5);
    const state = JSON.parse(fs.readFileSync(path.join(dir, "edit", STATE_FILE), "utf8"));
    expect(state.units).toBeLessThan(scenes); // really interrupted
    expect(state.finished).toBe(false);
    const res = childProcess.spawnSync(tsx, [script, dir, String(scenes)], { encoding: "utf8" });
    expect(res.status, res.stderr).toBe(0);
    expectSameFiles(ref, dir);
  });
});
