/**
 * Shows a conclusion: as Markdown in a notebook (lib/core's notebookDisplay), as plain text on the
 * console elsewhere (scripts, tests). The one display helper the theory notebooks call instead of
 * a local `say`.
 */
import { notebookDisplay } from "../../core/env";

export function showMarkdown(text: string): void {
  const nb = notebookDisplay();
  if (nb) nb.markdown(text);
  else console.log(text);
}
