import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { loadRealInstructions, realInstructionsDir, sha256Hex } from "../../lib/data/real-instructions";

/**
 * The held-out split is frozen: its hash is pinned HERE as well as in the manifest, so editing
 * the file and the manifest together still fails this test.
 */
const FROZEN_TEST_SHA256 = "67f8719a40526f60578499e5b3861c4bc12d2a1204f0674670d1d011586110e7";
const FROZEN_DEV_SHA256 = "d29c5e28c2eaa2c3f94df69b932ee7d84b60bc5f63f3235c4ab7980b348488dd";

function copyDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "real-"));
  for (const f of ["manifest.json", "dev.jsonl", "test.jsonl"]) fs.copyFileSync(path.join(realInstructionsDir(), f), path.join(dir, f));
  return dir;
}

describe("frozen real-instruction set", () => {
  it("the held-out and dev files have the pinned hashes", () => {
    expect(sha256Hex(fs.readFileSync(path.join(realInstructionsDir(), "test.jsonl")))).toBe(FROZEN_TEST_SHA256);
    expect(sha256Hex(fs.readFileSync(path.join(realInstructionsDir(), "dev.jsonl")))).toBe(FROZEN_DEV_SHA256);
  });

  it("loads both splits: disjoint groups, every item with a source locator", () => {
    const dev = loadRealInstructions("dev");
    const test = loadRealInstructions("test");
    expect(dev.length).toBe(346);
    expect(test.length).toBe(318);
    const devGroups = new Set(dev.map((r) => r.group));
    expect(test.filter((r) => devGroups.has(r.group))).toEqual([]);
    const ids = new Set([...dev, ...test].map((r) => r.id));
    expect(ids.size).toBe(dev.length + test.length);
    expect(new Set(test.map((r) => r.source)).size).toBeGreaterThanOrEqual(2);
    for (const r of [...dev, ...test]) expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it("refuses a held-out file that was edited (one label flipped), naming the file", () => {
    const dir = copyDir();
    const file = path.join(dir, "test.jsonl");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"spatial": true', '"spatial": false'));
    expect(() => loadRealInstructions("test", dir)).toThrow(`real instructions: ${file} changed since it was frozen`);
    expect(() => loadRealInstructions("dev", dir)).not.toThrow();
  });

  it("refuses a malformed record even when the manifest was updated to match", () => {
    const dir = copyDir();
    const file = path.join(dir, "dev.jsonl");
    const text = fs.readFileSync(file, "utf8").replace('"kind": "placement"', '"kind": "somewhere"');
    fs.writeFileSync(file, text);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    manifest.files["dev.jsonl"].sha256 = sha256Hex(text);
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
    expect(() => loadRealInstructions("dev", dir)).toThrow(/line \d+: 'kind' must be one of position, relation/);
    expect(() => loadRealInstructions("train" as never, dir)).toThrow(`loadRealInstructions: split must be 'dev' or 'test', got "train"`);
  });
});
