/**
 * Entry point wrapper for scripts and benchmarks: checks the SPATIALEDIT_* variables (a typo or a
 * bad value fails before any work), runs `main`, and turns an error into one line
 * on stderr (`error: <message>`) and exit code 1 instead of a stack trace. `SPATIALEDIT_DEBUG=1`
 * prints the full stack.
 */
import { checkEnvironment, envValue } from "./env";
import { closeStaticExport } from "./static-export";

export function runMain(main: () => Promise<number | void> | number | void): void {
  Promise.resolve()
    .then(() => checkEnvironment())
    .then(main)
    .then(
      async (code) => {
        await closeStaticExport();
        process.exitCode = typeof code === "number" ? code : 0;
      },
      async (e: unknown) => {
        await closeStaticExport();
        const err = e instanceof Error ? e : new Error(String(e));
        let debug = false;
        try {
          debug = envValue("SPATIALEDIT_DEBUG");
        } catch {
          // a bad SPATIALEDIT_DEBUG is reported by checkEnvironment as the error itself
        }
        process.stderr.write(debug ? `${err.stack}\n` : `error: ${err.message}\n`);
        process.exitCode = 1;
      },
    );
}
