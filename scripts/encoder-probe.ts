/**
 * Does the frozen image encoder's patch token say which object lies in its patch? Linear probes
 * (lib/eval/encoder-probe.ts) on held-out scenes, for finished editor-grid nodes read from the grid
 * cache, each from its frozen encoder, the same encoder at initialisation, the raw pixels and the
 * encoder with the adapter's image tokens. Trains nothing; writes results/<profile>/<name>.json.
 *
 * Usage: npm run encoder-probe -- [--profile paper] [--nodes=base@s0,stage1@s0] [--scenes=N]
 *        [--cache=<grid cache dir>] [--name=encoder-probe]
 * (the profile: --profile, else SPATIALEDIT_PROFILE; the cache: data/generated/grid-cache by default)
 */
import * as path from "path";
import { initBackend } from "../lib/backend/select";
import { runMain } from "../lib/core/cli";
import { intFlag, parseFlags } from "../lib/core/cli-args";
import { checkName } from "../lib/core/paths";
import { checkProfileName, currentProfile, PROFILE_ENV } from "../lib/core/profile";
import { writeResult } from "../lib/core/results";
import { BENCHMARK_SEEDS } from "../lib/data/seeds";
import { encoderProbeConfig, encoderWeightsHash, probeEncoder } from "../lib/eval/encoder-probe";
import { cachedGridNodes, defaultGridCacheDir, loadGridEditor } from "../lib/eval/grid-models";
import { probeScenes } from "../lib/eval/patch-truth";
import { disposeEditor } from "../lib/models/editor/model";

/** `--profile NAME` (the grid's form) taken out of argv; the rest are `--key=value` flags. */
function takeProfile(argv: string[]): { profile: string | null; rest: string[] } {
  const i = argv.indexOf("--profile");
  if (i === -1) return { profile: null, rest: argv };
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new Error("--profile needs a value: tiny, quick or paper");
  return { profile: v, rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
}

async function main(): Promise<void> {
  const { profile: asked, rest } = takeProfile(process.argv.slice(2));
  const a = parseFlags(rest, ["profile", "nodes", "scenes", "cache", "name"]);
  const profile = checkProfileName(asked ?? a.profile ?? currentProfile());
  process.env[PROFILE_ENV] = profile; // writeResult files it under this profile
  const name = checkName(a.name ?? "encoder-probe", "result");
  const ids = (a.nodes ?? "base@s0,stage1@s0").split(",").filter((x) => x !== "");
  if (ids.length === 0) throw new Error("--nodes must name at least one grid node, e.g. --nodes=base@s0");
  const preset = encoderProbeConfig(profile);
  const config = encoderProbeConfig(profile, { scenes: intFlag(a, "scenes", preset.scenes, 3) });
  const cacheDir = a.cache === undefined ? defaultGridCacheDir() : path.resolve(a.cache);
  const backend = (await initBackend()).name;
  const nodes = cachedGridNodes(profile, ids, { cacheDir, recordsDir: null });
  const missing = ids.filter((id) => nodes[id] === null);
  if (missing.length > 0) throw new Error(`the grid cache ${cacheDir} has no finished ${missing.join(", ")} (profile ${profile}); run npm run grid -- --profile ${profile} --only '${missing.join(",")}' first, or pass --cache=<dir> of a cache that has it`);
  const t0 = performance.now();
  const rows = [];
  let scenes: ReturnType<typeof probeScenes> | null = null;
  for (const id of ids) {
    const t1 = performance.now();
    const { editor, config: node } = loadGridEditor(nodes[id]!.dir);
    try {
      scenes ??= probeScenes(config.scenes, editor.config.image);
      const r = probeEncoder(editor, scenes, { config });
      const seconds = (performance.now() - t1) / 1000;
      console.log(`${id} (${nodes[id]!.key}, ${node.phase}): ${r.scenes.train} / ${r.scenes.val} / ${r.scenes.test} scenes, ${r.objectPatches.test} test object patches (${(100 * r.uniqueColourShare).toFixed(1)}% of all object patches show an object whose colour is unique in its scene), ${seconds.toFixed(1)} s`);
      for (const s of r.sources) {
        console.log(`  ${s.source.padEnd(16)} d ${String(s.dim).padStart(3)}  coverage R² ${s.coverage.testR2.toFixed(3)}  colour ${s.colour.testAcc.toFixed(3)} (majority ${s.colour.majority.toFixed(3)})  shape ${s.shape.testAcc.toFixed(3)} (majority ${s.shape.majority.toFixed(3)})`);
      }
      console.log(`  verdict: ${r.verdict.text}`);
      rows.push({ id, key: nodes[id]!.key, phase: node.phase, mode: node.mode, encoderHash: encoderWeightsHash(editor), wallSeconds: seconds, ...r });
    } finally {
      disposeEditor(editor);
    }
  }
  const shared = new Set(rows.map((r) => r.encoderHash)).size === 1;
  if (rows.length > 1) console.log(shared ? "every node has the same encoder weights (frozen after base)" : "the nodes' encoder weights differ");
  const file = writeResult(name, {
    config: { nodes: ids, keys: rows.map((r) => r.key), cache: a.cache === undefined ? "default (data/generated/grid-cache)" : "given by --cache", sceneSeed: BENCHMARK_SEEDS.encoderProbe, ...config },
    seed: config.randomSeed,
    data: { backend, sharedEncoder: shared, seconds: (performance.now() - t0) / 1000, rows },
  });
  console.log(`wrote ${file}`);
}

runMain(main);
