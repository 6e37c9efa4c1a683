import { runSync } from "@aioloop/timer-loop";
import { describe, expect, it } from "vitest";
import type { DemoProgram } from "../src/program.js";
import { PROGRAMS } from "../src/programs/index.js";

/** Run a demo program on the virtual clock and return what it printed. */
function play(name: string, args: string[] = []): string {
  const program = PROGRAMS.find((p) => p.name === name) as DemoProgram;
  let printed = "";
  runSync(program.main({ clock: "virtual", args, out: (s) => (printed += s) }), {
    clock: "virtual",
  });
  return printed;
}

describe("demo programs (virtual clock: exact timings)", () => {
  it("count prints the seed's output and totals 3.00 seconds", () => {
    const out = play("count");
    expect(out).toBe(
      "One One One One One Two Two Two Two Two Three Three Three Three Three \n" +
        "Executing - count\nExecution Starts: 0.00\nExecutions Ends: 3.00\nTotals Execution Time:3.00 seconds.\n",
    );
  });

  it("sleepy interleaves five coroutines, 0.1 s apart, done in 0.5 s", () => {
    const lines = play("sleepy").trim().split("\n");
    expect(lines.slice(0, 6)).toEqual([
      "coroutine 0 step 1 at 0.00",
      "coroutine 1 step 1 at 0.00",
      "coroutine 2 step 1 at 0.00",
      "coroutine 3 step 1 at 0.00",
      "coroutine 4 step 1 at 0.00",
      "coroutine 0 step 2 at 0.10",
    ]);
    expect(lines).toHaveLength(26);
    expect(lines.at(-1)).toBe("all done in 0.50 s (one after another it would take 2.50 s)");
  });

  it("chess plays the unscaled hour: the master never waits, the last game ends at 1:00:55", () => {
    const out = play("chess");
    expect(out).toContain("round  1/30 done at 0:02:00");
    expect(out).toContain("round 30/30 done at 1:00:00");
    expect(out).toContain(
      "Exhibition over after 1:00:55 (the master waited 0:00:00 at the tables).",
    );
    expect(out).toContain("One game at a time it would have taken 12:00:00.");
  });

  it("every program has a name, a description and a source", () => {
    for (const p of PROGRAMS) {
      expect(p.name).toMatch(/^[a-z][a-z-]*$/);
      expect(p.description.length).toBeGreaterThan(10);
      expect(p.source.length).toBeGreaterThan(3);
    }
    expect(new Set(PROGRAMS.map((p) => p.name)).size).toBe(PROGRAMS.length);
  });
});
