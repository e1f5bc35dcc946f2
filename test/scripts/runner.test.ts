import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawsAlone, openBrowser } from "../core/figure-page";

const root = path.resolve(__dirname, "../..");
const fixtures = path.join(__dirname, "fixtures");
let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "runner-"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs scripts/run-notebooks.ts on one fixture notebook, with outputs going to a temporary folder. */
function runner(fixture: string, moreEnv: Record<string, string> = {}): { status: number | null; stderr: string; out: string } {
  const out = path.join(tmp, path.basename(fixture, ".ipynb"));
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...moreEnv,
    SPATIALEDIT_RESULTS_DIR: path.join(out, "results"),
    SPATIALEDIT_FIGURES_DIR: path.join(out, "figures"),
    SPATIALEDIT_STATIC_FIGURES: "0",
  };
  delete env.SPATIALEDIT_NOTEBOOK; // vitest sets it; the kernel must detect itself
  const r = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/run-notebooks.ts", "--profile", "tiny", "--grace", "0.5", "--out", out, path.join(fixtures, fixture)], {
    cwd: root,
    env,
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr, out };
}

function cells(file: string): { source: string; metadata: Record<string, unknown>; outputs: { output_type: string; data?: Record<string, string | string[]>; text?: string | string[] }[] }[] {
  const nb = JSON.parse(fs.readFileSync(file, "utf8"));
  return nb.cells.map((c: { source: string | string[] }) => ({ ...c, source: Array.isArray(c.source) ? c.source.join("") : c.source }));
}

describe("notebook runner", () => {
  let browser: Browser | null = null;
  afterAll(async () => {
    await browser?.close();
  });

  it("runs a notebook with figures; every figure output of the executed copy draws on its own, and the copy is trusted", async () => {
    const r = runner("figures.ipynb");
    expect(r.stderr).toContain("[notebooks] figures.ipynb: ok in");
    expect(r.status).toBe(0);
    const copy = path.join(r.out, "figures.ipynb");
    // the runner's own cells are gone and execution counts start at 1
    const cs = cells(copy);
    expect(cs.map((c) => c.metadata.spatialedit_runner)).toEqual([undefined, undefined, undefined]);
    expect(cs.map((c) => (c as unknown as { execution_count: number }).execution_count)).toEqual([1, 2, 3]);
    const html = cs.flatMap((c) => c.outputs).filter((o) => o.data?.["text/html"] !== undefined).map((o) => [o.data!["text/html"]].flat().join(""));
    expect(html.length).toBe(2);
    // no absolute machine paths printed after a plot: a caption (static files are off here)
    for (const h of html) expect(h).toMatch(/fixture-(first|second) · profile tiny · no static files/);
    expect(cs.flatMap((c) => c.outputs).filter((o) => o.output_type === "stream")).toEqual([]);
    browser = await openBrowser();
    for (const h of html) expect(await drawsAlone(browser, h)).toBe("drawn");
    // a link to lib/ beside the copies, so they run again in Jupyter
    expect(fs.realpathSync(path.join(r.out, "lib"))).toBe(fs.realpathSync(path.join(root, "lib")));
    const trusted = spawnSync("/usr/bin/python3", ["-c", "import sys, nbformat; from nbformat.sign import NotebookNotary; sys.exit(0 if NotebookNotary().check_signature(nbformat.read(sys.argv[1], as_version=4)) else 1)", copy]);
    expect(trusted.status).toBe(0);
    const timings = JSON.parse(fs.readFileSync(path.join(r.out, "results", "notebooks.json"), "utf8"));
    expect(timings.data.failed).toBeNull();
    expect(timings.provenance.profile).toBe("tiny");
  });

  it("fails when a promise rejects or a timer throws after its cell returned", () => {
    const r = runner("late-errors.ipynb");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("failed in the runner's final check");
    expect(r.stderr).toContain("2 error(s) after their cell returned (a promise nobody awaited, or a timer): unhandled promise rejection: Error: a promise nobody awaited");
    expect(r.stderr).toContain("uncaught exception: Error: boom from a timer");
    expect(r.stderr).toContain(`[notebooks] stopped at the first failure: late-errors.ipynb (executed copy with the error: ${path.join(r.out, "late-errors.ipynb")})`);
    // the copy keeps the failed check so that its reader sees why
    expect(cells(path.join(r.out, "late-errors.ipynb")).map((c) => c.metadata.spatialedit_runner)).toEqual([undefined, undefined, "check"]);
  });

  it("fails when the kernel dies after the last cell returned", () => {
    const r = runner("kernel-dies.ipynb");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("failed in the runner's final check\nthe kernel died (Kernel died)");
  });

  it("the kernel survives thousands of output messages (zeromq.js delays every 513th send; tslab-send-queue.ts)", () => {
    const r = runner("many-messages.ipynb");
    expect(r.stderr).not.toContain("Socket is busy writing");
    expect(r.status).toBe(0);
    const cs = cells(path.join(r.out, "many-messages.ipynb"));
    const text = (i: number) => cs[i].outputs.map((o) => [o.text ?? ""].flat().join("")).join("");
    const lines = text(0).trim().split("\n");
    expect(lines.at(-1)).toBe("line 1499");
    expect(lines.length).toBe(1500);
    expect(text(1)).toContain("survived");
  });

  it("names the failing cell and keeps its error in the executed copy", () => {
    const r = runner("cell-error.ipynb");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("failed in cell 2");
    expect(r.stderr).toContain("Error: plain failure in cell 2");
    const cs = cells(path.join(r.out, "cell-error.ipynb"));
    expect(cs.length).toBe(3);
    expect([cs[1].outputs[0].text].flat().join("")).toContain("Error: plain failure in cell 2");
  });

  it("uses this checkout's tslab even when the user's registered tslab kernel points at a deleted clone", () => {
    // a user data folder whose tslab spec starts a binary that no longer exists (setup.sh ran in a clone since removed)
    const data = path.join(tmp, "stale-user-data");
    fs.mkdirSync(path.join(data, "kernels", "tslab"), { recursive: true });
    const stale = { argv: [path.join(tmp, "deleted-clone", "node_modules", ".bin", "tslab"), "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript", language: "typescript" };
    fs.writeFileSync(path.join(data, "kernels", "tslab", "kernel.json"), JSON.stringify(stale));
    const r = runner("cell-error.ipynb", { JUPYTER_DATA_DIR: data });
    // the kernel started and ran the cells: the failure is the fixture's own, in cell 2
    expect(r.stderr).not.toContain("deleted-clone");
    expect(r.stderr).toContain("Error: plain failure in cell 2");
    expect(r.status).toBe(1);
  });

  it("a file that is not a notebook is refused before any kernel starts, and no executed copy is claimed", () => {
    const r = runner("not-json.ipynb");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`run-notebooks: test/scripts/fixtures/not-json.ipynb is not a notebook: not valid JSON (Unexpected token 'h', "this is not"... is not valid JSON)\n`);
    expect(fs.existsSync(path.join(r.out, "not-json.ipynb"))).toBe(false);
  });

  it("execute-notebook.py on a file that is not a notebook: one line, exit 2, no copy", () => {
    const dst = path.join(tmp, "never.ipynb");
    const r = spawnSync("/usr/bin/python3", ["-Xfrozen_modules=off", path.join(root, "scripts", "execute-notebook.py"), path.join(fixtures, "not-json.ipynb"), dst, "tslab", "60", "0"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n").filter((l) => !/debug|frozen|PYDEVD|^0\.00s/i.test(l))).toEqual([
      `execute-notebook: ${path.join(fixtures, "not-json.ipynb")} is not a notebook (NotJSONError: Notebook does not appear to be JSON: 'this is not a notebook {\\n'...); no executed copy was written`,
    ]);
    expect(fs.existsSync(dst)).toBe(false);
  });
});
