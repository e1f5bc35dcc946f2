/**
 * Issue 8, "Must show": the README and the code point at no file outside the repository, and the
 * README's layout section matches the tree.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { readStamp } from "../../lib/core/artefact";

const root = path.resolve(__dirname, "../..");

/** Tracked text files (git's index; a tree without .git falls back to nothing, and the test says so). */
function trackedFiles(): string[] {
  try {
    return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 2 ** 20 }).split("\0").filter((f) => f !== "");
  } catch {
    return [];
  }
}

/** Names of documents that live outside the repository (a clone does not have them). */
const OUTSIDE = /\.\.\/shared\b|\b(?:DESIGN|ENVIRONMENT|STYLE)\.md\b/;

/** An absolute path into a checkout (e.g. a caption that printed the writer's own path). */
function absoluteCheckoutPath(text: string): string | null {
  const m = text.match(/(?:^|[\s("'`=])(\/(?:work|home|root|tmp|Users)\/[^\s)"'`]*\/(?:results|figures|data|lib|notebooks)\/[^\s)"'`]*)/m);
  return m === null ? null : m[1];
}

describe("the repository stands alone", () => {
  const files = trackedFiles().filter((f) => !f.startsWith("node_modules/") && f !== "package-lock.json" && f !== "test/arch/repository.test.ts");

  it("sees the tracked files", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it("no tracked text file names a document outside the repository or an absolute path of a checkout", () => {
    const bad: string[] = [];
    for (const f of files) {
      const p = path.join(root, f);
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (st === undefined || !st.isFile() || st.size > 4 * 2 ** 20) continue; // links (notebooks/lib) and big files
      const buf = fs.readFileSync(p);
      if (buf.includes(0)) continue; // binary
      const text = buf.toString("utf8");
      const outside = text.match(OUTSIDE);
      if (outside !== null) bad.push(`${f}: '${outside[0]}'`);
      const abs = absoluteCheckoutPath(text);
      if (abs !== null) bad.push(`${f}: '${abs}'`);
    }
    expect(bad).toEqual([]);
  });

  it("the patterns see what they are for", () => {
    expect("Read ../shared/DESIGN.md first").toMatch(OUTSIDE);
    expect("see ENVIRONMENT.md").toMatch(OUTSIDE);
    expect("see docs/environment.md").not.toMatch(OUTSIDE);
    expect(absoluteCheckoutPath("Reference editors: means over items (/work/main/results/quick/06-eval-sanity.json)")).toBe("/work/main/results/quick/06-eval-sanity.json");
    expect(absoluteCheckoutPath("means over items (results/quick/06-eval-sanity.json)")).toBeNull();
  });

  it("README's layout section names every top-level folder and every area of lib/, and nothing that is not there", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const section = readme.split("\n## Layout\n")[1]?.split("\n## ")[0] ?? "";
    const block = section.split("```")[1] ?? "";
    expect(block).not.toBe("");
    const lines = block.split("\n");
    const top = lines.map((l) => l.match(/^(\.?[\w-]+)(?:\/\S*)?\s/)?.[1]).filter((x): x is string => x !== undefined); // first folder of `native/blas/`, `.ci/run`
    const areas = lines.map((l) => l.match(/^  ([a-z]+)\/\s/)?.[1]).filter((x): x is string => x !== undefined);
    const dirs = fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && !["node_modules", ".git"].includes(e.name) && files.some((f) => f.startsWith(`${e.name}/`))).map((e) => e.name);
    const libAreas = fs.readdirSync(path.join(root, "lib"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    // every tracked top-level folder is described, and every described entry exists
    expect(dirs.filter((d) => !top.includes(d)).sort()).toEqual([]);
    expect(top.filter((t) => !fs.existsSync(path.join(root, t))).sort()).toEqual([]);
    expect([...libAreas].sort()).toEqual([...areas].sort());
  });

  it("every committed figure and table file records the profile (its folder's), the seed and the commit that made it", () => {
    const bad: string[] = [];
    for (const f of files.filter((x) => /^figures\/[a-z]+\/[^/]+\.(png|svg|csv|md)$/.test(x))) {
      const s = readStamp(path.join(root, f));
      if (s === null) bad.push(`${f}: no provenance stamp`);
      else if (s.profile !== f.split("/")[1] || s.seed === undefined || typeof s.gitCommit !== "string") bad.push(`${f}: stamp ${JSON.stringify(s)}`);
    }
    expect(bad).toEqual([]);
  });
});
