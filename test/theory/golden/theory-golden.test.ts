import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../lib/backend/select";
import { computeGoldenExact, computeGoldenLearned, TheoryGolden } from "./theory-golden";

const FILE = path.join(__dirname, "theory-tiny.json");

/** Walks two JSON values together; numbers must agree to `rel` relative (or `abs` absolute) tolerance, everything else exactly. */
function mismatches(a: unknown, b: unknown, rel: number, abs: number, where = "$", out: string[] = []): string[] {
  if (typeof a === "number" && typeof b === "number") {
    const ok = a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
    if (!ok) out.push(`${where}: ${a} vs golden ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${where}: length ${a.length} vs golden ${b.length}`);
    else a.forEach((v, i) => mismatches(v, b[i], rel, abs, `${where}[${i}]`, out));
  } else if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a as object).sort();
    const kb = Object.keys(b as object).sort();
    if (ka.join(",") !== kb.join(",")) out.push(`${where}: keys ${ka.join(",")} vs golden ${kb.join(",")}`);
    else for (const k of ka) mismatches((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rel, abs, `${where}.${k}`, out);
  } else if (a !== b) out.push(`${where}: ${JSON.stringify(a)} vs golden ${JSON.stringify(b)}`);
  return out;
}

/** JSON round trip (what the stored file holds: -0 -> 0, NaN -> null). */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe("theory golden values on the tiny profile (issue 8, step 1)", () => {
  let golden: TheoryGolden;
  beforeAll(async () => {
    await initBackend();
    if (process.env.UPDATE_GOLDEN === "1") {
      fs.writeFileSync(FILE, JSON.stringify({ ...computeGoldenExact(), learned: computeGoldenLearned() }, null, 1) + "\n");
    }
    golden = JSON.parse(fs.readFileSync(FILE, "utf8")) as TheoryGolden;
  });

  it("the golden comparison notices a changed number", () => {
    expect(mismatches({ a: [1, 2.0000001] }, { a: [1, 2] }, 1e-9, 0)).toEqual(["$.a[1]: 2.0000001 vs golden 2"]);
    expect(mismatches({ a: [1, 2 + 1e-12] }, { a: [1, 2] }, 1e-9, 0)).toEqual([]);
  });

  it("Rademacher estimates, Theorem 2 study and guidance study match the stored values (float64 math, relative 1e-9)", () => {
    const now = plain(computeGoldenExact());
    expect(mismatches(now.rademacher, golden.rademacher, 1e-9, 1e-12)).toEqual([]);
    expect(mismatches(now.theorem2, golden.theorem2, 1e-9, 1e-12)).toEqual([]);
    expect(mismatches(now.guidance, golden.guidance, 1e-9, 1e-12)).toEqual([]);
  });

  it("the learned classifier's losses, evaluation and guided samples match the stored values (float32 network, relative 1e-4)", () => {
    const now = plain(computeGoldenLearned());
    expect(mismatches(now, golden.learned, 1e-4, 1e-5)).toEqual([]);
  });
});
