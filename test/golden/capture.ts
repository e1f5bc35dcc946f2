/**
 * Writes test/golden/theory-golden.json: the outputs that the model-stack refactor must keep
 * (issue 8, step 1), computed by the code as it was before the refactor, on the tiny profile.
 * Run once, before moving code: `npx tsx test/golden/capture.ts`. The goldens test
 * (test/golden/theory-golden.test.ts) recomputes the same quantities with today's code.
 */
import * as fs from "fs";
import * as path from "path";
import { execSync } from "child_process";
import { initBackend } from "../../lib/backend";
import { goldenQuantities } from "./quantities";

async function main(): Promise<void> {
  await initBackend();
  const values = await goldenQuantities();
  const commit = execSync("git rev-parse HEAD", { encoding: "utf8" }).trim();
  const out = { capturedAt: new Date().toISOString(), commit, note: "computed before the lib/nn refactor (issue 8 step 1)", values };
  fs.writeFileSync(path.join(__dirname, "theory-golden.json"), JSON.stringify(out, null, 1) + "\n");
  console.log(`wrote ${Object.keys(values).length} golden quantities`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
