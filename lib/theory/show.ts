/**
 * Showing a report's markdown: rendered in a notebook, printed elsewhere (the notebooks' old
 * inline `say` helper). It belongs beside `showTable` in lib/core; it lives here until lib/core
 * takes it (lib/core is being changed in another branch).
 */
import { notebookDisplay } from "../core/env";

/** Shows markdown text: a markdown output in a notebook, plain text on stdout otherwise (returns nothing, so a notebook cell ending with it does not echo the text). */
export function showMarkdown(text: string): void {
  const nb = notebookDisplay();
  if (nb) nb.markdown(text);
  else console.log(text);
}
