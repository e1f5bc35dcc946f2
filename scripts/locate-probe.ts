/**
 * Does the MLLM ground a named object to its place? Scores finished editor-grid nodes on the
 * held-out "locate" questions (lib/eval/locate-probe.ts: region word and point error, each against
 * a constant guess), where exact-match VQA accuracy is always 0; and where each layer's [IMG] tokens look on
 * all the held-out VQA questions (lib/eval/ground-probe.ts). Reads the grid cache; trains nothing.
 * Writes results/<profile>/<name>.json.
 *
 * Usage: npm run locate-probe -- [--nodes=base@s0,stage1-emb@s0,stage1@s0] [--name=locate-probe]
 * (the profile is SPATIALEDIT_PROFILE; the questions are the held-out VQA set of its vqa preset)
 */
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { parseFlags } from "../lib/core/cli-args";
import { checkName } from "../lib/core/paths";
import { currentProfile } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { cachedGridNodes, loadGridEditor } from "../lib/eval/grid-models";
import { probeGrounding } from "../lib/eval/ground-probe";
import { locateItems, probeLocate } from "../lib/eval/locate-probe";
import { spatialVqaItems, vqaEvalConfig } from "../lib/eval/vqa";
import { disposeEditor } from "../lib/models/editor/model";

async function main(): Promise<void> {
  const a = parseFlags(process.argv.slice(2), ["nodes", "name"]);
  const profile = currentProfile();
  const name = checkName(a.name ?? "locate-probe", "result");
  const ids = (a.nodes ?? "base@s0,stage1-emb@s0,stage1@s0").split(",").filter((x) => x !== "");
  const backend = (await initBackend()).name;
  const nodes = cachedGridNodes(profile, ids, { recordsDir: null });
  const missing = ids.filter((id) => nodes[id] === null);
  if (missing.length > 0) throw new Error(`the grid cache has no finished ${missing.join(", ")}; run npm run grid -- --profile ${profile} --only '${missing.join(",")}' first`);
  const { scenes, batch } = vqaEvalConfig(profile);
  const rows = [];
  let items: ReturnType<typeof locateItems> | null = null;
  let vqa: ReturnType<typeof spatialVqaItems> | null = null;
  for (const id of ids) {
    const { editor, config } = loadGridEditor(nodes[id]!.dir);
    try {
      vqa ??= spatialVqaItems(scenes, config.editor.image, profile);
      items ??= locateItems(vqa);
      const { scores: s, answers } = await probeLocate(editor, items, batch);
      const grounding = config.imageTokens ? probeGrounding(editor, vqa, batch) : null;
      console.log(`${id.padEnd(16)} n ${s.n}  readable ${s.readable}  region ${s.regionAccuracy.toFixed(3)} (constant guess ${s.majorityRegion.toFixed(3)})  point error ${s.meanError.toFixed(3)} (constant guess ${s.constantError.toFixed(3)})`);
      if (grounding) console.log(`${"".padEnd(16)} [IMG] attention on the question's objects per layer ${grounding.perLayer.map((m) => m.toFixed(3)).join(" / ")} (uniform ${grounding.uniform.toFixed(3)}, ${grounding.n} questions)`);
      rows.push({ id, key: nodes[id]!.key, phase: config.phase, mode: config.mode, ...s, grounding, examples: items.slice(0, 5).map((x, i) => ({ question: x.question, answer: x.answer, predicted: answers[i] })) });
    } finally {
      disposeEditor(editor);
    }
  }
  const file = writeResult(name, { config: { nodes: ids, scenes, family: "locate" }, seed: 0, data: { backend, rows } });
  console.log(`wrote ${file}`);
}

runMain(main);
