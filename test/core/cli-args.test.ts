import { describe, expect, it } from "vitest";
import { intFlag, numFlag, onOffFlag, parseFlags } from "../../lib/core/cli-args";

describe("script flags", () => {
  it("parseFlags: --key=value by key; unknown keys and other forms are errors listing the known keys", () => {
    expect(parseFlags(["--seed=3", "--name=a=b"], ["seed", "name"])).toEqual({ seed: "3", name: "a=b" });
    expect(() => parseFlags(["--sed=3"], ["seed", "name"])).toThrow("unknown argument '--sed=3'; known: --seed=... --name=...");
    expect(() => parseFlags(["--seed"], ["seed"])).toThrow("unknown argument '--seed'; known: --seed=...");
  });

  it("intFlag and numFlag: the default when absent, errors that name the flag", () => {
    const a = { n: "4", bad: "2.5", neg: "-1", w: "0.5", empty: " " };
    expect(intFlag(a, "n", 7)).toBe(4);
    expect(intFlag(a, "missing", 7)).toBe(7);
    expect(() => intFlag(a, "bad", 0)).toThrow("--bad must be a non-negative integer, got '2.5'");
    expect(() => intFlag(a, "neg", 0, 1)).toThrow("--neg must be an integer >= 1, got '-1'");
    expect(numFlag(a, "w", 0)).toBe(0.5);
    expect(() => numFlag(a, "empty", 0)).toThrow("--empty must be a non-negative number, got ' '");
    expect(() => numFlag(a, "neg", 0)).toThrow("--neg must be a non-negative number, got '-1'");
  });

  it("onOffFlag: on / off as a boolean, the default when absent, an error that names the flag", () => {
    const a = { x: "on", y: "off", z: "yes" };
    expect([onOffFlag(a, "x", false), onOffFlag(a, "y", true), onOffFlag(a, "missing", true), onOffFlag(a, "missing", false)]).toEqual([true, false, true, false]);
    expect(() => onOffFlag(a, "z", false)).toThrow("--z must be on or off, got 'yes'");
  });
});
