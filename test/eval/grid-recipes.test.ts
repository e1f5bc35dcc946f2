import { describe, expect, it } from "vitest";
import { editorGrid } from "../../lib/eval/editor-grid";
import { evalGroups, gridRecipes, isTrainingNode, nodeGroupName, projectedSeconds, projectGrid, recipeName, selectGroups } from "../../lib/eval/grid-recipes";
import type { EditorNodeConfig } from "../../lib/models/editor/train/node";
import type { GridNode } from "../../lib/train/grid/node";

const bare = (ids: string[]) => ids.map((id) => id.replace(/@s\d+$/, ""));

describe("the editor grid's recipes by cost (lib/eval/grid-recipes.ts)", () => {
  const tiny = editorGrid("tiny");
  const recipes = gridRecipes(tiny);

  it("puts every training node of the tiny grid in exactly one recipe; spatialedit and wo-s1 share one, lgie and ip2p have their own", () => {
    const training = tiny.filter(isTrainingNode).map((n) => n.id);
    const covered = recipes.flatMap((r) => r.nodes);
    expect([...covered].sort()).toEqual([...training].sort());
    expect(new Set(covered).size).toBe(covered.length);
    const of = (id: string) => recipes.find((r) => r.nodes.includes(`${id}@s0`))!;
    expect(of("spatialedit")).toBe(of("wo-s1"));
    expect(of("mgie")).toBe(of("wo-s2"));
    expect(bare(of("lgie").nodes)).toEqual(["lgie"]);
    expect(bare(of("ip2p").nodes)).toEqual(["ip2p"]);
    expect(recipes.map((r) => `${r.name}: ${bare(r.nodes).join(", ")}`)).toEqual([
      "base full all: base",
      "stage1 attention all: stage1",
      "stage2 attention all: spatialedit, wo-s1",
      "mgie embedding all: mgie, wo-s2",
      "ip2p embedding all no-image: ip2p",
      "finetune embedding all: finetune",
      "wo-de attention all: wo-de",
      "stage1 embedding all: stage1-emb",
      "stage1 lora all: stage1-lora",
      "stage2 lora all: lora",
      "mgie embedding all no-image: lgie",
      "stage1 attention shallow: stage1-shallow",
      "stage2 attention shallow: shallow",
      "stage1 attention middle: stage1-middle",
      "stage2 attention middle: middle",
      "stage1 attention deep: stage1-deep",
      "stage2 attention deep: deep",
    ]);
    expect(new Set(recipes.map((r) => r.steps))).toEqual(new Set([2])); // tiny: 2 steps a phase
    expect(of("stage1").config).toEqual(tiny.find((n) => n.id === "stage1@s0")!.config);
  });

  it("on paper, every training node of every seed is projected from a recipe of seed 0, with the phase's steps", () => {
    const paper = editorGrid("paper");
    const names = new Set(gridRecipes(paper).map((r) => r.name));
    expect(gridRecipes(paper).map((r) => r.name)).toEqual(recipes.map((r) => r.name));
    for (const n of paper.filter(isTrainingNode)) expect(names.has(nodeGroupName(n)), n.id).toBe(true);
    const steps = Object.fromEntries(gridRecipes(paper).map((r) => [r.name, r.steps]));
    expect([steps["base full all"], steps["stage1 lora all"], steps["ip2p embedding all no-image"]]).toEqual([2000, 1500, 2000]);
    expect(new Set(paper.map((n) => n.seed))).toEqual(new Set([0, 1, 2]));
  });

  it("groups evaluation nodes by kind and benchmark", () => {
    const groups = evalGroups(tiny);
    expect(groups.map((g) => `${g.name}: ${g.nodes.length}`)).toEqual(["vqa: 3", "eval spatialeval: 12", "eval general: 8"]);
    expect(groups[0].first.id).toBe("vqa-base@s0");
    expect(isTrainingNode(groups[1].first)).toBe(false);
    expect(() => nodeGroupName({ id: "x", kind: "toy-base", config: {}, seed: 0, dataManifestHash: "" })).toThrow("grid recipes: 'x' (kind toy-base) is not an evaluation node");
  });

  it("refuses two nodes of one recipe with different configs (the grouping would hide a cost difference)", () => {
    const changed = tiny.map((n): GridNode => (n.id === "wo-s1@s0" ? { ...n, config: { ...(n.config as EditorNodeConfig), checkpointEvery: 7 } } : n));
    expect(() => gridRecipes(changed)).toThrow("grid recipes: 'wo-s1@s0' and 'spatialedit@s0' are both 'stage2 attention all' but their configs differ; they may not cost the same");
    expect(() => gridRecipes(tiny, 5)).toThrow("grid recipes: seed 5 has no training node");
    expect(recipeName({ ...(tiny[0].config as EditorNodeConfig), imageTokens: false })).toBe("base full all no-image");
  });

  it("--only picks groups by name, dashed name or node id (with or without the seed)", () => {
    const groups = [...recipes, ...evalGroups(tiny)];
    const pick = (...only: string[]) => selectGroups(groups, only).map((g) => g.name);
    expect(pick("stage2 attention all")).toEqual(["stage2 attention all"]);
    expect(pick("stage2-attention-all", "lgie", "ip2p@s0", "vqa", "eval-general")).toEqual(["stage2 attention all", "ip2p embedding all no-image", "mgie embedding all no-image", "vqa", "eval general"]);
    expect(pick("wo-s1")).toEqual(["stage2 attention all"]);
    expect(() => pick("stage3")).toThrow(/^--only: 'stage3' is neither a group nor a node of one; groups: base-full-all \(base\); stage1-attention-all \(stage1\); stage2-attention-all \(spatialedit, wo-s1\); /);
  });

  it("projects a node as setup + steps x ms/step (+ checkpoints), and the grid with untimed nodes counted 0 and listed", () => {
    expect(projectedSeconds(12.5, 2000, 850)).toBe(1712.5);
    expect(projectedSeconds(12.5, 2000, 850, 40 * 0.25)).toBe(1722.5);
    expect(projectedSeconds(0, 0, 850)).toBe(0);
    const nodes = tiny.filter((n) => ["base@s0", "stage1@s0", "spatialedit@s0", "wo-s1@s0", "eval-spatialedit@s0"].includes(n.id));
    const { jobs, untimed } = projectGrid(nodes, new Map([["base full all", 10], ["stage2 attention all", 5]]));
    expect(jobs).toEqual([
      { id: "base@s0", seconds: 10 },
      { id: "stage1@s0", parent: "base@s0", seconds: 0 },
      { id: "spatialedit@s0", parent: "stage1@s0", seconds: 5 },
      { id: "wo-s1@s0", parent: "base@s0", seconds: 5 },
      { id: "eval-spatialedit@s0", parent: "spatialedit@s0", seconds: 0 },
    ]);
    expect(untimed).toEqual(["stage1@s0", "eval-spatialedit@s0"]);
  });
});
