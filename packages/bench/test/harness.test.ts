// How the harness schedules and combines measurements: warm-up in every round right before the
// measured batches, interleaved rounds, and ratios as the median of the round ratios.
import { describe, expect, it, vi } from "vitest";
import { type MeasureOptions, type Scenario, measureScenario } from "../src/index.js";

const opts = (over: Partial<MeasureOptions> = {}): MeasureOptions => ({
  rounds: 3,
  timeMs: 0,
  minIterations: 3,
  warmupMs: 0,
  warmupIterations: 2,
  trustNotes: false,
  ...over,
});

/**
 * A CPU clock that only `burn` advances: the "cpu" metric reads process.cpuUsage, which here
 * reports exactly what each batch burned (a real clock counts every thread of the test run).
 */
let fakeCpuUs = 0;
function burn(ms: number): void {
  fakeCpuUs += ms * 1000;
}

describe("measureScenario", () => {
  it("warms each contender in every round, right before its own batches, alternating the order", async () => {
    const log: string[] = [];
    const s: Scenario = {
      id: "test.order",
      title: "order",
      unit: "op",
      ops: 1,
      metric: "wall",
      ours: { name: "A", run: () => log.push("A") },
      compare: [{ name: "B", role: "baseline", target: null, run: () => log.push("B") }],
    };
    await measureScenario("test", s, opts());
    // 2 warm-up + 3 measured batches per contender per round; rounds alternate A,B / B,A.
    const runs = log.join("").match(/(.)\1*/g);
    expect(runs).toEqual(["AAAAA", "BBBBBBBBBB", "AAAAAAAAAA", "BBBBB"]);
  });

  it("gives the median of the round ratios, each side per its own operations", async () => {
    const s: Scenario = {
      id: "test.ratio",
      title: "ratio",
      unit: "op",
      ops: 10,
      // CPU time on a fake clock: every batch burns exactly 2 ms, whatever the machine does.
      metric: "cpu",
      // ours: 2 ms per 10 ops = 0.2 ms/op; other: 2 ms per 5 ops = 0.4 ms/op: ratio 0.5.
      ours: { name: "ours", run: () => burn(2) },
      compare: [{ name: "other", role: "baseline", target: null, ops: 5, run: () => burn(2) }],
    };
    const cpu = vi.spyOn(process, "cpuUsage").mockImplementation((prev?: NodeJS.CpuUsage) => ({
      user: fakeCpuUs - (prev?.user ?? 0),
      system: 0,
    }));
    let row: Awaited<ReturnType<typeof measureScenario>>[number] | undefined;
    try {
      [row] = await measureScenario("test", s, opts({ warmupIterations: 1 }));
    } finally {
      cpu.mockRestore();
    }
    const r = row!.ratio!;
    expect(r.rounds).toHaveLength(3);
    for (const x of r.rounds!) expect(x).toBeCloseTo(0.5, 6);
    const sorted = [...r.rounds!].sort((a, b) => a - b);
    expect(r.value).toBe(sorted[1]);
    expect(r.low).toBeLessThanOrEqual(r.value);
    expect(r.high).toBeGreaterThanOrEqual(r.value);
    expect(row!.ours.stats!.n).toBe(9);
  });

  it("keeps measuring the others when one contender throws, and says why in its row", async () => {
    const s: Scenario = {
      id: "test.error",
      title: "error",
      unit: "op",
      ops: 1,
      metric: "wall",
      ours: { name: "ours", run: () => {} },
      compare: [
        {
          name: "broken",
          role: "baseline",
          target: null,
          run: () => {
            throw new Error("boom");
          },
        },
        { name: "fine", role: "peer", target: null, run: () => {} },
      ],
    };
    const rows = await measureScenario("test", s, opts());
    expect(rows[0]!.verdict).toEqual({ kind: "error", message: "Error: boom" });
    expect(rows[1]!.verdict.kind).toBe("info");
    expect(rows[1]!.ratio!.rounds).toHaveLength(3);
  });
});
