/**
 * Entry point wrapper for scripts and benchmarks: runs `main`, and turns an error into one line
 * on stderr (`error: <message>`) and exit code 1 instead of a stack trace. `SPATIALEDIT_DEBUG=1`
 * prints the full stack.
 */
import { closeStaticExport } from "./static-export";

export function runMain(main: () => Promise<number | void> | number | void): void {
  Promise.resolve()
    .then(main)
    .then(
      async (code) => {
        await closeStaticExport();
        process.exitCode = typeof code === "number" ? code : 0;
      },
      async (e: unknown) => {
        await closeStaticExport();
        const err = e instanceof Error ? e : new Error(String(e));
        process.stderr.write(process.env.SPATIALEDIT_DEBUG === "1" ? `${err.stack}\n` : `error: ${err.message}\n`);
        process.exitCode = 1;
      },
    );
}
