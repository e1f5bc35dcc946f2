import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPngText, readPngText, readStamp, writeArtefact } from "../../lib/core/artefact";
import { gitState, recordGitState } from "../../lib/core/provenance";
import { readResult, writeResult } from "../../lib/core/results";

let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "prov-"));
  process.env.SPATIALEDIT_RESULTS_DIR = path.join(tmp, "results");
});
afterAll(() => {
  delete process.env.SPATIALEDIT_RESULTS_DIR;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function gitRepo(name: string): { dir: string; head: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q");
  fs.writeFileSync(path.join(dir, "lib", "a.ts"), "export const a = 1;\n");
  fs.writeFileSync(path.join(dir, ".gitignore"), "ignored/\n");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first");
  return { dir, head: git("rev-parse", "HEAD") };
}

describe("git provenance", () => {
  it("a clean tree records the commit and no diff", () => {
    const { dir, head } = gitRepo("clean");
    expect(gitState(dir)).toEqual({ commit: head, dirty: false, diffHash: null, source: "git" });
  });

  it("outputs (figures/, results/, data/) and ignored files do not make the tree dirty", () => {
    const { dir } = gitRepo("outputs");
    for (const f of ["figures/quick/x.csv", "results/quick/x.json", "data/x.jsonl", "ignored/big.bin"]) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), "x\n");
    }
    expect(gitState(dir).dirty).toBe(false);
  });

  it("a dirty tree records a hash of the diff and stores the diff, which applies to the commit", () => {
    const { dir, head } = gitRepo("dirty");
    fs.writeFileSync(path.join(dir, "lib", "a.ts"), "export const a = 2;\n");
    fs.writeFileSync(path.join(dir, "lib", "new.ts"), "export const b = 3;\n");
    const s = recordGitState(dir);
    expect(s).toMatchObject({ commit: head, dirty: true, source: "git" });
    expect(s.diffHash).toMatch(/^[0-9a-f]{16}$/);
    expect(s.diffFile).toBe(path.join(tmp, "results", "diffs", `${s.diffHash}.diff`));
    const diff = fs.readFileSync(s.diffFile!, "utf8");
    expect(diff).toContain("-export const a = 1;\n+export const a = 2;");
    expect(diff).toContain("+export const b = 3;");
    // the stored diff reproduces the tree: a clean checkout of the commit plus the diff
    const copy = path.join(tmp, "dirty-copy");
    execFileSync("git", ["clone", "-q", dir, copy]);
    execFileSync("git", ["apply", s.diffFile!], { cwd: copy });
    expect(fs.readFileSync(path.join(copy, "lib", "a.ts"), "utf8")).toBe("export const a = 2;\n");
    expect(fs.readFileSync(path.join(copy, "lib", "new.ts"), "utf8")).toBe("export const b = 3;\n");
    // the same changes give the same hash
    expect(gitState(dir).diffHash).toBe(s.diffHash);
  });

  it("a tree without .git takes the commit from SPATIALEDIT_GIT_COMMIT, else says unknown", () => {
    const dir = path.join(tmp, "copied");
    fs.mkdirSync(dir);
    expect(gitState(dir)).toEqual({ commit: "unknown", dirty: null, diffHash: null, source: "none" });
    process.env.SPATIALEDIT_GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567";
    try {
      expect(gitState(dir)).toEqual({ commit: "0123456789abcdef0123456789abcdef01234567", dirty: null, diffHash: null, source: "SPATIALEDIT_GIT_COMMIT" });
    } finally {
      delete process.env.SPATIALEDIT_GIT_COMMIT;
    }
  });

  it("where git cannot read the repository, the commit comes from the .git files", () => {
    const dir = path.join(tmp, "files-only");
    fs.mkdirSync(path.join(dir, ".git", "refs", "heads"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".git", "HEAD"), "ref: refs/heads/main\n");
    fs.writeFileSync(path.join(dir, ".git", "refs", "heads", "main"), "89abcdef0123456789abcdef0123456789abcdef\n");
    expect(gitState(dir)).toEqual({ commit: "89abcdef0123456789abcdef0123456789abcdef", dirty: null, diffHash: null, source: "git files" });
  });
});

describe("artefact stamps", () => {
  it("PNG tEXt chunks round-trip and keep the image valid", async () => {
    const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: "#808080" } }).png().toBuffer();
    const out = addPngText(png, "k", '{"a":1}');
    expect(readPngText(out, "k")).toBe('{"a":1}');
    expect(readPngText(out, "other")).toBeNull();
    expect(out.length).toBe(png.length + 12 + "k\0{\"a\":1}".length);
    // a decoder that checks CRCs reads it: same pixels
    expect((await sharp(out).raw().toBuffer()).equals(await sharp(png).raw().toBuffer())).toBe(true);
    expect(() => addPngText(Buffer.from("not a png"), "k", "v")).toThrow("addPngText: not a PNG file (no PNG signature and IHDR chunk)");
  });

  it("a smaller profile cannot overwrite a larger profile's file; the same or a larger one can", () => {
    const file = path.join(tmp, "t.csv");
    writeArtefact(file, '# provenance: {"profile":"paper"}\na\n', "paper");
    expect(() => writeArtefact(file, "x", "quick")).toThrow(
      `refusing to overwrite ${file}: the 'paper' profile wrote it and this run is 'quick'; write 'quick' files to their own folder (leave SPATIALEDIT_FIGURES_DIR/SPATIALEDIT_RESULTS_DIR unset) or delete the file first`,
    );
    writeArtefact(file, '# provenance: {"profile":"paper","seed":2}\na\n', "paper");
    expect(readStamp(file)).toEqual({ profile: "paper", seed: 2 });
    // a file without a stamp (older than stamps) is overwritten
    fs.writeFileSync(file, "a\n");
    writeArtefact(file, "b\n", "tiny");
    expect(fs.readFileSync(file, "utf8")).toBe("b\n");
  });
});

describe("result files", () => {
  it("non-finite numbers are written as strings, listed in nonFinite, and restored by readResult", () => {
    const file = writeResult("nan-test", { config: { lr: Number.POSITIVE_INFINITY }, seed: 1, data: { loss: [0.5, Number.NaN], "a/b": Number.NEGATIVE_INFINITY, t: new Float32Array([1, 2]) } });
    const raw = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(raw.data).toEqual({ loss: [0.5, "NaN"], "a/b": "-Infinity", t: [1, 2] });
    expect(raw.nonFinite).toEqual(["/config/lr", "/data/loss/1", "/data/a~1b"]);
    const back = readResult<{ loss: number[]; "a/b": number }>("nan-test")!;
    expect(back.data.loss[1]).toBeNaN();
    expect(back.data["a/b"]).toBe(Number.NEGATIVE_INFINITY);
    expect(back.config).toEqual({ lr: Number.POSITIVE_INFINITY });
  });

  it("a result written from a dirty tree points at the stored diff (or records a clean/unknown tree)", () => {
    const r = readResult("nan-test")!;
    const p = r.provenance;
    expect(["git", "git files", "SPATIALEDIT_GIT_COMMIT", "none"]).toContain(p.gitSource);
    if (p.gitDirty === true) expect(fs.existsSync(path.resolve(__dirname, "../..", p.gitDiff!)) || fs.existsSync(p.gitDiff!)).toBe(true);
    else expect(p.gitDiff).toBeNull();
  });
});
