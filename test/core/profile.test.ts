import { describe, expect, it } from "vitest";
import { checkProfileName, CORE_PRESETS, currentProfile, mergeConfig, Presets, resolveConfig } from "../../lib/core/profile";

interface Demo {
  steps: number;
  name: string;
  model: { width: number; layers: number };
  tags: string[];
}
const DEMO: Presets<Demo> = {
  tiny: { steps: 2, name: "t", model: { width: 8, layers: 1 }, tags: ["a"] },
  quick: { steps: 20, name: "q", model: { width: 32, layers: 2 }, tags: ["a"] },
  paper: { steps: 2000, name: "p", model: { width: 128, layers: 4 }, tags: ["a"] },
};

describe("profiles", () => {
  it("reads SPATIALEDIT_PROFILE with quick as the default", () => {
    expect(currentProfile({})).toBe("quick");
    expect(currentProfile({ SPATIALEDIT_PROFILE: "" })).toBe("quick");
    expect(currentProfile({ SPATIALEDIT_PROFILE: "tiny" })).toBe("tiny");
    expect(currentProfile({ SPATIALEDIT_PROFILE: " paper " })).toBe("paper");
  });

  it("an unknown profile is a clear error", () => {
    expect(() => currentProfile({ SPATIALEDIT_PROFILE: "huge" })).toThrow("SPATIALEDIT_PROFILE='huge' is not a profile; use one of: tiny, quick, paper");
    expect(() => checkProfileName("huge")).toThrow("unknown profile 'huge'; known profiles: tiny, quick, paper (set SPATIALEDIT_PROFILE to one of them)");
    expect(() => resolveConfig(DEMO, "demo", "fast")).toThrow("unknown profile 'fast'");
    expect(checkProfileName("tiny")).toBe("tiny");
  });

  it("resolves presets and deep overrides without touching the presets", () => {
    const c = resolveConfig(DEMO, "demo", "quick", { steps: 5, model: { width: 64 } });
    expect(c).toEqual({ steps: 5, name: "q", model: { width: 64, layers: 2 }, tags: ["a"] });
    expect(DEMO.quick.model.width).toBe(32);
    c.tags.push("b");
    expect(DEMO.quick.tags).toEqual(["a"]);
  });

  it("an unknown config key is a clear error, also when nested", () => {
    expect(() => resolveConfig(DEMO, "demo", "tiny", { stepz: 3 } as never)).toThrow(
      "demo (profile 'tiny'): unknown config key 'stepz'; known keys: steps, name, model, tags",
    );
    expect(() => resolveConfig(DEMO, "demo", "tiny", { model: { depth: 3 } } as never)).toThrow(
      "demo (profile 'tiny').model: unknown config key 'depth'; known keys: width, layers",
    );
  });

  it("a value of the wrong type is a clear error", () => {
    expect(() => resolveConfig(DEMO, "demo", "tiny", { steps: "10" } as never)).toThrow(
      "demo (profile 'tiny'): config key 'steps' must be number, got string (\"10\")",
    );
    expect(() => resolveConfig(DEMO, "demo", "tiny", { steps: Number.NaN })).toThrow("config key 'steps' must be a finite number, got NaN");
    expect(() => mergeConfig(DEMO.tiny, [] as never, "demo")).toThrow("demo: overrides must be an object, got array");
  });

  it("every profile has a core preset", () => {
    for (const p of ["tiny", "quick", "paper"] as const) expect(CORE_PRESETS[p].seed).toBeTypeOf("number");
  });
});
