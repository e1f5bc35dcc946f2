import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { initBackend } from "../../lib/backend/select";
import { trainResumable } from "../../lib/train/checkpoint-resume";
import { makeToyTask } from "../../lib/train/grid/toy";
import { KILL_CONFIG, KILL_SEED } from "./checkpoint-kill-child";

const c = KILL_CONFIG;
const train = (dir: string) =>
  trainResumable({ dir, config: c, seed: KILL_SEED, steps: c.steps, checkpointEvery: c.checkpointEvery, silent: true, init: ({ rng }) => makeToyTask(c, KILL_SEED, rng) });

describe("resume across a SIGKILL", () => {
  it("a process killed mid-run and resumed ends with the weights of an uninterrupted run", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kill-"));
    const root = path.resolve(__dirname, "../..");
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "checkpoint-kill-child.ts"), dir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const killedAt = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        const steps = [...out.matchAll(/step (\d+)/g)].map((m) => Number(m[1]));
        if (steps.length > 0 && steps[steps.length - 1] >= 5) {
          child.kill("SIGKILL");
          resolve(steps[steps.length - 1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`the child ended before it was killed (code ${code}): ${err}`)));
    });
    await new Promise((r) => child.once("close", r));
    expect(child.signalCode).toBe("SIGKILL");
    expect(killedAt).toBeLessThan(c.steps);

    await initBackend({ force: "wasm" });
    const resumed = await train(dir);
    expect(resumed.resumedFrom).toBeGreaterThanOrEqual(4);
    expect(resumed.resumedFrom).toBeLessThan(c.steps);
    const straight = await train(fs.mkdtempSync(path.join(os.tmpdir(), "straight-")));
    let worst = 0;
    for (const [k, v] of Object.entries(straight.task.params)) {
      const a = v.dataSync();
      const b = resumed.task.params[k].dataSync();
      a.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b[i]))));
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
    expect(resumed.losses).toEqual(straight.losses);
    resumed.task.dispose();
    straight.task.dispose();
  });
});
