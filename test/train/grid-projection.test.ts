import { describe, expect, it } from "vitest";
import { chainBelow, listSchedule, lowerBound, type TimedJob } from "../../lib/train/grid/projection";

/** a -> b, and c on its own: on 2 slots a and c start at once, b after a (3 + 2), so the makespan is 5. */
const CHAIN: TimedJob[] = [
  { id: "a", seconds: 3 },
  { id: "b", parent: "a", seconds: 2 },
  { id: "c", seconds: 4 },
];

describe("projected grid time (lib/train/grid/projection.ts)", () => {
  it("a chain a -> b plus an independent c on 2 slots ends at 5; on 1 slot at the sum", () => {
    const s = listSchedule(CHAIN, 2);
    expect(s.makespan).toBe(5);
    expect(s.jobs).toEqual([
      { id: "a", slot: 0, start: 0, end: 3 },
      { id: "c", slot: 1, start: 0, end: 4 },
      { id: "b", slot: 0, start: 3, end: 5 },
    ]);
    expect(listSchedule(CHAIN, 2, "critical-path").makespan).toBe(5);
    expect(listSchedule(CHAIN, 1).makespan).toBe(9);
    expect(lowerBound(CHAIN, 2)).toEqual({ sum: 9, longestChain: 5, bound: 5 });
    expect(Object.fromEntries(chainBelow(CHAIN))).toEqual({ a: 5, b: 2, c: 4 });
  });

  it("the grid's order starts jobs as listed (as the scheduler does); longest chain first starts the chain's head first", () => {
    // grid order: c and d first, a at 4, b at 7 -> 9; longest chain first: a and c, then d at 3, b at 4 -> 7
    const jobs: TimedJob[] = [{ id: "c", seconds: 4 }, { id: "d", seconds: 4 }, { id: "a", seconds: 3 }, { id: "b", parent: "a", seconds: 2 }];
    expect(listSchedule(jobs, 2, "grid").makespan).toBe(9);
    const cp = listSchedule(jobs, 2, "critical-path");
    expect(cp.makespan).toBe(7);
    expect(cp.jobs.map((j) => `${j.id}@${j.start}`)).toEqual(["a@0", "c@0", "d@3", "b@4"]);
    expect(lowerBound(jobs, 2).bound).toBe(6.5);
    // more slots than jobs: the longest chain
    expect(listSchedule(jobs, 8).makespan).toBe(5);
  });

  it("a parent that is not among the jobs counts as finished (a cache hit): its child is ready at 0", () => {
    expect(listSchedule([{ id: "b", parent: "a", seconds: 2 }, { id: "c", seconds: 1 }], 2).jobs.map((j) => j.start)).toEqual([0, 0]);
    expect(listSchedule([], 2).makespan).toBe(0);
  });

  it("refuses bad input with a message that names it", () => {
    expect(() => listSchedule(CHAIN, 0)).toThrow("schedule: slots must be a positive integer, got 0");
    expect(() => listSchedule(CHAIN, 2, "random" as never)).toThrow("schedule: order must be one of grid, critical-path, got 'random'");
    expect(() => listSchedule([...CHAIN, { id: "a", seconds: 1 }], 2)).toThrow("schedule: two jobs have the id 'a'");
    expect(() => listSchedule([{ id: "a", seconds: -1 }], 2)).toThrow("schedule: job 'a' needs a finite time >= 0, got -1");
    expect(() => listSchedule([{ id: "a", seconds: NaN }], 2)).toThrow("schedule: job 'a' needs a finite time >= 0, got NaN");
    expect(() => listSchedule([{ id: "a", parent: "b", seconds: 1 }, { id: "b", parent: "a", seconds: 1 }], 2)).toThrow("schedule: dependency cycle through 'a'");
  });
});
