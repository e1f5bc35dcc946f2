/**
 * Fixture of checkpoint-kill.test.ts (not a test): trains the toy model resumably in the folder
 * argv[2] and prints `step <n>` after each step, slowly enough that the test can SIGKILL it mid-run.
 */
import { initBackend } from "../../lib/backend/select";
import { trainResumable } from "../../lib/train/checkpoint-resume";
import { makeToyTask, toyConfig } from "../../lib/train/grid/toy";

export const KILL_CONFIG = toyConfig({ steps: 12, checkpointEvery: 2 });
export const KILL_SEED = 11;

async function main(): Promise<void> {
  await initBackend({ force: "wasm" });
  const c = KILL_CONFIG;
  const r = await trainResumable({
    dir: process.argv[2],
    config: c,
    seed: KILL_SEED,
    steps: c.steps,
    checkpointEvery: c.checkpointEvery,
    silent: true,
    init: ({ rng }) => {
      const task = makeToyTask(c, KILL_SEED, rng);
      const step = task.step.bind(task);
      return { ...task, step: async (i: number) => (await new Promise((res) => setTimeout(res, 30)), step(i)) };
    },
    onStep: (i) => process.stdout.write(`step ${i + 1}\n`),
  });
  r.task.dispose();
}

if (require.main === module) void main();
