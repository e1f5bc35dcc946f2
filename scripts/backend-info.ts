/** Prints which TF.js backend this machine gets and why (`npm run backend`; SPATIALEDIT_BACKEND forces one). */
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";

runMain(async () => {
  const report = await initBackend();
  console.log(`backend: ${report.name}`);
  console.log(`reason:  ${report.reason}`);
  for (const t of report.tried) console.log(`  ${t.ok ? "ok  " : "skip"} ${t.name}: ${t.why}`);
});
