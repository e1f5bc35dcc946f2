/** Where the code is running: inside the tslab Jupyter kernel or in a terminal/test. */
import { envValue } from "./env";

/** True inside a tslab kernel (a notebook), false in scripts and tests; `SPATIALEDIT_NOTEBOOK` forces it. */
export function inNotebook(): boolean {
  const forced = envValue("SPATIALEDIT_NOTEBOOK");
  if (forced !== undefined) return forced;
  // the tslab kernel runs as `tslab kernel --config-path <connection file>`
  return process.argv.includes("kernel") && process.argv.includes("--config-path");
}

/** The `tslab` display API, or null outside a notebook. */
export interface NotebookDisplay {
  html(s: string): void;
  markdown(s: string): void;
  text(s: string): void;
  png(b: Uint8Array): void;
}

export function notebookDisplay(): (NotebookDisplay & { newDisplay(): NotebookDisplay }) | null {
  if (!inNotebook()) return null;
  try {
    const tslab = require("tslab") as { display: NotebookDisplay; newDisplay(): NotebookDisplay };
    return Object.assign(Object.create(tslab.display) as NotebookDisplay, { newDisplay: () => tslab.newDisplay() });
  } catch {
    return null;
  }
}

/** Shows markdown text: a markdown output in a notebook, plain text on stdout otherwise (returns nothing, so a notebook cell ending with it does not echo the text). */
export function showMarkdown(text: string): void {
  const nb = notebookDisplay();
  if (nb) nb.markdown(text);
  else console.log(text);
}
